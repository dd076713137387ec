"""Helpers shared by the HTML forms of every domain."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField

from marketplace import taxonomy
from marketplace.errors import DomainError, translate
from marketplace.templating import locale_code


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
