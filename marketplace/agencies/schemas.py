"""Marshmallow schemas of the agencies API: input schemas refuse unknown fields (RAISE is
marshmallow's default), output schemas never carry a worker's sensitive status."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.api.schemas import Int, PageQuerySchema
from marketplace.taxonomy import CATEGORY_CODES
from marketplace.validators import INT32_MAX, PHONE_REGEX

PHONE = validate.Regexp(PHONE_REGEX, error="Enter an 11-digit mainland mobile number")


class AgencyBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    trust_grade = fields.String(allow_none=True, metadata={"description": "A (best) to D"})


class AgencySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    licence_no = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    verification_status = fields.String()
    verification_note = fields.String(allow_none=True)
    verified_at = fields.AwareDateTime(allow_none=True)
    brokering_suspended = fields.Boolean()
    may_broker = fields.Boolean()


class ScorecardSchema(Schema):
    grade = fields.String(metadata={"description": "trust grade A (best) to D"})
    multiplier = fields.Float(metadata={"description": "factor on the agency's candidates' "
                                                       "scores in firms' lists"})
    taken_on = fields.Integer(metadata={"description": "seats taken on (consented brokered "
                                                       "applications)"})
    filled = fields.Integer()
    fill_rate = fields.Float(allow_none=True)
    show_up_rate = fields.Float(allow_none=True)
    completion_rate = fields.Float(allow_none=True)
    rehire_rate = fields.Float(allow_none=True, metadata={"description": "30-day re-hire rate"})
    firm_rating = fields.Float(allow_none=True)
    firm_ratings = fields.Integer()
    worker_rating = fields.Float(allow_none=True)
    worker_ratings = fields.Integer()
    complaints_upheld = fields.Integer()
    complaints_open = fields.Integer()
    no_shows = fields.Integer()
    fee_breaches = fields.Integer()
    fake_postings = fields.Integer()
    breaches = fields.Integer()
    reasons = fields.List(fields.String(), metadata={"description": "why the grade is not "
                                                                    "one better"})


class AgencyProfileSchema(Schema):
    agency = fields.Nested(AgencySchema)
    scorecard = fields.Nested(ScorecardSchema)
    roster_size = fields.Integer(allow_none=True)


class PublicAgencySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    licence_no = fields.String()
    district = fields.String(allow_none=True)
    verified = fields.Boolean()
    scorecard = fields.Nested(ScorecardSchema)


class PublicAgencyListSchema(Schema):
    items = fields.List(fields.Nested(AgencyBriefSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class RosterWorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked, e.g. 138****5678"})
    district = fields.String(allow_none=True)
    origin_province = fields.String(allow_none=True)
    labor_base = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    certificates = fields.List(fields.String())
    joined_at = fields.AwareDateTime(allow_none=True)
    consent_categories = fields.List(fields.String(), metadata={
        "description": "categories the worker gave standing consent for"})
    completed = fields.Integer()
    no_show = fields.Integer()
    rating = fields.Float(allow_none=True)
    ratings = fields.Integer()
    reliability = fields.Float()


class RosterPageSchema(Schema):
    items = fields.List(fields.Nested(RosterWorkerSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class RosterQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=40))


class InviteSchema(Schema):
    phone = fields.String(required=True, validate=PHONE)
    note = fields.String(load_default="", validate=validate.Length(max=200))


class MembershipSchema(Schema):
    id = fields.Integer()
    agency = fields.Nested(AgencyBriefSchema)
    status = fields.String(metadata={"description": "invited, requested, active, declined or "
                                                    "ended"})
    initiated_by = fields.String()
    created_at = fields.AwareDateTime()
    joined_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)
    consent_categories = fields.List(fields.String())


class MembershipListSchema(Schema):
    items = fields.List(fields.Nested(MembershipSchema))


class ConsentSchema(Schema):
    categories = fields.List(fields.String(validate=validate.OneOf(sorted(CATEGORY_CODES))),
                             required=True, validate=validate.Length(max=20))


class CommissionInSchema(Schema):
    """Commission terms. `payer`, `worker_fee_fen` and `deposit_fen` exist only to be refused
    with `worker_fee_forbidden`: the firm pays, workers pay nothing."""

    kind = fields.String(required=True, validate=validate.OneOf(["fixed", "percent"]))
    fixed_fen = Int(validate=validate.Range(0, 1_000_000))
    rate_bp = Int(validate=validate.Range(0, 5000),
                  metadata={"description": "basis points of the worker's pay"})
    payer = fields.String(load_default="firm", validate=validate.Length(max=20),
                          metadata={"description": "always firm"})
    worker_fee_fen = Int(load_default=0, metadata={"description": "must be 0"})
    deposit_fen = Int(load_default=0, metadata={"description": "must be 0"})

    @validates_schema
    def amount_present(self, data, **_kwargs):
        if data.get("kind") == "fixed" and data.get("fixed_fen") is None:
            raise ValidationError({"fixed_fen": ["Required for a fixed commission"]})
        if data.get("kind") == "percent" and data.get("rate_bp") is None:
            raise ValidationError({"rate_bp": ["Required for a percentage commission"]})


class CommissionSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    kind = fields.String()
    fixed_fen = fields.Integer(allow_none=True)
    rate_bp = fields.Integer(allow_none=True)
    payer = fields.String()
    worker_fee_fen = fields.Integer()
    state = fields.String(metadata={"description": "pending, due, settled or void"})
    due_fen = fields.Integer(allow_none=True)
    settled_fen = fields.Integer(allow_none=True)
    settled_at = fields.AwareDateTime(allow_none=True)


class BrokeredApplicationInSchema(Schema):
    shift_id = Int(required=True)
    worker_id = Int(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))
    commission = fields.Nested(CommissionInSchema, required=True)
    # Refused with worker_fee_forbidden when above 0 (see CommissionInSchema).
    worker_fee_fen = Int(load_default=0)
    deposit_fen = Int(load_default=0)


class BrokeredShiftSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    firm = fields.String(attribute="firm.name")
    category = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()


class BrokeredWorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked"})


class BrokeredApplicationSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "proposed: waiting for the worker to "
                                                    "confirm on their phone"})
    agency_consent = fields.String(allow_none=True, metadata={
        "description": "confirmed (on the phone) or standing (for the category)"})
    shift = fields.Nested(BrokeredShiftSchema)
    worker = fields.Nested(BrokeredWorkerSchema)
    commission = fields.Nested(CommissionSchema, allow_none=True)
    actions = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class BrokeredPageSchema(Schema):
    items = fields.List(fields.Nested(BrokeredApplicationSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PlacementQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(
        ["proposed", "applied", "offered", "confirmed", "checked_in", "completed", "no_show",
         "withdrawn", "declined", "rejected", "cancelled"]))


def _id_list(value: str) -> list[int]:
    """The ids of a comma-separated list; one beyond any row id (> 2**31-1) matches nothing."""
    return [int(part) for part in value.split(",") if part.strip() and int(part) <= INT32_MAX]


class FillQuerySchema(Schema):
    shift_ids = fields.String(validate=validate.Regexp(r"^[0-9]{1,10}(,[0-9]{1,10}){0,199}$"),
                              metadata={"description": "comma-separated shift ids"})
    firm_id = Int()

    @validates_schema
    def one_of(self, data, **_kwargs):
        if not data.get("shift_ids") and not data.get("firm_id"):
            raise ValidationError({"shift_ids": ["Give shift_ids or firm_id"]})


class FillRowSchema(Schema):
    shift_id = Int(required=True)
    worker_id = Int(required=True)


class FillRowOutSchema(Schema):
    shift = fields.Nested(BrokeredShiftSchema)
    worker = fields.Nested(BrokeredWorkerSchema)
    score = fields.Float()
    standing_consent = fields.Boolean(metadata={
        "description": "true: applies at once; false: the worker confirms on their phone"})


class FillSummarySchema(Schema):
    shifts = fields.Integer()
    seats = fields.Integer()
    candidates = fields.Integer()
    rows = fields.Integer()
    total_score = fields.Float()
    method = fields.String()


class FillPlanSchema(Schema):
    items = fields.List(fields.Nested(FillRowOutSchema))
    summary = fields.Nested(FillSummarySchema)


class FillInSchema(Schema):
    rows = fields.List(fields.Nested(FillRowSchema), required=True,
                       validate=validate.Length(min=1, max=1000))
    commission = fields.Nested(CommissionInSchema, required=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))
    worker_fee_fen = Int(load_default=0)
    deposit_fen = Int(load_default=0)


class FillSentSchema(Schema):
    sent = fields.Integer()
    proposals = fields.Integer(metadata={"description": "waiting for the workers' confirmation"})
    applications = fields.Integer(metadata={"description": "sent at once (standing consent)"})


class CommissionQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(["due", "pending", "settled", "void"]))


class CommissionTotalsSchema(Schema):
    settled_fen = fields.Integer()
    due_fen = fields.Integer()
    pending = fields.Integer()
    placements = fields.Integer()


class CommissionItemSchema(CommissionSchema):
    shift = fields.Nested(BrokeredShiftSchema)
    worker = fields.Nested(BrokeredWorkerSchema, allow_none=True, metadata={
        "description": "null once the worker has left the roster"})


class CommissionPageSchema(Schema):
    items = fields.List(fields.Nested(CommissionItemSchema))
    totals = fields.Nested(CommissionTotalsSchema)
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ComplaintInSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(
        ["worker_fee", "fake_posting", "no_show", "conduct", "other"]))
    description = fields.String(required=True, validate=validate.Length(min=5, max=1000))


class ComplaintSchema(Schema):
    id = fields.Integer()
    agency_id = fields.Integer()
    category = fields.String()
    description = fields.String()
    status = fields.String()
    filer_role = fields.String()
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class DecideComplaintSchema(Schema):
    uphold = fields.Boolean(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=300))


class BrokeringSchema(Schema):
    suspended = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class RankingItemSchema(Schema):
    rank = fields.Integer()
    agency = fields.Nested(AgencySchema)
    scorecard = fields.Nested(ScorecardSchema)


class RankingSchema(Schema):
    items = fields.List(fields.Nested(RankingItemSchema))


def id_list(value: str | None) -> list[int]:
    return _id_list(value) if value else []
