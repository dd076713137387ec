"""HTML forms of the city administrator's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, TextAreaField
from wtforms.validators import Length, Optional


class DecideFirmForm(FlaskForm):
    note = TextAreaField(_l("Note to the firm (required when rejecting)"),
                         validators=[Optional(), Length(max=300)])


class UserStatusForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=300)])


class UserFilterForm(FlaskForm):
    """Filters read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    role = SelectField(_l("Role"), default="", choices=[
        ("", _l("All roles")), ("worker", _l("Workers")), ("firm", _l("Firms")),
        ("admin", _l("Administrators"))])
    q = SearchField(_l("Name or mobile number"), validators=[Optional(), Length(max=40)])
