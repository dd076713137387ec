"""HTML forms of the agency, worker and administrator pages for HR agencies."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.auth.forms import PHONE
from marketplace.firms.forms import at_most_two_decimals, yuan_to_fen
from marketplace.forms import DecimalField, IntegerField
from marketplace.taxonomy import CATEGORIES, DISTRICTS


class AgencyRegisterForm(FlaskForm):
    agency_name = StringField(_l("Registered agency name"),
                              validators=[DataRequired(), Length(max=120)])
    credit_code = StringField(_l("Unified social credit code"),
                              validators=[DataRequired(), Length(min=18, max=18)])
    licence_no = StringField(_l("HR service licence number"),
                             validators=[DataRequired(), Length(min=6, max=60)])
    district = SelectField(_l("District"), choices=[(d.code, d.zh) for d in DISTRICTS])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=80)])
    phone = StringField(_l("Contact mobile number"), validators=[DataRequired(), PHONE])
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(min=8, max=128)])


class InviteWorkerForm(FlaskForm):
    phone = StringField(_l("Worker's mobile number"), validators=[DataRequired(), PHONE])
    note = StringField(_l("Message (optional)"), validators=[Optional(), Length(max=200)])


class ButtonForm(FlaskForm):
    """A button that only needs the CSRF token."""


class CommissionForm(FlaskForm):
    """Commission terms of a placement, always paid by the firm. `payer`, `worker_fee` and
    `deposit` are not shown: a request that sets them is refused with the no-fee rule."""

    kind = RadioField(_l("Commission"), default="fixed",
                      choices=[("fixed", _l("Fixed amount per placement")),
                               ("percent", _l("Percentage of the worker's pay"))],
                      validators=[InputRequired()])
    amount = DecimalField(_l("Amount (yuan)"), places=2, default=Decimal("0"),
                          validators=[Optional(), NumberRange(min=0, max=10_000),
                                      at_most_two_decimals])
    percent = DecimalField(_l("Percentage (%)"), places=2,
                           validators=[Optional(), NumberRange(min=0, max=50),
                                       at_most_two_decimals])
    note = StringField(_l("Note to the firm (optional)"), validators=[Optional(),
                                                                       Length(max=300)])
    payer = HiddenField(default="firm")
    worker_fee = DecimalField(validators=[Optional()])
    deposit = DecimalField(validators=[Optional()])

    def fee_fields(self) -> dict:
        def fen(field) -> int:
            return yuan_to_fen(field.data) if field.data else 0

        return {"payer": self.payer.data or "firm", "worker_fee_fen": fen(self.worker_fee),
                "deposit_fen": fen(self.deposit)}

    def terms_fields(self) -> dict:
        if self.kind.data == "percent":
            value = self.percent.data if self.percent.data is not None else Decimal("0")
            return {"kind": "percent", "rate_bp": int(Decimal(value) * 100)}
        amount = self.amount.data if self.amount.data is not None else Decimal("0")
        return {"kind": "fixed", "fixed_fen": yuan_to_fen(amount)}


class BrokerApplyForm(CommissionForm):
    worker_id = IntegerField(validators=[InputRequired()])


class FillSendForm(CommissionForm):
    """The reviewed fill: one `row` value "shift_id:worker_id" per kept row."""

    row = SelectMultipleField(validate_choice=False, choices=[],
                              option_widget=CheckboxInput(), widget=ListWidget())


class ConsentForm(FlaskForm):
    categories = SelectMultipleField(
        _l("Categories the agency may apply for without asking me"),
        choices=[(c.code, c.zh) for c in CATEGORIES],
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class ComplaintForm(FlaskForm):
    category = SelectField(_l("What happened"), choices=[
        ("worker_fee", _l("Charged a worker a fee or deposit")),
        ("fake_posting", _l("Advertised work that did not exist")),
        ("no_show", _l("Placed workers who did not come")),
        ("conduct", _l("Misconduct")),
        ("other", _l("Something else"))])
    description = TextAreaField(_l("Describe it"), validators=[DataRequired(),
                                                                Length(min=5, max=1000)])


class DecideForm(FlaskForm):
    note = TextAreaField(_l("Note (required to reject)"), validators=[Optional(),
                                                                      Length(max=300)])


class ReasonForm(FlaskForm):
    note = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=300)])
