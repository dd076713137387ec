"""Worker profiles, availability, pay history and calendars."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, Forbidden, ValidationFailed
from marketplace.extensions import db
from marketplace.matching.content import WorkerView
from marketplace.privacy import keyed_digest, mask_id_number, valid_id_number
from marketplace.shifts.models import Application, Attendance, Shift
from marketplace.shifts.states import BOOKED, AppStatus
from marketplace.taxonomy import (
    CERTIFICATE_CODES,
    DISTRICTS_BY_CODE,
    HOME_PROVINCE,
    PRIORITY_GROUP_CODES,
    PROVINCES,
    SKILL_CODES,
)
from marketplace.workers.availability import Availability, build_availability
from marketplace.workers.models import (
    DateAvailability,
    WeeklyAvailability,
    WorkerCertificate,
    WorkerProfile,
    WorkerSkill,
)

PROFILE_FIELDS = (
    "name", "district", "home_lat", "home_lon", "commute_radius_km", "min_daily_pay_fen",
    "origin_province", "labor_base", "labor_base_id", "bio", "skills", "certificates",
    "priority_group", "id_number",
)


def _profile(actor: User) -> WorkerProfile:
    if actor.role != Role.WORKER or actor.worker_profile is None:
        raise Forbidden(N_("Only workers have a worker profile"))
    return actor.worker_profile


def update_profile(*, actor: User, changes: dict[str, Any]) -> WorkerProfile:
    profile = _profile(actor)
    errors = _validate_profile(changes)
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    if "name" in changes:
        actor.name = changes["name"].strip()
    for field in ("district", "commute_radius_km", "min_daily_pay_fen", "labor_base", "bio",
                  "home_lat", "home_lon"):
        if field in changes:
            setattr(profile, field, changes[field])
    if "origin_province" in changes:
        profile.origin_province = changes["origin_province"] or None
    if "labor_base_id" in changes or "labor_base" in changes:
        _set_labor_base(profile, changes)
    if "district" in changes and changes.get("home_lat") is None and changes["district"]:
        centre = DISTRICTS_BY_CODE[changes["district"]]
        profile.home_lat, profile.home_lon = centre.lat, centre.lon
    if "skills" in changes:
        profile.skill_rows = [WorkerSkill(code=c) for c in sorted(set(changes["skills"]))]
    if "certificates" in changes:
        profile.certificate_rows = [
            WorkerCertificate(code=c) for c in sorted(set(changes["certificates"]))
        ]
    if "priority_group" in changes and changes["priority_group"] != profile.priority_group:
        profile.priority_group = changes["priority_group"] or None
        profile.priority_verified = False  # a new declaration waits for the city to verify it
    if changes.get("id_number"):
        _set_id_number(profile, changes["id_number"])
    db.session.flush()
    record(actor=actor, action="worker.profile_update", target_type="user", target_id=actor.id,
           fields=sorted(k for k in changes if k not in ("id_number", "priority_group")))
    return profile


def _set_labor_base(profile: WorkerProfile, changes: dict[str, Any]) -> None:
    """The registry entry wins: choosing one also stores its name in the free-text
    `labor_base` (older readers see it there). Clearing the entry clears the text if it was
    the entry's name; a new free text that is not the entry's name clears the entry."""
    current = profile.registered_base
    current_name = current.name[:80] if current else None
    if "labor_base_id" in changes:
        chosen = changes["labor_base_id"]
        if chosen is not None:
            from marketplace.laborbases.models import LaborBase

            base = db.session.get(LaborBase, chosen)
            profile.registered_base, profile.labor_base = base, base.name[:80]
            return
        profile.registered_base = None
        if current_name is not None and profile.labor_base == current_name:
            profile.labor_base = None
    elif current_name is not None and profile.labor_base != current_name:
        profile.registered_base = None


def _set_id_number(profile: WorkerProfile, id_number: str) -> None:
    id_number = id_number.strip().upper()
    digest = keyed_digest(id_number, current_app.config["PII_HMAC_KEY"])
    taken = db.session.scalar(
        select(WorkerProfile.user_id).where(
            WorkerProfile.id_number_digest == digest, WorkerProfile.user_id != profile.user_id
        )
    )
    if taken:
        raise Conflict(N_("This ID number belongs to another account"), code="id_number_taken",
                       fields={"id_number": [N_("Already registered")]})
    profile.id_number_digest = digest
    profile.id_number_masked = mask_id_number(id_number)


def _validate_profile(changes: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "name" in changes and not (changes["name"] or "").strip():
        errors["name"] = [N_("Enter your name")]
    if changes.get("district") and changes["district"] not in DISTRICTS_BY_CODE:
        errors["district"] = [N_("Choose a district")]
    radius = changes.get("commute_radius_km")
    if radius is not None and not (isinstance(radius, int) and 1 <= radius <= 500):
        errors["commute_radius_km"] = [N_("Between 1 and 500 km")]
    pay = changes.get("min_daily_pay_fen")
    if pay is not None and not (isinstance(pay, int) and 0 <= pay <= 10_000_00):
        errors["min_daily_pay_fen"] = [N_("Between 0 and 10,000 yuan")]
    if changes.get("origin_province") and changes["origin_province"] not in PROVINCES:
        errors["origin_province"] = [N_("Choose a province")]
    chosen_base = changes.get("labor_base_id")
    if chosen_base is not None:
        from marketplace.laborbases.models import LaborBase

        if (not isinstance(chosen_base, int) or isinstance(chosen_base, bool)
                or db.session.get(LaborBase, chosen_base) is None):
            errors["labor_base_id"] = [N_("Choose a labor base from the list")]
    if set(changes.get("skills") or []) - SKILL_CODES:
        errors["skills"] = [N_("Unknown skill")]
    if set(changes.get("certificates") or []) - CERTIFICATE_CODES:
        errors["certificates"] = [N_("Unknown certificate")]
    if changes.get("priority_group") and changes["priority_group"] not in PRIORITY_GROUP_CODES:
        errors["priority_group"] = [N_("Unknown group")]
    if changes.get("id_number") and not valid_id_number(changes["id_number"].strip()):
        errors["id_number"] = [N_("Enter a valid 18-character resident ID number")]
    for coord, low, high in (("home_lat", 35.0, 39.0), ("home_lon", 120.0, 124.0)):
        value = changes.get(coord)
        if value is not None and not (isinstance(value, int | float) and low <= value <= high):
            errors[coord] = [N_("Must be in or near Weihai")]
    return errors


def worker_view(worker_id: int) -> tuple[WorkerView, set[str]]:
    profile = db.session.get(WorkerProfile, worker_id)
    assert profile is not None
    view = WorkerView(
        lat=profile.home_lat,
        lon=profile.home_lon,
        commute_radius_km=float(profile.commute_radius_km),
        min_daily_pay_fen=profile.min_daily_pay_fen,
        skills=frozenset(profile.skills),
        out_of_province=bool(profile.origin_province and profile.origin_province != HOME_PROVINCE),
    )
    return view, set(profile.certificates)


def load_availability(worker_id: int) -> Availability:
    weekly = db.session.execute(
        select(WeeklyAvailability.weekday, WeeklyAvailability.start_minute,
               WeeklyAvailability.end_minute).where(WeeklyAvailability.worker_id == worker_id)
    ).all()
    dates = db.session.execute(
        select(DateAvailability.day, DateAvailability.available, DateAvailability.start_minute,
               DateAvailability.end_minute).where(DateAvailability.worker_id == worker_id)
    ).all()
    return build_availability([tuple(r) for r in weekly], [tuple(r) for r in dates])


def load_availabilities(worker_ids: list[int]) -> dict[int, Availability]:
    """`load_availability` for many workers in two queries (candidate lists, fairness)."""
    weekly: dict[int, list[tuple]] = {w: [] for w in worker_ids}
    dates: dict[int, list[tuple]] = {w: [] for w in worker_ids}
    for start in range(0, len(worker_ids), 1000):
        chunk = worker_ids[start:start + 1000]
        for row in db.session.execute(
                select(WeeklyAvailability.worker_id, WeeklyAvailability.weekday,
                       WeeklyAvailability.start_minute, WeeklyAvailability.end_minute)
                .where(WeeklyAvailability.worker_id.in_(chunk))):
            weekly[row[0]].append(tuple(row[1:]))
        for row in db.session.execute(
                select(DateAvailability.worker_id, DateAvailability.day,
                       DateAvailability.available, DateAvailability.start_minute,
                       DateAvailability.end_minute)
                .where(DateAvailability.worker_id.in_(chunk))):
            dates[row[0]].append(tuple(row[1:]))
    return {w: build_availability(weekly[w], dates[w]) for w in worker_ids}


def get_availability(*, actor: User) -> dict[str, list[dict]]:
    _profile(actor)
    weekly = db.session.scalars(
        select(WeeklyAvailability).where(WeeklyAvailability.worker_id == actor.id)
        .order_by(WeeklyAvailability.weekday, WeeklyAvailability.start_minute)
    ).all()
    dates = db.session.scalars(
        select(DateAvailability).where(DateAvailability.worker_id == actor.id)
        .order_by(DateAvailability.day)
    ).all()
    return {
        "weekly": [{"weekday": w.weekday, "start": _hhmm(w.start_minute),
                    "end": _hhmm(w.end_minute)} for w in weekly],
        "dates": [{"date": d.day.isoformat(), "available": d.available,
                   "start": _hhmm(d.start_minute), "end": _hhmm(d.end_minute)} for d in dates],
    }


def _hhmm(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hhmm(value: str | None, *, end: bool = False) -> int:
    """'08:30' -> 510; '24:00' is allowed as an end of day."""
    try:
        hours, minutes = (int(p) for p in (value or "").split(":"))
    except ValueError as exc:
        raise ValueError(N_("time must look like 08:30")) from exc
    total = hours * 60 + minutes
    limit = 1440 if end else 1439
    if not (0 <= minutes < 60 and 0 <= total <= limit):
        raise ValueError(N_("time must be between 00:00 and 24:00"))
    return total


def set_availability(*, actor: User, weekly: list[dict], dates: list[dict]) -> dict:
    """Replace the worker's availability with the given weekly windows and date exceptions."""
    _profile(actor)
    errors: dict[str, list[str]] = {}
    weekly_rows, date_rows = [], []
    for n, item in enumerate(weekly):
        try:
            weekday = int(item["weekday"])
            start, end = parse_hhmm(item["start"]), parse_hhmm(item["end"], end=True)
            if not 0 <= weekday <= 6 or start >= end:
                raise ValueError(N_("the window must end after it starts, weekday 0-6"))
            weekly_rows.append(WeeklyAvailability(worker_id=actor.id, weekday=weekday,
                                                  start_minute=start, end_minute=end))
        except (KeyError, TypeError, ValueError) as exc:
            errors[f"weekly.{n}"] = [str(exc) if isinstance(exc, ValueError) else N_("incomplete")]
    for n, item in enumerate(dates):
        try:
            day = dt.date.fromisoformat(str(item["date"]))
            available = bool(item.get("available", False))
            start = end = None
            if available:
                start = parse_hhmm(item.get("start") or "00:00")
                end = parse_hhmm(item.get("end") or "24:00", end=True)
                if start >= end:
                    raise ValueError(N_("the window must end after it starts"))
            date_rows.append(DateAvailability(worker_id=actor.id, day=day, available=available,
                                              start_minute=start, end_minute=end))
        except (KeyError, TypeError, ValueError) as exc:
            errors[f"dates.{n}"] = [str(exc) if isinstance(exc, ValueError) else N_("incomplete")]
    if len(weekly_rows) > 50 or len(date_rows) > 400:
        errors["availability"] = [N_("Too many windows")]
    if errors:
        raise ValidationFailed(N_("Please correct the availability"), fields=errors)
    db.session.execute(delete(WeeklyAvailability).where(WeeklyAvailability.worker_id == actor.id))
    db.session.execute(delete(DateAvailability).where(DateAvailability.worker_id == actor.id))
    db.session.add_all([*weekly_rows, *date_rows])
    actor.worker_profile.updated_at = utcnow()  # what was ranked for them is out of date
    db.session.flush()
    record(actor=actor, action="worker.availability_update", target_type="user",
           target_id=actor.id, weekly=len(weekly_rows), dates=len(date_rows))
    return get_availability(actor=actor)


