"""HTML forms for the public shift pages (search filters, applying)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from marketplace.forms import DateField, DecimalField
from marketplace.shifts.services import ShiftFilters
from marketplace.taxonomy import CATEGORIES, DISTRICTS


class ShiftSearchForm(FlaskForm):
    """Filters read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Keyword"), validators=[Optional(), Length(max=60)])
    category = SelectField(_l("Category"), default="",
                           choices=[("", _l("All categories"))]
                           + [(t.code, t.zh) for t in CATEGORIES])
    district = SelectField(_l("District"), default="", choices=[("", _l("All districts"))]
                           + [(d.code, d.zh) for d in DISTRICTS])
    date = DateField(_l("Date"), validators=[Optional()])
    min_pay = DecimalField(_l("Lowest pay per day (yuan)"), places=0,
                           validators=[Optional(), NumberRange(min=0, max=10000)])
    meals = BooleanField(_l("Meals provided"))
    housing = BooleanField(_l("Housing provided"))

    def to_filters(self) -> ShiftFilters:
        """Only fields that passed validation become filters."""

        def ok(name: str):
            field = getattr(self, name)
            return None if field.errors else (field.data or None)

        min_pay = ok("min_pay")
        return ShiftFilters(
            q=(ok("q") or "").strip() or None,
            category=ok("category"),
            district=ok("district"),
            day=ok("date"),
            min_daily_pay_fen=int(Decimal(min_pay) * 100) if min_pay else None,
            meals=bool(self.meals.data) or None,
            housing=bool(self.housing.data) or None,
        )

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in
                   ("q", "category", "district", "date", "min_pay", "meals", "housing"))


class ApplyForm(FlaskForm):
    note = TextAreaField(_l("Note to the firm (optional)"),
                         validators=[Optional(), Length(max=300)])
