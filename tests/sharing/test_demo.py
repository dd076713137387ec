"""The demo market's sharing exchange: staff lists, listings of both kinds, one agreement
under way and one waiting for the demo worker's own consent; the same for a seed."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.demo.loader import FIRM_PHONE, WORKER_PHONE, load
from marketplace.extensions import db
from marketplace.sharing import agreements
from marketplace.sharing.models import (
    AgreementWorker,
    SharingAgreement,
    SharingListing,
    StaffMember,
)
from marketplace.shifts.models import Application
from marketplace.shifts.services import seat_count_matches
from tests.conftest import empty_tables


def _sharing_snapshot() -> dict:
    return {
        "staff": db.session.execute(select(StaffMember.firm_id, StaffMember.worker_id,
                                           StaffMember.status).order_by(StaffMember.id)).all(),
        "listings": db.session.execute(select(SharingListing.firm_id, SharingListing.kind,
                                              SharingListing.title, SharingListing.headcount)
                                       .order_by(SharingListing.id)).all(),
        "agreements": db.session.execute(select(
            SharingAgreement.lender_firm_id, SharingAgreement.borrower_firm_id,
            SharingAgreement.status, SharingAgreement.start_date, SharingAgreement.end_date)
            .order_by(SharingAgreement.id)).all(),
        "workers": db.session.execute(select(AgreementWorker.agreement_id,
                                             AgreementWorker.worker_id, AgreementWorker.consent)
                                      .order_by(AgreementWorker.id)).all(),
    }


def test_demo_sharing_exchange(app):
    summary = load(seed=7, scale="small")
    assert summary["sharing agreements"] == 2 and summary["lent workers booked"] == 1
    firm_user = db.session.scalar(select(User).where(User.phone == FIRM_PHONE))
    demo_worker = db.session.scalar(select(User).where(User.phone == WORKER_PHONE))
    kinds = {k for (k,) in db.session.execute(select(SharingListing.kind))}
    assert kinds == {"offer", "need"}
    under_way, waiting = db.session.scalars(select(SharingAgreement)
                                            .order_by(SharingAgreement.id)).all()
    assert under_way.status == "active" and under_way.lender_firm_id == firm_user.firm_id
    assert under_way.fully_signed
    consents = sorted(w.consent for w in under_way.workers)
    assert consents == ["consented", "pending"]
    lent = next(w for w in under_way.workers if w.consent == "consented")
    booked = db.session.scalars(select(Application).where(
        Application.worker_id == lent.worker_id, Application.source == "sharing")).all()
    assert booked and all(seat_count_matches(a.shift_id) for a in booked)
    assert waiting.status == "signed"
    assert [w.worker_id for w in waiting.workers] == [demo_worker.id]
    # The demo worker can say yes on their phone: their days do not clash with their shifts.
    agreements.consent(actor=demo_worker, agreement_id=waiting.id)
    db.session.commit()
    assert db.session.get(SharingAgreement, waiting.id).status == "active"


def test_demo_sharing_is_the_same_for_a_seed(app):
    load(seed=5, scale="small")
    first = _sharing_snapshot()
    assert first["agreements"]
    db.session.remove()
    empty_tables()
    load(seed=5, scale="small")
    assert _sharing_snapshot() == first
