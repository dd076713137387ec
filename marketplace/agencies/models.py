"""HR service agencies (人力资源服务机构): rosters, brokered placements, scorecards."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.firms.models import Verification


class Agency(db.Model):
    """An HR service agency. It acts only once an administrator has verified it, and only
    while brokering is not suspended (a D trust grade suspends it)."""

    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(
            "verification_status IN ('pending', 'verified', 'rejected')", name="verification_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    # 人力资源服务许可证 number, as printed on the licence.
    licence_no: Mapped[str] = mapped_column(String(40), unique=True)
    district: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    verification_status: Mapped[str] = mapped_column(String(16), default=Verification.PENDING)
    verification_note: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[dt.datetime | None]
    brokering_suspended: Mapped[bool] = mapped_column(default=False)
    # When an administrator last lifted a suspension: a D grade suspends again only after a
    # new incident (no-show, upheld complaint) since then.
    brokering_restored_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="agency")  # noqa: F821

    @property
    def is_verified(self) -> bool:
        return self.verification_status == Verification.VERIFIED

    @property
    def may_broker(self) -> bool:
        return self.is_verified and not self.brokering_suspended


class MembershipStatus(enum.StrEnum):
    INVITED = "invited"  # the agency invited the worker; the worker answers on their phone
    REQUESTED = "requested"  # the worker asked to join; the agency answers
    ACTIVE = "active"  # on the roster: both sides agreed
    DECLINED = "declined"
    ENDED = "ended"  # either side ended it (or withdrew an unanswered invitation / request)


LIVE_MEMBERSHIP = (MembershipStatus.INVITED, MembershipStatus.REQUESTED, MembershipStatus.ACTIVE)


class RosterMembership(db.Model):
    """A worker on an agency's roster, with both sides' consent. Rows are kept after the
    membership ends (history); at most one live row per agency and worker."""

    __tablename__ = "agency_roster"
    __table_args__ = (
        CheckConstraint(
            "status IN ('invited', 'requested', 'active', 'declined', 'ended')",
            name="status_known",
        ),
        CheckConstraint("initiated_by IN ('agency', 'worker')", name="initiator_known"),
        CheckConstraint("ended_by IS NULL OR ended_by IN ('agency', 'worker', 'admin')",
                        name="ender_known"),
        Index("uq_agency_roster_live", "agency_id", "worker_id", unique=True,
              sqlite_where=text("status IN ('invited', 'requested', 'active')"),
              postgresql_where=text("status IN ('invited', 'requested', 'active')")),
        Index("ix_agency_roster_worker_status", "worker_id", "status"),
        Index("ix_agency_roster_agency_status", "agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    initiated_by: Mapped[str] = mapped_column(String(8))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(8))

    agency: Mapped[Agency] = relationship(lazy="joined")
    worker: Mapped[User] = relationship(foreign_keys=[worker_id], lazy="joined")  # noqa: F821
    consents: Mapped[list[StandingConsent]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def consent_categories(self) -> list[str]:
        return sorted(c.category for c in self.consents)


class StandingConsent(db.Model):
    """The worker lets the agency apply for them, without asking each time, to shifts of one
    category. It lapses with the membership; the worker revokes it at any time."""

    __tablename__ = "agency_consents"

    membership_id: Mapped[int] = mapped_column(ForeignKey("agency_roster.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    membership: Mapped[RosterMembership] = relationship(back_populates="consents")


class CommissionKind(enum.StrEnum):
    FIXED = "fixed"  # a fixed amount in fen per placement
    PERCENT = "percent"  # basis points of the worker's pay for the shift


class Commission(db.Model):
    """The agreed commission for one brokered placement: always paid by the firm.

    The schema makes a fee or deposit charged to the worker impossible: the payer can only be
    the firm and the worker's share can only be zero.
    """

    __tablename__ = "agency_commissions"
    __table_args__ = (
        CheckConstraint("payer = 'firm'", name="paid_by_firm"),
        CheckConstraint("worker_fee_fen = 0", name="no_worker_fee"),
        CheckConstraint(
            "(kind = 'fixed' AND fixed_fen IS NOT NULL AND fixed_fen >= 0 AND rate_bp IS NULL)"
            " OR (kind = 'percent' AND rate_bp IS NOT NULL AND rate_bp BETWEEN 0 AND 10000"
            " AND fixed_fen IS NULL)",
            name="terms_valid",
        ),
        CheckConstraint("settled_fen IS NULL OR settled_fen >= 0", name="settled_nonnegative"),
        CheckConstraint("(settled_at IS NULL) = (settled_fen IS NULL)", name="settled_together"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    fixed_fen: Mapped[int | None]
    rate_bp: Mapped[int | None]  # 1 bp = 0.01 %
    payer: Mapped[str] = mapped_column(String(8), default="firm")
    worker_fee_fen: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[dt.datetime | None]
    settled_fen: Mapped[int | None]
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship(lazy="joined")  # noqa: F821


class ComplaintStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ComplaintCategory(enum.StrEnum):
    WORKER_FEE = "worker_fee"  # charged a worker a fee or deposit (a breach)
    FAKE_POSTING = "fake_posting"  # advertised work that did not exist (a breach)
    NO_SHOW = "no_show"  # placed workers who did not come
    CONDUCT = "conduct"
    OTHER = "other"


class AgencyComplaint(db.Model):
    """A complaint about an agency, filed by a firm or a worker who dealt with it (or by an
    administrator after an inspection); an administrator upholds or dismisses it."""

    __tablename__ = "agency_complaints"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="status_known"),
        CheckConstraint(
            "category IN ('worker_fee', 'fake_posting', 'no_show', 'conduct', 'other')",
            name="category_known",
        ),
        CheckConstraint("filer_role IN ('firm', 'worker', 'admin')", name="filer_known"),
        CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided_when_closed"),
        Index("ix_agency_complaints_agency_status", "agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filer_role: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(12), default=ComplaintStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(String(300))

    agency: Mapped[Agency] = relationship(lazy="joined")
