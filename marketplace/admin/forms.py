"""HTML forms of the city administrator's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.forms import DecimalField


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
        ("admin", _l("Administrators")), ("partner", _l("Labor base partners"))])
    q = SearchField(_l("Name or mobile number"), validators=[Optional(), Length(max=40)])


class PromoteModelForm(FlaskForm):
    version = StringField(_l("Version"), validators=[DataRequired(), Length(max=80)])
    force = BooleanField(_l("Promote even if it scored lower than the current model"))


class PriorityBoostForm(FlaskForm):
    """The boost as a percentage (0–20 %); the service holds the bound and audits the change."""

    enabled = BooleanField(_l("Boost verified priority-group workers"))
    weight = DecimalField(_l("Boost (%)"), places=1,
                          validators=[Optional(), NumberRange(min=0, max=100)])

    def weight_fraction(self) -> float:
        return float(self.weight.data or 0) / 100
