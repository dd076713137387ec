"""Brokered placement: an agency applies to open shifts for workers on its roster.

Every brokered application goes through the shifts' state machine
(`marketplace.shifts.applications.file_application`): it is a *proposal* the worker confirms
on their phone, unless the worker gave the agency standing consent for the shift's category;
the firm sees it only then. Headcount and double booking stay enforced by the database when
the worker accepts an offer. A batch fill asks the matching layer's batch assignment
(`marketplace.matching.candidates.assign`) for the best workers-to-seats plan over the
roster only; the agency reviews it and sends it in one transaction.

The commission for each placement is on record: a fixed amount or a percentage (basis
points) of the worker's pay, integer fen, always paid by the firm. No fee or deposit may be
charged to a worker: the service refuses it (`worker_fee_forbidden`) and the database cannot
store it (CHECK payer = 'firm' AND worker_fee_fen = 0).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, update

from marketplace.agencies.models import Agency, Commission, CommissionKind, RosterMembership
from marketplace.agencies.roster import (
    has_standing_consent,
    memberships_of_workers,
    on_roster,
    roster_ids,
)
from marketplace.agencies.services import require_agency, require_broker
from marketplace.audit.services import record
from marketplace.auth.models import User
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, NotFound, Text, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.shifts.applications import file_application
from marketplace.shifts.models import Application, Shift, ShiftStatus
from marketplace.shifts.states import SEAT_HOLDING, AppStatus
from marketplace.sqlite import begin_write_transaction

MAX_FIXED_FEN = 1_000_000  # 10,000 yuan per placement
MAX_RATE_BP = 5000  # at most 50 % of the worker's pay for the shift
MAX_FILL_SHIFTS = 200
MAX_FILL_ROWS = 1000
# Brokered applications that still stand for a seat the agency took on.
LIVE_BROKERED = (AppStatus.PROPOSED, AppStatus.APPLIED)
VOID = frozenset({AppStatus.WITHDRAWN, AppStatus.DECLINED, AppStatus.REJECTED,
                  AppStatus.CANCELLED, AppStatus.NO_SHOW})


# ----------------------------------------------------------------------- commission terms


@dataclass(frozen=True)
class Terms:
    """Commission terms of a placement: `fixed_fen` per placement, or `rate_bp` basis points
    of the worker's pay for the shift. Always paid by the firm."""

    kind: str
    fixed_fen: int | None = None
    rate_bp: int | None = None


WORKER_FEE_FORBIDDEN = N_("Agencies may not charge workers any fee or deposit: the commission "
                          "is paid by the firm.")


def refuse_worker_fees(*, payer: str | None = "firm", worker_fee_fen: int | None = 0,
                       deposit_fen: int | None = 0) -> None:
    """The no-fee rule: nobody may put a fee or a deposit on the worker."""
    fields: dict[str, list[str]] = {}
    if payer not in (None, "", "firm"):
        fields["payer"] = [N_("Only the firm pays the commission")]
    if worker_fee_fen:
        fields["worker_fee_fen"] = [N_("Workers pay no fee")]
    if deposit_fen:
        fields["deposit_fen"] = [N_("Workers pay no deposit")]
    if fields:
        raise ValidationFailed(WORKER_FEE_FORBIDDEN, code="worker_fee_forbidden", fields=fields)


