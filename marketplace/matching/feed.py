"""A worker's feed: hard constraints in SQL, then one batch of scores, then impressions logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import and_, exists, func, not_, select

from marketplace import cache
from marketplace.auth.models import Role, User
from marketplace.db import utcnow
from marketplace.errors import N_, Forbidden
from marketplace.extensions import db
from marketplace.matching.content import ShiftBatch, WorkerView, content_scores, reasons_for
from marketplace.matching.events import log_impressions
from marketplace.matching.registry import current_ranker
from marketplace.matching.scoring import feed_scores as model_feed_scores
from marketplace.matching.shift_store import ShiftFacts
from marketplace.matching.shift_store import store as shift_store
from marketplace.shifts.cards import open_seats
from marketplace.shifts.models import Application, Shift, ShiftCertificate
from marketplace.shifts.services import ShiftFilters, open_shifts_query
from marketplace.shifts.states import BOOKED
from marketplace.workers.availability import Availability, fits
from marketplace.workers.services import load_availability, worker_view

CANDIDATE_LIMIT = 5000
RERANK_POOL = 200  # how many content-ranked shifts the model re-ranks per request
CACHE_DEPTH = 200  # ranked entries kept per worker and filter set
KM_PER_DEGREE_LAT = 111.2


@dataclass
class FeedItem:
    shift_id: int
    score: float
    distance_km: float | None
    reasons: list[tuple[str, dict]]
    position: int
    seats: tuple[int, int]  # (filled, headcount), read fresh
    explored: bool = False
    shift: Shift | None = None  # loaded only when the caller asks for it


def candidate_query(worker_id: int, view: WorkerView, certificates: set[str],
                    filters: ShiftFilters, now: dt.datetime):
    """Ids of the open shifts the worker can legally and practically take."""
    base = open_shifts_query(filters, now=now).subquery()
    query = select(base.c.id)
    missing_certificate = exists().where(
        ShiftCertificate.shift_id == base.c.id,
        not_(ShiftCertificate.code.in_(sorted(certificates))) if certificates else True,
    )
    query = query.where(not_(missing_certificate))
    already_applied = exists().where(
        Application.shift_id == base.c.id, Application.worker_id == worker_id
    )
    query = query.where(not_(already_applied))
    # Not on top of a shift the worker is already booked on (few rows: the worker's own).
    double_booked = exists().where(
        Application.worker_id == worker_id, Application.status.in_(sorted(BOOKED)),
        Application.starts_at < base.c.ends_at, Application.ends_at > base.c.starts_at,
    )
    query = query.where(not_(double_booked))
    if view.lat is not None and view.lon is not None:
        dlat = view.commute_radius_km / KM_PER_DEGREE_LAT
        dlon = dlat / max(math.cos(math.radians(view.lat)), 0.1)
        query = query.where(
            and_(base.c.lat.between(view.lat - dlat, view.lat + dlat),
                 base.c.lon.between(view.lon - dlon, view.lon + dlon))
        )
    return query.order_by(base.c.starts_at, base.c.id).limit(CANDIDATE_LIMIT)


def _practical(facts: list[ShiftFacts], availability: Availability) -> list[ShiftFacts]:
    """Keep the shifts whose hours fit the worker's stated availability."""
    if availability.unrestricted:
        return facts  # nothing to check
    verdicts: dict[tuple[dt.datetime, dt.datetime], bool] = {}  # shifts share their hours

    def fit(shift: ShiftFacts) -> bool:
        key = (shift.starts_at, shift.ends_at)
        if key not in verdicts:
            verdicts[key] = fits(availability, shift.starts_at, shift.ends_at)
        return verdicts[key]

    return [shift for shift in facts if fit(shift)]


@dataclass
class RankedEntry:
    shift_id: int
    score: float
    distance_km: float | None
    reasons: list


def build_feed(*, actor: User, filters: ShiftFilters | None = None, limit: int = 20,
               offset: int = 0, log: bool = True,
               load_shifts: bool = True) -> tuple[list[FeedItem], int]:
    """Ranked shifts for a worker and the number of eligible shifts. With `load_shifts` off
    the items carry ids and fresh seat counts only (the API dumps cached shift cards)."""
    if actor.role != Role.WORKER:
        raise Forbidden(N_("Only workers have a feed"))
    filters = filters or ShiftFilters()
    now = utcnow()
    entries, total = _ranked(actor.id, filters, now, depth=offset + limit)
    order = list(range(len(entries)))
    page, explored = _with_exploration(order, offset, limit, actor.id, now)
    wanted = [entries[i].shift_id for i in page]
    seats = open_seats(wanted, now)  # some may have been taken or closed since the ranking
    items: list[FeedItem] = []
    for i, was_explored in zip(page, explored, strict=True):
        shift_id = entries[i].shift_id
        if shift_id not in seats:
            continue
        reasons = [tuple(r) for r in entries[i].reasons]
        if was_explored:
            reasons.insert(0, ("explore", {}))
        items.append(FeedItem(shift_id=shift_id, score=entries[i].score,
                              distance_km=entries[i].distance_km, reasons=reasons,
                              position=offset + len(items) + 1, seats=seats[shift_id],
                              explored=was_explored))
    if load_shifts and items:
        shifts = {s.id: s for s in db.session.scalars(
            select(Shift).where(Shift.id.in_([it.shift_id for it in items])))}
        for item in items:
            item.shift = shifts[item.shift_id]
    if log and items:
        log_impressions(worker_id=actor.id, shift_ids=[it.shift_id for it in items],
                        source="feed", explored=[it.explored for it in items],
                        first_position=offset + 1)
    return items, total


