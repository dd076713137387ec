from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db


class Verification(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Firm(db.Model):
    __tablename__ = "firms"
    __table_args__ = (
        CheckConstraint("size IN ('micro', 'small', 'medium', 'large')", name="size_known"),
        CheckConstraint(
            "verification_status IN ('pending', 'verified', 'rejected')", name="verification_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    size: Mapped[str] = mapped_column(String(16))
    industry: Mapped[str] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    verification_status: Mapped[str] = mapped_column(String(16), default=Verification.PENDING)
    verification_note: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="firm")  # noqa: F821

    @property
    def is_verified(self) -> bool:
        return self.verification_status == Verification.VERIFIED


class Favourite(db.Model):
    __tablename__ = "favourites"

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
