"""HTML forms of the firm's pages: posting and editing shifts, applicants, favourites."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
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
    ValidationError,
)
from wtforms.widgets import HiddenInput

from marketplace.forms import DateTimeLocalField, DecimalField, IntegerField, localise_choices
from marketplace.taxonomy import CATEGORIES, CERTIFICATES, DISTRICTS, SKILLS
from marketplace.timeutil import LOCAL_TZ, to_local
from marketplace.validators import db_id

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
CENT = Decimal("0.01")
# Service field names that the form shows under another name.
FORM_NAME_OF = {"pay_amount_fen": "pay"}


PAY_UNITS = (("hour", _l("per hour")), ("day", _l("per day")), ("piece", _l("per piece")))
SETTLEMENTS = (("daily", _l("Paid daily")), ("weekly", _l("Paid weekly")),
               ("on_completion", _l("Paid on completion")))


def yuan_to_fen(value: Decimal) -> int:
    """Exact conversion of a yuan amount with at most two decimals to integer fen."""
    return int(Decimal(value).quantize(CENT) * 100)


def local_to_utc(value: dt.datetime) -> dt.datetime:
    """A datetime-local input (Asia/Shanghai wall time, naive) as an aware UTC datetime."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def utc_to_local_input(value: dt.datetime) -> dt.datetime:
    return to_local(value).replace(tzinfo=None, second=0, microsecond=0)


def at_most_two_decimals(_form, field) -> None:
    value = field.data
    if value is None:
        return
    try:
        exact = Decimal(value) == Decimal(value).quantize(CENT)
    except InvalidOperation:
        exact = False
    if not exact:
        raise ValidationError(_l("Use at most two decimal places"))


class ShiftForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    category = SelectField(_l("Category"), choices=[(t.code, t.zh) for t in CATEGORIES])
    description = TextAreaField(_l("Description (optional)"),
                                validators=[Optional(), Length(max=2000)])
    district = SelectField(_l("District"), choices=[(d.code, d.zh) for d in DISTRICTS])
    address = StringField(_l("Address (optional)"), validators=[Optional(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts (Beijing time)"), format=LOCAL_INPUT_FORMAT,
                                   validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Beijing time)"), format=LOCAL_INPUT_FORMAT,
                                 validators=[InputRequired()])
    headcount = IntegerField(_l("Workers needed"), validators=[InputRequired()])
    pay = DecimalField(_l("Pay (yuan)"), places=2,
                       validators=[InputRequired(), NumberRange(min=0, max=1000000),
                                   at_most_two_decimals])
    pay_unit = SelectField(_l("Pay is counted"), choices=list(PAY_UNITS))
    settlement = SelectField(_l("Settlement"), choices=list(SETTLEMENTS))
    meals = BooleanField(_l("Meals provided"))
    housing = BooleanField(_l("Housing provided"))
    skills = SelectMultipleField(_l("Skills needed"), choices=[(t.code, t.zh) for t in SKILLS])
    certificates = SelectMultipleField(_l("Certificates required"),
                                       choices=[(t.code, t.zh) for t in CERTIFICATES])

    def localise(self) -> None:
        """Taxonomy choices in the user's language; our own choices keep their own labels."""
        localise_choices(self)
        self.pay_unit.choices = list(PAY_UNITS)
        self.settlement.choices = list(SETTLEMENTS)

    def to_data(self) -> dict[str, Any]:
        """The shift fields in the services' terms: UTC times, pay in fen, codes."""
        return {
            "title": (self.title.data or "").strip(),
            "category": self.category.data,
            "description": (self.description.data or "").strip(),
            "district": self.district.data,
            "address": (self.address.data or "").strip(),
            "starts_at": local_to_utc(self.starts_at.data),
            "ends_at": local_to_utc(self.ends_at.data),
            "headcount": self.headcount.data,
            "pay_amount_fen": yuan_to_fen(self.pay.data),
            "pay_unit": self.pay_unit.data,
            "settlement": self.settlement.data,
            "meals": bool(self.meals.data),
            "housing": bool(self.housing.data),
            "skills": list(self.skills.data or []),
            "certificates": list(self.certificates.data or []),
        }

    def changes_from(self, shift) -> dict[str, Any]:
        """Only what differs from the shift (times compared to the minute the input shows)."""
        changes = {}
        for name, value in self.to_data().items():
            current = getattr(shift, name)
            if name in ("starts_at", "ends_at"):
                current = current.replace(second=0, microsecond=0)
            if name in ("skills", "certificates"):
                value, current = sorted(set(value)), sorted(current)
            if value != current:
                changes[name] = value
        return changes

    def fill_from(self, shift) -> None:
        self.title.data = shift.title
        self.category.data = shift.category
        self.description.data = shift.description
        self.district.data = shift.district
        self.address.data = shift.address
        self.starts_at.data = utc_to_local_input(shift.starts_at)
        self.ends_at.data = utc_to_local_input(shift.ends_at)
        self.headcount.data = shift.headcount
        self.pay.data = Decimal(shift.pay_amount_fen) / 100
        self.pay_unit.data = shift.pay_unit
        self.settlement.data = shift.settlement
        self.meals.data = shift.meals
        self.housing.data = shift.housing
        self.skills.data = shift.skills
        self.certificates.data = shift.certificates


class CancelShiftForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional, shown to workers)"),
                           validators=[Optional(), Length(max=300)])


class ActionForm(FlaskForm):
    """A firm's move on an application; completing may carry minutes worked or pieces."""

    minutes_worked = IntegerField(_l("Minutes worked"),
                                  validators=[Optional(), NumberRange(min=0, max=24 * 60 * 14)])
    pieces = IntegerField(_l("Pieces"), validators=[Optional(), NumberRange(min=0)])

    def params(self) -> dict[str, int]:
        return {name: getattr(self, name).data for name in ("minutes_worked", "pieces")
                if getattr(self, name).data is not None}


class RateWorkerForm(FlaskForm):
    score = RadioField(_l("Rating"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)],
                       validators=[InputRequired(message=_l("Choose 1 to 5 stars"))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])


class FavouriteForm(FlaskForm):
    favourite = HiddenField(validators=[Optional()])
    next = HiddenField(validators=[Optional()])

    @property
    def wanted(self) -> bool:
        return self.favourite.data != "0"


class InviteForm(FlaskForm):
    worker_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    shift_id = SelectField(_l("Shift"), coerce=db_id, validate_choice=False,
                           validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token: invite a candidate, send the planned offers."""
