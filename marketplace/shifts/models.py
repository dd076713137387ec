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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.shifts.states import BOOKED, AppStatus, sql_in


class ShiftStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class PayUnit(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"
    PIECE = "piece"


class Settlement(enum.StrEnum):
    DAILY = "daily"  # 日结
    WEEKLY = "weekly"  # 周结
    ON_COMPLETION = "on_completion"  # 完工结


shift_skills = Table(
    "shift_skills",
    db.metadata,
    Column("shift_id", ForeignKey("shifts.id"), primary_key=True),
    Column("code", String(40), primary_key=True),
)
shift_certificates = Table(
    "shift_certificates",
    db.metadata,
    Column("shift_id", ForeignKey("shifts.id"), primary_key=True),
    Column("code", String(40), primary_key=True),
)


class ShiftSkill(db.Model):
    __table__ = shift_skills


class ShiftCertificate(db.Model):
    __table__ = shift_certificates


class Shift(db.Model):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("headcount >= 1", name="headcount_positive"),
        CheckConstraint("filled >= 0 AND filled <= headcount", name="filled_within_headcount"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("pay_amount_fen > 0", name="pay_positive"),
        CheckConstraint("pay_unit IN ('hour', 'day', 'piece')", name="pay_unit_known"),
        CheckConstraint(
            "settlement IN ('daily', 'weekly', 'on_completion')", name="settlement_known"
        ),
        CheckConstraint("status IN ('open', 'cancelled', 'completed')", name="status_known"),
        Index("ix_shifts_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str] = mapped_column(String(20), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float]
    lon: Mapped[float]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    headcount: Mapped[int]
    filled: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    pay_amount_fen: Mapped[int]
    pay_unit: Mapped[str] = mapped_column(String(8))
    # Derived from pay, unit and times when they change; lets SQL compare with a worker's wish.
    daily_pay_fen: Mapped[int] = mapped_column(index=True)
    settlement: Mapped[str] = mapped_column(String(16))
    meals: Mapped[bool] = mapped_column(default=False)
    housing: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=ShiftStatus.OPEN)
    # False for shifts that are not public postings (a lent worker's days at the borrower
    # under a sharing agreement): never in search, feeds or public pages; nobody applies.
    listed: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    posted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    firm: Mapped[Firm] = relationship(lazy="joined")  # noqa: F821
    skill_rows: Mapped[list[ShiftSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    certificate_rows: Mapped[list[ShiftCertificate]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def skills(self) -> list[str]:
        return sorted(row.code for row in self.skill_rows)

    @property
    def certificates(self) -> list[str]:
        return sorted(row.code for row in self.certificate_rows)

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def seats_left(self) -> int:
        return self.headcount - self.filled

    @property
    def cancellable(self) -> bool:
        """Open and not yet started (after the start, attendance decides what happened)."""
        return self.status == ShiftStatus.OPEN and self.starts_at > utcnow()


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("shift_id", "worker_id", name="uq_applications_shift_worker"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_applications_worker_status", "worker_id", "status"),
        Index("ix_applications_shift_status", "shift_id", "status"),
        # Brokered by an HR agency: a proposal always names its agency, and a brokered
        # application moves past "proposed" only with the worker's consent on record
        # (confirmed on their phone, or standing consent for the shift's category).
        CheckConstraint("status != 'proposed' OR agency_id IS NOT NULL",
                        name="proposal_has_agency"),
        CheckConstraint(
            "agency_id IS NULL OR agency_consent IS NOT NULL "
            "OR status IN ('proposed', 'declined', 'withdrawn', 'cancelled')",
            name="brokered_needs_consent",
        ),
        CheckConstraint(
            "agency_consent IS NULL OR (agency_consent IN ('confirmed', 'standing') "
            "AND agency_id IS NOT NULL AND agency_consent_at IS NOT NULL)",
            name="agency_consent_known",
        ),
        # PostgreSQL refuses two booked applications of one worker whose times overlap.
        ExcludeConstraint(
            ("worker_id", "="),
            (func.tstzrange(Column("starts_at"), Column("ends_at"), "[)"), "&&"),
            name="ex_applications_no_double_booking",
            using="gist",
            where=text(f"status IN ({sql_in(BOOKED)})"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=AppStatus.APPLIED)
    # Copied from the shift so the database can refuse overlapping bookings on its own.
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16), default="direct")
    note: Mapped[str | None] = mapped_column(String(300))
    # The HR agency that put the worker forward (None: the worker applied themself), and how
    # the worker consented: "confirmed" on their phone or "standing" consent for the category.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    agency_consent: Mapped[str | None] = mapped_column(String(16))
    agency_consent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shift: Mapped[Shift] = relationship(lazy="joined")
    worker: Mapped[User] = relationship(lazy="joined")  # noqa: F821
    attendance: Mapped[Attendance | None] = relationship(
        back_populates="application", uselist=False, lazy="selectin"
    )


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint("minutes_worked IS NULL OR minutes_worked >= 0", name="minutes_valid"),
        CheckConstraint("pay_due_fen IS NULL OR pay_due_fen >= 0", name="pay_due_valid"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    checked_in_at: Mapped[dt.datetime | None]
    checked_out_at: Mapped[dt.datetime | None]
    minutes_worked: Mapped[int | None]
    pieces: Mapped[int | None]
    pay_due_fen: Mapped[int | None]
    confirmed_at: Mapped[dt.datetime | None]
    paid_at: Mapped[dt.datetime | None]

    application: Mapped[Application] = relationship(back_populates="attendance")


class Rating(db.Model):
    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("application_id", "rater", name="uq_ratings_application_rater"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        CheckConstraint("rater IN ('worker', 'firm')", name="rater_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    rater: Mapped[str] = mapped_column(String(8))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("shift_id", "worker_id", name="uq_invitations_shift_worker"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    shift: Mapped[Shift] = relationship(lazy="joined")
