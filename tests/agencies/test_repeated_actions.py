"""The agency's moves fired ten times at once against gunicorn in several processes take
effect once: the worker's confirmation of a proposal, the agency's retraction, the answer
to a roster invitation and the settlement of a commission."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select, update

from marketplace.admin.models import AuditLog
from marketplace.agencies import brokering, roster
from marketplace.agencies.models import Commission
from marketplace.extensions import db
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application, Shift
from tests.agencies.conftest import FIXED_50
from tests.conftest import bearer


def times_audited(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action))


def proposal(make_agency, make_worker, make_firm, make_shift, enrol):
    agency, firm, worker = make_agency(), make_firm(), make_worker()
    enrol(agency, worker)
    shift = make_shift(firm, headcount=3, start_in_hours=1)
    application = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                                         terms=brokering.make_terms(**FIXED_50))
    db.session.commit()
    return agency, firm, worker, application


def test_ten_confirmations_of_a_proposal_confirm_it_once(server, make_agency, make_worker,
                                                         make_firm, make_shift, enrol):
    _, _, worker, application = proposal(make_agency, make_worker, make_firm, make_shift,
                                         enrol)
    answers = server.race("POST", f"/api/v1/applications/{application.id}/confirm",
                          body={}, headers=bearer(worker))
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    assert times_audited("application.confirm") == 1
    assert db.session.get(Application, application.id).agency_consent == "confirmed"


def test_ten_retractions_retract_once(server, make_agency, make_worker, make_firm,
                                      make_shift, enrol):
    agency, _, _, application = proposal(make_agency, make_worker, make_firm, make_shift,
                                         enrol)
    answers = server.race("POST", f"/api/v1/applications/{application.id}/retract",
                          body={}, headers=bearer(agency))
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    assert times_audited("application.retract") == 1


def test_ten_answers_to_one_invitation_accept_it_once(server, make_agency, make_worker):
    agency, worker = make_agency(), make_worker()
    membership = roster.invite(actor=agency, phone=worker.phone)
    db.session.commit()
    answers = server.race("POST", f"/api/v1/me/agencies/memberships/{membership.id}/accept",
                          headers=bearer(worker))
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    assert times_audited("agency.roster_accept") == 1


def test_ten_settlements_of_one_commission_settle_it_once(server, make_agency, make_worker,
                                                          make_firm, make_shift, enrol):
    agency, firm, worker, application = proposal(make_agency, make_worker, make_firm,
                                                 make_shift, enrol)
    for actor, action in ((worker, "confirm"), (firm, "offer"), (worker, "accept"),
                          (worker, "check-in")):
        apps.transition(actor=actor, application_id=application.id, action=action)
        db.session.commit()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    for model, key in ((Shift, Shift.id == application.shift_id),
                       (Application, Application.id == application.id)):
        db.session.execute(update(model).where(key).values(
            starts_at=start, ends_at=start + dt.timedelta(hours=1)))
    db.session.commit()
    apps.transition(actor=firm, application_id=application.id, action="complete")
    db.session.commit()
    commission = db.session.scalar(select(Commission).where(
        Commission.application_id == application.id))

    answers = server.race("POST", f"/api/v1/agency/commissions/{commission.id}/settle",
                          headers=bearer(agency))

    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    assert {a.json()["error"]["code"] for a in answers if a.status == 409} == {
        "already_settled"}
    assert times_audited("agency.commission_settle") == 1
