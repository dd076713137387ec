from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.schemas import Int, PageQuerySchema
from marketplace.shifts.states import ACTIONS
from marketplace.taxonomy import CATEGORY_CODES, CERTIFICATE_CODES, DISTRICT_CODES, SKILL_CODES
from marketplace.timeutil import LOCAL_TZ


def aware() -> fields.AwareDateTime:
    return fields.AwareDateTime(default_timezone=LOCAL_TZ)


class ShiftInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=80))
    category = fields.String(required=True, validate=validate.OneOf(sorted(CATEGORY_CODES)))
    description = fields.String(validate=validate.Length(max=5000))
    district = fields.String(required=True, validate=validate.OneOf(sorted(DISTRICT_CODES)))
    address = fields.String(validate=validate.Length(max=200))
    lat = fields.Float(allow_none=True, validate=validate.Range(35, 39))
    lon = fields.Float(allow_none=True, validate=validate.Range(120, 124))
    starts_at = fields.AwareDateTime(required=True, default_timezone=LOCAL_TZ)
    ends_at = fields.AwareDateTime(required=True, default_timezone=LOCAL_TZ)
    headcount = Int(required=True, validate=validate.Range(1, 1000))
    pay_amount_fen = Int(required=True, validate=validate.Range(1, 100_000_000))
    pay_unit = fields.String(required=True, validate=validate.OneOf(["hour", "day", "piece"]))
    settlement = fields.String(required=True,
                               validate=validate.OneOf(["daily", "weekly", "on_completion"]))
    meals = fields.Boolean()
    housing = fields.Boolean()
    skills = fields.List(fields.String(validate=validate.OneOf(sorted(SKILL_CODES))),
                         validate=validate.Length(max=20))
    certificates = fields.List(
        fields.String(validate=validate.OneOf(sorted(CERTIFICATE_CODES))),
        validate=validate.Length(max=10),
    )


class FirmBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    size = fields.String()
    industry = fields.String()


class ShiftOutSchema(Schema):
    id = fields.Integer()
    firm = fields.Nested(FirmBriefSchema)
    title = fields.String()
    category = fields.String()
    description = fields.String()
    district = fields.String()
    address = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    headcount = fields.Integer()
    filled = fields.Integer()
    seats_left = fields.Integer()
    pay_amount_fen = fields.Integer()
    pay_unit = fields.String()
    daily_pay_fen = fields.Integer()
    settlement = fields.String()
    meals = fields.Boolean()
    housing = fields.Boolean()
    status = fields.String()
    skills = fields.List(fields.String())
    certificates = fields.List(fields.String())
    posted_at = fields.AwareDateTime()


class ShiftBriefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    firm = fields.Nested(FirmBriefSchema)
    district = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    pay_amount_fen = fields.Integer()
    pay_unit = fields.String()
    status = fields.String()


class ShiftQuerySchema(PageQuerySchema):
    category = fields.String(validate=validate.OneOf(sorted(CATEGORY_CODES)))
    district = fields.String(validate=validate.OneOf(sorted(DISTRICT_CODES)))
    date = fields.Date()
    min_daily_pay_fen = Int(validate=validate.Range(0, 100_000_000))
    meals = fields.Boolean()
    housing = fields.Boolean()
    q = fields.String(validate=validate.Length(max=50))


class ApplicantQuerySchema(PageQuerySchema):
    order = fields.String(load_default="match", validate=validate.OneOf(["match", "applied"]),
                          metadata={"description": "match: best reciprocal match first"})


class ShiftPageSchema(Schema):
    items = fields.List(fields.Nested(ShiftOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class CancelSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class ApplySchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=300))


class ActionSchema(Schema):
    minutes_worked = Int(validate=validate.Range(0, 14 * 24 * 60))
    pieces = Int(validate=validate.Range(0, 1_000_000))


class AttendanceSchema(Schema):
    checked_in_at = fields.AwareDateTime(allow_none=True)
    checked_out_at = fields.AwareDateTime(allow_none=True)
    minutes_worked = fields.Integer(allow_none=True)
    pieces = fields.Integer(allow_none=True)
    pay_due_fen = fields.Integer(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)


class WorkerRecordSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked, e.g. 138****5678"})
    rating = fields.Float(allow_none=True)
    ratings = fields.Integer()
    completed = fields.Integer()
    no_show = fields.Integer()
    reliability = fields.Float()
    favourite = fields.Boolean()


class BrokerCommissionSchema(Schema):
    kind = fields.String(metadata={"description": "fixed or percent"})
    fixed_fen = fields.Integer(allow_none=True)
    rate_bp = fields.Integer(allow_none=True, metadata={"description": "basis points of pay"})
    payer = fields.String(metadata={"description": "always firm"})
    worker_fee_fen = fields.Integer(metadata={"description": "always 0"})


class BrokerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    trust_grade = fields.String(allow_none=True, metadata={"description": "A (best) to D"})
    consent = fields.String(allow_none=True)
    commission = fields.Nested(BrokerCommissionSchema, allow_none=True)


class ApplicationOutSchema(Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    worker_id = fields.Integer()
    status = fields.String()
    source = fields.String()
    note = fields.String(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    attendance = fields.Nested(AttendanceSchema, allow_none=True)
    shift = fields.Nested(ShiftBriefSchema)
    worker = fields.Nested(WorkerRecordSchema, allow_none=True)
    agency = fields.Nested(BrokerSchema, allow_none=True, metadata={
        "description": "the HR agency that put the worker forward, if any"})
    actions = fields.List(fields.String(validate=validate.OneOf(sorted(ACTIONS))))


class ApplicationPageSchema(Schema):
    items = fields.List(fields.Nested(ApplicationOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class RatingInSchema(Schema):
    score = Int(required=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class RatingOutSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    rater = fields.String()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class FeedItemSchema(Schema):
    shift = fields.Nested(ShiftOutSchema)
    score = fields.Float()
    distance_km = fields.Float(allow_none=True)
    position = fields.Integer()
    reasons = fields.List(fields.String())
    reason_text = fields.String()


class FeedPageSchema(Schema):
    items = fields.List(fields.Nested(FeedItemSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class FeedQuerySchema(ShiftQuerySchema):
    pass

