"""HTML forms of the sharing pages: staff, listings, agreements, the worker's decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.firms.forms import at_most_two_decimals, yuan_to_fen
from marketplace.forms import DateField, DecimalField, IntegerField, localise_choices
from marketplace.taxonomy import DISTRICTS, SKILLS
from marketplace.validators import db_id

WEEKDAY_CHOICES = (("1", _l("Mon")), ("2", _l("Tue")), ("3", _l("Wed")), ("4", _l("Thu")),
                   ("5", _l("Fri")), ("6", _l("Sat")), ("7", _l("Sun")))
INJURY_CHOICES = (
    ("lender", _l("The lender carries work-injury liability")),
    ("borrower_compensates", _l("The borrower compensates the lender for work-injury costs")),
)

# Service field names that the forms show under another name.
FORM_NAME_OF = {"daily_pay_fen": "daily_pay", "worker_pay_fen": "worker_pay",
                "day_start_minute": "day_start", "day_end_minute": "day_end",
                "worker_ids": "workers", "staff_ids": "staff"}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def minutes_of(value: dt.time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def time_of(minutes: int) -> dt.time:
    return dt.time(23, 59) if minutes >= 1440 else dt.time(minutes // 60, minutes % 60)


class StaffForm(FlaskForm):
    phone = StringField(_l("Mobile number of the employee's worker account"),
                        validators=[DataRequired(), Length(max=20)])
    job_title = StringField(_l("Job title (optional)"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("Employed since (optional)"), validators=[Optional()])


class StaffPickForm(FlaskForm):
    """Staff ticked on the staff page (none: every idle employee)."""

    staff = SelectMultipleField(coerce=db_id, validate_choice=False, validators=[Optional()])


class ListingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    headcount = IntegerField(_l("How many workers"), validators=[InputRequired(),
                                                                 NumberRange(min=1, max=500)])
    start_date = DateField(_l("From"), validators=[InputRequired()])
    end_date = DateField(_l("Until"), validators=[InputRequired()])
    district = SelectField(_l("District"), choices=[(d.code, d.zh) for d in DISTRICTS])
    skills = MultiCheckboxField(_l("Skills"), choices=[(t.code, t.zh) for t in SKILLS])
    work_content = TextAreaField(_l("Work content"), validators=[Optional(), Length(max=2000)])
    daily_pay = DecimalField(_l("Daily pay per worker (yuan)"), places=2,
                             validators=[Optional(), NumberRange(min=0, max=100000),
                                         at_most_two_decimals])
    staff = MultiCheckboxField(_l("Which of your staff"), coerce=db_id, choices=[],
                               validate_choice=False)

    def localise(self) -> None:
        localise_choices(self)

    def to_data(self, kind: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": (self.title.data or "").strip(), "headcount": self.headcount.data,
            "start_date": self.start_date.data, "end_date": self.end_date.data,
            "district": self.district.data, "skills": list(self.skills.data or []),
            "work_content": (self.work_content.data or "").strip(),
        }
        if kind == "need":
            data["daily_pay_fen"] = (yuan_to_fen(self.daily_pay.data)
                                     if self.daily_pay.data is not None else None)
        else:
            data["staff_ids"] = list(self.staff.data or [])
        return data

    def fill_from(self, listing) -> None:
        self.title.data = listing.title
        self.headcount.data = listing.headcount
        self.start_date.data = listing.start_date
        self.end_date.data = listing.end_date
        self.district.data = listing.district
        self.skills.data = listing.skills
        self.work_content.data = listing.work_content
        self.daily_pay.data = (Decimal(listing.daily_pay_fen) / 100
                               if listing.daily_pay_fen else None)
        self.staff.data = listing.staff_ids


class ProposeForm(FlaskForm):
    with_id = IntegerField(validators=[InputRequired()])


class AgreementForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    work_content = TextAreaField(_l("Work content"), validators=[DataRequired(),
                                                                 Length(max=2000)])
    district = SelectField(_l("Place of work (district)"),
                           choices=[(d.code, d.zh) for d in DISTRICTS])
    address = StringField(_l("Address (optional)"), validators=[Optional(), Length(max=200)])
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(_l("Last day"), validators=[InputRequired()])
    day_start = TimeField(_l("Work starts (Beijing time)"), validators=[InputRequired()])
    day_end = TimeField(_l("Work ends"), validators=[InputRequired()])
    weekdays = MultiCheckboxField(_l("Working days"), choices=list(WEEKDAY_CHOICES))
    daily_pay = DecimalField(_l("The borrower pays the lender, per worker and day (yuan)"),
                             places=2, validators=[InputRequired(),
                                                   NumberRange(min=0, max=100000),
                                                   at_most_two_decimals])
    worker_pay = DecimalField(_l("Pay passed on to each worker, per day (yuan)"), places=2,
                              validators=[InputRequired(), NumberRange(min=0, max=100000),
                                          at_most_two_decimals])
    injury_liability = RadioField(_l("Work-injury liability"), choices=list(INJURY_CHOICES),
                                  validators=[InputRequired()])
    workers = MultiCheckboxField(_l("Workers lent (your confirmed staff)"), coerce=db_id,
                                 choices=[], validate_choice=False)

    def localise(self) -> None:
        localise_choices(self)
        self.weekdays.choices = list(WEEKDAY_CHOICES)
        self.injury_liability.choices = list(INJURY_CHOICES)

    def changes(self, *, lender: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": (self.title.data or "").strip(),
            "work_content": (self.work_content.data or "").strip(),
            "district": self.district.data, "address": (self.address.data or "").strip(),
            "start_date": self.start_date.data, "end_date": self.end_date.data,
            "day_start_minute": minutes_of(self.day_start.data),
            "day_end_minute": (1440 if self.day_end.data == dt.time(23, 59)
                               else minutes_of(self.day_end.data)),
            "weekdays": "".join(sorted(self.weekdays.data or [])),
            "daily_pay_fen": yuan_to_fen(self.daily_pay.data),
            "worker_pay_fen": yuan_to_fen(self.worker_pay.data),
            "injury_liability": self.injury_liability.data,
        }
        if lender:
            data["worker_ids"] = list(self.workers.data or [])
        return data

    def fill_from(self, agreement) -> None:
        self.version.data = agreement.terms_version
        for name in ("title", "work_content", "district", "address", "start_date", "end_date",
                     "injury_liability"):
            getattr(self, name).data = getattr(agreement, name)
        self.day_start.data = time_of(agreement.day_start_minute)
        self.day_end.data = time_of(agreement.day_end_minute)
        self.weekdays.data = list(agreement.weekdays)
        self.daily_pay.data = Decimal(agreement.daily_pay_fen) / 100
        self.worker_pay.data = Decimal(agreement.worker_pay_fen) / 100
        self.workers.data = [w.worker_id for w in agreement.workers]


class SignForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class CancelAgreementForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the other firm and the workers)"),
                           validators=[Optional(), Length(max=300)])


class ConfirmAgreementForm(FlaskForm):
    score = RadioField(_l("Your rating of the other firm"), coerce=int,
                       choices=[(n, str(n)) for n in range(5, 0, -1)],
                       validators=[InputRequired(message=_l("Choose 1 to 5 stars"))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])


class DecisionForm(FlaskForm):
    """A button that only needs the CSRF token."""

