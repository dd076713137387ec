"""Candidates, the one-click match and the policy boost, through the real database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.admin.models import AuditLog
from marketplace.admin.services import set_priority_boost
from marketplace.extensions import db
from marketplace.matching.candidates import one_click_plan, send_planned_offers, suggest
from marketplace.shifts.applications import apply
from marketplace.shifts.models import Application
from tests.conftest import in_hours


def test_suggested_candidates_respect_hard_constraints(make_firm, make_worker, make_shift):
    firm = make_firm()
    shift = make_shift(firm, certificates=["health_cert"], district="jingqu")
    fits = make_worker(name="合适", certificates=["health_cert"], lat=37.46, lon=122.17)
    make_worker(name="无证", certificates=[], lat=37.46, lon=122.17)
    make_worker(name="太远", certificates=["health_cert"], lat=36.92, lon=121.54, radius=10)
    applied = make_worker(name="已报名", certificates=["health_cert"], lat=37.46, lon=122.17)
    apply(actor=applied, shift_id=shift.id)
    db.session.commit()
    names = [c.worker.name for c in suggest(actor=firm, shift_id=shift.id)]
    assert names == [fits.name]


def test_priority_boost_is_bounded_audited_and_reorders(make_firm, make_worker, make_shift,
                                                        make_admin):
    firm = make_firm()
    shift = make_shift(firm)
    plain = make_worker(name="普通", lat=37.46, lon=122.17)
    helped = make_worker(name="重点", lat=37.50, lon=122.12, priority_group="veteran")
    helped.worker_profile.priority_verified = True
    db.session.commit()
    before = [c.worker.id for c in suggest(actor=firm, shift_id=shift.id)]
    assert before == [plain.id, helped.id]  # nearer worker first without a boost
    admin = make_admin()
    set_priority_boost(actor=admin, enabled=True, weight=0.2)
    db.session.commit()
    after = [c.worker.id for c in suggest(actor=firm, shift_id=shift.id)]
    assert after == [helped.id, plain.id]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "policy.priority_boost"))
    assert entry.details["current"] == {"enabled": True, "weight": 0.2}
    import pytest

    from marketplace.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        set_priority_boost(actor=admin, enabled=True, weight=0.5)


def test_one_click_plan_fills_seats_without_overbooking_or_overlap(make_firm, make_worker,
                                                                   make_shift):
    firm = make_firm()
    start = in_hours(48)
    morning = make_shift(firm, starts_at=start, hours=6, headcount=1)
    overlapping = make_shift(firm, starts_at=start + dt.timedelta(hours=2), hours=6,
                             headcount=1)
    later = make_shift(firm, starts_at=start + dt.timedelta(hours=10), hours=4, headcount=2)
    both = make_worker(name="两个都报")
    other = make_worker(name="另一人")
    third = make_worker(name="第三人")
    for worker, shifts in ((both, [morning, overlapping, later]), (other, [morning]),
                           (third, [overlapping, later])):
        for shift in shifts:
            apply(actor=worker, shift_id=shift.id)
    db.session.commit()

    plan, summary = one_click_plan(actor=firm)

    pairs = [(p.application.worker_id, p.application.shift_id) for p in plan]
    per_shift = {s.id: sum(1 for _, sid in pairs if sid == s.id)
                 for s in (morning, overlapping, later)}
    assert per_shift[morning.id] <= 1 and per_shift[overlapping.id] <= 1
    assert per_shift[later.id] <= 2
    assert not ((both.id, morning.id) in pairs and (both.id, overlapping.id) in pairs)
    assert summary["offers"] == len(plan) == 4  # every seat can be filled here
    assert send_planned_offers(actor=firm) == 4
    db.session.commit()
    offered = db.session.scalars(select(Application).where(Application.status == "offered"))
    assert len(list(offered)) == 4


def test_fairness_report_counts_exposure(app, make_firm, make_worker, make_shift):
    firm = make_firm()
    make_shift(firm)
    for n in range(4):
        worker = make_worker(name=f"w{n}", lat=37.46, lon=122.17,
                             priority_group="veteran" if n == 0 else None)
        worker.worker_profile.priority_verified = n == 0
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ranker", "fairness", "--json"])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.output)
    assert report["lists"] == 1 and report["eligible_pairs"] == 4
    assert report["priority"]["share_of_eligible"] == 0.25
    assert report["priority"]["share_of_top10"] == 0.25  # all four fit in the top 10
    assert report["new"]["share_of_eligible"] == 1.0


def test_applicants_come_best_match_first(client, make_firm, make_worker, make_shift,
                                          api_token):
    firm = make_firm()
    shift = make_shift(firm, skills=["forklift"], district="jingqu")
    poor = make_worker(name="先报名", skills=["cooking"], lat=37.51, lon=122.12)
    good = make_worker(name="后报名", skills=["forklift"], lat=37.46, lon=122.17)
    for worker in (poor, good):
        apply(actor=worker, shift_id=shift.id)
        db.session.commit()
    headers = api_token(firm)
    by_match = client.get(f"/api/v1/shifts/{shift.id}/applications", headers=headers).get_json()
    assert [a["worker"]["id"] for a in by_match["items"]] == [good.id, poor.id]
    by_time = client.get(f"/api/v1/shifts/{shift.id}/applications?order=applied",
                         headers=headers).get_json()
    assert [a["worker"]["id"] for a in by_time["items"]] == [poor.id, good.id]
    assert by_match["total"] == 2


def test_serving_history_folds_impressions_per_shift_and_keeps_other_events(
        make_firm, make_worker, make_shift):
    from marketplace.matching.events import log_impressions
    from marketplace.matching.export import serving_events_frame
    from marketplace.ranking.market import KIND_CODE

    firm, worker, other = make_firm(), make_worker(), make_worker()
    first, second = make_shift(firm), make_shift(firm)
    for _ in range(3):
        log_impressions(worker_id=worker.id, shift_ids=[first.id, second.id], source="feed")
    log_impressions(worker_id=other.id, shift_ids=[first.id], source="feed")
    apply(actor=worker, shift_id=first.id)
    db.session.commit()

    events = serving_events_frame([worker.id])
    shown = events.kind == KIND_CODE["impression"]
    folded = zip(events.shift_id[shown].tolist(), events.count[shown].tolist(), strict=True)
    assert sorted(folded) == [(first.id, 3), (second.id, 3)]
    assert set(events.worker_id.tolist()) == {worker.id}
    assert (events.kind == KIND_CODE["apply"]).sum() == 1


def test_shift_store_feeds_the_scores_but_sql_decides_who_sees_what(
        app, make_firm, make_worker, make_shift):
    from sqlalchemy import update

    from marketplace.matching.feed import build_feed
    from marketplace.matching.shift_store import store
    from marketplace.shifts.models import Shift
    from marketplace.shifts.services import update_shift

    app.config["SHIFT_STORE_SECONDS"] = 300
    store.clear()
    try:
        firm, worker = make_firm(), make_worker()
        shift = make_shift(firm, pay_fen=3000, headcount=2)
        assert [item.shift_id for item in build_feed(actor=worker, log=False)[0]] == [shift.id]
        assert store.facts([shift.id])[shift.id].daily_pay_fen == shift.daily_pay_fen

        update_shift(actor=firm, shift_id=shift.id, changes={"pay_amount_fen": 4000})
        db.session.commit()
        assert store.facts([shift.id])[shift.id].daily_pay_fen == shift.daily_pay_fen  # forgot

        # Filled up behind the store's back: the SQL filter still leaves it out at once.
        db.session.execute(update(Shift).where(Shift.id == shift.id).values(filled=2))
        db.session.commit()
        assert build_feed(actor=worker, log=False)[0] == []
    finally:
        app.config["SHIFT_STORE_SECONDS"] = 0
        store.clear()


def test_warm_up_fills_the_shift_store_before_the_first_request(app, make_firm, make_shift):
    from marketplace.matching.shift_store import store
    from marketplace.matching.warmup import warm_up

    shift = make_shift(make_firm())
    app.config["SHIFT_STORE_SECONDS"] = 300
    store.clear()
    try:
        warm_up(app)
        assert shift.id in store.entries
    finally:
        app.config["SHIFT_STORE_SECONDS"] = 0
        store.clear()
