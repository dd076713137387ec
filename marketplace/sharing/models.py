"""Shared employment (共享用工): firms' staff lists, listings, agreements and lent workers.

The rules of the national guidance that the database itself keeps:
- the worker's labor relationship stays with the lender, and the lender pays the wages
  (`labor_relationship` and `wage_payer` can only be 'lender');
- the lender may not profit: the pay passed to each worker equals what the borrower pays the
  lender for them (`worker_pay_fen = daily_pay_fen`);
- a firm never lends to itself; a worker is on at most one firm's active staff.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db


class StaffStatus(enum.StrEnum):
    INVITED = "invited"  # the firm added the worker; the worker has not answered yet
    ACTIVE = "active"  # the worker confirmed on their phone: they are the firm's employee
    DECLINED = "declined"
    ENDED = "ended"


class ListingKind(enum.StrEnum):
    OFFER = "offer"  # a lender's idle staff
    NEED = "need"  # a borrower's need for staff


class ListingStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"  # the firms negotiate; a change voids any signature
    SIGNED = "signed"  # both firms signed; the named workers are asked for their consent
    ACTIVE = "active"  # at least one worker consented: their days at the borrower are booked
    COMPLETED = "completed"  # both firms confirmed the end and rated each other
    CANCELLED = "cancelled"


class Consent(enum.StrEnum):
    PENDING = "pending"
    CONSENTED = "consented"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class InjuryLiability(enum.StrEnum):
    # By law the lender keeps the work-injury insurance responsibility for a lent worker
    # (工伤保险责任由原用人单位承担); the firms may agree that the borrower compensates it.
    LENDER = "lender"
    BORROWER_COMPENSATES = "borrower_compensates"


class StaffMember(db.Model):
    """A firm's own employee who has a worker account (the labor relationship is with the
    firm). The firm adds them by phone; the worker confirms on their phone."""

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint("status IN ('invited', 'active', 'declined', 'ended')",
                        name="status_known"),
        # One employer on the platform at a time, and one open link per firm and worker.
        Index("uq_staff_members_one_employer", "worker_id", unique=True,
              sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
        Index("uq_staff_members_firm_worker_open", "firm_id", "worker_id", unique=True,
              sqlite_where=text("status IN ('invited', 'active')"),
              postgresql_where=text("status IN ('invited', 'active')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=StaffStatus.INVITED)
    since: Mapped[dt.date | None]  # employed since (as the firm states it)
    job_title: Mapped[str | None] = mapped_column(String(40))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    firm: Mapped[Firm] = relationship(lazy="joined")  # noqa: F821
    worker: Mapped[User] = relationship(foreign_keys=[worker_id], lazy="joined")  # noqa: F821

    @property
    def confirmed(self) -> bool:
        """The worker said yes at some point: until then the firm sees only the masked phone
        it typed, never the account's name (a phone number must not reveal who owns it)."""
        return self.responded_at is not None and self.status != StaffStatus.DECLINED


listing_skills = Table(
    "sharing_listing_skills",
    db.metadata,
    Column("listing_id", ForeignKey("sharing_listings.id"), primary_key=True),
    Column("code", String(40), primary_key=True),
)

listing_staff = Table(
    "sharing_listing_staff",
    db.metadata,
    Column("listing_id", ForeignKey("sharing_listings.id"), primary_key=True),
    Column("staff_id", ForeignKey("staff_members.id"), primary_key=True),
)


class ListingSkill(db.Model):
    __table__ = listing_skills


class ListingStaff(db.Model):
    """Which of its staff a lender had in mind for an offer (never shown to other firms)."""

    __table__ = listing_staff


