"""The event log the ranker learns from."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, text

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.matching.models import MatchEvent


def log_event(*, worker_id: int, shift_id: int, kind: str, position: int | None = None,
              source: str | None = None) -> None:
    db.session.add(MatchEvent(worker_id=worker_id, shift_id=shift_id, kind=kind,
                              position=position, source=source))


def log_impressions(*, worker_id: int, shift_ids: Sequence[int], source: str,
                    explored: Sequence[bool] | None = None, first_position: int = 1) -> None:
    """One impression per shown item, with its 1-based position, in a single INSERT."""
    if not shift_ids:
        return
    now = utcnow()
    rows = [
        {
            "at": now, "worker_id": worker_id, "shift_id": sid, "kind": "impression",
            "position": first_position + n,
            "source": "explore" if explored and explored[n] else source,
        }
        for n, sid in enumerate(shift_ids)
    ]
    db.session.execute(insert(MatchEvent), rows)


def commit_event_log() -> None:
    """Commit a transaction that wrote only event-log rows (impressions).

    On PostgreSQL it does not wait for the WAL flush (synchronous_commit off for this
    transaction alone): a server crash can lose the last fraction of a second of impressions,
    never anything else, and the feed stops paying a disk flush on every page view.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()
