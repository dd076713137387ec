from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db

worker_skills = Table(
    "worker_skills",
    db.metadata,
    Column("worker_id", ForeignKey("worker_profiles.user_id"), primary_key=True),
    Column("code", String(40), primary_key=True),
)

worker_certificates = Table(
    "worker_certificates",
    db.metadata,
    Column("worker_id", ForeignKey("worker_profiles.user_id"), primary_key=True),
    Column("code", String(40), primary_key=True),
)


class WorkerSkill(db.Model):
    __table__ = worker_skills


class WorkerCertificate(db.Model):
    __table__ = worker_certificates


class WorkerProfile(db.Model):
    __tablename__ = "worker_profiles"
    __table_args__ = (
        CheckConstraint("commute_radius_km BETWEEN 1 AND 500", name="commute_radius_range"),
        CheckConstraint("min_daily_pay_fen >= 0", name="min_pay_nonnegative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    district: Mapped[str | None] = mapped_column(String(20))
    home_lat: Mapped[float | None]
    home_lon: Mapped[float | None]
    commute_radius_km: Mapped[int] = mapped_column(default=15)
    min_daily_pay_fen: Mapped[int] = mapped_column(default=0)
    origin_province: Mapped[str | None] = mapped_column(String(20))
    labor_base: Mapped[str | None] = mapped_column(String(80))
    # The registry entry the worker belongs to (picked on the profile, or a cohort's tag they
    # accepted); `labor_base` keeps the free text and mirrors the entry's name when set.
    labor_base_id: Mapped[int | None] = mapped_column(ForeignKey("labor_bases.id"), index=True)
    bio: Mapped[str | None] = mapped_column(String(500))
    # ID numbers are never stored in clear: a keyed digest finds duplicates, the mask is shown.
    id_number_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    # Sensitive (PIPL): visible to the worker and administrators only, never a ranking feature.
    priority_group: Mapped[str | None] = mapped_column(String(40))
    priority_verified: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="worker_profile")  # noqa: F821
    registered_base: Mapped[LaborBase | None] = relationship()  # noqa: F821
    skill_rows: Mapped[list[WorkerSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    certificate_rows: Mapped[list[WorkerCertificate]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def skills(self) -> list[str]:
        return sorted(row.code for row in self.skill_rows)

    @property
    def certificates(self) -> list[str]:
        return sorted(row.code for row in self.certificate_rows)

    @property
    def is_out_of_province(self) -> bool:
        from marketplace.taxonomy import HOME_PROVINCE

        return bool(self.origin_province) and self.origin_province != HOME_PROVINCE


class WeeklyAvailability(db.Model):
    """A recurring window, in local (Asia/Shanghai) minutes since midnight, weekday 0 = Monday."""

    __tablename__ = "weekly_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="window_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.user_id"), index=True)
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]


class DateAvailability(db.Model):
    """An exception for one local date: unavailable all day, or available in a window."""

    __tablename__ = "date_availability"
    __table_args__ = (
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name="window_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker_profiles.user_id"), index=True)
    day: Mapped[dt.date]
    available: Mapped[bool]
    start_minute: Mapped[int | None]
    end_minute: Mapped[int | None]
