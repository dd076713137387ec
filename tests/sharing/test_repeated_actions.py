"""The sharing exchange's moves fired ten times at once against gunicorn in several
processes take effect once: a staff link's answer, a firm's signature, a lent worker's
consent (which books every day of the agreement)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from marketplace.admin.models import AuditLog
from marketplace.extensions import db
from marketplace.sharing import services as sharing
from marketplace.sharing.models import SharingAgreement, SharingDay
from marketplace.shifts.models import Application, Shift
from marketplace.shifts.services import seat_count_matches
from tests.conftest import bearer


def test_ten_answers_to_a_staff_link_accept_it_once(server, make_firm, make_worker):
    firm, worker = make_firm(), make_worker()
    member = sharing.add_staff(actor=firm, phone=worker.phone)
    db.session.commit()
    answers = server.race("POST", f"/api/v1/sharing/staff/{member.id}/accept", body={},
                          headers=bearer(worker))
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}


def test_ten_signatures_by_one_firm_sign_once(server, make_firm, make_staff, make_agreement):
    lender, borrower = make_firm(), make_firm(name="借入企业")
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False, days=3)
    answers = server.race("POST", f"/api/v1/sharing/agreements/{agreement.id}/sign",
                          body={"version": agreement.terms_version}, headers=bearer(lender))
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "sharing.agreement_sign")) == 1
    assert db.session.get(SharingAgreement, agreement.id).status == "draft"  # one of two


def test_ten_consents_by_one_lent_worker_book_each_day_once(server, make_firm, make_staff,
                                                            make_agreement):
    lender, borrower = make_firm(), make_firm(name="借入企业")
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], days=5)
    answers = server.race("POST", f"/api/v1/sharing/assignments/{agreement.id}/consent",
                          body={}, headers=bearer(worker))
    assert Counter(a.status for a in answers) == {200: 1, 409: 9}
    assert {a.json()["error"]["code"] for a in answers if a.status == 409} == {
        "already_consented"}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "sharing.consent")) == 1
    days = db.session.scalars(select(SharingDay.shift_id).where(
        SharingDay.agreement_id == agreement.id)).all()
    assert len(days) == 5
    assert db.session.scalar(select(func.count()).select_from(Application).where(
        Application.worker_id == worker.id)) == 5
    for shift_id in days:
        assert db.session.get(Shift, shift_id).filled == 1
        assert seat_count_matches(shift_id)
