from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from marketplace.taxonomy import CATEGORIES, DISTRICTS, FIRM_SIZES
from marketplace.validators import PHONE_REGEX

PHONE = Regexp(PHONE_REGEX, message=_l("Enter an 11-digit mainland mobile number"))


class LoginForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20), PHONE])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class WorkerRegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), PHONE])
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(min=8, max=128)])


class FirmRegisterForm(FlaskForm):
    firm_name = StringField(_l("Registered firm name"),
                            validators=[DataRequired(), Length(max=120)])
    credit_code = StringField(_l("Unified social credit code"),
                              validators=[DataRequired(), Length(min=18, max=18)])
    size = SelectField(_l("Size"), choices=[(t.code, t.zh) for t in FIRM_SIZES])
    industry = SelectField(_l("Industry"), choices=[(t.code, t.zh) for t in CATEGORIES])
    district = SelectField(_l("District"), choices=[(d.code, d.zh) for d in DISTRICTS])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=80)])
    phone = StringField(_l("Contact mobile number"), validators=[DataRequired(), PHONE])
    password = PasswordField(_l("Password (at least 8 characters)"),
                             validators=[DataRequired(), Length(min=8, max=128)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=128)])
    new_password = PasswordField(_l("New password (at least 8 characters)"),
                                 validators=[DataRequired(), Length(min=8, max=128)])
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password",
                                            message=_l("The two new passwords differ"))])
