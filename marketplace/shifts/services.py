"""Shifts: posting, editing, cancelling and searching. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, exists, func, or_, select, update

from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.matching.shift_store import store as scoring_store
from marketplace.notifications.services import notify_many
from marketplace.shifts import cards
from marketplace.shifts.gate import move_many
from marketplace.shifts.models import (
    Application,
    PayUnit,
    Settlement,
    Shift,
    ShiftCertificate,
    ShiftSkill,
    ShiftStatus,
)
from marketplace.shifts.states import ACTIVE, SEAT_HOLDING, AppStatus
from marketplace.sqlite import begin_write_transaction
from marketplace.taxonomy import (
    CATEGORY_CODES,
    CERTIFICATE_CODES,
    DISTRICT_CODES,
    DISTRICTS_BY_CODE,
    SKILL_CODES,
)
from marketplace.timeutil import local_day_bounds
from marketplace.validators import MAX_MONEY_FEN

MAX_SHIFT_DAYS = 14
MAX_HEADCOUNT = 1000
EDITABLE_FIELDS = (
    "title", "category", "description", "district", "address", "lat", "lon", "starts_at",
    "ends_at", "headcount", "pay_amount_fen", "pay_unit", "settlement", "meals", "housing",
    "skills", "certificates",
)
# Fields that change what a confirmed worker agreed to.
AGREED_FIELDS = ("starts_at", "ends_at", "pay_amount_fen", "pay_unit", "district", "address")


def _require_verified_firm(actor: User) -> int:
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise Forbidden(N_("Only firm accounts can post shifts"))
    if not actor.firm.is_verified:
        raise Forbidden(
            N_("Your firm is waiting for verification by the city before it can post shifts"),
            code="firm_not_verified",
        )
    return actor.firm_id


def validate_shift(data: dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, list]:
    """Check a complete set of shift fields; returns field -> messages (empty when valid)."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not str(data.get("title") or "").strip():
        fail("title", N_("Enter a title"))
    elif len(data["title"]) > 80:
        fail("title", N_("Use at most 80 characters"))
    if data.get("category") not in CATEGORY_CODES:
        fail("category", N_("Choose a category"))
    if data.get("district") not in DISTRICT_CODES:
        fail("district", N_("Choose a district"))
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not isinstance(starts, dt.datetime):
        fail("starts_at", N_("Enter the start time"))
    if not isinstance(ends, dt.datetime):
        fail("ends_at", N_("Enter the end time"))
    if isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime):
        if ends <= starts:
            fail("ends_at", N_("The end must be after the start"))
        elif ends - starts > dt.timedelta(days=MAX_SHIFT_DAYS):
            fail("ends_at", N_("A shift may last at most %(days)d days", days=MAX_SHIFT_DAYS))
        if starts <= now:
            fail("starts_at", N_("The start must be in the future"))
    headcount = data.get("headcount")
    if not isinstance(headcount, int) or headcount < 1:
        fail("headcount", N_("Headcount must be at least 1"))
    elif headcount > MAX_HEADCOUNT:
        fail("headcount", N_("Headcount may be at most %(max)d", max=MAX_HEADCOUNT))
    if data.get("pay_unit") not in set(PayUnit):
        fail("pay_unit", N_("Choose how pay is counted"))
    if data.get("settlement") not in set(Settlement):
        fail("settlement", N_("Choose when pay is settled"))
    pay = data.get("pay_amount_fen")
    if not isinstance(pay, int) or pay <= 0:
        fail("pay_amount_fen", N_("Enter the pay"))
    elif "pay_amount_fen" not in errors and "ends_at" not in errors and "starts_at" not in errors:
        hourly = _hourly_pay_fen(pay, data.get("pay_unit"), starts, ends)
        minimum = current_app.config["MIN_HOURLY_WAGE_FEN"]
        if _whole_pay_overflows(pay, data.get("pay_unit"), starts, ends):
            fail("pay_amount_fen", N_("The pay for the whole shift is too large"))
        if hourly is not None and hourly < minimum:
            fail(
                "pay_amount_fen",
                N_("Pay is below the minimum wage of %(amount)s yuan per hour",
                   amount=format(minimum / 100, ".2f")),
            )
    unknown_skills = set(data.get("skills") or []) - SKILL_CODES
    if unknown_skills:
        fail("skills", N_("Unknown skill: %(codes)s", codes=", ".join(sorted(unknown_skills))))
    unknown_certs = set(data.get("certificates") or []) - CERTIFICATE_CODES
    if unknown_certs:
        fail("certificates",
             N_("Unknown certificate: %(codes)s", codes=", ".join(sorted(unknown_certs))))
    for coord, low, high in (("lat", 35.0, 39.0), ("lon", 120.0, 124.0)):
        value = data.get(coord)
        if value is not None and not (low <= float(value) <= high):
            fail(coord, N_("The place must be in or near Weihai"))
    return errors


def _hourly_pay_fen(pay: int, unit: str | None, starts: Any, ends: Any) -> float | None:
    if unit == PayUnit.HOUR:
        return pay
    if unit == PayUnit.DAY and isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime):
        return pay / max((ends - starts).total_seconds() / 3600, 1e-9)
    return None  # piece rates are checked when pay is settled


