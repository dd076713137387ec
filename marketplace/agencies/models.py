from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, String
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
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="agency")  # noqa: F821

    @property
    def is_verified(self) -> bool:
        return self.verification_status == Verification.VERIFIED

    @property
    def may_broker(self) -> bool:
        return self.is_verified and not self.brokering_suspended
