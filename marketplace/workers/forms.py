"""HTML forms of the worker's pages: profile, availability, rating."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.forms import DateField, DecimalField, IntegerField
from marketplace.taxonomy import CERTIFICATES, DISTRICTS, PRIORITY_GROUPS, PROVINCES, SKILLS

HHMM = Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", message=_l("Use a time like 08:30"))
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
END_OF_DAY_INPUT = "23:59"  # <input type=time> cannot say 24:00; 23:59 as an end means midnight


def end_to_service(value: str) -> str:
    return "24:00" if value == END_OF_DAY_INPUT else value


def end_from_service(value: str | None) -> str | None:
    return END_OF_DAY_INPUT if value == "24:00" else value


def _optional_int(value: Any) -> int | None:
    """A select's value: '' (none chosen) is None; anything not a whole number is -1, which
    the service refuses with a field message."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def yuan_to_fen(value: Decimal) -> int:
    return int((Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    district = SelectField(_l("Home district"),
                           choices=[("", "—")] + [(d.code, d.zh) for d in DISTRICTS])
    commute_radius_km = IntegerField(
        _l("How far will you travel (km)"),
        validators=[InputRequired(), NumberRange(min=1, max=500)])
    min_daily_pay_yuan = DecimalField(
        _l("Lowest acceptable pay per day (yuan)"), places=2,
        validators=[Optional(), NumberRange(min=0, max=10000)])
    origin_province = SelectField(_l("Home province"),
                                  choices=[("", "—")] + [(p, p) for p in PROVINCES])
    # Choices (the registry) are set by the view: set_bases().
    labor_base_id = SelectField(_l("Labor base or cooperation region"), choices=[],
                                coerce=_optional_int, validate_choice=False)
    labor_base = StringField(_l("Labor base or hometown organisation (optional)"),
                             validators=[Optional(), Length(max=80)])
    bio = TextAreaField(_l("About your experience (optional)"),
                        validators=[Optional(), Length(max=500)])
    skills = SelectMultipleField(_l("Skills"), choices=[(t.code, t.zh) for t in SKILLS])
    certificates = SelectMultipleField(_l("Certificates you hold"),
                                       choices=[(t.code, t.zh) for t in CERTIFICATES])
    priority_group = SelectField(
        _l("Priority group (optional)"),
        choices=[("", _l("None / prefer not to say"))]
        + [(t.code, t.zh) for t in PRIORITY_GROUPS])
    id_number = StringField(_l("Resident ID number (optional)"),
                            validators=[Optional(), Length(min=18, max=18)],
                            render_kw={"autocomplete": "off"})

    def set_bases(self, bases) -> None:
        """The registry as choices: province · name, in the registry's order."""
        self.labor_base_id.choices = [("", "—")] + [
            (b.id, f"{b.province} · {b.name}") for b in bases]

    def fill_from(self, user) -> None:
        profile = user.worker_profile
        self.name.data = user.name
        self.district.data = profile.district or ""
        self.commute_radius_km.data = profile.commute_radius_km
        self.min_daily_pay_yuan.data = Decimal(profile.min_daily_pay_fen) / 100
        self.origin_province.data = profile.origin_province or ""
        self.labor_base.data = profile.labor_base
        self.labor_base_id.data = profile.labor_base_id
        self.bio.data = profile.bio
        self.skills.data = profile.skills
        self.certificates.data = profile.certificates
        self.priority_group.data = profile.priority_group or ""

    def changes(self) -> dict[str, Any]:
        pay = self.min_daily_pay_yuan.data
        changes: dict[str, Any] = {
            "name": self.name.data,
            "district": self.district.data or None,
            "commute_radius_km": self.commute_radius_km.data,
            "min_daily_pay_fen": yuan_to_fen(pay) if pay is not None else 0,
            "origin_province": self.origin_province.data or None,
            "labor_base": (self.labor_base.data or "").strip() or None,
            "labor_base_id": self.labor_base_id.data,
            "bio": (self.bio.data or "").strip() or None,
            "skills": list(self.skills.data or []),
            "certificates": list(self.certificates.data or []),
            "priority_group": self.priority_group.data or None,
        }
        if (self.id_number.data or "").strip():
            changes["id_number"] = self.id_number.data.strip()
        return changes


class DayWindowForm(Form):
    """One weekday: a start and an end time, both blank when not available."""

    start = StringField(_l("From"), validators=[Optional(), HHMM])
    end = StringField(_l("To"), validators=[Optional(), HHMM])

    def validate_end(self, field) -> None:
        if bool(self.start.data) != bool(field.data):
            raise ValidationError(_l("Enter both times, or leave both blank"))


class DateExceptionForm(Form):
    day = DateField(_l("Date"), validators=[Optional()])
    kind = SelectField(_l("On that day"), default="off",
                       choices=[("off", _l("Not available")),
                                ("window", _l("Available only at these times"))])
    start = StringField(_l("From"), validators=[Optional(), HHMM])
    end = StringField(_l("To"), validators=[Optional(), HHMM])


class AvailabilityForm(FlaskForm):
    days = FieldList(FormField(DayWindowForm), min_entries=7, max_entries=7)
    dates = FieldList(FormField(DateExceptionForm), min_entries=1, max_entries=60)

    def fill_from(self, availability: dict[str, list[dict]], blank_dates: int = 3) -> None:
        first_window: dict[int, dict] = {}
        for window in availability["weekly"]:
            first_window.setdefault(window["weekday"], window)
        for weekday, entry in enumerate(self.days):
            window = first_window.get(weekday)
            entry.form.start.data = window["start"] if window else ""
            entry.form.end.data = end_from_service(window["end"]) if window else ""
        while len(self.dates):
            self.dates.pop_entry()
        for item in availability["dates"]:
            self.dates.append_entry({
                "day": dt.date.fromisoformat(item["date"]),
                "kind": "window" if item["available"] else "off",
                "start": item["start"] or "", "end": end_from_service(item["end"]) or "",
            })
        for _n in range(blank_dates):
            self.dates.append_entry()

    def weekly(self) -> list[dict]:
        return [
            {"weekday": n, "start": entry.form.start.data,
             "end": end_to_service(entry.form.end.data)}
            for n, entry in enumerate(self.days) if entry.form.start.data
        ]

    def exceptions(self) -> list[dict]:
        rows = []
        for entry in self.dates:
            form = entry.form
            if not form.day.data:
                continue  # a blank row
            available = form.kind.data == "window"
            rows.append({"date": form.day.data.isoformat(), "available": available,
                         "start": form.start.data or None if available else None,
                         "end": end_to_service(form.end.data) or None if available else None})
        return rows


class RateForm(FlaskForm):
    score = RadioField(_l("Your rating"), coerce=int,
                       choices=[(n, str(n)) for n in range(5, 0, -1)],
                       validators=[InputRequired(message=_l("Choose 1 to 5 stars"))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])