def _whole_pay_overflows(pay: int, unit: str | None, starts: Any, ends: Any) -> bool:
    """True when the shift's whole pay would not fit the money columns (int32 fen)."""
    if pay > MAX_MONEY_FEN:
        return True
    if unit != PayUnit.HOUR or not isinstance(starts, dt.datetime):
        return False
    return compute_daily_pay_fen(pay, unit, starts, ends) > MAX_MONEY_FEN


def compute_daily_pay_fen(pay: int, unit: str, starts: dt.datetime, ends: dt.datetime) -> int:
    """Pay for the whole shift (a piece rate counts as one day's pay), for comparisons."""
    if unit == PayUnit.HOUR:
        return round(pay * (ends - starts).total_seconds() / 3600)
    return pay


def _apply_fields(shift: Shift, data: dict[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        if field in ("skills", "certificates") or field not in data:
            continue
        setattr(shift, field, data[field])
    if "skills" in data:
        shift.skill_rows = [ShiftSkill(code=c) for c in sorted(set(data["skills"] or []))]
    if "certificates" in data:
        shift.certificate_rows = [
            ShiftCertificate(code=c) for c in sorted(set(data["certificates"] or []))
        ]
    shift.daily_pay_fen = compute_daily_pay_fen(shift.pay_amount_fen, shift.pay_unit,
                                                shift.starts_at, shift.ends_at)
    if shift.lat is None or shift.lon is None or ("district" in data and data.get("lat") is None):
        centre = DISTRICTS_BY_CODE[shift.district]
        shift.lat, shift.lon = centre.lat, centre.lon


def post_shift(*, actor: User, data: dict[str, Any]) -> Shift:
    firm_id = _require_verified_firm(actor)
    data = {**{"description": "", "address": "", "meals": False, "housing": False}, **data}
    errors = validate_shift(data)
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    shift = Shift(firm_id=firm_id, created_by_id=actor.id, status=ShiftStatus.OPEN)
    _apply_fields(shift, data)
    db.session.add(shift)
    db.session.flush()
    record(actor=actor, action="shift.post", target_type="shift", target_id=shift.id)
    return shift


def get_own_shift(*, actor: User, shift_id: int) -> Shift:
    """A shift of the actor's firm; another firm's shift is 'not found', not 'forbidden'."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or actor.role != Role.FIRM or shift.firm_id != actor.firm_id:
        raise NotFound(N_("Shift not found"))
    return shift


def get_visible_shift(*, actor: User | None, shift_id: int) -> Shift:
    """Open shifts are public; closed ones only to their firm and to workers who applied."""
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(N_("Shift not found"))
    if shift.status == ShiftStatus.OPEN and shift.listed:
        return shift
    if actor is not None and actor.is_authenticated:
        if actor.role == Role.ADMIN or (actor.role == Role.FIRM and actor.firm_id == shift.firm_id):
            return shift
        if actor.role == Role.WORKER and db.session.scalar(
            select(Application.id).where(
                Application.shift_id == shift.id, Application.worker_id == actor.id
            )
        ):
            return shift
    raise NotFound(N_("Shift not found"))


def update_shift(*, actor: User, shift_id: int, changes: dict[str, Any]) -> Shift:
    _require_verified_firm(actor)
    shift = get_own_shift(actor=actor, shift_id=shift_id)
    if shift.status != ShiftStatus.OPEN:
        raise Conflict(N_("Only open shifts can be edited"), code="shift_closed")
    changes = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
    if shift.filled > 0:
        locked = [f for f in AGREED_FIELDS if f in changes and changes[f] != getattr(shift, f)]
        if locked:
            raise Conflict(
                N_("Workers are already confirmed: time, place and pay can no longer change. "
                   "Cancel the shift and post a new one instead."),
                code="shift_has_confirmed_workers",
                fields={f: [N_("Locked after workers are confirmed")] for f in locked},
            )
    merged = {f: getattr(shift, f) for f in EDITABLE_FIELDS}
    merged.update(changes)
    errors = validate_shift(merged)
    if "starts_at" not in changes and "ends_at" not in changes:
        errors.pop("starts_at", None)  # an unchanged start may already be close; that is fine
    if isinstance(merged.get("headcount"), int) and merged["headcount"] < shift.filled:
        errors.setdefault("headcount", []).append(
            N_("%(count)d workers are already confirmed; headcount cannot be lower",
               count=shift.filled)
        )
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    _apply_fields(shift, changes)
    if "starts_at" in changes or "ends_at" in changes:
        db.session.execute(
            update(Application)
            .where(Application.shift_id == shift.id)
            .values(starts_at=shift.starts_at, ends_at=shift.ends_at)
        )
    db.session.flush()
    record(
        actor=actor, action="shift.update", target_type="shift", target_id=shift.id,
        fields=sorted(changes),
    )
    cards.forget(shift.id)
    scoring_store.forget(shift.id)
    return shift


def cancel_shift(*, actor: User, shift_id: int, reason: str = "") -> Shift:
    shift = get_own_shift(actor=actor, shift_id=shift_id)
    if shift.status != ShiftStatus.OPEN:
        raise Conflict(N_("This shift is not open"), code="invalid_transition")
    now = utcnow()
    if shift.starts_at <= now:
        raise Conflict(
            N_("The shift has already started: confirm attendance or mark no-shows instead"),
            code="shift_started",
        )
    begin_write_transaction()
    # Applications first, then the shift: the order in which accept and withdraw lock them,
    # so a cancellation racing an accept on PostgreSQL waits instead of deadlocking.
    with db.session.begin_nested():  # a refusal below undoes it all
        affected = db.session.execute(
            select(Application.worker_id, Application.status).where(
                Application.shift_id == shift.id, Application.status.in_(list(ACTIVE))
            )
        ).all()
        if any(status == AppStatus.CHECKED_IN for _, status in affected):
            raise Conflict(
                N_("Workers have already checked in; complete their attendance instead"),
                code="shift_in_progress",
            )
        move_many(action="cancel", where=[Application.shift_id == shift.id],
                  values={"updated_at": now})
        closed = db.session.execute(
            update(Shift)
            .where(Shift.id == shift.id, Shift.status == ShiftStatus.OPEN)
            .values(status=ShiftStatus.CANCELLED, cancelled_at=now,
                    cancel_reason=reason.strip() or None, filled=0)
            .execution_options(synchronize_session=False)
        ).rowcount
        if closed != 1:  # cancelled by a concurrent request
            raise Conflict(N_("This shift is not open"), code="invalid_transition")
    confirmed = [wid for wid, status in affected if status == AppStatus.CONFIRMED]
    db.session.refresh(shift)
    late_hours = current_app.config["LATE_CANCEL_HOURS"]
    late = shift.starts_at - now < dt.timedelta(hours=late_hours)
    notify_many(
        user_ids=[wid for wid, _ in affected],
        kind="shift_cancelled",
        message=f"shift_cancelled:{shift.title}",
        link=f"/shifts/{shift.id}",
    )
    record(
        actor=actor, action="shift.cancel", target_type="shift", target_id=shift.id,
        reason=reason.strip(), confirmed_workers=len(confirmed),
        notified_workers=len(affected), late=bool(late and confirmed),
    )
    db.session.flush()
    return shift


@dataclass
class ShiftFilters:
    category: str | None = None
    district: str | None = None
    day: dt.date | None = None
    min_daily_pay_fen: int | None = None
    meals: bool | None = None
    housing: bool | None = None
    q: str | None = None
    firm_id: int | None = None


def open_shifts_query(filters: ShiftFilters, *, now: dt.datetime | None = None) -> Select:
    now = now or utcnow()
    query = select(Shift).where(
        Shift.status == ShiftStatus.OPEN, Shift.starts_at > now, Shift.filled < Shift.headcount,
        Shift.listed.is_(True),
    )
    if filters.category:
        query = query.where(Shift.category == filters.category)
    if filters.district:
        query = query.where(Shift.district == filters.district)
    if filters.day:
        start, end = local_day_bounds(filters.day)
        query = query.where(Shift.starts_at >= start, Shift.starts_at < end)
    if filters.meals:
        query = query.where(Shift.meals.is_(True))
    if filters.housing:
        query = query.where(Shift.housing.is_(True))
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(or_(Shift.title.ilike(like), Shift.description.ilike(like)))
    if filters.firm_id:
        query = query.where(Shift.firm_id == filters.firm_id)
    if filters.min_daily_pay_fen:
        query = query.where(Shift.daily_pay_fen >= filters.min_daily_pay_fen)
    return query


def search_shifts(filters: ShiftFilters, *, page: int, per_page: int):
    query = open_shifts_query(filters).order_by(Shift.starts_at, Shift.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def list_firm_shifts(*, actor: User, status: str | None, page: int, per_page: int):
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise Forbidden(N_("Only firm accounts have shifts"))
    query = select(Shift).where(Shift.firm_id == actor.firm_id)
    if status:
        query = query.where(Shift.status == status)
    query = query.order_by(Shift.starts_at.desc(), Shift.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def seat_count_matches(shift_id: int) -> bool:
    """Invariant check used by tests and the admin health page."""
    held = db.session.scalar(
        select(func.count()).select_from(Application).where(
            Application.shift_id == shift_id, Application.status.in_(list(SEAT_HOLDING))
        )
    )
    filled = db.session.scalar(select(Shift.filled).where(Shift.id == shift_id))
    return held == filled


def has_overlapping_booking(worker_id: int, starts_at: dt.datetime, ends_at: dt.datetime,
                            *, exclude_application_id: int | None = None) -> bool:
    from marketplace.shifts.states import BOOKED

    condition = and_(
        Application.worker_id == worker_id,
        Application.status.in_(list(BOOKED)),
        Application.starts_at < ends_at,
        Application.ends_at > starts_at,
    )
    if exclude_application_id is not None:
        condition = and_(condition, Application.id != exclude_application_id)
    return bool(db.session.scalar(select(exists().where(condition))))
