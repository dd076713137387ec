from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.schemas import Int
from marketplace.auth.schemas import FirmSchema
from marketplace.taxonomy import (
    CERTIFICATE_CODES,
    DISTRICT_CODES,
    PRIORITY_GROUP_CODES,
    PROVINCES,
    SKILL_CODES,
)
from marketplace.validators import ID_NUMBER_REGEX


class WorkerProfileSchema(Schema):
    district = fields.String(allow_none=True)
    home_lat = fields.Float(allow_none=True)
    home_lon = fields.Float(allow_none=True)
    commute_radius_km = fields.Integer()
    min_daily_pay_fen = fields.Integer()
    origin_province = fields.String(allow_none=True)
    labor_base = fields.String(allow_none=True)
    labor_base_id = fields.Integer(allow_none=True, metadata={
        "description": "registry entry (GET /labor-bases); labor_base then holds its name"})
    bio = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    certificates = fields.List(fields.String())
    # Sensitive: only ever serialised for the worker themself.
    priority_group = fields.String(allow_none=True)
    priority_verified = fields.Boolean()
    id_number_masked = fields.String(allow_none=True)


class AgencyMeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    licence_no = fields.String()
    verification_status = fields.String()
    brokering_suspended = fields.Boolean()


class MeSchema(Schema):
    id = fields.Integer()
    phone = fields.String()
    name = fields.String()
    role = fields.String()
    status = fields.String()
    locale = fields.String(allow_none=True)
    firm = fields.Nested(FirmSchema, allow_none=True)
    agency = fields.Nested(AgencyMeSchema, allow_none=True)
    profile = fields.Nested(WorkerProfileSchema, allow_none=True)


class MePatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=80))
    locale = fields.String(validate=validate.OneOf(["zh_CN", "en"]))
    district = fields.String(allow_none=True, validate=validate.OneOf(sorted(DISTRICT_CODES)))
    home_lat = fields.Float(allow_none=True, validate=validate.Range(35, 39))
    home_lon = fields.Float(allow_none=True, validate=validate.Range(120, 124))
    commute_radius_km = Int(validate=validate.Range(1, 500))
    min_daily_pay_fen = Int(validate=validate.Range(0, 1_000_000))
    origin_province = fields.String(allow_none=True, validate=validate.OneOf(PROVINCES))
    labor_base = fields.String(allow_none=True, validate=validate.Length(max=80))
    labor_base_id = Int(allow_none=True, strict=True, metadata={
        "description": "a labor base from GET /labor-bases; null clears it"})
    bio = fields.String(allow_none=True, validate=validate.Length(max=500))
    skills = fields.List(fields.String(validate=validate.OneOf(sorted(SKILL_CODES))),
                         validate=validate.Length(max=30))
    certificates = fields.List(
        fields.String(validate=validate.OneOf(sorted(CERTIFICATE_CODES))),
        validate=validate.Length(max=20),
    )
    priority_group = fields.String(allow_none=True,
                                   validate=validate.OneOf(sorted(PRIORITY_GROUP_CODES)))
    id_number = fields.String(load_only=True, validate=validate.Regexp(ID_NUMBER_REGEX))


TIME = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


class WeeklyWindowSchema(Schema):
    weekday = Int(required=True, validate=validate.Range(0, 6))
    start = fields.String(required=True, validate=TIME)
    end = fields.String(required=True, validate=TIME)


class DateWindowSchema(Schema):
    date = fields.Date(required=True)
    available = fields.Boolean(required=True)
    start = fields.String(allow_none=True, validate=TIME)
    end = fields.String(allow_none=True, validate=TIME)


class AvailabilitySchema(Schema):
    weekly = fields.List(fields.Nested(WeeklyWindowSchema), load_default=list,
                         validate=validate.Length(max=50))
    dates = fields.List(fields.Nested(DateWindowSchema), load_default=list,
                        validate=validate.Length(max=400))
