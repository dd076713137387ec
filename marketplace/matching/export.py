"""Build the ranking library's market structures from the database (column queries, no ORM).

Training exports the whole history; serving builds a small market for one request: the worker,
the candidate shifts, the worker's own events and the applications on those shifts. Firm-level
history at serving time comes from SQL aggregates (`firm_stats`) rather than the raw log.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import func, select

from marketplace.db import id_in
from marketplace.extensions import db
from marketplace.matching.models import MatchEvent
from marketplace.ranking.market import KIND_CODE, Events, Market, Ratings, Shifts, Workers
from marketplace.shifts.models import Application, Rating, Shift, ShiftCertificate, ShiftSkill
from marketplace.shifts.states import AppStatus
from marketplace.workers.models import (
    WeeklyAvailability,
    WorkerCertificate,
    WorkerProfile,
    WorkerSkill,
)

HOURS_PER_WEEK = 168


def epoch(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


def _codes(model, key, ids: Sequence[int] | None) -> dict[int, tuple[str, ...]]:
    query = select(key, model.code)
    if ids is not None:
        query = query.where(id_in(key, ids))
    grouped: dict[int, list[str]] = defaultdict(list)
    for owner, code in db.session.execute(query):
        grouped[owner].append(code)
    return {k: tuple(sorted(v)) for k, v in grouped.items()}


def _availability(ids: Sequence[int] | None, order: list[int]) -> np.ndarray | None:
    query = select(WeeklyAvailability.worker_id, WeeklyAvailability.weekday,
                   WeeklyAvailability.start_minute, WeeklyAvailability.end_minute)
    if ids is not None:
        query = query.where(WeeklyAvailability.worker_id.in_(list(ids)))
    rows = db.session.execute(query).all()
    if not rows:
        return None
    index = {wid: i for i, wid in enumerate(order)}
    mask = np.ones((len(order), HOURS_PER_WEEK), dtype=bool)
    restricted = {wid for wid, *_ in rows}
    for wid in restricted:
        mask[index[wid]] = False
    for wid, weekday, start, end in rows:
        # an hour counts as available only when the window covers all of it
        first = weekday * 24 + -(-start // 60)
        last = weekday * 24 + end // 60
        mask[index[wid], first:last] = True
    return mask


def workers_frame(ids: Sequence[int] | None = None) -> Workers:
    from marketplace.auth.models import User

    query = (
        select(WorkerProfile.user_id, WorkerProfile.home_lat, WorkerProfile.home_lon,
               WorkerProfile.commute_radius_km, WorkerProfile.min_daily_pay_fen,
               WorkerProfile.origin_province, User.created_at)
        .join(User, User.id == WorkerProfile.user_id)
        .order_by(WorkerProfile.user_id)
    )
    if ids is not None:
        query = query.where(id_in(WorkerProfile.user_id, ids))
    rows = db.session.execute(query).all()
    order = [r[0] for r in rows]
    skills = _codes(WorkerSkill, WorkerSkill.worker_id, ids)
    certs = _codes(WorkerCertificate, WorkerCertificate.worker_id, ids)
    nan = float("nan")
    return Workers(
        worker_id=np.array(order, dtype=np.int64),
        skills=[skills.get(w, ()) for w in order],
        certificates=[certs.get(w, ()) for w in order],
        lat=np.array([r[1] if r[1] is not None else nan for r in rows], dtype=np.float64),
        lon=np.array([r[2] if r[2] is not None else nan for r in rows], dtype=np.float64),
        max_commute_km=np.array([r[3] for r in rows], dtype=np.float64),
        min_daily_pay=np.array([r[4] / 100 for r in rows], dtype=np.float64),
        origin_province=np.array([r[5] or "" for r in rows], dtype=object),
        registered_at=np.array([epoch(r[6]) for r in rows], dtype=np.int64),
        availability=_availability(ids, order),
    )


def shifts_frame(ids: Sequence[int] | None = None) -> Shifts:
    query = select(Shift.id, Shift.firm_id, Shift.category, Shift.lat, Shift.lon,
                   Shift.starts_at, Shift.ends_at, Shift.headcount, Shift.daily_pay_fen,
                   Shift.meals, Shift.housing, Shift.posted_at, Shift.title).order_by(Shift.id)
    if ids is not None:
        query = query.where(id_in(Shift.id, ids))
    rows = db.session.execute(query).all()
    order = [r[0] for r in rows]
    skills = _codes(ShiftSkill, ShiftSkill.shift_id, ids)
    certs = _codes(ShiftCertificate, ShiftCertificate.shift_id, ids)
    return Shifts(
        shift_id=np.array(order, dtype=np.int64),
        firm_id=np.array([r[1] for r in rows], dtype=np.int64),
        category=np.array([r[2] for r in rows], dtype=object),
        skills=[skills.get(s, ()) for s in order],
        certificates=[certs.get(s, ()) for s in order],
        lat=np.array([r[3] for r in rows], dtype=np.float64),
        lon=np.array([r[4] for r in rows], dtype=np.float64),
        start_at=np.array([epoch(r[5]) for r in rows], dtype=np.int64),
        end_at=np.array([epoch(r[6]) for r in rows], dtype=np.int64),
        headcount=np.array([r[7] for r in rows], dtype=np.int64),
        daily_pay=np.array([max(r[8], 1) / 100 for r in rows], dtype=np.float64),
        meals=np.array([bool(r[9]) for r in rows]),
        housing=np.array([bool(r[10]) for r in rows]),
        posted_at=np.array([epoch(r[11]) for r in rows], dtype=np.int64),
        title=[r[12] for r in rows],
    )


def events_frame(*, worker_ids: Iterable[int] | None = None,
                 shift_ids: Iterable[int] | None = None, kinds: Iterable[str] | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None) -> Events:
    query = select(MatchEvent.at, MatchEvent.worker_id, MatchEvent.shift_id, MatchEvent.kind,
                   MatchEvent.position)
    if worker_ids is not None:
        query = query.where(id_in(MatchEvent.worker_id, worker_ids))
    if shift_ids is not None:
        query = query.where(id_in(MatchEvent.shift_id, shift_ids))
    if kinds is not None:
        query = query.where(MatchEvent.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(MatchEvent.at >= since)
    if until is not None:
        query = query.where(MatchEvent.at < until)
    rows = db.session.execute(query).all()
    if not rows:
        return Events.empty()
    at, wid, sid, kind, pos = zip(*rows, strict=True)
    return Events(
        at=np.array([epoch(a) for a in at], dtype=np.int64),
        worker_id=np.array(wid, dtype=np.int64),
        shift_id=np.array(sid, dtype=np.int64),
        kind=np.array([KIND_CODE[k] for k in kind], dtype=np.int8),
        position=np.array([p or 0 for p in pos], dtype=np.int32),
    ).sorted()


def serving_events_frame(worker_ids: Iterable[int]) -> Events:
    """The workers' history as the features see it, for scoring now.

    Every event except impressions row by row; impressions folded into one row per
    (worker, shift) with their count, because features only count them. A worker who has
    opened the feed ten thousand times costs a few hundred rows, not ten thousand.
    """
    ids = list(worker_ids)
    acted = events_frame(worker_ids=ids, kinds=[k for k in KIND_CODE if k != "impression"])
    shown = db.session.execute(
        select(func.max(MatchEvent.at), MatchEvent.worker_id, MatchEvent.shift_id,
               func.count())
        .where(id_in(MatchEvent.worker_id, ids), MatchEvent.kind == "impression")
        .group_by(MatchEvent.worker_id, MatchEvent.shift_id)
    ).all()
    if not shown:
        return acted
    at, wid, sid, count = zip(*shown, strict=True)
    folded = Events(
        at=np.array([epoch(a) for a in at], dtype=np.int64),
        worker_id=np.array(wid, dtype=np.int64), shift_id=np.array(sid, dtype=np.int64),
        kind=np.full(len(at), KIND_CODE["impression"], dtype=np.int8),
        position=np.zeros(len(at), dtype=np.int32), count=np.array(count, dtype=np.int64),
    )
    return Events.concat([acted, folded]).sorted()


def ratings_frame(worker_ids: Iterable[int] | None = None) -> Ratings:
    query = (select(Rating.created_at, Application.worker_id, Application.shift_id,
                    Rating.rater, Rating.score)
             .join(Application, Application.id == Rating.application_id))
    if worker_ids is not None:
        query = query.where(id_in(Application.worker_id, worker_ids))
    rows = db.session.execute(query).all()
    return Ratings(
        at=np.array([epoch(r[0]) for r in rows], dtype=np.int64),
        worker_id=np.array([r[1] for r in rows], dtype=np.int64),
        shift_id=np.array([r[2] for r in rows], dtype=np.int64),
        by_firm=np.array([r[3] == "firm" for r in rows], dtype=bool),
        stars=np.array([r[4] for r in rows], dtype=np.float64),
    )


def full_market(until: dt.datetime | None = None) -> Market:
    """Everything the ranker may learn from (events and ratings before `until`)."""
    return Market(workers=workers_frame(), shifts=shifts_frame(),
                  events=events_frame(until=until), ratings=ratings_frame())


def firm_history(firm_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Counts behind the firm features, from the database, for the given firms."""
    if not firm_ids:
        return {}
    ids = list(firm_ids)
    counts = db.session.execute(
        select(Shift.firm_id, MatchEvent.kind, func.count())
        .select_from(MatchEvent)
        .join(Shift, Shift.id == MatchEvent.shift_id)
        .where(Shift.firm_id.in_(ids),
               MatchEvent.kind.in_(["impression", "apply", "hire", "complete", "no_show"]))
        .group_by(Shift.firm_id, MatchEvent.kind)
    ).all()
    seats = db.session.execute(
        select(Shift.firm_id, func.sum(Shift.headcount)).where(Shift.firm_id.in_(ids))
        .group_by(Shift.firm_id)
    ).all()
    ratings = db.session.execute(
        select(Shift.firm_id, func.count(Rating.id), func.coalesce(func.sum(Rating.score), 0))
        .select_from(Rating)
        .join(Application, Application.id == Rating.application_id)
        .join(Shift, Shift.id == Application.shift_id)
        .where(Shift.firm_id.in_(ids), Rating.rater == "worker").group_by(Shift.firm_id)
    ).all()
    late = db.session.execute(
        select(Shift.firm_id, func.count())
        .select_from(Application)
        .join(Shift, Shift.id == Application.shift_id)
        .where(Shift.firm_id.in_(ids), Application.status == AppStatus.CANCELLED,
               Shift.cancelled_at.isnot(None))
        .group_by(Shift.firm_id)
    ).all()
    stats: dict[int, dict[str, float]] = {
        f: {"impression": 0, "apply": 0, "hire": 0, "complete": 0, "no_show": 0, "seats": 0,
            "ratings": 0, "stars": 0, "cancelled": 0} for f in ids}
    for firm, kind, n in counts:
        stats[firm][kind] = n
    for firm, n in seats:
        stats[firm]["seats"] = float(n or 0)
    for firm, n, total in ratings:
        stats[firm]["ratings"], stats[firm]["stars"] = n, float(total)
    for firm, n in late:
        stats[firm]["cancelled"] = n
    return stats


def applications_per_shift(shift_ids: Sequence[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    rows = db.session.execute(
        select(Application.shift_id, func.count())
        .where(id_in(Application.shift_id, shift_ids)).group_by(Application.shift_id)
    ).all()
    return dict(rows)



def all_firm_ids() -> list[int]:
    from marketplace.firms.models import Firm

    return list(db.session.scalars(select(Firm.id)))
