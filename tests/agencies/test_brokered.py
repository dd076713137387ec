"""Brokered placement: an agency's application counts only after the worker confirms it on
their phone, unless the worker granted standing consent for the shift's category; the firm
sees which agency an applicant came through, and its grade."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.agencies import brokering, roster
from marketplace.db import utcnow
from marketplace.errors import Conflict, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.matching.candidates import one_click_plan
from marketplace.notifications.models import Notification
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application
from tests.agencies.conftest import FIXED_50
from tests.conftest import csrf_from


def terms():
    return brokering.make_terms(**FIXED_50)


def test_a_proposal_counts_only_after_the_worker_confirms(client, login, api_token,
                                                         make_agency, make_worker, make_firm,
                                                         make_shift, enrol):
    agency = make_agency(name="威海诚信人力")
    firm = make_firm()
    worker = make_worker(name="王小川")
    enrol(agency, worker)
    shift = make_shift(firm, headcount=3)
    proposal = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                                      terms=terms(), note="有冷库经验")
    db.session.commit()
    assert (proposal.status, proposal.agency_id, proposal.agency_consent) == (
        "proposed", agency.agency_id, None)
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == worker.id, Notification.kind == "agency_proposal"))

    # The firm does not see it, cannot move it, and the one-click match ignores it.
    firm_h = api_token(firm)
    listed = client.get(f"/api/v1/shifts/{shift.id}/applications", headers=firm_h).get_json()
    assert listed["items"] == [] and listed["total"] == 0
    assert client.get(f"/api/v1/applications/{proposal.id}", headers=firm_h).status_code == 404
    with pytest.raises(NotFound):
        apps.transition(actor=firm, application_id=proposal.id, action="offer")
    assert one_click_plan(actor=firm)[0] == []
    login(client, firm)
    assert "王小川" not in client.get(f"/firm/shifts/{shift.id}/applicants").get_data(
        as_text=True)
    # Nor can the agency confirm for the worker.
    with pytest.raises(Forbidden):
        apps.transition(actor=agency, application_id=proposal.id, action="confirm")

    # The worker confirms on their phone.
    phone = client.application.test_client()
    login(phone, worker)
    html = phone.get("/me/agencies").get_data(as_text=True)
    assert f"proposal-{proposal.id}" in html and "威海诚信人力" in html
    response = phone.post(f"/me/applications/{proposal.id}/confirm", data={
        "csrf_token": csrf_from(html), "next": "/me/agencies"})
    assert response.status_code == 303
    db.session.expire_all()
    confirmed = db.session.get(Application, proposal.id)
    assert (confirmed.status, confirmed.agency_consent) == ("applied", "confirmed")
    assert confirmed.agency_consent_at is not None

    # Now the firm sees it, with the agency and its trust grade.
    listed = client.get(f"/api/v1/shifts/{shift.id}/applications", headers=firm_h).get_json()
    item = listed["items"][0]
    assert item["id"] == proposal.id
    assert item["agency"]["name"] == "威海诚信人力" and item["agency"]["trust_grade"] == "B"
    assert item["agency"]["commission"] == {"kind": "fixed", "fixed_fen": 5000,
                                            "rate_bp": None, "payer": "firm",
                                            "worker_fee_fen": 0}
    html = client.get(f"/firm/shifts/{shift.id}/applicants").get_data(as_text=True)
    assert "王小川" in html and "威海诚信人力" in html and "grade-B" in html
    assert f"/agencies/{agency.agency_id}" in html
    plan, _summary = one_click_plan(actor=firm)
    assert [p.application.id for p in plan] == [proposal.id]


def test_standing_consent_applies_at_once_for_its_category_only(
        client, api_token, make_agency, make_worker, make_firm, make_shift, enrol):
    agency = make_agency()
    worker = make_worker(skills=("seafood_sorting", "loading"))
    membership = enrol(agency, worker, consent=("food_processing",))
    firm = make_firm()
    seafood = make_shift(firm, category="food_processing")
    docks = make_shift(firm, category="logistics", start_in_hours=96)
    later = make_shift(firm, category="food_processing", start_in_hours=144)

    applied = brokering.broker_apply(actor=agency, shift_id=seafood.id, worker_id=worker.id,
                                     terms=terms())
    proposed = brokering.broker_apply(actor=agency, shift_id=docks.id, worker_id=worker.id,
                                      terms=terms())
    db.session.commit()
    assert (applied.status, applied.agency_consent) == ("applied", "standing")
    assert proposed.status == "proposed"

    # The worker revokes it (API, from their phone): the next one waits for them again.
    r = client.put(f"/api/v1/me/agencies/memberships/{membership.id}/consents",
                   json={"categories": []}, headers=api_token(worker))
    assert r.status_code == 200 and r.get_json()["consent_categories"] == []
    again = brokering.broker_apply(actor=agency, shift_id=later.id, worker_id=worker.id,
                                   terms=terms())
    assert again.status == "proposed"


def test_the_database_refuses_a_brokered_application_without_consent(make_agency, make_worker,
                                                                    make_firm, make_shift):
    agency = make_agency()
    worker = make_worker()
    shift = make_shift(make_firm())
    db.session.add(Application(shift_id=shift.id, worker_id=worker.id, status="applied",
                               starts_at=shift.starts_at, ends_at=shift.ends_at,
                               agency_id=agency.agency_id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(Application(shift_id=shift.id, worker_id=worker.id, status="proposed",
                               starts_at=shift.starts_at, ends_at=shift.ends_at))
    with pytest.raises(IntegrityError):  # a proposal names its agency
        db.session.flush()
    db.session.rollback()


def test_the_worker_declines_and_the_agency_retracts(client, api_token, make_agency,
                                                    make_worker, make_firm, make_shift, enrol):
    agency = make_agency()
    firm = make_firm()
    one, two = make_worker(), make_worker()
    enrol(agency, one)
    enrol(agency, two, consent=("food_processing",))
    shift = make_shift(firm)
    declined = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=one.id,
                                      terms=terms())
    standing = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=two.id,
                                      terms=terms())
    db.session.commit()
    apps.transition(actor=one, application_id=declined.id, action="decline")
    db.session.commit()
    assert declined.status == "declined"
    firm_kinds = set(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == firm.id)))
    assert "application_decline" not in firm_kinds  # the firm never saw the proposal
    r = client.post(f"/api/v1/applications/{standing.id}/retract", json={},
                    headers=api_token(agency))
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    r = client.post(f"/api/v1/applications/{standing.id}/retract", json={},
                    headers=api_token(agency))
    assert r.status_code == 409
    r = client.post(f"/api/v1/applications/{standing.id}/withdraw", json={},
                    headers=api_token(agency))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "wrong_party"


def test_headcount_and_overlaps_stay_enforced_by_the_database(make_agency, make_worker,
                                                             make_firm, make_shift, enrol):
    agency = make_agency()
    firm = make_firm()
    a, b = make_worker(), make_worker()
    for worker in (a, b):
        enrol(agency, worker, consent=("food_processing",))
    one_seat = make_shift(firm, headcount=1)
    overlapping = make_shift(firm, headcount=2, starts_at=one_seat.starts_at
                             + dt.timedelta(hours=2))
    first = brokering.broker_apply(actor=agency, shift_id=one_seat.id, worker_id=a.id,
                                   terms=terms())
    db.session.commit()
    # The agency may not take on more seats than the shift has.
    with pytest.raises(Conflict) as error:
        brokering.broker_apply(actor=agency, shift_id=one_seat.id, worker_id=b.id,
                               terms=terms())
    assert error.value.code == "seats_taken"
    db.session.rollback()
    second = apps.apply(actor=b, shift_id=one_seat.id)  # b applies themself
    clash = brokering.broker_apply(actor=agency, shift_id=overlapping.id, worker_id=a.id,
                                   terms=terms())
    db.session.commit()
    for application in (first, second, clash):
        apps.transition(actor=firm, application_id=application.id, action="offer")
    db.session.commit()
    apps.transition(actor=a, application_id=first.id, action="accept")
    db.session.commit()
    with pytest.raises(Conflict) as error:
        apps.transition(actor=b, application_id=second.id, action="accept")
    assert error.value.code == "shift_full"
    db.session.rollback()
    with pytest.raises(Conflict) as error:
        apps.transition(actor=a, application_id=clash.id, action="accept")
    assert error.value.code == "schedule_conflict"
    db.session.rollback()


def test_a_suspended_or_foreign_agency_cannot_broker(make_agency, make_worker, make_firm,
                                                   make_shift, enrol):
    agency = make_agency()
    worker = make_worker()
    enrol(agency, worker)
    shift = make_shift(make_firm())
    agency.agency.brokering_suspended = True
    db.session.commit()
    with pytest.raises(Forbidden) as error:
        brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                               terms=terms())
    assert error.value.code == "brokering_suspended"
    db.session.rollback()
    # the roster is still the agency's to manage
    assert roster.roster_member(actor=agency, worker_id=worker.id)


def test_cancelling_the_shift_cancels_proposals(make_agency, make_worker, make_firm,
                                                      make_shift, enrol):
    from marketplace.shifts.services import cancel_shift

    agency = make_agency()
    firm = make_firm()
    worker = make_worker()
    enrol(agency, worker)
    shift = make_shift(firm)
    proposal = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                                      terms=terms())
    db.session.commit()
    cancel_shift(actor=firm, shift_id=shift.id)
    db.session.commit()
    assert db.session.get(Application, proposal.id).status == "cancelled"
    assert shift.starts_at > utcnow()
