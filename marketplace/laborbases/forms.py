"""HTML forms of the labor-base pages: the registry, partner accounts, cohorts and members."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.forms import DateField, IntegerField
from marketplace.laborbases.services import BASE_PROVINCES, MAX_COHORT_HEADCOUNT
from marketplace.taxonomy import DISTRICTS, SKILLS
from marketplace.validators import db_id


def kind_choices() -> list[tuple[str, Any]]:
    return [("labor_base", _l("Labor base")),
            ("cooperation_region", _l("Labor-cooperation region"))]


class BaseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Type"), choices=kind_choices(), default="labor_base")
    province = SelectField(_l("Province"), choices=[(p, p) for p in BASE_PROVINCES])
    city = StringField(_l("City or county"), validators=[DataRequired(), Length(max=40)])
    partner_org = StringField(_l("Partner organisation"),
                              validators=[DataRequired(), Length(max=120)])
    contact_name = StringField(_l("Contact person (optional)"),
                               validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("Contact telephone (optional)"),
                                validators=[Optional(), Length(max=20)])

    def fill_from(self, base) -> None:
        for name in ("name", "kind", "province", "city", "partner_org", "contact_name",
                     "contact_phone"):
            getattr(self, name).data = getattr(base, name)

    def to_data(self) -> dict[str, Any]:
        return {name: (getattr(self, name).data or "").strip() for name in (
            "name", "kind", "province", "city", "partner_org", "contact_name",
            "contact_phone")}


class BaseFilterForm(FlaskForm):
    """Filters read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    province = SelectField(_l("Province"), default="",
                           choices=[("", _l("All provinces"))] + [(p, p) for p in BASE_PROVINCES])
    kind = SelectField(_l("Type"), default="",
                       choices=[("", _l("All types")), *kind_choices()])
    q = SearchField(_l("Name, city or organisation"), validators=[Optional(), Length(max=40)])


class PartnerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    phone = TelField(_l("Mobile number (to sign in)"),
                     validators=[DataRequired(), Length(min=11, max=11)])
    password = PasswordField(_l("First password (tell it to them in person)"),
                             validators=[DataRequired(), Length(min=8, max=128)])


class CohortForm(FlaskForm):
    # Only agencies choose the base; a partner's cohorts are always of its own base.
    labor_base_id = SelectField(_l("Labor base the workers come from"), choices=[],
                                coerce=db_id, validate_choice=False,
                                validators=[InputRequired(message=_l("Choose a labor base"))])
    arrival_date = DateField(_l("Arrival date in Weihai"),
                             validators=[InputRequired(message=_l("Enter the arrival date"))])
    headcount = IntegerField(_l("How many people"), validators=[
        InputRequired(), NumberRange(min=1, max=MAX_COHORT_HEADCOUNT)])
    skills = SelectMultipleField(_l("Skills"), choices=[(t.code, t.zh) for t in SKILLS])
    housing_needed = BooleanField(_l("They need housing"))
    meals_needed = BooleanField(_l("They need meals"))
    district = SelectField(_l("Where they will stay (optional)"), default="",
                           choices=[("", "—")] + [(d.code, d.zh) for d in DISTRICTS])
    note = TextAreaField(_l("Note for firms (optional)"), validators=[Optional(), Length(max=500)])

    def set_bases(self, bases) -> None:
        self.labor_base_id.choices = [(b.id, f"{b.province} · {b.name}") for b in bases]

    def to_data(self, *, with_base: bool) -> dict[str, Any]:
        data = {
            "arrival_date": self.arrival_date.data, "headcount": self.headcount.data,
            "skills": list(self.skills.data or []),
            "housing_needed": bool(self.housing_needed.data),
            "meals_needed": bool(self.meals_needed.data),
            "district": self.district.data or None, "note": (self.note.data or "").strip(),
        }
        if with_base:
            data["labor_base_id"] = self.labor_base_id.data
        return data


class MemberForm(FlaskForm):
    phone = TelField(_l("Worker's mobile number"),
                     validators=[DataRequired(), Length(min=11, max=11)])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class FiguresForm(FlaskForm):
    """The figures' filters, read from the query string."""

    class Meta:
        csrf = False

    granularity = SelectField(_l("By"), default="month",
                              choices=[("month", _l("Month")), ("week", _l("Week"))])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    province = SelectField(_l("Province"), default="",
                           choices=[("", _l("All provinces"))] + [(p, p) for p in BASE_PROVINCES])
    base_id = SelectField(_l("Labor base"), choices=[("", _l("All labor bases"))],
                          validate_choice=False)

    def set_bases(self, bases) -> None:
        self.base_id.choices = [("", _l("All labor bases"))] + [
            (str(b.id), f"{b.province} · {b.name}") for b in bases]

    def base_value(self) -> int | None:
        value = self.base_id.data
        try:
            return db_id(value) if value else None
        except ValueError:
            return None
