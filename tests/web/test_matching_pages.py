"""The matching pages: a firm's candidates and one-click match, the administrator's ranker page."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.admin.models import AuditLog, Setting
from marketplace.admin.services import PRIORITY_BOOST
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.shifts.applications import apply
from marketplace.shifts.models import Application, Invitation
from tests.conftest import csrf_from, in_hours

NEAR = {"lat": 37.46, "lon": 122.17}


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def english(client, login, user) -> None:
    login(client, user)
    client.get("/lang/en")


def post(client, url: str, data: dict | None = None, token_from: str = "/shifts"):
    token = csrf_from(page(client, token_from))
    return client.post(url, data={**(data or {}), "csrf_token": token})


@pytest.fixture
def model_dir(app):
    path = Path(app.config["MODEL_DIR"])
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------ firm: candidates


def test_candidates_page_lists_eligible_workers_only(client, login, make_firm, make_worker,
                                                     make_shift):
    firm = make_firm()
    shift = make_shift(firm, certificates=["health_cert"])
    fits = make_worker(name="持证工人", certificates=["health_cert"], priority_group="veteran",
                       **NEAR)
    fits.worker_profile.priority_verified = True
    lacks = make_worker(name="无证工人", certificates=[], **NEAR)
    applied = make_worker(name="已报名工人", certificates=["health_cert"], **NEAR)
    apply(actor=applied, shift_id=shift.id)
    db.session.commit()
    english(client, login, firm)

    body = page(client, f"/firm/shifts/{shift.id}/candidates")

    assert fits.name in body
    assert lacks.name not in body and applied.name not in body
    assert fits.masked_phone in body and fits.phone not in body
    assert "Skills match 1/1" in body and "Reliability 80%" in body
    assert "Match 0." in body or "Match 1." in body
    # The policy boost's group membership is never shown to firms.
    assert "veteran" not in body.lower() and "退役军人" not in body
    assert f"/firm/shifts/{shift.id}/candidates/{fits.id}/invite" in body
    # Reachable from the applicants page and the dashboard.
    link = f"/firm/shifts/{shift.id}/candidates"
    assert link in page(client, f"/firm/shifts/{shift.id}/applicants")
    assert link in page(client, "/firm/")


def test_invite_a_candidate_creates_an_invitation_and_a_message(client, login, make_firm,
                                                                make_worker, make_shift):
    firm = make_firm()
    shift = make_shift(firm, certificates=["health_cert"])
    fits = make_worker(name="持证工人", certificates=["health_cert"], **NEAR)
    lacks = make_worker(name="无证工人", certificates=[], **NEAR)
    english(client, login, firm)
    url = f"/firm/shifts/{shift.id}/candidates"

    response = post(client, f"{url}/{fits.id}/invite", token_from=url)

    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    db.session.expire_all()
    invitation = db.session.scalars(select(Invitation)).one()
    assert (invitation.shift_id, invitation.worker_id) == (shift.id, fits.id)
    message = db.session.scalars(select(Notification).where(
        Notification.user_id == fits.id)).one()
    assert message.kind == "invitation" and message.link == f"/shifts/{shift.id}"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "firm.invite"))
    assert entry.details == {"worker_id": fits.id, "via": "candidates"}
    after = page(client, url)
    assert "Invitation sent." in after and "Invited" in after
    assert f"{url}/{fits.id}/invite" not in after

    # A second invitation is refused with a message, not an error page.
    again = post(client, f"{url}/{fits.id}/invite", token_from=url)
    assert again.status_code == 303
    assert "already invited" in page(client, url)
    # A worker who fails a hard constraint cannot be invited through this route.
    assert post(client, f"{url}/{lacks.id}/invite", token_from=url).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_another_firm_gets_404_on_candidates_and_invite(client, login, make_firm, make_worker,
                                                        make_shift):
    owner, other = make_firm(), make_firm(name="别家公司")
    shift = make_shift(owner)
    worker = make_worker(**NEAR)
    login(client, other)
    page(client, f"/firm/shifts/{shift.id}/candidates", status=404)
    response = post(client, f"/firm/shifts/{shift.id}/candidates/{worker.id}/invite",
                    token_from="/firm/")
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_closed_shift_has_no_candidates_but_the_page_still_renders(client, login, make_firm,
                                                                   make_worker, make_shift):
    from marketplace.shifts.services import cancel_shift

    firm = make_firm()
    shift = make_shift(firm)
    make_worker(name="附近工人", **NEAR)
    cancel_shift(actor=firm, shift_id=shift.id)
    db.session.commit()
    english(client, login, firm)
    body = page(client, f"/firm/shifts/{shift.id}/candidates")
    assert "Only open shifts have candidates" in body and "附近工人" not in body


# ------------------------------------------------------------------ firm: one-click match


def test_one_click_match_shows_the_plan_and_sends_offers(client, login, make_firm, make_worker,
                                                        make_shift):
    firm = make_firm()
    start = in_hours(48)
    one_seat = make_shift(firm, title="单人班", starts_at=start, hours=6, headcount=1)
    overlapping = make_shift(firm, title="重叠班", starts_at=start + dt.timedelta(hours=2),
                             hours=6, headcount=1)
    two_seats = make_shift(firm, title="双人班", starts_at=start + dt.timedelta(hours=10),
                           hours=4, headcount=2)
    workers = [make_worker(name=f"工人{n}") for n in range(4)]
    for worker in workers:
        for shift in (one_seat, overlapping, two_seats):
            apply(actor=worker, shift_id=shift.id)
    db.session.commit()
    english(client, login, firm)
    assert "/firm/match" in page(client, "/firm/")

    body = page(client, "/firm/match")
    assert "Send 4 offers" in body
    assert body.count('id="planned-') == 4
    assert "单人班" in body and "双人班" in body
    assert workers[0].masked_phone in body or workers[1].masked_phone in body
    assert not any(w.phone in body for w in workers)

    response = post(client, "/firm/match", token_from="/firm/match")
    assert response.status_code == 303
    assert "4 offers sent." in page(client, "/firm/match")
    db.session.expire_all()
    offered = db.session.execute(select(Application.shift_id, Application.worker_id).where(
        Application.status == "offered")).all()
    assert len(offered) == 4
    per_shift = {s.id: sum(1 for sid, _ in offered if sid == s.id)
                 for s in (one_seat, overlapping, two_seats)}
    assert per_shift == {one_seat.id: 1, overlapping.id: 1, two_seats.id: 2}
    per_worker_early = [w for sid, w in offered if sid in (one_seat.id, overlapping.id)]
    assert len(set(per_worker_early)) == 2  # nobody on two overlapping shifts
    # Nothing pending fits any more: the page says so and a second send offers nothing.
    assert "Nothing to match" in page(client, "/firm/match")


def test_match_page_is_for_firms_only(client, login, make_worker):
    login(client, make_worker())
    page(client, "/firm/match", status=404)


# ------------------------------------------------------------------ administrator: ranker


def test_ranker_page_without_a_model(client, login, make_admin, model_dir):
    english(client, login, make_admin())
    body = page(client, "/admin/ranker")
    assert "No model is promoted" in body and "No model has been trained yet" in body
    assert "/admin/ranker" in page(client, "/admin/")


def test_boost_form_changes_the_setting_and_is_audited(client, login, make_admin):
    english(client, login, make_admin())
    response = post(client, "/admin/ranker/boost", {"enabled": "y", "weight": "12.5"},
                    token_from="/admin/ranker")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Setting, PRIORITY_BOOST).value == {"enabled": True, "weight": 0.125}
    entry = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "policy.priority_boost"))
    assert entry.details["current"] == {"enabled": True, "weight": 0.125}
    body = page(client, "/admin/ranker")
    assert "The priority boost setting is saved." in body and "On: +12.5 %" in body

    # 50 % (0.5) is above the bound: refused with the reason, the setting unchanged.
    refused = post(client, "/admin/ranker/boost", {"enabled": "y", "weight": "50"},
                   token_from="/admin/ranker")
    assert refused.status_code == 422
    assert "Between 0 and 20%" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Setting, PRIORITY_BOOST).value["weight"] == 0.125
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "policy.priority_boost")) == 1

    # Switching it off keeps it audited too.
    post(client, "/admin/ranker/boost", {"weight": "12.5"}, token_from="/admin/ranker")
    db.session.expire_all()
    assert db.session.get(Setting, PRIORITY_BOOST).value["enabled"] is False
    assert "Off" in page(client, "/admin/ranker")


def fake_model(directory: Path, version: str, score: float) -> None:
    meta = {"version": version, "trained_at": "2025-03-01T02:00:00+00:00",
            "train_from": "2025-01-01T00:00:00+00:00", "train_to": "2025-03-01T00:00:00+00:00",
            "feature_names": ["distance_km", "skill_cover"], "apply_model": "hgb",
            "validation": {"apply_ndcg10": {"hgb": score, "pairwise_linear": score - 0.01},
                           "apply_model": "hgb", "hire_auc": 0.71},
            "rows": {"apply": 1000}, "fit_seconds": 1.5, "score": score}
    (directory / f"{version}.json").write_text(json.dumps(meta), encoding="utf-8")


def test_promote_from_the_page_refuses_worse_and_unknown(client, login, make_admin, model_dir):
    fake_model(model_dir, "good", 0.61)
    fake_model(model_dir, "worse", 0.55)
    english(client, login, make_admin())
    body = page(client, "/admin/ranker")
    assert 'value="good"' in body and 'value="worse"' in body and "0.610" in body

    assert post(client, "/admin/ranker/promote", {"version": "good"},
                token_from="/admin/ranker").status_code == 303
    body = page(client, "/admin/ranker")
    assert "Model good now ranks" in body
    assert "Validation NDCG@10" in body and "hgb 0.610" in body and "hire 0.710" in body
    assert "2025-01-01" in body  # the training window

    refused = post(client, "/admin/ranker/promote", {"version": "worse"},
                   token_from="/admin/ranker")
    assert refused.status_code == 303
    body = page(client, "/admin/ranker")
    assert "Not promoted" in body and "below the current good" in body
    assert json.loads((model_dir / "promoted.json").read_text())["version"] == "good"

    unknown = post(client, "/admin/ranker/promote", {"version": "no-such-model"},
                   token_from="/admin/ranker")
    assert unknown.status_code == 303
    assert "No stored model" in page(client, "/admin/ranker")

    forced = post(client, "/admin/ranker/promote", {"version": "worse", "force": "y"},
                  token_from="/admin/ranker")
    assert forced.status_code == 303
    assert json.loads((model_dir / "promoted.json").read_text())["version"] == "worse"
    entries = db.session.scalars(select(AuditLog).where(
        AuditLog.action == "ranker.promote").order_by(AuditLog.id)).all()
    assert [e.details["version"] for e in entries] == ["good", "worse"]
    assert entries[-1].actor_id is not None and entries[-1].details["forced"] is True


def test_fairness_section_is_computed_on_demand(client, login, make_admin, make_firm,
                                                make_worker, make_shift, model_dir):
    make_shift(make_firm())
    for n in range(4):
        worker = make_worker(name=f"w{n}", priority_group="veteran" if n == 0 else None, **NEAR)
        worker.worker_profile.priority_verified = n == 0
    db.session.commit()
    english(client, login, make_admin())
    assert "Share of eligible workers" not in page(client, "/admin/ranker")
    body = page(client, "/admin/ranker?fairness=1")
    assert "Share of eligible workers" in body
    assert "Sampled 1 candidate lists (4 eligible workers in all, 4 top-10 places)" in body
    assert "25.0 %" in body  # one verified priority-group worker of four


def test_candidates_page_queries_do_not_grow_with_candidates(client, login, make_firm,
                                                             make_worker, make_shift):
    from sqlalchemy import event

    firm = make_firm()
    shift = make_shift(firm)
    login(client, firm)
    url = f"/firm/shifts/{shift.id}/candidates"
    count = [0]

    def counter(*_args, **_kwargs):
        count[0] += 1

    queries = []
    for total in (3, 25):  # candidates on the page
        while db.session.scalar(
                select(func.count()).select_from(User).where(User.role == "worker")) < total:
            make_worker(name="附近工人", **NEAR)
        count[0] = 0
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            body = page(client, url)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        assert body.count('class="card applicant candidate"') == total
        queries.append(count[0])
    assert queries[0] == queries[1], queries
