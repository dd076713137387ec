from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import utcnow
from marketplace.extensions import db


class EventKind(enum.StrEnum):
    IMPRESSION = "impression"
    VIEW = "view"
    APPLY = "apply"
    OFFER = "offer"
    HIRE = "hire"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    WITHDRAW = "withdraw"
    DECLINE = "decline"


class MatchEvent(db.Model):
    """What a worker was shown and did: the ranker's training data."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_worker_at", "worker_id", "at"),
        Index("ix_events_shift_kind", "shift_id", "kind"),
        Index("ix_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int | None]
    source: Mapped[str | None] = mapped_column(String(16))