def _ranked(worker_id: int, filters: ShiftFilters, now: dt.datetime,
            depth: int) -> tuple[list[RankedEntry], int]:
    """The worker's ranked shifts (at least `depth` of them), from the cache when fresh."""
    ttl = current_app.config["FEED_CACHE_SECONDS"]
    cacheable = ttl > 0 and depth <= CACHE_DEPTH
    key = _cache_key(worker_id, filters) if cacheable else ""
    if cacheable:
        hit = cache.get_json(key)
        if hit is not None:
            return [RankedEntry(*e) for e in hit["entries"]], hit["total"]
    entries, total = _rank(worker_id, filters, now, max(depth, CACHE_DEPTH))
    if cacheable:
        cache.set_json(key, {"entries": [[e.shift_id, e.score, e.distance_km, e.reasons]
                                         for e in entries], "total": total}, ttl)
    return entries, total


def _cache_key(worker_id: int, filters: ShiftFilters) -> str:
    """Changes whenever what the ranking depends on changes for this worker."""
    from marketplace.workers.models import WorkerProfile

    mine = Application.worker_id == worker_id
    state = db.session.execute(select(
        select(func.max(Application.updated_at)).where(mine).scalar_subquery(),
        select(func.count()).select_from(Application).where(mine).scalar_subquery(),
        # touched by profile and availability changes
        select(WorkerProfile.updated_at).where(
            WorkerProfile.user_id == worker_id).scalar_subquery(),
    )).one()
    model = current_ranker()
    parts = (worker_id, repr(sorted(vars(filters).items())), model.meta.version if model else "-",
             *state)
    return "feed:" + hashlib.sha1(repr(parts).encode()).hexdigest()


def _rank(worker_id: int, filters: ShiftFilters, now: dt.datetime,
          depth: int) -> tuple[list[RankedEntry], int]:
    view, certificates = worker_view(worker_id)
    ids_ = db.session.scalars(candidate_query(worker_id, view, certificates, filters, now)).all()
    known = shift_store.facts(ids_)
    facts = _practical([known[i] for i in ids_ if i in known], load_availability(worker_id))
    if not facts:
        return [], 0
    ids = np.array([f.id for f in facts], dtype=np.int64)
    batch = ShiftBatch(
        ids=ids,
        lat=np.array([f.lat for f in facts], dtype=float),
        lon=np.array([f.lon for f in facts], dtype=float),
        daily_pay_fen=np.array([np.nan if f.pay_unit == "piece" else f.daily_pay_fen
                                for f in facts], dtype=float),
        meals=np.array([f.meals for f in facts], dtype=bool),
        housing=np.array([f.housing for f in facts], dtype=bool),
        skills=[f.skills for f in facts],
    )
    scored = content_scores(view, batch)
    within = np.isnan(scored.distance_km) | (scored.distance_km <= view.commute_radius_km)
    order = [int(i) for i in np.argsort(-scored.score, kind="stable") if within[i]]
    final_score = scored.score.astype(float)
    worked_here = np.zeros(len(ids))
    ranker = current_ranker()
    if ranker is not None and order:
        # Two stages: the content score retrieves, the promoted model re-ranks the best pool.
        pool = order[:RERANK_POOL]
        model_score, same_firm = model_feed_scores(ranker, worker_id, ids[pool].tolist(), now)
        final_score[pool] = model_score
        worked_here[pool] = np.nan_to_num(same_firm)
        pool = [pool[k] for k in np.argsort(-model_score, kind="stable")]
        order = pool + order[RERANK_POOL:]
    entries = [
        RankedEntry(
            shift_id=int(ids[i]), score=round(float(final_score[i]), 4),
            distance_km=None if np.isnan(scored.distance_km[i])
            else round(float(scored.distance_km[i]), 1),
            reasons=_reasons(i, scored, view, batch, worked_here[i] > 0),
        )
        for i in order[:depth]
    ]
    return entries, len(order)


def _reasons(i: int, scored, view, batch, worked_here: bool) -> list:
    reasons = [list(r) for r in reasons_for(i, scored, view, batch)]
    if worked_here:
        reasons.append(["history", {}])
    return reasons


def _with_exploration(order: list[int], offset: int, limit: int, worker_id: int,
                      now: dt.datetime) -> tuple[list[int], list[bool]]:
    """The page, with a share of its slots given to shifts ranked beyond the first page.

    Exploration lets the next model learn about shifts the current one would never show; the
    impressions of those slots are logged with source "explore". The draw is stable for a
    worker within an hour, so reloading the page does not reshuffle it.
    """
    page = order[offset: offset + limit]
    share = current_app.config["FEED_EXPLORATION_SHARE"]
    slots = round(len(page) * share)
    tail = order[offset + limit:]
    if offset != 0 or slots == 0 or not tail:
        return page, [False] * len(page)
    rng = np.random.default_rng([worker_id, int(now.timestamp()) // 3600])
    picks = rng.choice(len(tail), size=min(slots, len(tail)), replace=False)
    positions = sorted(rng.choice(np.arange(2, len(page)), size=len(picks), replace=False)) \
        if len(page) > 2 + len(picks) else list(range(len(page) - len(picks), len(page)))
    chosen = [tail[p] for p in picks]
    kept = page[: len(page) - len(chosen)]
    explored = [False] * len(kept)
    for position, shift_index in zip(positions, chosen, strict=True):
        kept.insert(position, shift_index)
        explored.insert(position, True)
    return kept, explored