class SharingListing(db.Model):
    __tablename__ = "sharing_listings"
    __table_args__ = (
        CheckConstraint("kind IN ('offer', 'need')", name="kind_known"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("headcount >= 1", name="headcount_positive"),
        CheckConstraint("end_date >= start_date", name="period_valid"),
        CheckConstraint("daily_pay_fen IS NULL OR daily_pay_fen > 0", name="pay_positive"),
        CheckConstraint("kind = 'offer' OR daily_pay_fen IS NOT NULL", name="need_has_pay"),
        Index("ix_sharing_listings_kind_status", "kind", "status", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default=ListingStatus.OPEN)
    title: Mapped[str] = mapped_column(String(80))
    headcount: Mapped[int]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    district: Mapped[str] = mapped_column(String(20))
    work_content: Mapped[str] = mapped_column(Text, default="")
    # Needs: what the borrower pays per worker and day. Offers: none.
    daily_pay_fen: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None]

    firm: Mapped[Firm] = relationship(lazy="joined")  # noqa: F821
    skill_rows: Mapped[list[ListingSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    staff_rows: Mapped[list[ListingStaff]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def skills(self) -> list[str]:
        return sorted(row.code for row in self.skill_rows)

    @property
    def staff_ids(self) -> list[int]:
        return sorted(row.staff_id for row in self.staff_rows)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class SharingAgreement(db.Model):
    __tablename__ = "sharing_agreements"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed', 'active', 'completed', 'cancelled')",
                        name="status_known"),
        CheckConstraint("lender_firm_id <> borrower_firm_id", name="two_firms"),
        CheckConstraint("labor_relationship = 'lender'", name="labor_relationship_lender"),
        CheckConstraint("wage_payer = 'lender'", name="wage_payer_lender"),
        CheckConstraint("daily_pay_fen > 0", name="pay_positive"),
        CheckConstraint("worker_pay_fen = daily_pay_fen", name="no_lender_markup"),
        CheckConstraint("end_date >= start_date", name="period_valid"),
        CheckConstraint("day_start_minute >= 0 AND day_end_minute <= 1440 "
                        "AND day_start_minute < day_end_minute", name="day_valid"),
        CheckConstraint("injury_liability IN ('lender', 'borrower_compensates')",
                        name="injury_liability_known"),
        CheckConstraint("terms_version >= 1", name="version_positive"),
        CheckConstraint("lender_rating IS NULL OR lender_rating BETWEEN 1 AND 5",
                        name="lender_rating_range"),
        CheckConstraint("borrower_rating IS NULL OR borrower_rating BETWEEN 1 AND 5",
                        name="borrower_rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lender_firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    borrower_firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    offer_listing_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_listings.id"))
    need_listing_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_listings.id"))
    status: Mapped[str] = mapped_column(String(16), default=AgreementStatus.DRAFT)
    # Bumped by every change of terms; a signature names the version it signed.
    terms_version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(80))
    work_content: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    day_start_minute: Mapped[int]  # local (Asia/Shanghai) working hours of each day
    day_end_minute: Mapped[int]
    weekdays: Mapped[str] = mapped_column(String(7), default="12345")  # ISO weekdays, 1 = Monday
    daily_pay_fen: Mapped[int]  # the borrower pays the lender, per worker and day
    worker_pay_fen: Mapped[int]  # the lender passes on to each worker, per day
    labor_relationship: Mapped[str] = mapped_column(String(16), default="lender")
    wage_payer: Mapped[str] = mapped_column(String(16), default="lender")
    injury_liability: Mapped[str] = mapped_column(String(24), default=InjuryLiability.LENDER)
    lender_signed_at: Mapped[dt.datetime | None]
    lender_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    borrower_signed_at: Mapped[dt.datetime | None]
    borrower_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lender_confirmed_at: Mapped[dt.datetime | None]
    lender_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lender_rating: Mapped[int | None]  # the lender's rating of the borrower
    lender_comment: Mapped[str | None] = mapped_column(String(500))
    borrower_confirmed_at: Mapped[dt.datetime | None]
    borrower_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    borrower_rating: Mapped[int | None]  # the borrower's rating of the lender
    borrower_comment: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    lender: Mapped[Firm] = relationship(foreign_keys=[lender_firm_id], lazy="joined")  # noqa: F821
    borrower: Mapped[Firm] = relationship(  # noqa: F821
        foreign_keys=[borrower_firm_id], lazy="joined")
    workers: Mapped[list[AgreementWorker]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", lazy="selectin",
        order_by="AgreementWorker.id")
    lender_signer: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[lender_signed_by_id])
    borrower_signer: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[borrower_signed_by_id])
    lender_confirmer: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[lender_confirmed_by_id])
    borrower_confirmer: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[borrower_confirmed_by_id])

    @property
    def headcount(self) -> int:
        return len(self.workers)

    @property
    def fully_signed(self) -> bool:
        return self.lender_signed_at is not None and self.borrower_signed_at is not None

    @property
    def hours_per_day(self) -> float:
        return (self.day_end_minute - self.day_start_minute) / 60

    def work_days(self) -> list[dt.date]:
        """Every day of the period on one of the agreed weekdays."""
        days, day = [], self.start_date
        while day <= self.end_date:
            if str(day.isoweekday()) in self.weekdays:
                days.append(day)
            day += dt.timedelta(days=1)
        return days


class AgreementWorker(db.Model):
    """A worker the lender named in an agreement, and their own consent."""

    __tablename__ = "sharing_agreement_workers"
    __table_args__ = (
        UniqueConstraint("agreement_id", "worker_id", name="uq_sharing_agreement_workers_pair"),
        CheckConstraint("consent IN ('pending', 'consented', 'declined', 'withdrawn')",
                        name="consent_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("sharing_agreements.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    consent: Mapped[str] = mapped_column(String(16), default=Consent.PENDING)
    consented_version: Mapped[int | None]  # the terms version the worker agreed to
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    agreement: Mapped[SharingAgreement] = relationship(back_populates="workers")
    worker: Mapped[User] = relationship(lazy="joined")  # noqa: F821


class SharingDay(db.Model):
    """One working day of an agreement: a shift at the borrower that the lent workers who
    consented are confirmed on (attendance, hours and ratings are recorded there)."""

    __tablename__ = "sharing_days"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("sharing_agreements.id"),
                                              primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), unique=True)
