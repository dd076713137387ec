"""Candidates for a firm's shift, ranked by the reciprocal score, and the one-click match.

Reciprocal = harmonic mean of the worker side (would they take it) and the firm side (would
the firm hire and keep them). With no promoted model the two sides come from transparent
content signals: the content score and the worker's smoothed reliability times skill cover.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, exists, func, not_, or_, select, true
from sqlalchemy.orm import selectinload

from marketplace.admin.services import priority_boost
from marketplace.auth.models import Role, User, UserStatus
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict
from marketplace.extensions import db
from marketplace.matching import registry, scoring
from marketplace.matching.content import ShiftBatch, WorkerView, content_scores, haversine_km
from marketplace.shifts.applications import worker_records
from marketplace.shifts.models import Application, Shift, ShiftCertificate, ShiftStatus
from marketplace.shifts.services import get_own_shift
from marketplace.shifts.states import BOOKED, AppStatus
from marketplace.taxonomy import HOME_PROVINCE
from marketplace.workers.availability import fits
from marketplace.workers.models import WorkerCertificate, WorkerProfile
from marketplace.workers.services import load_availabilities

CANDIDATE_LIMIT = 3000
KM_PER_DEGREE = 111.2
# Cohort lift: on a shift that offers housing or meals, a worker who arrived (or arrives) with
# a labor-base cohort needing what the shift offers has their candidate score raised by 10 %.
# It only reorders: nobody is dropped, and a clearly better match still comes first.
COHORT_LIFT = 0.10
COHORT_LIFT_DAYS = 60  # cohorts that arrive on the shift's day or in the 60 days before it


@dataclass
class Candidate:
    worker: User
    score: float
    distance_km: float | None
    reasons: list[tuple[str, dict]]
    record: dict


def _harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a + b > 0, 2 * a * b / (a + b), 0.0)


def reciprocal(shift: Shift, worker_ids: list[int]) -> np.ndarray:
    """Reciprocal scores of workers for one shift (model when promoted, else content)."""
    if not worker_ids:
        return np.zeros(0)
    ranker = registry.current_ranker()
    if ranker is not None:
        scores = scoring.reciprocal_scores(ranker, worker_ids, shift.id, utcnow())
    else:
        scores = _content_reciprocal(shift, worker_ids)
    return _boosted(np.asarray(scores, dtype=float), worker_ids)


def reciprocal_many(shifts: list[Shift], worker_lists: list[list[int]]) -> list[np.ndarray]:
    """reciprocal() for several shifts at once (e.g. an agency's batch fill): without a
    promoted model, profiles and records are loaded once and each worker is scored against
    all the shifts in one vectorised call. Same scores as one reciprocal() per shift."""
    ranker = registry.current_ranker()
    if ranker is not None:
        return [reciprocal(s, ids) for s, ids in zip(shifts, worker_lists, strict=True)]
    raw = _content_reciprocal_many(shifts, worker_lists)
    return [_boosted(np.asarray(r, dtype=float), ids)
            for r, ids in zip(raw, worker_lists, strict=True)]


def _content_reciprocal(shift: Shift, worker_ids: list[int]) -> np.ndarray:
    return _content_reciprocal_many([shift], [worker_ids])[0]


def _content_reciprocal_many(shifts: list[Shift],
                             worker_lists: list[list[int]]) -> list[np.ndarray]:
    union = sorted({w for ids in worker_lists for w in ids})
    if not union:
        return [np.zeros(0) for _ in shifts]
    profiles = {p.user_id: p for p in db.session.scalars(
        select(WorkerProfile).where(WorkerProfile.user_id.in_(union)))}
    records = worker_records(union)
    batch = ShiftBatch(ids=np.array([s.id for s in shifts]),
                       lat=np.array([s.lat for s in shifts]),
                       lon=np.array([s.lon for s in shifts]),
                       daily_pay_fen=np.array([np.nan if s.pay_unit == "piece"
                                               else float(s.daily_pay_fen) for s in shifts]),
                       meals=np.array([s.meals for s in shifts]),
                       housing=np.array([s.housing for s in shifts]),
                       skills=[frozenset(s.skills) for s in shifts])
    worker_scores = {w: content_scores(_view(profiles[w]), batch).score for w in union}
    worker_skills = {w: set(profiles[w].skills) for w in union}
    result = []
    for j, (shift, ids) in enumerate(zip(shifts, worker_lists, strict=True)):
        required = set(shift.skills)
        worker_side = [float(worker_scores[w][j]) for w in ids]
        firm_side = [float(records[w]["reliability"])
                     * (0.5 + 0.5 * (len(required & worker_skills[w]) / len(required)
                                     if required else 1.0)) for w in ids]
        result.append(_harmonic(np.array(worker_side), np.array(firm_side)))
    return result


def _view(profile: WorkerProfile) -> WorkerView:
    return WorkerView(lat=profile.home_lat, lon=profile.home_lon,
                      commute_radius_km=float(profile.commute_radius_km),
                      min_daily_pay_fen=profile.min_daily_pay_fen,
                      skills=frozenset(profile.skills),
                      out_of_province=bool(profile.origin_province
                                           and profile.origin_province != HOME_PROVINCE))


def _boosted(scores: np.ndarray, worker_ids: list[int]) -> np.ndarray:
    boost = priority_boost()
    if boost <= 0 or not worker_ids:
        return scores
    verified = set(db.session.scalars(select(WorkerProfile.user_id).where(
        WorkerProfile.user_id.in_(worker_ids), WorkerProfile.priority_verified.is_(True),
        WorkerProfile.priority_group.isnot(None))))
    factor = np.array([1.0 + boost if w in verified else 1.0 for w in worker_ids])
    return scores * factor


def cohort_workers(shift: Shift, worker_ids: list[int]) -> set[int]:
    """Of `worker_ids`, those lifted on this shift: it offers housing or meals, and they
    accepted the tag of a registered cohort that needs what it offers and arrives on the
    shift's local day or in the COHORT_LIFT_DAYS before it."""
    from marketplace.laborbases.models import Cohort, CohortMember, CohortStatus, MemberStatus
    from marketplace.timeutil import to_local

    if not (shift.housing or shift.meals) or not worker_ids:
        return set()
    needs = []
    if shift.housing:
        needs.append(Cohort.housing_needed.is_(True))
    if shift.meals:
        needs.append(Cohort.meals_needed.is_(True))
    day = to_local(shift.starts_at).date()
    since = day - dt.timedelta(days=COHORT_LIFT_DAYS)
    found: set[int] = set()
    for start in range(0, len(worker_ids), 1000):
        found.update(db.session.scalars(
            select(CohortMember.worker_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
            .where(CohortMember.worker_id.in_(worker_ids[start:start + 1000]),
                   CohortMember.status == MemberStatus.ACCEPTED,
                   Cohort.status == CohortStatus.REGISTERED,
                   Cohort.arrival_date >= since, Cohort.arrival_date <= day, or_(*needs))))
    return found


def cohort_lift(scores: np.ndarray, worker_ids: list[int], lifted: set[int]) -> np.ndarray:
    """Scores with the cohort lift applied (a factor of 1 + COHORT_LIFT for lifted workers)."""
    if not lifted:
        return scores
    factor = np.array([1.0 + COHORT_LIFT if w in lifted else 1.0 for w in worker_ids])
    return scores * factor


def eligible_workers(shift: Shift, among=None) -> list[int]:
    """Active workers who could legally and practically take the shift and have not applied;
    `among` (ids, or a SELECT of ids such as an agency's roster) narrows the search."""
    box = 100 / KM_PER_DEGREE
    holds = (select(WorkerCertificate.code)
             .where(WorkerCertificate.worker_id == WorkerProfile.user_id,
                    WorkerCertificate.code == ShiftCertificate.code)
             .correlate(WorkerProfile, ShiftCertificate).exists())
    lacks_certificate = (select(ShiftCertificate.code)
                         .where(ShiftCertificate.shift_id == shift.id, not_(holds))
                         .correlate(WorkerProfile).exists())
    applied = exists().where(Application.shift_id == shift.id,
                             Application.worker_id == WorkerProfile.user_id)
    booked = exists().where(
        Application.worker_id == WorkerProfile.user_id, Application.status.in_(sorted(BOOKED)),
        Application.starts_at < shift.ends_at, Application.ends_at > shift.starts_at)
    rows = db.session.execute(
        select(WorkerProfile.user_id, WorkerProfile.home_lat, WorkerProfile.home_lon,
               WorkerProfile.commute_radius_km)
        .join(User, User.id == WorkerProfile.user_id)
        .where(User.status == UserStatus.ACTIVE, not_(lacks_certificate), not_(applied),
               not_(booked),
               true() if among is None else WorkerProfile.user_id.in_(among),
               and_(WorkerProfile.home_lat.between(shift.lat - box, shift.lat + box),
                    WorkerProfile.home_lon.between(shift.lon - box * 1.3, shift.lon + box * 1.3)))
        .limit(CANDIDATE_LIMIT)
    ).all()
    if not rows:
        return []
    lat = np.array([r.home_lat for r in rows])
    lon = np.array([r.home_lon for r in rows])
    distance = haversine_km(shift.lat, shift.lon, lat, lon)
    within = distance <= np.array([r.commute_radius_km for r in rows])
    ids = [r.user_id for r, ok in zip(rows, within, strict=True) if ok]
    availability = load_availabilities(ids)
    return [wid for wid in ids if fits(availability[wid], shift.starts_at, shift.ends_at)]


def suggest(*, actor: User, shift_id: int, limit: int = 20) -> list[Candidate]:
    """The best workers who have not applied yet, for the firm to invite."""
    shift = get_own_shift(actor=actor, shift_id=shift_id)
    if shift.status != ShiftStatus.OPEN or not shift.listed:
        raise Conflict(N_("Only open shifts have candidates"), code="shift_closed")
    ids = eligible_workers(shift)
    if not ids:
        return []
    scores = reciprocal(shift, ids)
    lifted = cohort_workers(shift, ids)
    scores = cohort_lift(scores, ids, lifted)
    top = np.argsort(-scores, kind="stable")[:limit]
    chosen = [ids[i] for i in top]
    users = {u.id: u for u in db.session.scalars(
        select(User).options(selectinload(User.worker_profile)).where(User.id.in_(chosen)))}
    records = worker_records(chosen)
    result = []
    for i in top:
        wid = ids[i]
        profile = users[wid].worker_profile
        km = (None if profile.home_lat is None else
              round(float(haversine_km(shift.lat, shift.lon, np.array([profile.home_lat]),
                                       np.array([profile.home_lon]))[0]), 1))
        matched = len(set(profile.skills) & set(shift.skills))
        reasons: list[tuple[str, dict]] = []
        if shift.skills:
            reasons.append(("skills", {"matched": matched, "required": len(shift.skills)}))
        if km is not None:
            reasons.append(("distance", {"km": km}))
        reasons.append(("reliability", {"pct": round(100 * records[wid]["reliability"])}))
        if wid in lifted:
            reasons.append(("cohort", {}))
        result.append(Candidate(users[wid], round(float(scores[i]), 4), km, reasons,
                                records[wid]))
    return result


@dataclass
class PlannedOffer:
    application: Application
    score: float


def one_click_plan(*, actor: User) -> tuple[list[PlannedOffer], dict]:
    """Which pending applicants to offer on which of the firm's open shifts.

    Maximises the total reciprocal score with no shift over its open seats and no worker on
    two overlapping shifts (their existing bookings included), via ranking.assignment.
    Outstanding offers count against the seats and the worker's time, so sending the plan
    twice never offers a shift more seats than it has.
    """
    if actor.role != Role.FIRM or actor.firm_id is None:
        return [], {}
    now = utcnow()
    shifts = list(db.session.scalars(select(Shift).where(
        Shift.firm_id == actor.firm_id, Shift.status == ShiftStatus.OPEN,
        Shift.starts_at > now, Shift.filled < Shift.headcount)))
    offered = dict(db.session.execute(
        select(Application.shift_id, func.count()).where(
            Application.shift_id.in_([s.id for s in shifts]),
            Application.status == AppStatus.OFFERED).group_by(Application.shift_id)).all())
    seats = {s.id: s.headcount - s.filled - offered.get(s.id, 0) for s in shifts}
    shifts = [s for s in shifts if seats[s.id] > 0]
    if not shifts:
        return [], {"shifts": 0}
    pending = list(db.session.scalars(select(Application).where(
        Application.shift_id.in_([s.id for s in shifts]),
        Application.status == AppStatus.APPLIED)))
    if not pending:
        return [], {"shifts": len(shifts), "applicants": 0}
    scores = np.zeros(len(pending))
    for shift in shifts:
        mine = [n for n, a in enumerate(pending) if a.shift_id == shift.id]
        if mine:
            scores[mine] = reciprocal(shift, [pending[n].worker_id for n in mine])
    scores *= agency_factors([a.agency_id for a in pending])
    chosen, method = assign(shifts=shifts, seats=seats,
                            edge_workers=[a.worker_id for a in pending],
                            edge_shifts=[a.shift_id for a in pending], scores=scores)
    plan = [PlannedOffer(a, round(float(scores[n]), 4)) for n, a in enumerate(pending)
            if n in chosen]
    plan.sort(key=lambda p: (p.application.starts_at, -p.score))
    summary = {"shifts": len(shifts), "applicants": len(pending), "offers": len(plan),
               "total_score": round(float(sum(p.score for p in plan)), 4),
               "method": method}
    return plan, summary


def assign(*, shifts: list[Shift], seats: dict[int, int], edge_workers: list[int],
           edge_shifts: list[int], scores: np.ndarray,
           extra_bookings: list[tuple[int, dt.datetime, dt.datetime]] = (),
           ) -> tuple[set[int], str]:
    """Batch assignment over candidate edges (worker, shift, score): which edges to take so
    that the total score is maximal, no shift gets more than `seats[shift.id]` and no worker
    gets two overlapping shifts, counting their bookings and outstanding offers (and
    `extra_bookings`, e.g. an agency's pending proposals). Returns the chosen edge indices
    and how the problem was solved (marketplace.ranking.assignment)."""
    from marketplace.ranking.assignment import AssignmentProblem, solve_assignment

    if not edge_workers:
        return set(), "empty"
    shift_index = {s.id: i for i, s in enumerate(shifts)}
    worker_ids = sorted(set(edge_workers))
    worker_index = {w: i for i, w in enumerate(worker_ids)}
    bookings = [tuple(row) for row in db.session.execute(select(
        Application.worker_id, Application.starts_at, Application.ends_at).where(
        Application.worker_id.in_(worker_ids),
        Application.status.in_(sorted(BOOKED | {AppStatus.OFFERED})))).all()]
    bookings += [b for b in extra_bookings if b[0] in worker_index]
    problem = AssignmentProblem(
        worker=np.array([worker_index[w] for w in edge_workers]),
        shift=np.array([shift_index[s] for s in edge_shifts]),
        score=np.maximum(np.asarray(scores, dtype=float), 1e-6),
        headcount=np.array([seats[s.id] for s in shifts]),
        start=np.array([s.starts_at.timestamp() for s in shifts]),
        end=np.array([s.ends_at.timestamp() for s in shifts]),
        n_workers=len(worker_ids),
        booked_worker=np.array([worker_index[b[0]] for b in bookings], dtype=np.int64),
        booked_start=np.array([b[1].timestamp() for b in bookings], dtype=float),
        booked_end=np.array([b[2].timestamp() for b in bookings], dtype=float),
    )
    result = solve_assignment(problem)
    return set(result.edges.tolist()), result.method


def applicant_scores(shift: Shift, applications: list[Application]) -> np.ndarray:
    """Reciprocal scores of a shift's applicants, brokered ones scaled by their agency's
    trust grade (see agency_factors)."""
    scores = reciprocal(shift, [a.worker_id for a in applications])
    return scores * agency_factors([a.agency_id for a in applications])


def agency_factors(agency_ids: list[int | None]) -> np.ndarray:
    """A multiplier per applicant: 1 for a worker who applied themself; for one put forward
    by an HR agency, the multiplier of the agency's trust grade
    (marketplace.agencies.trust.GRADE_MULTIPLIER: A 1.0, B 0.95, C 0.85, D 0.7), so a worse
    grade lowers the agency's candidates in the firm's list a little, never out of it."""
    brokered = sorted({a for a in agency_ids if a is not None})
    if not brokered:
        return np.ones(len(agency_ids))
    from marketplace.agencies.trust import grade_multipliers

    factor = grade_multipliers(brokered)
    return np.array([1.0 if a is None else factor.get(a, 1.0) for a in agency_ids])


def send_planned_offers(*, actor: User) -> int:
    """Offer every planned pair (the plan is recomputed now, so it is never stale)."""
    from marketplace.shifts.applications import transition

    plan, _summary = one_click_plan(actor=actor)
    for item in plan:
        transition(actor=actor, application_id=item.application.id, action="offer")
    return len(plan)

