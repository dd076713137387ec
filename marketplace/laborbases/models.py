"""Out-of-province labor bases (省外劳务基地), labor-cooperation regions and arriving cohorts."""
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
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db


class BaseKind(enum.StrEnum):
    LABOR_BASE = "labor_base"  # 省外劳务基地
    COOPERATION_REGION = "cooperation_region"  # 劳务协作地区, e.g. 重庆云阳


class LaborBase(db.Model):
    """A registry entry kept by administrators. Users with the partner role belong to the
    base's partner organisation and see only their own base's figures."""

    __tablename__ = "labor_bases"
    __table_args__ = (
        CheckConstraint("kind IN ('labor_base', 'cooperation_region')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    province: Mapped[str] = mapped_column(String(20), index=True)
    city: Mapped[str] = mapped_column(String(40))
    partner_org: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(24), default=BaseKind.LABOR_BASE)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    partners: Mapped[list[User]] = relationship(back_populates="labor_base")  # noqa: F821


class CohortStatus(enum.StrEnum):
    REGISTERED = "registered"
    CANCELLED = "cancelled"


class MemberStatus(enum.StrEnum):
    INVITED = "invited"  # the base attached the worker; waiting for the worker to confirm
    ACCEPTED = "accepted"  # the worker confirmed on their phone: tagged with the base
    DECLINED = "declined"  # the worker said it is not them (does not hold a place)


# Members that hold one of the cohort's places (counted in Cohort.members).
PLACE_HOLDING = (MemberStatus.INVITED, MemberStatus.ACCEPTED)

cohort_skills = Table(
    "cohort_skills",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("code", String(40), primary_key=True),
)


class CohortSkill(db.Model):
    __table__ = cohort_skills


class Cohort(db.Model):
    """A group of workers from one base arriving in Weihai together, registered by the base's
    partner organisation or by an HR agency. `headcount` is how many arrive; `members` counts
    the worker accounts attached to it (invited or accepted), never more than the headcount —
    the others are counted only (no account, or not attached yet)."""

    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("headcount BETWEEN 1 AND 2000", name="headcount_range"),
        CheckConstraint("members >= 0 AND members <= headcount", name="members_within_headcount"),
        CheckConstraint("status IN ('registered', 'cancelled')", name="status_known"),
        Index("ix_cohorts_status_arrival", "status", "arrival_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    labor_base_id: Mapped[int] = mapped_column(ForeignKey("labor_bases.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    arrival_date: Mapped[dt.date]  # local (Asia/Shanghai) date of arrival in Weihai
    headcount: Mapped[int]
    members: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    district: Mapped[str | None] = mapped_column(String(20))  # where they will stay, if known
    housing_needed: Mapped[bool] = mapped_column(default=False)
    meals_needed: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=CohortStatus.REGISTERED)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]

    labor_base: Mapped[LaborBase] = relationship(lazy="joined")
    skill_rows: Mapped[list[CohortSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def skills(self) -> list[str]:
        return sorted(row.code for row in self.skill_rows)

    @property
    def counted_only(self) -> int:
        return self.headcount - self.members

    @property
    def is_cancelled(self) -> bool:
        return self.status == CohortStatus.CANCELLED


class CohortMember(db.Model):
    """A worker account attached to a cohort. The tag only counts once the worker accepts it
    on their phone; accepting sets their profile's labor base."""

    __tablename__ = "cohort_members"
    __table_args__ = (
        UniqueConstraint("cohort_id", "worker_id", name="uq_cohort_members_cohort_worker"),
        CheckConstraint("status IN ('invited', 'accepted', 'declined')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.INVITED)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[dt.datetime | None]

    cohort: Mapped[Cohort] = relationship(lazy="joined")
    worker: Mapped[User] = relationship(foreign_keys=[worker_id])  # noqa: F821
