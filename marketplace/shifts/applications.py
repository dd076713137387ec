"""Applications: the worker's and the firm's moves through the state machine.

Headcount and double booking are enforced where the data lives: a conditional UPDATE on the
shift's seat count (row count checked) and, on PostgreSQL, an exclusion constraint on the
worker's booked time ranges; on SQLite the write transaction holds the database lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.db import utcnow
from marketplace.errors import (
    N_,
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    Text,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.matching.events import log_event
from marketplace.notifications.services import notify
from marketplace.shifts.gate import claim, new_application, reopen
from marketplace.shifts.gate import system_transition as system_transition  # public here too
from marketplace.shifts.models import Application, Attendance, PayUnit, Rating, Shift, ShiftStatus
from marketplace.shifts.services import has_overlapping_booking
from marketplace.shifts.states import (
    ACTIONS,
    ACTOR_OF_ACTION,
    NEW_STATUSES,
    Actor,
    AppStatus,
    actions_for,
    find_transition,
)
from marketplace.sqlite import begin_write_transaction
from marketplace.validators import MAX_MONEY_FEN

EVENT_FOR_ACTION = {
    "confirm": "apply", "offer": "offer", "accept": "hire", "complete": "complete",
    "no-show": "no_show", "withdraw": "withdraw", "decline": "decline",
}


def _worker_certificates(worker_id: int) -> set[str]:
    from marketplace.workers.models import WorkerCertificate

    return set(
        db.session.scalars(
            select(WorkerCertificate.code).where(WorkerCertificate.worker_id == worker_id)
        )
    )


def apply(*, actor: User, shift_id: int, note: str = "", source: str = "direct") -> Application:
    if actor.role != Role.WORKER:
        raise Forbidden(N_("Only workers can apply for shifts"))
    return file_application(actor=actor, worker_id=actor.id, shift_id=shift_id, note=note,
                            source=source)


# What the checks of file_application say, to the worker and to an agency acting for them.
_SELF_MESSAGES = {
    "certificate_missing": N_("You do not hold the certificates this shift requires"),
    "schedule_conflict": N_("You are already booked on a shift at this time"),
    "already_applied": N_("You have already applied for this shift"),
}
_BROKER_MESSAGES = {
    "certificate_missing": N_("The worker does not hold the certificates this shift requires"),
    "schedule_conflict": N_("The worker is already booked on a shift at this time"),
    "already_applied": N_("The worker has already applied or been put forward for this shift"),
}


def file_application(*, actor: User, worker_id: int, shift_id: int, note: str = "",
                     source: str = "direct", agency_id: int | None = None,
                     consent: str | None = None) -> Application:
    """Apply a worker for a shift: the worker themself, or an HR agency for a worker on its
    roster (`agency_id`; the caller checks the roster). A brokered application is a proposal
    that the worker confirms on their phone, unless `consent` ("standing") is on record.
    The same rules hold either way: open, not started, seats left, certificates held, no
    overlapping booking, one application per worker and shift."""
    messages = _SELF_MESSAGES if agency_id is None else _BROKER_MESSAGES
    shift = db.session.get(Shift, shift_id)
    if shift is None or shift.status != ShiftStatus.OPEN or not shift.listed:
        raise NotFound(N_("Shift not found"))
    if shift.starts_at <= utcnow():
        raise Conflict(N_("This shift has already started"), code="shift_started")
    if shift.filled >= shift.headcount:
        raise Conflict(N_("This shift is already full"), code="shift_full")
    missing = set(shift.certificates) - _worker_certificates(worker_id)
    if missing:
        raise Conflict(messages["certificate_missing"], code="certificate_missing",
                       fields={"certificates": sorted(missing)})
    if has_overlapping_booking(worker_id, shift.starts_at, shift.ends_at):
        raise Conflict(messages["schedule_conflict"], code="schedule_conflict")
    now = utcnow()
    entry = "propose" if agency_id is not None and not consent else "apply"
    status = NEW_STATUSES[entry]
    brokered = {"agency_id": agency_id, "agency_consent": consent if agency_id else None,
                "agency_consent_at": now if agency_id and consent else None}
    existing = db.session.scalar(
        select(Application).where(
            Application.shift_id == shift.id, Application.worker_id == worker_id
        )
    )
    if existing is not None:
        # Applying again after withdrawing: only one of two racing requests moves the row.
        reopened = reopen(existing, action="repropose" if entry == "propose" else "reapply",
                          values={"note": note.strip() or None, "source": source,
                                  "updated_at": now, **brokered})
        if not reopened:
            raise Conflict(messages["already_applied"], code="already_applied")
        db.session.refresh(existing)
        application = existing
    else:
        application = new_application(
            entry=entry,
            shift_id=shift.id,
            worker_id=worker_id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            note=note.strip() or None,
            source=source,
            **brokered,
        )
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(messages["already_applied"], code="already_applied") from exc
    if status == AppStatus.APPLIED:  # a proposal is not the worker's move (yet)
        log_event(worker_id=worker_id, shift_id=shift.id, kind="apply", source=source)
    record(actor=actor, action="application.apply" if agency_id is None
           else f"application.{status}", target_type="application",
           target_id=application.id, shift_id=shift.id,
           **({"agency_id": agency_id, "consent": consent} if agency_id else {}))
    return application


def get_application(*, actor: User, application_id: int) -> Application:
    """The worker's own application, or one for a shift of the firm's; otherwise not found."""
    application = db.session.get(Application, application_id)
    if application is None or not can_see(actor, application):
        raise NotFound(N_("Application not found"))
    return application


def can_see(actor: User, application: Application) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.WORKER:
        return application.worker_id == actor.id
    if actor.role == Role.FIRM:
        # A proposal waits for the worker's consent: until then the firm does not see it.
        return (application.shift.firm_id == actor.firm_id
                and application.status != AppStatus.PROPOSED)
    if actor.role == Role.AGENCY:
        # The agency's own brokered applications, and only while the worker is on its roster.
        from marketplace.agencies.roster import on_roster

        return (application.agency_id is not None and application.agency_id == actor.agency_id
                and on_roster(agency_id=actor.agency_id, worker_id=application.worker_id))
    return False


def actor_side(actor: User) -> Actor:
    return {Role.WORKER: Actor.WORKER, Role.FIRM: Actor.FIRM,
            Role.AGENCY: Actor.AGENCY}.get(actor.role, Actor.SYSTEM)


_ONLY_PARTY = {
    Actor.WORKER: N_("Only the worker can do this"),
    Actor.FIRM: N_("Only the firm can do this"),
    Actor.AGENCY: N_("Only the agency that put the worker forward can do this"),
}


def available_actions(actor: User, application: Application) -> list[str]:
    side = actor_side(actor)
    if side == Actor.SYSTEM:  # administrators watch; the system's own moves are not theirs
        return []
    return actions_for(application.status, side)


def transition(
    *, actor: User, application_id: int, action: str, params: dict[str, Any] | None = None,
    notify_party: bool = True,
) -> Application:
    """Move an application by one allowed transition. `notify_party=False` skips the message
    to the other side (a caller moving many days at once sends one summary instead)."""
    if action not in ACTIONS:
        raise NotFound(N_("Unknown action"))
    params = params or {}
    begin_write_transaction()  # SQLite: the read below and the writes after it hold the lock
    application = get_application(actor=actor, application_id=application_id)
    side = actor_side(actor)
    allowed_side = ACTOR_OF_ACTION[action]
    if side != allowed_side:
        raise Forbidden(Text(f"Only the {allowed_side.value} can {action}",
                             _ONLY_PARTY[allowed_side]), code="wrong_party")
    step = find_transition(action, application.status)
    if step is None:
        allowed = ", ".join(available_actions(actor, application)) or "none"
        raise InvalidTransition(Text(
            f"Cannot {action} an application that is {application.status} "
            f"(allowed now: {allowed})",
            N_("This is not possible at the application's current stage"),
        ))
    previous = application.status
    try:
        with db.session.begin_nested():
            check = _CHECKS.get(action)
            claim(application, step, **(check(application, params) if check else {}))
            effect = _EFFECTS.get(action)
            if effect:
                effect(application, params, step.source)
            db.session.flush()
    except IntegrityError as exc:
        db.session.expire(application)  # the claim was rolled back with the savepoint
        # The PostgreSQL exclusion constraint caught an overlap a concurrent accept created.
        raise Conflict(
            N_("You are already booked on a shift at this time"), code="schedule_conflict"
        ) from exc
    except DomainError:
        db.session.expire(application)
        raise
    if action in EVENT_FOR_ACTION:
        log_event(worker_id=application.worker_id, shift_id=application.shift_id,
                  kind=EVENT_FOR_ACTION[action])
    if notify_party:
        _notify_other_party(actor, application, action, previous)
    record(
        actor=actor, action=f"application.{action}", target_type="application",
        target_id=application.id, source=previous, target=step.target,
    )
    if application.agency_id is not None and action in TRUST_ACTIONS:
        from marketplace.agencies.trust import reassess

        reassess(agency_id=application.agency_id)
    return application


# Moves on a brokered application that change its agency's scorecard: the grade is checked
# again at once, so a D grade suspends brokering without waiting for a nightly run.
TRUST_ACTIONS = frozenset({"no-show", "complete"})


def _take_seat(application: Application, _params: dict, _source: str) -> None:
    shift = application.shift
    if shift.status != ShiftStatus.OPEN:
        raise Conflict(N_("This shift is no longer open"), code="shift_closed")
    if shift.starts_at <= utcnow():
        raise Conflict(N_("This shift has already started"), code="shift_started")
    if has_overlapping_booking(application.worker_id, application.starts_at, application.ends_at,
                               exclude_application_id=application.id):
        raise Conflict(N_("You are already booked on a shift at this time"),
                       code="schedule_conflict")
    taken = db.session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.filled < Shift.headcount,
               Shift.status == ShiftStatus.OPEN)
        .values(filled=Shift.filled + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Conflict(N_("Sorry, all places on this shift are taken"), code="shift_full")
    db.session.refresh(shift, attribute_names=["filled"])


def _release_seat(application: Application, _params: dict, source: str) -> None:
    if source != AppStatus.CONFIRMED:
        return
    db.session.execute(
        update(Shift)
        .where(Shift.id == application.shift_id, Shift.filled > 0)
        .values(filled=Shift.filled - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(application.shift, attribute_names=["filled"])
    hours_before = (application.starts_at - utcnow()).total_seconds() / 3600
    if hours_before < current_app.config["LATE_CANCEL_HOURS"]:
        record(actor=application.worker, action="application.late_withdrawal",
               target_type="application", target_id=application.id,
               hours_before=round(hours_before, 1))


def _check_in(application: Application, _params: dict, _source: str) -> None:
    now = utcnow()
    early = dt.timedelta(minutes=current_app.config["CHECK_IN_EARLY_MINUTES"])
    if now < application.starts_at - early:
        raise Conflict(N_("Check-in opens shortly before the shift starts"), code="too_early")
    if now > application.ends_at:
        raise Conflict(N_("This shift has already ended"), code="too_late")
    attendance = application.attendance or Attendance(application_id=application.id)
    attendance.checked_in_at = now
    application.attendance = attendance
    db.session.add(attendance)


def _check_out(application: Application, _params: dict, _source: str) -> None:
    """Check-out is a self-loop in the state machine, so the claim does not keep a second
    check-out out: the attendance row's own conditional UPDATE does."""
    attendance = application.attendance
    if attendance is None or attendance.checked_in_at is None:
        raise InvalidTransition(N_("Check in before checking out"))
    now = utcnow()
    minutes = _minutes_between(attendance.checked_in_at, now, application)
    stamped = db.session.execute(
        update(Attendance)
        .where(Attendance.application_id == application.id,
               Attendance.checked_out_at.is_(None))
        .values(checked_out_at=now, minutes_worked=minutes,
                pay_due_fen=pay_due(application.shift, minutes, None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if stamped != 1:
        raise InvalidTransition(N_("You have already checked out"))
    db.session.refresh(attendance)


def _complete(application: Application, params: dict, _source: str) -> None:
    attendance = application.attendance or Attendance(application_id=application.id)
    minutes = params.get("minutes_worked")
    pieces = params.get("pieces")
    if minutes is not None and (not isinstance(minutes, int) or not 0 <= minutes <= 24 * 60 * 14):
        raise ValidationFailed(N_("Invalid minutes worked"),
                               fields={"minutes_worked": [N_("Invalid")]})
    if pieces is not None and (not isinstance(pieces, int) or pieces < 0):
        raise ValidationFailed(N_("Invalid piece count"), fields={"pieces": [N_("Invalid")]})
    if application.shift.pay_unit == PayUnit.PIECE and pieces is None:
        raise ValidationFailed(
            N_("Enter the number of pieces for a piece-rate shift"),
            fields={"pieces": [N_("Required for piece-rate pay")]},
        )
    if minutes is None:
        minutes = attendance.minutes_worked
    if minutes is None:
        minutes = _minutes_between(attendance.checked_in_at or application.starts_at,
                                   application.ends_at, application)
    attendance.minutes_worked = minutes
    attendance.pieces = pieces
    attendance.pay_due_fen = pay_due(application.shift, minutes, pieces)
    attendance.confirmed_at = utcnow()
    application.attendance = attendance
    db.session.add(attendance)


def _require_started(application: Application, _params: dict, _source: str) -> None:
    if utcnow() < application.starts_at:
        raise Conflict(N_("A no-show can be recorded only after the shift starts"),
                       code="too_early")


def _minutes_between(start: dt.datetime, end: dt.datetime, application: Application) -> int:
    start = max(start, application.starts_at)
    end = min(end, application.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def pay_due(shift: Shift, minutes: int | None, pieces: int | None) -> int:
    """Pay owed in fen: hourly by minutes worked, daily in full, piece rate by pieces.

    An amount too large for the money columns is refused (422), never an overflow."""
    if shift.pay_unit == PayUnit.HOUR:
        amount = round(shift.pay_amount_fen * (minutes or 0) / 60)
    elif shift.pay_unit == PayUnit.PIECE:
        amount = shift.pay_amount_fen * (pieces or 0)
    else:
        amount = shift.pay_amount_fen
    if amount > MAX_MONEY_FEN:
        field = "pieces" if shift.pay_unit == PayUnit.PIECE else "minutes_worked"
        raise ValidationFailed(N_("The pay due is too large"), code="pay_too_large",
                               fields={field: [N_("The pay due is too large")]})
    return amount


def _confirm_proposal(application: Application, _params: dict) -> dict[str, Any]:
    """The worker agrees to the agency's proposal: from now on it is their application."""
    shift = application.shift
    if shift.status != ShiftStatus.OPEN:
        raise Conflict(N_("This shift is no longer open"), code="shift_closed")
    if shift.starts_at <= utcnow():
        raise Conflict(N_("This shift has already started"), code="shift_started")
    return {"agency_consent": "confirmed", "agency_consent_at": utcnow()}


# Checks that run before the claim; what they return is written by the claim itself (a
# CHECK constraint ties the consent to the status, so both change in one statement).
_CHECKS = {
    "confirm": _confirm_proposal,
}
# What a move does besides the status, after the claim and in the same savepoint.
_EFFECTS = {
    "accept": _take_seat,
    "withdraw": _release_seat,
    "check-in": _check_in,
    "check-out": _check_out,
    "complete": _complete,
    "no-show": _require_started,
}


def _notify_other_party(actor: User, application: Application, action: str,
                        previous: str) -> None:
    link = f"/shifts/{application.shift_id}"
    if actor.role in (Role.FIRM, Role.AGENCY):
        notify(user_id=application.worker_id, kind=f"application_{action}",
               message=f"application_{action}:{application.shift.title}", link="/me/applications")
        return
    if application.agency_id is not None:  # the worker moved a brokered application
        agency_members = db.session.scalars(
            select(User.id).where(User.agency_id == application.agency_id)).all()
        for member_id in agency_members:
            notify(user_id=member_id, kind=f"application_{action}",
                   message=f"application_{action}:{application.shift.title}",
                   link="/agency/placements")
    if previous == AppStatus.PROPOSED and action != "confirm":
        return  # the firm never saw the proposal
    firm_members = db.session.scalars(
        select(User.id).where(User.firm_id == application.shift.firm_id)
    ).all()
    for member_id in firm_members:
        notify(user_id=member_id, kind=f"application_{action}",
               message=f"application_{action}:{application.shift.title}",
               link=f"/firm/shifts/{application.shift_id}/applicants" if link else None)


def rate(*, actor: User, application_id: int, score: int, comment: str = "") -> Rating:
    side = actor_side(actor)
    if side not in (Actor.WORKER, Actor.FIRM):
        raise Forbidden(N_("Only the worker and the firm can rate"))
    application = get_application(actor=actor, application_id=application_id)
    rateable = {AppStatus.COMPLETED} | ({AppStatus.NO_SHOW} if side == Actor.FIRM else set())
    if application.status not in rateable:
        raise InvalidTransition(N_("You can rate once the shift is completed"))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(N_("Score must be 1 to 5"),
                               fields={"score": [N_("Choose 1 to 5 stars")]})
    rating = Rating(application_id=application.id, rater=side.value, score=score,
                    comment=(comment or "").strip()[:500] or None)
    db.session.add(rating)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("You have already rated this shift"), code="already_rated") from exc
    record(actor=actor, action="application.rate", target_type="application",
           target_id=application.id, score=score)
    if application.agency_id is not None and side == Actor.FIRM:
        from marketplace.agencies.trust import reassess

        reassess(agency_id=application.agency_id)
    return rating


def list_for_worker(*, actor: User, statuses: list[str] | None, page: int, per_page: int):
    if actor.role != Role.WORKER:
        raise Forbidden(N_("Only workers have applications"))
    query = select(Application).where(Application.worker_id == actor.id)
    if statuses:
        query = query.where(Application.status.in_(statuses))
    query = query.order_by(Application.starts_at.desc(), Application.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


APPLICANT_ORDERS = ("match", "applied")


def list_for_shift(*, actor: User, shift_id: int, page: int, per_page: int,
                   order: str = "match"):
    """The shift's applications; "match" puts the best reciprocal matches first (the promoted
    model, else the content score), "applied" keeps the order they came in."""
    from marketplace.shifts.services import get_own_shift

    shift = get_own_shift(actor=actor, shift_id=shift_id)
    query = (
        select(Application)
        .where(Application.shift_id == shift.id, Application.status != AppStatus.PROPOSED)
        .order_by(Application.created_at, Application.id)
    )
    if order != "match":
        return db.paginate(query, page=page, per_page=per_page, error_out=False,
                           max_per_page=100)
    from marketplace.matching.candidates import applicant_scores
    from marketplace.pagination import ListPage

    everyone = list(db.session.scalars(query))
    scores = applicant_scores(shift, everyone) if everyone else []
    # Open applications first (the firm still has to decide on them), best match first;
    # decided ones keep the order they came in.
    undecided = {AppStatus.APPLIED, AppStatus.OFFERED}

    def rank_key(n: int) -> tuple:
        decided = everyone[n].status not in undecided
        return decided, 0.0 if decided else -float(scores[n]), n

    ranked = [everyone[n] for n in sorted(range(len(everyone)), key=rank_key)]
    per_page = max(1, min(per_page, 100))
    start = (page - 1) * per_page
    return ListPage(page, per_page, len(ranked), ranked[start:start + per_page])


def ratings_given(application_ids: list[int]) -> dict[tuple[int, str], int]:
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(Rating.application_id, Rating.rater, Rating.score).where(
            Rating.application_id.in_(application_ids)
        )
    ).all()
    return {(app_id, rater): score for app_id, rater, score in rows}


def worker_records(worker_ids: list[int]) -> dict[int, dict[str, float | int | None]]:
    """Ratings received and reliability of each worker, in two grouped queries."""
    if not worker_ids:
        return {}
    counts = db.session.execute(
        select(Application.worker_id, Application.status, func.count())
        .where(Application.worker_id.in_(worker_ids),
               Application.status.in_([AppStatus.COMPLETED, AppStatus.NO_SHOW]))
        .group_by(Application.worker_id, Application.status)
    ).all()
    ratings = db.session.execute(
        select(Application.worker_id, func.avg(Rating.score), func.count(Rating.id))
        .join(Rating, Rating.application_id == Application.id)
        .where(Application.worker_id.in_(worker_ids), Rating.rater == "firm")
        .group_by(Application.worker_id)
    ).all()
    result: dict[int, dict[str, float | int | None]] = {
        wid: {"completed": 0, "no_show": 0, "rating": None, "ratings": 0} for wid in worker_ids
    }
    for wid, status, n in counts:
        result[wid]["completed" if status == AppStatus.COMPLETED else "no_show"] = n
    for wid, avg, n in ratings:
        result[wid]["rating"] = round(float(avg), 2)
        result[wid]["ratings"] = n
    for record_ in result.values():
        done, missed = record_["completed"], record_["no_show"]
        # Smoothed so a newcomer starts at a neutral 0.8 rather than 0 or 1.
        record_["reliability"] = round((done + 4) / (done + missed + 5), 3)  # type: ignore[operator]
    return result


def find_for_worker(*, actor: User, shift_id: int) -> Application | None:
    """The signed-in worker's own application for a shift, if any (for the shift page)."""
    if actor.role != Role.WORKER:
        return None
    return db.session.scalar(
        select(Application).where(
            Application.shift_id == shift_id, Application.worker_id == actor.id
        )
    )
