from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, String
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
