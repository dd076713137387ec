from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import utcnow
from marketplace.extensions import db


class Role(enum.StrEnum):
    WORKER = "worker"
    FIRM = "firm"
    ADMIN = "admin"
    AGENCY = "agency"  # staff of an HR service agency
    PARTNER = "partner"  # partner organisation of a labor base


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('worker', 'firm', 'admin', 'agency', 'partner')", name="role_known"
        ),
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.ACTIVE)
    # Part of the Flask-Login id: bumping it invalidates every cookie issued before.
    session_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    labor_base_id: Mapped[int | None] = mapped_column(ForeignKey("labor_bases.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    firm: Mapped[Firm | None] = relationship(back_populates="members")  # noqa: F821
    agency: Mapped[Agency | None] = relationship(back_populates="members")  # noqa: F821
    labor_base: Mapped[LaborBase | None] = relationship(back_populates="partners")  # noqa: F821
    worker_profile: Mapped[WorkerProfile | None] = relationship(  # noqa: F821
        back_populates="user", uselist=False
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_worker(self) -> bool:
        return self.role == Role.WORKER

    @property
    def is_firm(self) -> bool:
        return self.role == Role.FIRM

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_agency(self) -> bool:
        return self.role == Role.AGENCY

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def masked_phone(self) -> str:
        from marketplace.privacy import mask_phone

        return mask_phone(self.phone)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    # What the owner sees in the list of their tokens: the token's first characters (never the
    # rest) and a label (given when asking for the token, else the client's User-Agent).
    prefix: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str | None] = mapped_column(String(80))

    user: Mapped[User] = relationship()
