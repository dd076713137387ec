"""Shifts as the API shows them, dumped once and shared for a few seconds.

A feed page names 20 shifts; loading and dumping them through the ORM cost more than the
rest of the request. The static part of a shift (title, pay, place, firm ...) changes rarely
and is cached for PUBLIC_LIST_CACHE_SECONDS like the public list; the parts that move with
every booking (filled, seats left, status) are always read fresh and written over the copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import select

from marketplace import cache
from marketplace.db import id_in
from marketplace.extensions import db
from marketplace.shifts.models import Shift, ShiftStatus


@lru_cache(maxsize=1)
def _schema():
    # Imported late: the schemas pull in the API package, which imports the shift services,
    # which import this module to forget edited shifts.
    from marketplace.shifts.schemas import ShiftOutSchema

    return ShiftOutSchema()


def _key(shift_id: int) -> str:
    return f"shift-card:{shift_id}"


def open_seats(shift_ids: Sequence[int], now: dt.datetime) -> dict[int, tuple[int, int]]:
    """(filled, headcount) of the given shifts that can still be taken, read fresh."""
    rows = db.session.execute(
        select(Shift.id, Shift.filled, Shift.headcount).where(
            id_in(Shift.id, shift_ids), Shift.status == ShiftStatus.OPEN,
            Shift.starts_at > now, Shift.filled < Shift.headcount,
        )
    )
    return {shift_id: (filled, headcount) for shift_id, filled, headcount in rows}


def shift_cards(seats: dict[int, tuple[int, int]]) -> dict[int, dict[str, Any]]:
    """Dumped open shifts by id, given their fresh (filled, headcount) from `open_seats`."""
    ttl = current_app.config["PUBLIC_LIST_CACHE_SECONDS"]
    ids = list(seats)
    cards: dict[int, dict[str, Any]] = {}
    if ttl > 0:
        for shift_id, card in zip(ids, cache.get_many_json([_key(i) for i in ids]), strict=True):
            if card is not None:
                cards[shift_id] = card
    missing = [i for i in ids if i not in cards]
    if missing:
        fresh = {s.id: _schema().dump(s)
                 for s in db.session.scalars(select(Shift).where(Shift.id.in_(missing)))}
        if ttl > 0:
            cache.set_many_json({_key(i): card for i, card in fresh.items()}, ttl)
        cards.update(fresh)
    for shift_id, card in cards.items():
        filled, headcount = seats[shift_id]
        card.update(filled=filled, headcount=headcount, seats_left=headcount - filled,
                    status=ShiftStatus.OPEN.value)
    return cards


def forget(shift_id: int) -> None:
    """Drop the shared copy after an edit, so the next reader dumps the shift again."""
    cache.delete(_key(shift_id))
