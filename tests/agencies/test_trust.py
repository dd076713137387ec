"""Scorecards and trust grades: figures from the record, grades by the published rules, a
worse grade lowers the agency's candidates in firms' lists, a D suspends brokering until an
administrator restores it (audited), and complaints are filed and decided."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from marketplace.admin.models import AuditLog
from marketplace.agencies import brokering, trust
from marketplace.agencies.models import Agency
from marketplace.db import utcnow
from marketplace.errors import Forbidden
from marketplace.extensions import db
from marketplace.matching.candidates import applicant_scores
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application, Rating, Shift
from marketplace.workers.models import WorkerProfile
from tests.agencies.conftest import FIXED_50
from tests.conftest import csrf_from


def card(**figures) -> trust.Scorecard:
    scorecard = trust.Scorecard(agency_id=1, **figures)
    scorecard.grade, scorecard.reasons = trust.grade_for(scorecard)
    return scorecard


def test_the_grade_rules():
    # A new agency with no record yet starts at B: A needs a volume of work.
    assert card().grade == "B"
    assert card().reasons[0][0] == "volume"
    strong = dict(taken_on=40, filled=38, showed=38, ended=38, completed=37, no_shows=0,
                  firm_rating=4.8, firm_ratings=30)
    assert card(**strong).grade == "A" and card(**strong).reasons == []
    assert card(**{**strong, "complaints_upheld": 1}).grade == "B"
    assert card(**{**strong, "showed": 35, "no_shows": 3}).grade == "B"  # 92 % show-up
    assert card(**{**strong, "showed": 32, "no_shows": 6}).grade == "C"  # 84 %
    assert card(**{**strong, "showed": 28, "no_shows": 10}).grade == "D"  # 74 %
    assert card(**{**strong, "firm_rating": 4.0}).grade == "B"
    assert card(**{**strong, "firm_rating": 3.2}).grade == "C"
    assert card(**{**strong, "filled": 22, "showed": 22, "ended": 22, "completed": 21}
                ).grade == "C"  # 55 % of the seats taken on filled
    assert card(**{**strong, "complaints_upheld": 3}).grade == "D"
    # A fee or deposit charged to a worker, or a fake posting, means D whatever the figures.
    fee = card(**{**strong, "fee_breaches": 1})
    assert fee.grade == "D" and fee.reasons[0][0] == "grave_breach"
    assert card(**{**strong, "fake_postings": 1}).grade == "D"
    # Too few cases is "not enough data", not a failure.
    assert card(taken_on=3, filled=1, showed=0, no_shows=1).grade == "B"
    assert trust.GRADE_MULTIPLIER == {"A": 1.0, "B": 0.95, "C": 0.85, "D": 0.7}


def past_shift(firm_user, *, days_ago: float, title: str = "往期分拣") -> Shift:
    starts = utcnow().replace(microsecond=0) - dt.timedelta(days=days_ago)
    shift = Shift(firm_id=firm_user.firm_id, title=title, category="food_processing",
                  district="jingqu", lat=37.45, lon=122.17, starts_at=starts,
                  ends_at=starts + dt.timedelta(hours=8), headcount=20, filled=0,
                  pay_amount_fen=3000, pay_unit="hour", daily_pay_fen=24000,
                  settlement="daily", status="completed")
    db.session.add(shift)
    db.session.flush()
    return shift


def history(agency_user, firm_user, worker, shift, status: str, *, consent=True) -> Application:
    application = Application(
        shift_id=shift.id, worker_id=worker.id, status=status, starts_at=shift.starts_at,
        ends_at=shift.ends_at, source="agency", agency_id=agency_user.agency_id,
        agency_consent="standing" if consent else None,
        agency_consent_at=shift.starts_at - dt.timedelta(days=2) if consent else None)
    db.session.add(application)
    db.session.flush()
    return application


def test_the_scorecard_from_the_record(make_agency, make_firm, make_worker):
    agency, other = make_agency(name="甲"), make_agency(name="乙")
    firm = make_firm()
    workers = [make_worker() for _ in range(11)]
    statuses = ["completed"] * 8 + ["no_show", "rejected", "cancelled"]
    for n, (worker, status) in enumerate(zip(workers, statuses, strict=True)):
        application = history(agency, firm, worker, past_shift(firm, days_ago=20 + n), status)
        if status == "completed":
            db.session.add(Rating(application_id=application.id, rater="firm",
                                  score=4 if n % 2 else 5))
    # Worker 0 came back to the same firm 10 days later (directly): a 30-day re-hire.
    again = past_shift(firm, days_ago=10)
    db.session.add(Application(shift_id=again.id, worker_id=workers[0].id, status="completed",
                               starts_at=again.starts_at, ends_at=again.ends_at))
    # Not counted: a proposal nobody confirmed, another agency's placement, a direct one.
    history(agency, firm, workers[1], past_shift(firm, days_ago=5), "declined", consent=False)
    history(other, firm, workers[2], past_shift(firm, days_ago=6), "no_show")
    db.session.commit()

    figures = trust.scorecard(agency.agency_id)
    assert (figures.taken_on, figures.filled, figures.showed, figures.no_shows) == (10, 9, 8, 1)
    assert (figures.fill_rate, figures.completion_rate) == (0.9, round(8 / 9, 4))
    assert figures.show_up_rate == round(8 / 9, 4)
    # re-hired: worker 0 (directly) and worker 2 (through the other agency) came back
    assert (figures.rehire_base, figures.rehired) == (8, 2)
    assert (figures.firm_rating, figures.firm_ratings) == (4.5, 8)
    assert figures.grade == "C"  # the show-up rate (89 %) misses B's 90 %
    assert [key for key, _values in figures.reasons] == ["show_up_rate"]
    assert trust.scorecard(other.agency_id).no_shows == 1


def test_an_upheld_fee_complaint_means_d_and_suspends_until_restored(
        client, login, api_token, make_agency, make_firm, make_worker, make_shift, make_admin,
        enrol):
    agency = make_agency()
    firm = make_firm()
    worker = make_worker()
    enrol(agency, worker, consent=("food_processing",))
    shift = make_shift(firm)
    brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                           terms=brokering.make_terms(**FIXED_50))
    db.session.commit()
    admin = make_admin()
    # The worker complains that the agency took a deposit; the administrator upholds it.
    r = client.post(f"/api/v1/agencies/{agency.agency_id}/complaints", headers=api_token(worker),
                    json={"category": "worker_fee", "description": "收取了 200 元押金"})
    assert r.status_code == 201
    complaint_id = r.get_json()["id"]
    login(client, admin)
    html = client.get("/admin/agencies/complaints").get_data(as_text=True)
    assert "收取了 200 元押金" in html
    response = client.post(f"/admin/agencies/complaints/{complaint_id}/uphold",
                           data={"csrf_token": csrf_from(html), "note": "核实属实"})
    assert response.status_code == 303
    db.session.expire_all()
    suspended = db.session.get(Agency, agency.agency_id)
    assert suspended.brokering_suspended
    assert trust.scorecard(agency.agency_id).grade == "D"
    entry = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "agency.brokering_suspend"))
    assert entry.details["automatic"] is True and entry.actor_id is None
    second = make_shift(firm, start_in_hours=80)
    with pytest.raises(Forbidden) as error:
        brokering.broker_apply(actor=agency, shift_id=second.id, worker_id=worker.id,
                               terms=brokering.make_terms(**FIXED_50))
    assert error.value.code == "brokering_suspended"
    db.session.rollback()
    # The firm sees the D beside the brokered applicant.
    listed = client.get(f"/api/v1/shifts/{shift.id}/applications",
                        headers=api_token(firm)).get_json()
    assert listed["items"][0]["agency"]["trust_grade"] == "D"

    # An administrator restores it after review (audited); the grade alone does not
    # suspend it again ...
    html = client.get(f"/admin/agencies/{agency.agency_id}").get_data(as_text=True)
    response = client.post(f"/admin/agencies/{agency.agency_id}/brokering/restore",
                           data={"csrf_token": csrf_from(html), "note": "已退还押金，整改完成"})
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Agency, agency.agency_id).brokering_suspended
    restore = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "agency.brokering_restore"))
    assert restore.actor_id == admin.id and restore.details["reason"] == "已退还押金，整改完成"
    assert trust.reassess_all()["D"] == 1
    assert not db.session.get(Agency, agency.agency_id).brokering_suspended
    brokering.broker_apply(actor=agency, shift_id=second.id, worker_id=worker.id,
                           terms=brokering.make_terms(**FIXED_50))
    db.session.commit()
    # ... but a new incident after the restore does.
    r = client.post(f"/api/v1/agencies/{agency.agency_id}/complaints", headers=api_token(firm),
                    json={"category": "fake_posting", "description": "发布的岗位并不存在"})
    assert r.status_code == 201
    r = client.post(f"/api/v1/admin/agencies/complaints/{r.get_json()['id']}/decide",
                    headers=api_token(admin), json={"uphold": True, "note": "查实"})
    assert r.status_code == 200 and r.get_json()["status"] == "upheld"
    db.session.expire_all()
    assert db.session.get(Agency, agency.agency_id).brokering_suspended
    r = client.post(f"/api/v1/admin/agencies/{agency.agency_id}/brokering",
                    headers=api_token(admin), json={"suspended": False, "reason": "复核"})
    assert r.status_code == 200 and r.get_json()["brokering_suspended"] is False


def test_a_no_show_regrades_at_once(make_agency, make_firm, make_worker, make_shift, enrol):
    agency = make_agency()
    firm = make_firm()
    workers = [make_worker() for _ in range(5)]
    for worker in workers[:4]:
        history(agency, firm, worker, past_shift(firm, days_ago=3), "no_show")
    db.session.commit()
    assert trust.scorecard(agency.agency_id).grade == "B"  # 4 cases: not enough data yet
    late = workers[4]
    enrol(agency, late, consent=("food_processing",))
    shift = make_shift(firm)
    application = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=late.id,
                                         terms=brokering.make_terms(**FIXED_50))
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=late, application_id=application.id, action="accept")
    db.session.commit()
    started = utcnow() - dt.timedelta(hours=1)
    db.session.execute(update(Shift).where(Shift.id == shift.id).values(
        starts_at=started, ends_at=started + dt.timedelta(hours=8)))
    db.session.execute(update(Application).where(Application.id == application.id).values(
        starts_at=started, ends_at=started + dt.timedelta(hours=8)))
    db.session.commit()
    db.session.expire_all()
    apps.transition(actor=firm, application_id=application.id, action="no-show")
    db.session.commit()
    assert trust.scorecard(agency.agency_id).grade == "D"  # 0 of 5 came
    assert db.session.get(Agency, agency.agency_id).brokering_suspended


def test_a_worse_grade_lowers_the_agencys_candidates(make_agency, make_firm, make_worker,
                                                     make_shift, enrol, make_admin):
    firm = make_firm()
    shift = make_shift(firm, headcount=3)
    good, bad = make_agency(name="好"), make_agency(name="差")
    direct, via_good, via_bad = (make_worker(name=n) for n in ("自己", "经好", "经差"))
    enrol(good, via_good, consent=("food_processing",))
    enrol(bad, via_bad, consent=("food_processing",))
    applications = [apps.apply(actor=direct, shift_id=shift.id)]
    for agency, worker in ((good, via_good), (bad, via_bad)):
        applications.append(brokering.broker_apply(
            actor=agency, shift_id=shift.id, worker_id=worker.id,
            terms=brokering.make_terms(**FIXED_50)))
    db.session.commit()
    complaint = trust.file_complaint(actor=firm, agency_id=bad.agency_id,
                                     category="fake_posting", description="岗位信息虚假")
    trust.decide_complaint(actor=make_admin(), complaint_id=complaint.id, uphold=True,
                           note="查实")
    db.session.commit()
    scores = applicant_scores(shift, applications)
    plain = __import__("marketplace.matching.candidates", fromlist=["reciprocal"]).reciprocal(
        shift, [a.worker_id for a in applications])
    profiles = db.session.scalars(select(WorkerProfile)).all()
    assert len({(p.home_lat, p.home_lon, tuple(p.skills)) for p in profiles}) == 1  # twins
    assert plain[0] == pytest.approx(plain[1]) == pytest.approx(plain[2])
    assert scores[1] == pytest.approx(plain[1] * 0.95)  # grade B
    assert scores[2] == pytest.approx(plain[2] * 0.7)  # grade D
    ranked = apps.list_for_shift(actor=firm, shift_id=shift.id, page=1, per_page=10)
    assert [a.worker_id for a in ranked.items] == [direct.id, via_good.id, via_bad.id]


def test_complaints_only_from_those_who_dealt_with_the_agency(client, api_token, make_agency,
                                                             make_firm, make_worker):
    agency = make_agency()
    stranger_firm, stranger = make_firm(), make_worker()
    for user in (stranger_firm, stranger):
        r = client.post(f"/api/v1/agencies/{agency.agency_id}/complaints",
                        headers=api_token(user),
                        json={"category": "conduct", "description": "从未打过交道"})
        assert r.status_code == 404


def test_the_ranking_for_administrators(client, login, api_token, make_admin, make_agency,
                                       make_firm, make_worker):
    best, worst = make_agency(name="甲等人力"), make_agency(name="丁等人力")
    make_agency(name="待审人力", verified=False)
    firm = make_firm()
    for n in range(25):
        worker = make_worker()
        application = history(best, firm, worker, past_shift(firm, days_ago=5 + n % 20),
                              "completed")
        db.session.add(Rating(application_id=application.id, rater="firm", score=5))
    for n in range(6):
        history(worst, firm, make_worker(), past_shift(firm, days_ago=4 + n), "no_show")
    db.session.commit()
    admin = make_admin()
    r = client.get("/api/v1/admin/agencies/ranking", headers=api_token(admin))
    assert r.status_code == 200
    ranked = [(i["agency"]["name"], i["scorecard"]["grade"]) for i in r.get_json()["items"]]
    assert ranked == [("甲等人力", "A"), ("丁等人力", "D")]
    login(client, admin)
    html = client.get("/admin/agencies/ranking").get_data(as_text=True)
    assert html.index("甲等人力") < html.index("丁等人力") and "待审人力" not in html
    assert client.get("/api/v1/admin/agencies/ranking",
                      headers=api_token(best)).status_code == 403
