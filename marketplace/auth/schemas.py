from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.taxonomy import DISTRICT_CODES, FIRM_SIZE_CODES
from marketplace.validators import PHONE_REGEX


class RegisterSchema(Schema):
    phone = fields.String(required=True, validate=validate.Regexp(PHONE_REGEX))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=8, max=128))
    role = fields.String(required=True, validate=validate.OneOf(["worker", "firm", "agency"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    firm_name = fields.String(validate=validate.Length(min=1, max=120))
    credit_code = fields.String(validate=validate.Length(equal=18))
    size = fields.String(validate=validate.OneOf(sorted(FIRM_SIZE_CODES)))
    industry = fields.String(validate=validate.Length(min=1, max=40))
    district = fields.String(validate=validate.OneOf(sorted(DISTRICT_CODES)))
    address = fields.String(validate=validate.Length(max=200))
    # HR agencies: the agency's registered name (default: name) and its HR service licence.
    agency_name = fields.String(validate=validate.Length(min=1, max=120))
    licence_no = fields.String(validate=validate.Length(min=6, max=40))

    @validates_schema
    def firm_fields_present(self, data, **_kwargs):
        required = {"firm": ("credit_code", "size", "industry"),
                    "agency": ("credit_code", "licence_no")}.get(data.get("role"), ())
        missing = [f for f in required if not data.get(f)]
        if missing:
            raise ValidationError({f: [f"Required for {data['role']} accounts"]
                                   for f in missing})


class TokenRequestSchema(Schema):
    phone = fields.String(required=True, validate=[validate.Length(max=20),
                                                   validate.Regexp(PHONE_REGEX)])
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
    # optional: how the token shows in the owner's list (default: the client's User-Agent)
    label = fields.String(validate=validate.Length(max=80))


class TokenInfoSchema(Schema):
    """One of the account's live tokens, as its owner sees it (never the token itself)."""

    id = fields.Integer(required=True)
    prefix = fields.String(allow_none=True)  # the token's first characters
    label = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    last_used_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(required=True)
    current = fields.Boolean(required=True)  # the token this request was sent with


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenInfoSchema), required=True)


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(max=128))
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(max=128))


class TokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(dump_default="Bearer")
    expires_in_days = fields.Integer()


class FirmSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    size = fields.String()
    industry = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    verification_status = fields.String()