def pay_history(*, actor: User, page: int, per_page: int):
    _profile(actor)
    query = (
        select(Application)
        .join(Attendance, Attendance.application_id == Application.id)
        .where(Application.worker_id == actor.id,
               Application.status.in_([AppStatus.COMPLETED, AppStatus.CHECKED_IN]))
        .order_by(Application.starts_at.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def pay_totals(*, actor: User) -> dict[str, int]:
    _profile(actor)
    due, paid = db.session.execute(
        select(
            func.coalesce(func.sum(Attendance.pay_due_fen), 0),
            func.coalesce(func.sum(db.case((Attendance.paid_at.isnot(None),
                                            Attendance.pay_due_fen), else_=0)), 0),
        )
        .join(Application, Attendance.application_id == Application.id)
        .where(Application.worker_id == actor.id, Application.status == AppStatus.COMPLETED)
    ).one()
    return {"earned_fen": int(due), "paid_fen": int(paid), "outstanding_fen": int(due - paid)}


def confirmed_shifts(*, actor: User) -> list[Shift]:
    _profile(actor)
    return list(db.session.scalars(
        select(Shift).join(Application, Application.shift_id == Shift.id)
        .where(Application.worker_id == actor.id, Application.status.in_(list(BOOKED)))
        .order_by(Shift.starts_at)
    ))


def calendar_ics(*, actor: User, base_url: str) -> bytes:
    """An iCalendar file of the worker's confirmed shifts (RFC 5545, via the icalendar library)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Weihai Gig Exchange//weihai-gig//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "威海零工 · 我的班次")
    for shift in confirmed_shifts(actor=actor):
        event = Event()
        event.add("uid", f"shift-{shift.id}-worker-{actor.id}@weihai-gig")
        event.add("summary", f"{shift.title} · {shift.firm.name}")
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("dtstamp", shift.posted_at)
        event.add("location", shift.address or shift.district)
        event.add("url", f"{base_url.rstrip('/')}/shifts/{shift.id}")
        calendar.add_component(event)
    return calendar.to_ical()
