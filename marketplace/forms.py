"""Helpers shared by the HTML forms of every domain."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField

from marketplace import taxonomy
from marketplace.errors import DomainError, translate
from marketplace.templating import locale_code
from marketplace.validators import (
    ASCII_INT_PATTERN,
    EARLIEST_DATE,
    INT32_MAX,
    INT32_MIN,
    LATEST_DATE,
    date_in_range,
)

ASCII_DECIMAL = re.compile(r"^[+-]?[0-9]{1,7}(\.[0-9]{0,6})?$")


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField for our columns: ASCII digits only (int() would read full-width
    ３) and within int32, so no form can send an overflowing number to the database."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or valuelist[0] in ("", None):
            return
        text = str(valuelist[0]).strip()
        if not ASCII_INT_PATTERN.match(text) or not INT32_MIN <= int(text) <= INT32_MAX:
            self.data = None
            raise ValueError(_l("Enter a whole number"))
        self.data = int(text)


class _DateRange:
    """Refuse a parsed date outside EARLIEST_DATE .. LATEST_DATE (year 9999 overflows)."""

    data: Any

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)  # type: ignore[misc]
        if self.data is not None and not date_in_range(self.data):
            self.data = None
            raise ValueError(_l("Enter a date between %(first)s and %(last)s",
                                first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()))


class DateField(_DateRange, wtforms.DateField):
    """WTForms' DateField within the years the product handles."""


class DateTimeLocalField(_DateRange, wtforms.DateTimeLocalField):
    """WTForms' DateTimeLocalField within the years the product handles."""


class DecimalField(wtforms.DecimalField):
    """WTForms' DecimalField refusing NaN, infinities, exponents, non-ASCII digits and more
    than seven digits before the point (a yuan amount in fen then always fits an int32)."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or valuelist[0] in ("", None):
            return
        text = str(valuelist[0]).strip()
        try:
            if not ASCII_DECIMAL.match(text):
                raise InvalidOperation(text)
            self.data = Decimal(text)
        except InvalidOperation as exc:
            self.data = None
            raise ValueError(_l("Enter a number")) from exc


def apply_field_errors(form: FlaskForm, error: DomainError) -> None:
    """Show a service's field errors beside the form's fields (or at the top)."""
    placed = False
    for name, messages in (error.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.extend(translate(m) for m in messages)
            placed = True
    if not placed:
        form.form_errors.append(translate(error.message))


def localise_choices(form: FlaskForm) -> None:
    """Relabel taxonomy choices in the user's language (values stay codes)."""
    loc = locale_code()
    for field in form:
        if isinstance(field, SelectField | SelectMultipleField) and field.choices:
            field.choices = [
                (value, taxonomy.label(value, loc) if value else text)
                for value, text in field.choices
            ]
