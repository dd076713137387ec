"""The demo market's agencies: verified ones with rosters, one pending, brokered applications
with consent and commissions paid by firms, the demo agency login and the demo worker's
proposal and invitation."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.agencies import trust
from marketplace.agencies.demo import AGENCY_PHONE
from marketplace.agencies.models import Agency, Commission, RosterMembership
from marketplace.auth.models import User
from marketplace.auth.passwords import verify_password
from marketplace.demo.loader import DEMO_PASSWORD, WORKER_PHONE, load
from marketplace.extensions import db
from marketplace.shifts.models import Application


def test_demo_agencies(app):
    summary = load(seed=7, scale="small")
    assert summary["agency"] == AGENCY_PHONE and summary["agencies"] == 4
    login = db.session.scalar(select(User).where(User.phone == AGENCY_PHONE))
    assert login.role == "agency" and login.agency.is_verified
    assert verify_password(login.password_hash, DEMO_PASSWORD)
    statuses = sorted(db.session.scalars(select(Agency.verification_status)))
    assert statuses == ["pending", "verified", "verified", "verified"]
    rosters = dict(db.session.execute(
        select(RosterMembership.agency_id, func.count()).where(
            RosterMembership.status == "active").group_by(RosterMembership.agency_id)).all())
    assert len(rosters) == 3 and min(rosters.values()) >= 10

    brokered = db.session.scalars(select(Application).where(
        Application.agency_id.is_not(None))).all()
    assert len(brokered) >= 100
    assert all(a.agency_consent or a.status in ("proposed", "declined", "withdrawn",
                                                "cancelled") for a in brokered)
    members = {(m.agency_id, m.worker_id) for m in db.session.scalars(select(RosterMembership))}
    assert all((a.agency_id, a.worker_id) in members for a in brokered)
    commissions = db.session.scalars(select(Commission)).all()
    assert len(commissions) == len(brokered)
    assert {(c.payer, c.worker_fee_fen) for c in commissions} == {("firm", 0)}
    assert any(c.settled_at is not None for c in commissions)

    grades = {a.name: card.grade for a, card in trust.ranking(
        actor=db.session.scalar(select(User).where(User.role == "admin")))}
    assert len(grades) == 3 and "D" in grades.values()
    suspended = db.session.scalars(select(Agency).where(Agency.brokering_suspended)).all()
    assert [a.name for a in suspended] == [n for n, g in grades.items() if g == "D"]

    worker = db.session.scalar(select(User).where(User.phone == WORKER_PHONE))
    assert db.session.scalar(select(Application).where(
        Application.worker_id == worker.id, Application.status == "proposed"))
    assert db.session.scalar(select(RosterMembership).where(
        RosterMembership.worker_id == worker.id, RosterMembership.status == "invited"))
