from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.audit.models import AuditLog  # noqa: F401  (kept for existing tests)
from marketplace.db import utcnow
from marketplace.extensions import db


class Setting(db.Model):
    """A city policy setting changed at run time by administrators (every change audited)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
