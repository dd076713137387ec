"""What scoring needs to know about shifts, kept in each process's memory.

Which shifts a worker may see is always decided in SQL (status, seats, certificates, the
worker's own bookings, the commute box), fresh on every request. The store only supplies the
columns the scores are computed from: place, time, pay, skills, firm, title. They change
rarely (and time, place and pay lock once a worker is confirmed), so each process keeps them
for SHIFT_STORE_SECONDS; an edit reaches the editing process at once and every other process
within that time. Fetching them with every feed cost more than ranking them.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import select

from marketplace.db import id_in, utcnow
from marketplace.extensions import db
from marketplace.ranking.market import Shifts
from marketplace.shifts.models import Shift, ShiftCertificate, ShiftSkill

MAX_ENTRIES = 100_000
# Shifts starting after this many days ago are read in bulk: the open ones, and the recent
# past ones that workers' histories (and so their features) refer to.
RECENT_DAYS = 60


@dataclass(frozen=True)
class ShiftFacts:
    id: int
    firm_id: int
    category: str
    lat: float | None
    lon: float | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    headcount: int
    daily_pay_fen: int
    pay_unit: str
    meals: bool
    housing: bool
    posted_at: dt.datetime
    title: str
    skills: frozenset[str]
    certificates: tuple[str, ...]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _codes(model, condition) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    query = select(model.shift_id, model.code).join(Shift, Shift.id == model.shift_id)
    for owner, code in db.session.execute(query.where(condition)):
        grouped[owner].append(code)
    return grouped


def load_facts(condition) -> dict[int, ShiftFacts]:
    """Read the facts of the shifts matching a condition (three queries, whatever the number)."""
    rows = db.session.execute(select(
        Shift.id, Shift.firm_id, Shift.category, Shift.lat, Shift.lon, Shift.starts_at,
        Shift.ends_at, Shift.headcount, Shift.daily_pay_fen, Shift.pay_unit, Shift.meals,
        Shift.housing, Shift.posted_at, Shift.title,
    ).where(condition)).all()
    if not rows:
        return {}
    skills = _codes(ShiftSkill, condition)
    certificates = _codes(ShiftCertificate, condition)
    return {
        r.id: ShiftFacts(
            id=r.id, firm_id=r.firm_id, category=r.category, lat=r.lat, lon=r.lon,
            starts_at=_aware(r.starts_at), ends_at=_aware(r.ends_at), headcount=r.headcount,
            daily_pay_fen=r.daily_pay_fen, pay_unit=r.pay_unit, meals=bool(r.meals),
            housing=bool(r.housing), posted_at=_aware(r.posted_at), title=r.title,
            skills=frozenset(skills.get(r.id, ())),
            certificates=tuple(sorted(certificates.get(r.id, ()))),
        )
        for r in rows
    }


class ShiftStore:
    """Facts by shift id. Every SHIFT_STORE_SECONDS the facts of all open and recent shifts
    are read in one go (a process serving feeds needs nearly all of them); anything else
    asked for, such as a shift posted since or an old one in a worker's history, on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reload_lock = threading.Lock()
        self.entries: OrderedDict[int, tuple[float, ShiftFacts]] = OrderedDict()
        self.bulk_loaded_at = -math.inf

    def facts(self, ids: Iterable[int]) -> dict[int, ShiftFacts]:
        wanted = list(dict.fromkeys(int(i) for i in ids))
        ttl = current_app.config["SHIFT_STORE_SECONDS"]
        if ttl <= 0:
            return load_facts(id_in(Shift.id, wanted)) if wanted else {}
        if time.monotonic() - self.bulk_loaded_at > ttl:
            self._load_recent_shifts(ttl)
        now = time.monotonic()
        found: dict[int, ShiftFacts] = {}
        with self.lock:
            for shift_id in wanted:
                entry = self.entries.get(shift_id)
                if entry is not None and entry[0] > now:
                    found[shift_id] = entry[1]
        missing = [i for i in wanted if i not in found]
        if missing:
            fresh = load_facts(id_in(Shift.id, missing))
            self._keep(fresh, now + ttl)
            found.update(fresh)
        return found

    def _load_recent_shifts(self, ttl: int) -> None:
        with self.reload_lock:
            if time.monotonic() - self.bulk_loaded_at <= ttl:
                return  # another thread just did it
            began = time.monotonic()
            since = utcnow() - dt.timedelta(days=RECENT_DAYS)
            fresh = load_facts(Shift.starts_at > since)
            self._keep(fresh, began + ttl)
            self.bulk_loaded_at = began
            # Tens of thousands of long-lived objects: keep the cyclic collector from walking
            # them on every full collection (they hold no cycles; refcounting frees them).
            gc.freeze()

    def _keep(self, fresh: dict[int, ShiftFacts], expires: float) -> None:
        with self.lock:
            for shift_id, facts in fresh.items():
                self.entries[shift_id] = (expires, facts)
                self.entries.move_to_end(shift_id)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def forget(self, shift_id: int) -> None:
        with self.lock:
            self.entries.pop(shift_id, None)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bulk_loaded_at = -math.inf


store = ShiftStore()


def epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def frame(facts: Sequence[ShiftFacts]) -> Shifts:
    """The ranking library's columns for these shifts, ordered by id."""
    facts = sorted(facts, key=lambda f: f.id)
    return Shifts(
        shift_id=np.array([f.id for f in facts], dtype=np.int64),
        firm_id=np.array([f.firm_id for f in facts], dtype=np.int64),
        category=np.array([f.category for f in facts], dtype=object),
        skills=[tuple(sorted(f.skills)) for f in facts],
        certificates=[f.certificates for f in facts],
        lat=np.array([f.lat for f in facts], dtype=np.float64),
        lon=np.array([f.lon for f in facts], dtype=np.float64),
        start_at=np.array([epoch(f.starts_at) for f in facts], dtype=np.int64),
        end_at=np.array([epoch(f.ends_at) for f in facts], dtype=np.int64),
        headcount=np.array([f.headcount for f in facts], dtype=np.int64),
        daily_pay=np.array([max(f.daily_pay_fen, 1) / 100 for f in facts], dtype=np.float64),
        meals=np.array([f.meals for f in facts], dtype=bool),
        housing=np.array([f.housing for f in facts], dtype=bool),
        posted_at=np.array([epoch(f.posted_at) for f in facts], dtype=np.int64),
        title=[f.title for f in facts],
    )
