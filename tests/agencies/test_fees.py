"""The no-fee rule: a commission is always paid by the firm; any fee or deposit charged to a
worker is refused by the service (form message, JSON 422 worker_fee_forbidden) and cannot be
stored (CHECK constraints). Commissions are on record and settled per placement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.agencies import brokering
from marketplace.agencies.models import Commission
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application
from tests.conftest import csrf_from


def brokered_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.agency_id.is_not(None))) or 0


@pytest.fixture
def setting(make_agency, make_worker, make_firm, make_shift, enrol):
    agency = make_agency()
    firm = make_firm()
    worker = make_worker()
    enrol(agency, worker)
    shift = make_shift(firm, pay_fen=3000, unit="hour", hours=8)
    return agency, firm, worker, shift


@pytest.mark.parametrize("extra", [
    {"worker_fee_fen": 2000},
    {"deposit_fen": 10000},
    {"commission": {"kind": "fixed", "fixed_fen": 5000, "worker_fee_fen": 100}},
    {"commission": {"kind": "fixed", "fixed_fen": 5000, "deposit_fen": 100}},
    {"commission": {"kind": "fixed", "fixed_fen": 5000, "payer": "worker"}},
])
def test_the_api_refuses_any_fee_or_deposit_on_the_worker(client, api_token, setting, extra):
    agency, _firm, worker, shift = setting
    body = {"shift_id": shift.id, "worker_id": worker.id,
            "commission": {"kind": "fixed", "fixed_fen": 5000}, **extra}
    r = client.post("/api/v1/agency/applications", json=body, headers=api_token(agency))
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "worker_fee_forbidden"
    assert "fee or deposit" in error["message"]
    assert brokered_count() == 0
    r = client.post("/api/v1/agency/fill", headers=api_token(agency), json={
        "rows": [{"shift_id": shift.id, "worker_id": worker.id}],
        "commission": body["commission"], **{k: v for k, v in extra.items()
                                             if k != "commission"}})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "worker_fee_forbidden"
    assert brokered_count() == 0


def test_a_tampered_form_is_refused_with_a_clear_message(client, login, setting):
    agency, _firm, worker, shift = setting
    login(client, agency)
    html = client.get(f"/agency/shifts/{shift.id}").get_data(as_text=True)
    assert f'value="{worker.id}"' in html
    assert "不得向劳动者收取任何费用或押金" in html  # said on the form
    response = client.post(f"/agency/shifts/{shift.id}/apply", data={
        "csrf_token": csrf_from(html), "worker_id": worker.id, "kind": "fixed",
        "amount": "50", "worker_fee": "30"})
    assert response.status_code == 422
    assert "不得向劳动者收取任何费用或押金" in response.get_data(as_text=True)
    response = client.post(f"/agency/shifts/{shift.id}/apply", data={
        "csrf_token": csrf_from(html), "worker_id": worker.id, "kind": "fixed",
        "amount": "50", "payer": "worker"})
    assert response.status_code == 422
    assert brokered_count() == 0
    response = client.post(f"/agency/shifts/{shift.id}/apply", data={
        "csrf_token": csrf_from(html), "worker_id": worker.id, "kind": "fixed",
        "amount": "50"})
    assert response.status_code == 303
    assert brokered_count() == 1


def test_the_schema_cannot_store_a_fee_for_the_worker(setting):
    agency, firm, worker, shift = setting
    application = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                                         terms=brokering.make_terms(kind="fixed",
                                                                    fixed_fen=5000))
    db.session.commit()
    commission = db.session.scalar(select(Commission).where(
        Commission.application_id == application.id))
    assert (commission.payer, commission.worker_fee_fen, commission.firm_id) == (
        "firm", 0, firm.firm_id)
    for change in ({"worker_fee_fen": 100}, {"payer": "worker"}):
        for key, value in change.items():
            setattr(commission, key, value)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_the_service_rule_on_its_own():
    for bad in ({"worker_fee_fen": 1}, {"deposit_fen": 500}, {"payer": "worker"},
                {"worker_fee_fen": -5}):
        with pytest.raises(ValidationFailed) as error:
            brokering.make_terms(kind="fixed", fixed_fen=100, **bad)
        assert error.value.code == "worker_fee_forbidden"
    assert brokering.make_terms(kind="percent", rate_bp=800).rate_bp == 800
    with pytest.raises(ValidationFailed):
        brokering.make_terms(kind="percent", rate_bp=9000)
    with pytest.raises(ValidationFailed):
        brokering.make_terms(kind="fixed", fixed_fen=-1)


def test_commission_on_record_due_and_settled(client, login, api_token, setting, make_shift):
    agency, firm, worker, _later = setting
    shift = make_shift(firm, pay_fen=3000, unit="hour", hours=8, start_in_hours=0.5)
    application = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                                         terms=brokering.make_terms(kind="percent",
                                                                    rate_bp=750))
    db.session.commit()
    apps.transition(actor=worker, application_id=application.id, action="confirm")
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    db.session.commit()
    commission = db.session.scalar(select(Commission))
    assert brokering.commission_state(commission) == "pending"
    with pytest.raises(Conflict):
        brokering.settle(actor=agency, commission_id=commission.id)
    db.session.rollback()
    # The shift happened: 8 hours at 30 yuan = 240 yuan of pay; 7.5 % = 18 yuan.
    apps.transition(actor=worker, application_id=application.id, action="check-in")
    db.session.commit()
    apps.transition(actor=firm, application_id=application.id, action="complete",
                    params={"minutes_worked": 480})
    db.session.commit()
    application = db.session.get(Application, application.id)
    assert application.attendance.pay_due_fen == 24000
    assert brokering.commission_due_fen(commission, application) == 1800

    login(client, agency)
    html = client.get("/agency/settlement").get_data(as_text=True)
    assert f"commission-{commission.id}" in html and "¥18" in html
    assert brokering.commission_totals(agency.agency_id)["due_fen"] == 1800
    r = client.post(f"/api/v1/agency/commissions/{commission.id}/settle",
                    headers=api_token(agency))
    assert r.status_code == 200 and r.get_json()["settled_fen"] == 1800
    assert r.get_json()["state"] == "settled" and r.get_json()["worker_fee_fen"] == 0
    r = client.post(f"/api/v1/agency/commissions/{commission.id}/settle",
                    headers=api_token(agency))
    assert r.status_code == 409
    listed = client.get("/api/v1/agency/commissions", headers=api_token(agency)).get_json()
    assert listed["totals"]["settled_fen"] == 1800 and listed["totals"]["due_fen"] == 0
    assert listed["items"][0]["payer"] == "firm"