def make_terms(*, kind: str, fixed_fen: int | None = None, rate_bp: int | None = None,
               payer: str | None = "firm", worker_fee_fen: int | None = 0,
               deposit_fen: int | None = 0) -> Terms:
    refuse_worker_fees(payer=payer, worker_fee_fen=worker_fee_fen, deposit_fen=deposit_fen)
    if kind == CommissionKind.FIXED:
        if not isinstance(fixed_fen, int) or not 0 <= fixed_fen <= MAX_FIXED_FEN:
            most = format(MAX_FIXED_FEN // 100, ",")
            raise ValidationFailed(
                N_("Enter the commission: 0 to %(max)s yuan", max=most),
                fields={"fixed_fen": [N_("Between 0 and %(max)s yuan", max=most)]})
        return Terms(kind=CommissionKind.FIXED, fixed_fen=fixed_fen)
    if kind == CommissionKind.PERCENT:
        if not isinstance(rate_bp, int) or not 0 <= rate_bp <= MAX_RATE_BP:
            raise ValidationFailed(
                N_("Enter the commission: 0 to %(max)s%% of the worker's pay",
                   max=MAX_RATE_BP // 100),
                fields={"rate_bp": [N_("Between 0 and %(max)s%%", max=MAX_RATE_BP // 100)]})
        return Terms(kind=CommissionKind.PERCENT, rate_bp=rate_bp)
    raise ValidationFailed(N_("Choose a fixed or a percentage commission"),
                           fields={"kind": [N_("Choose fixed or percentage")]})


def _put_commission(application: Application, agency_id: int, terms: Terms) -> Commission:
    commission = db.session.scalar(select(Commission).where(
        Commission.application_id == application.id))
    if commission is None:
        commission = Commission(application_id=application.id)
        db.session.add(commission)
    commission.agency_id = agency_id
    commission.firm_id = application.shift.firm_id
    commission.kind = terms.kind
    commission.fixed_fen = terms.fixed_fen
    commission.rate_bp = terms.rate_bp
    commission.payer = "firm"
    commission.worker_fee_fen = 0
    commission.settled_at = commission.settled_fen = None
    return commission


# ----------------------------------------------------------------------- applying for workers


def seats_for_agency(shifts: list[Shift], agency_id: int) -> dict[int, int]:
    """Seats an agency may still put workers forward for, per shift: the open seats, less
    outstanding offers and the agency's own live proposals and applications, so an agency
    never takes on more seats than a shift has."""
    ids = [s.id for s in shifts]
    if not ids:
        return {}
    offered = dict(db.session.execute(
        select(Application.shift_id, func.count()).where(
            Application.shift_id.in_(ids), Application.status == AppStatus.OFFERED)
        .group_by(Application.shift_id)).all())
    mine = dict(db.session.execute(
        select(Application.shift_id, func.count()).where(
            Application.shift_id.in_(ids), Application.agency_id == agency_id,
            Application.status.in_(list(LIVE_BROKERED)))
        .group_by(Application.shift_id)).all())
    return {s.id: max(0, s.headcount - s.filled - offered.get(s.id, 0) - mine.get(s.id, 0))
            for s in shifts}


def _broker_one(actor: User, agency: Agency, shift: Shift, membership: RosterMembership,
                terms: Terms, note: str) -> Application:
    consent = "standing" if has_standing_consent(membership, shift.category) else None
    application = file_application(actor=actor, worker_id=membership.worker_id,
                                   shift_id=shift.id, note=note, source="agency",
                                   agency_id=agency.id, consent=consent)
    _put_commission(application, agency.id, terms)
    if consent:
        notify(user_id=membership.worker_id, kind="agency_applied",
               message=f"agency_applied:{agency.name}|{shift.title}", link="/me/applications")
    else:
        notify(user_id=membership.worker_id, kind="agency_proposal",
               message=f"agency_proposal:{agency.name}|{shift.title}", link="/me/agencies")
    return application


def broker_apply(*, actor: User, shift_id: int, worker_id: int, terms: Terms,
                 note: str = "") -> Application:
    """Apply for one roster worker to one open shift (a proposal unless standing consent)."""
    begin_write_transaction()  # SQLite: hold the write lock from the seat count to the insert
    agency = require_broker(actor)
    membership = memberships_of_workers(agency.id, [worker_id]).get(worker_id)
    if membership is None:
        raise NotFound(N_("Worker not found on your roster"))
    shift = db.session.get(Shift, shift_id)
    if not open_to_agencies(shift):
        raise NotFound(N_("Shift not found"))
    if seats_for_agency([shift], agency.id)[shift.id] < 1:
        raise Conflict(N_("Your agency has already put forward enough workers for the open "
                          "seats of this shift"), code="seats_taken")
    application = _broker_one(actor, agency, shift, membership, terms, note)
    return application


# ----------------------------------------------------------------------- batch fill


@dataclass
class FillRow:
    shift: Shift
    worker: User
    score: float
    standing_consent: bool


def open_to_agencies(shift: Shift | None) -> bool:
    """An agency sees and fills only what the public list shows: open, listed shifts (not a
    firm's unlisted sharing-day shifts)."""
    return shift is not None and shift.status == ShiftStatus.OPEN and bool(shift.listed)


def _fill_shifts(*, shift_ids: list[int] | None, firm_id: int | None) -> list[Shift]:
    now = utcnow()
    query = (select(Shift).where(Shift.status == ShiftStatus.OPEN, Shift.listed.is_(True),
                                 Shift.starts_at > now, Shift.filled < Shift.headcount)
             .order_by(Shift.starts_at, Shift.id).limit(MAX_FILL_SHIFTS))
    if shift_ids:
        query = query.where(Shift.id.in_(sorted(set(shift_ids))[:MAX_FILL_SHIFTS]))
    elif firm_id:
        query = query.where(Shift.firm_id == firm_id)
    else:
        return []
    return list(db.session.scalars(query))


def _live_times(worker_ids: list[int]) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Times of the workers' pending proposals and applications: an agency does not put a
    worker forward for two shifts at the same time."""
    if not worker_ids:
        return []
    return [tuple(r) for r in db.session.execute(select(
        Application.worker_id, Application.starts_at, Application.ends_at).where(
        Application.worker_id.in_(worker_ids),
        Application.status.in_(list(LIVE_BROKERED)))).all()]


def plan_fill(*, actor: User, shift_ids: list[int] | None = None,
              firm_id: int | None = None) -> tuple[list[FillRow], dict]:
    """The suggested fill: roster workers to the chosen open shifts, maximising the total
    reciprocal match score, with no shift over the seats the agency may still take on and no
    worker on two overlapping shifts (bookings, offers and pending applications included).
    Nothing is sent: the agency reviews it first."""
    from marketplace.matching.candidates import assign, eligible_workers, reciprocal_many

    agency = require_broker(actor)
    shifts = _fill_shifts(shift_ids=shift_ids, firm_id=firm_id)
    seats = seats_for_agency(shifts, agency.id)
    shifts = [s for s in shifts if seats[s.id] > 0]
    summary = {"shifts": len(shifts), "seats": sum(seats[s.id] for s in shifts),
               "candidates": 0, "rows": 0, "total_score": 0.0}
    if not shifts:
        return [], summary
    roster = roster_ids(agency.id)
    eligible = [eligible_workers(shift, among=roster) for shift in shifts]
    edge_workers = [w for ids in eligible for w in ids]
    edge_shifts = [s.id for s, ids in zip(shifts, eligible, strict=True) for _w in ids]
    summary["candidates"] = len(set(edge_workers))
    if not edge_workers:
        return [], summary
    all_scores = np.concatenate(reciprocal_many(shifts, eligible))
    chosen, method = assign(shifts=shifts, seats=seats, edge_workers=edge_workers,
                            edge_shifts=edge_shifts, scores=all_scores,
                            extra_bookings=_live_times(sorted(set(edge_workers))))
    by_id = {s.id: s for s in shifts}
    picked = sorted(chosen)
    workers = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({edge_workers[n] for n in picked})))}
    memberships = memberships_of_workers(agency.id, list(workers))
    rows = [FillRow(shift=by_id[edge_shifts[n]], worker=workers[edge_workers[n]],
                    score=round(float(all_scores[n]), 4),
                    standing_consent=has_standing_consent(
                        memberships[edge_workers[n]], by_id[edge_shifts[n]].category))
            for n in picked]
    rows.sort(key=lambda r: (r.shift.starts_at, r.shift.id, -r.score))
    summary.update(rows=len(rows), total_score=round(sum(r.score for r in rows), 4),
                   method=method)
    return rows, summary


def send_fill(*, actor: User, pairs: list[tuple[int, int]], terms: Terms,
              note: str = "") -> list[Application]:
    """Send a reviewed fill in one step: every (shift, worker) pair becomes a brokered
    application, or none does. Refused when a pair names a worker off the roster, when the
    rows for a shift exceed the seats the agency may take on, or when a worker would be on
    two overlapping shifts."""
    begin_write_transaction()  # SQLite: hold the write lock from the seat count to the insert
    agency = require_broker(actor)
    pairs = list(dict.fromkeys((int(s), int(w)) for s, w in pairs))
    if not pairs:
        raise ValidationFailed(N_("Choose at least one row to send"),
                               fields={"rows": [N_("Choose at least one row to send")]})
    if len(pairs) > MAX_FILL_ROWS:
        raise ValidationFailed(N_("Too many rows in one fill"),
                               fields={"rows": [N_("Too many rows in one fill")]})
    worker_ids = sorted({w for _s, w in pairs})
    memberships = memberships_of_workers(agency.id, worker_ids)
    if set(worker_ids) - set(memberships):
        raise NotFound(N_("Worker not found on your roster"))
    shift_ids = sorted({s for s, _w in pairs})
    shifts = {s.id: s for s in db.session.scalars(select(Shift).where(Shift.id.in_(shift_ids)))}
    if set(shift_ids) - set(shifts) or not all(map(open_to_agencies, shifts.values())):
        raise NotFound(N_("Shift not found"))
    seats = seats_for_agency(list(shifts.values()), agency.id)
    for shift_id, count in Counter(s for s, _w in pairs).items():
        if count > seats[shift_id]:
            shift = shifts[shift_id]
            raise Conflict(
                Text(f"{count} workers for {shift.title}, which has {seats[shift_id]} seats "
                     f"left for your agency",
                     N_("More workers than open seats for “%(title)s” (%(seats)d left)"),
                     {"title": shift.title, "seats": seats[shift_id]}),
                code="seats_taken")
    _refuse_overlaps(pairs, shifts)
    created = [_broker_one(actor, agency, shifts[s], memberships[w], terms, note)
               for s, w in pairs]
    record(actor=actor, action="agency.fill", target_type="agency", target_id=agency.id,
           applications=len(created), shifts=len(shift_ids),
           proposals=sum(a.status == AppStatus.PROPOSED for a in created))
    return created


def _refuse_overlaps(pairs: list[tuple[int, int]], shifts: dict[int, Shift]) -> None:
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for worker_id, start, end in _live_times(sorted({w for _s, w in pairs})):
        busy[worker_id].append((start, end))
    for shift_id, worker_id in pairs:
        shift = shifts[shift_id]
        if any(a < shift.ends_at and shift.starts_at < b for a, b in busy[worker_id]):
            raise Conflict(N_("A worker in the fill would be on two shifts at the same time"),
                           code="schedule_conflict")
        busy[worker_id].append((shift.starts_at, shift.ends_at))


# ----------------------------------------------------------------------- the agency's lists


def list_placements(*, actor: User, statuses: list[str] | None, page: int, per_page: int):
    """The agency's brokered applications, for workers on its roster now only."""
    agency = require_agency(actor)
    query = (select(Application).where(Application.agency_id == agency.id,
                                       Application.worker_id.in_(roster_ids(agency.id)))
             .order_by(Application.starts_at.desc(), Application.id.desc()))
    if statuses:
        query = query.where(Application.status.in_(statuses))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def retract(*, actor: User, application_id: int) -> Application:
    from marketplace.shifts.applications import transition

    return transition(actor=actor, application_id=application_id, action="retract")


# ----------------------------------------------------------------------- commissions


def commission_due_fen(commission: Commission, application: Application) -> int | None:
    """What the firm owes for a completed placement (None while it is not completed)."""
    if application.status != AppStatus.COMPLETED:
        return None
    if commission.kind == CommissionKind.FIXED:
        return commission.fixed_fen
    pay = application.attendance.pay_due_fen if application.attendance else None
    return ((pay or 0) * (commission.rate_bp or 0) + 5000) // 10000  # rounded, in fen


def commission_state(commission: Commission) -> str:
    """settled, due (placement completed), void (it did not happen) or pending."""
    status = commission.application.status
    if commission.settled_at is not None:
        return "settled"
    if status == AppStatus.COMPLETED:
        return "due"
    if status in VOID:
        return "void"
    return "pending"


def terms_text_params(commission: Commission) -> dict:
    if commission.kind == CommissionKind.FIXED:
        return {"kind": "fixed", "amount_fen": commission.fixed_fen}
    return {"kind": "percent", "percent": f"{(commission.rate_bp or 0) / 100:g}"}


COMMISSION_STATES = ("due", "pending", "settled", "void")


def list_commissions(*, actor: User, state: str | None, page: int, per_page: int):
    """The agency's commissions with their state, newest first, and the totals."""
    agency = require_agency(actor)
    query = (select(Commission).join(Application, Application.id == Commission.application_id)
             .where(Commission.agency_id == agency.id)
             .order_by(Application.starts_at.desc(), Commission.id.desc()))
    if state == "settled":
        query = query.where(Commission.settled_at.is_not(None))
    elif state == "due":
        query = query.where(Commission.settled_at.is_(None),
                            Application.status == AppStatus.COMPLETED)
    elif state == "void":
        query = query.where(Commission.settled_at.is_(None),
                            Application.status.in_(sorted(VOID)))
    elif state == "pending":
        query = query.where(Commission.settled_at.is_(None),
                            Application.status.not_in(sorted(VOID | {AppStatus.COMPLETED})))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def commission_totals(agency_id: int) -> dict[str, int]:
    """Settled and due amounts in fen, and how many placements are still pending."""
    rows = db.session.execute(
        select(Commission, Application.status).join(
            Application, Application.id == Commission.application_id)
        .where(Commission.agency_id == agency_id)).all()
    totals = {"settled_fen": 0, "due_fen": 0, "pending": 0, "placements": 0}
    for commission, status in rows:
        if commission.settled_at is not None:
            totals["settled_fen"] += commission.settled_fen or 0
        elif status == AppStatus.COMPLETED:
            totals["due_fen"] += commission_due_fen(commission, commission.application) or 0
        elif status not in VOID:
            totals["pending"] += 1
        if status in SEAT_HOLDING:
            totals["placements"] += 1
    return totals


def settle(*, actor: User, commission_id: int) -> Commission:
    """Record that the firm paid the commission of a completed placement."""
    agency = require_agency(actor)
    commission = db.session.get(Commission, commission_id)
    if commission is None or commission.agency_id != agency.id:
        raise NotFound(N_("Commission not found"))
    amount = commission_due_fen(commission, commission.application)
    if amount is None:
        raise Conflict(N_("A commission is settled once the placement is completed"),
                       code="not_due")
    done = db.session.execute(
        update(Commission).where(Commission.id == commission.id,
                                 Commission.settled_at.is_(None))
        .values(settled_at=utcnow(), settled_fen=amount, settled_by_id=actor.id)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(N_("This commission is already settled"), code="already_settled")
    db.session.refresh(commission)
    record(actor=actor, action="agency.commission_settle", target_type="commission",
           target_id=commission.id, amount_fen=amount, payer="firm")
    return commission


def commissions_for_applications(application_ids: list[int]) -> dict[int, Commission]:
    if not application_ids:
        return {}
    return {c.application_id: c for c in db.session.scalars(
        select(Commission).where(Commission.application_id.in_(sorted(set(application_ids)))))}


def visible_worker(agency_id: int, worker_id: int) -> bool:
    """Whether a settlement row may name its worker (only while on the roster)."""
    return on_roster(agency_id=agency_id, worker_id=worker_id)


def brokers_for(applications) -> dict[int, dict]:
    """For a page of applications: which came through which agency, its trust grade and the
    commission terms the firm pays (a few grouped queries for the page)."""
    from marketplace.agencies.services import agencies_by_id
    from marketplace.agencies.trust import grades

    brokered = [a for a in applications if a.agency_id is not None]
    if not brokered:
        return {}
    agencies = agencies_by_id(a.agency_id for a in brokered)
    grade = grades(agencies)
    commissions = commissions_for_applications([a.id for a in brokered])
    result = {}
    for application in brokered:
        agency = agencies[application.agency_id]
        commission = commissions.get(application.id)
        result[application.id] = {
            "id": agency.id, "name": agency.name, "trust_grade": grade.get(agency.id),
            "consent": application.agency_consent,
            "commission": None if commission is None else {
                "kind": commission.kind, "fixed_fen": commission.fixed_fen,
                "rate_bp": commission.rate_bp, "payer": commission.payer,
                "worker_fee_fen": commission.worker_fee_fen},
        }
    return result


@dataclass
class RosterCandidate:
    worker: User
    score: float
    standing_consent: bool
    record: dict


def roster_candidates(*, actor: User, shift_id: int, limit: int = 20) -> list[RosterCandidate]:
    """Roster workers who could take an open shift, best match first (for one-by-one
    applying; the batch fill uses the same eligibility)."""
    from marketplace.matching.candidates import eligible_workers, reciprocal
    from marketplace.shifts.applications import worker_records

    agency = require_agency(actor)
    shift = db.session.get(Shift, shift_id)
    if not open_to_agencies(shift):
        raise NotFound(N_("Shift not found"))
    if shift.starts_at <= utcnow():
        raise Conflict(N_("This shift has already started"), code="shift_started")
    ids = eligible_workers(shift, among=roster_ids(agency.id))
    if not ids:
        return []
    scores = reciprocal(shift, ids)
    top = [ids[i] for i in np.argsort(-scores, kind="stable")[:limit]]
    score_of = dict(zip(ids, scores.tolist(), strict=True))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(top)))}
    memberships = memberships_of_workers(agency.id, top)
    records = worker_records(top)
    return [RosterCandidate(worker=users[w], score=round(float(score_of[w]), 4),
                            standing_consent=has_standing_consent(memberships[w],
                                                                  shift.category),
                            record=records[w]) for w in top]


def placements_for_worker(*, actor: User, worker_id: int) -> list[Application]:
    """The agency's applications for one roster worker (the caller checked the roster)."""
    agency = require_agency(actor)
    return list(db.session.scalars(
        select(Application).where(Application.agency_id == agency.id,
                                  Application.worker_id == worker_id)
        .order_by(Application.starts_at.desc()).limit(100)))


def firms_with_open_shifts(limit: int = 300) -> list[tuple[int, str, int]]:
    """(firm id, name, open shifts with seats) for the fill page's firm picker."""
    from marketplace.firms.models import Firm

    now = utcnow()
    return [tuple(r) for r in db.session.execute(
        select(Firm.id, Firm.name, func.count(Shift.id))
        .join(Shift, Shift.firm_id == Firm.id)
        .where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > now,
               Shift.filled < Shift.headcount)
        .group_by(Firm.id, Firm.name).order_by(func.count(Shift.id).desc(), Firm.name)
        .limit(limit)).all()]


def proposals_for_worker(*, actor: User) -> list[Application]:
    """The agencies' proposals waiting for the worker's confirmation."""
    from marketplace.auth.models import Role

    if actor.role != Role.WORKER:
        return []
    return list(db.session.scalars(
        select(Application).where(Application.worker_id == actor.id,
                                  Application.status == AppStatus.PROPOSED)
        .order_by(Application.starts_at).limit(50)))
