"""Marshmallow schemas of the sharing exchange API (input schemas refuse unknown fields)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.schemas import Int, PageQuerySchema
from marketplace.sharing.models import InjuryLiability
from marketplace.taxonomy import DISTRICT_CODES, SKILL_CODES

MASKED = {"description": "masked, e.g. 138****5678"}


class NoBodySchema(Schema):
    """An action without parameters: an empty object (or no body)."""


# --------------------------------------------------------------------------- staff


class StaffInSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20),
                          metadata={"description": "the worker account's mobile number"})
    since = fields.Date(allow_none=True, load_default=None,
                        metadata={"description": "employed since (optional)"})
    job_title = fields.String(load_default="", validate=validate.Length(max=40))


class StaffWorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True,
                         metadata={"description": "shown once the worker has confirmed"})
    phone = fields.String(metadata=MASKED)
    skills = fields.List(fields.String())


class LentToSchema(Schema):
    agreement_id = fields.Integer()
    borrower = fields.String()
    until = fields.Date()


class StaffOutSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "invited, active, declined or ended"})
    since = fields.Date(allow_none=True)
    job_title = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)
    worker = fields.Nested(StaffWorkerSchema)
    lent_to = fields.Nested(LentToSchema, allow_none=True)


class StaffPageSchema(Schema):
    items = fields.List(fields.Nested(StaffOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class StaffQuerySchema(PageQuerySchema):
    current = fields.Boolean(load_default=True,
                             metadata={"description": "only invited and active staff"})


class FirmRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class EmployerLinkSchema(Schema):
    """A worker's own link to a firm that says they are its employee."""

    id = fields.Integer()
    status = fields.String()
    since = fields.Date(allow_none=True)
    job_title = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    firm = fields.Nested(FirmRefSchema)


class EmployerListSchema(Schema):
    items = fields.List(fields.Nested(EmployerLinkSchema))


class ListIdleSchema(Schema):
    staff_ids = fields.List(Int(), load_default=list,
                            validate=validate.Length(max=500),
                            metadata={"description": "staff to list; empty: every idle one"})


# --------------------------------------------------------------------------- listings


class ListingFieldsSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=80))
    headcount = Int(validate=validate.Range(1, 500))
    start_date = fields.Date()
    end_date = fields.Date()
    district = fields.String(validate=validate.OneOf(sorted(DISTRICT_CODES)))
    work_content = fields.String(validate=validate.Length(max=2000))
    daily_pay_fen = Int(allow_none=True, validate=validate.Range(1, 10_000_000),
                        metadata={"description": "needs: pay per worker and day"})
    skills = fields.List(fields.String(validate=validate.OneOf(sorted(SKILL_CODES))),
                         validate=validate.Length(max=10))
    staff_ids = fields.List(Int(), validate=validate.Length(max=500),
                            metadata={"description": "offers: which of the firm's staff"})


class ListingInSchema(ListingFieldsSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["offer", "need"]),
                         metadata={"description": "offer: idle staff to lend; need: staff "
                                                  "wanted"})


class ListingOutSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    own = fields.Boolean(metadata={"description": "the caller's firm posted it"})
    firm = fields.Nested(FirmRefSchema)
    title = fields.String()
    headcount = fields.Integer()
    start_date = fields.Date()
    end_date = fields.Date()
    district = fields.String()
    work_content = fields.String()
    daily_pay_fen = fields.Integer(allow_none=True)
    skills = fields.List(fields.String())
    staff_ids = fields.List(fields.Integer(), allow_none=True,
                            metadata={"description": "only for the firm's own offers"})
    created_at = fields.AwareDateTime()


class ListingPageSchema(Schema):
    items = fields.List(fields.Nested(ListingOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ListingQuerySchema(PageQuerySchema):
    scope = fields.String(load_default="own", validate=validate.OneOf(["own", "exchange"]),
                          metadata={"description": "own: the firm's listings; exchange: other "
                                                   "firms' open listings"})
    kind = fields.String(validate=validate.OneOf(["offer", "need"]))
    status = fields.String(validate=validate.OneOf(["open", "closed"]))
    district = fields.String(validate=validate.OneOf(sorted(DISTRICT_CODES)))
    skill = fields.String(validate=validate.OneOf(sorted(SKILL_CODES)))


class SuggestionSchema(Schema):
    listing = fields.Nested(ListingOutSchema)
    score = fields.Float()
    reasons = fields.List(fields.String(), metadata={"description": "skills, distance, "
                                                                    "overlap, headcount"})
    reason_text = fields.String()


class SuggestionListSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))


class SuggestionQuerySchema(Schema):
    limit = Int(load_default=10, validate=validate.Range(1, 50))


# --------------------------------------------------------------------------- agreements


class ProposeSchema(Schema):
    listing_id = Int(required=True, metadata={"description": "the caller's listing"})
    counterpart_id = Int(required=True,
                         metadata={"description": "another firm's listing of the "
                                                  "other kind"})


class TermsSchema(Schema):
    version = Int(required=True, metadata={
        "description": "the terms version the change is based on (409 agreement_changed if "
                       "the other firm changed it meanwhile)"})
    title = fields.String(validate=validate.Length(min=1, max=80))
    work_content = fields.String(validate=validate.Length(min=1, max=2000))
    district = fields.String(validate=validate.OneOf(sorted(DISTRICT_CODES)))
    address = fields.String(validate=validate.Length(max=200))
    start_date = fields.Date()
    end_date = fields.Date()
    day_start_minute = Int(validate=validate.Range(0, 1439),
                           metadata={"description": "local minutes after midnight"})
    day_end_minute = Int(validate=validate.Range(1, 1440))
    weekdays = fields.String(validate=validate.Regexp(r"^[1-7]{1,7}$"),
                             metadata={"description": "ISO weekdays, e.g. 12345"})
    daily_pay_fen = Int(validate=validate.Range(1, 10_000_000),
                        metadata={"description": "the borrower pays the lender, "
                                                 "per worker and day"})
    worker_pay_fen = Int(validate=validate.Range(1, 10_000_000),
                         metadata={"description": (
                             "the lender passes on to each worker per day; equal to "
                             "daily_pay_fen (422 lender_markup if less, "
                             "pass_through_mismatch if more)")})
    injury_liability = fields.String(validate=validate.OneOf(sorted(InjuryLiability)))
    labor_relationship = fields.String(validate=validate.Length(max=16), metadata={
        "description": "always 'lender' (422 labor_relationship_fixed otherwise)"})
    wage_payer = fields.String(validate=validate.Length(max=16), metadata={
        "description": "always 'lender' (422 labor_relationship_fixed otherwise)"})
    worker_ids = fields.List(Int(), validate=validate.Length(max=100), metadata={
        "description": "lender only: its own confirmed staff (422 not_lender_staff)"})


class SignSchema(Schema):
    version = Int(required=True,
                  metadata={"description": "the terms version being signed"})


class CancelAgreementSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class ConfirmSchema(Schema):
    score = Int(required=True, validate=validate.Range(1, 5),
                metadata={"description": "the caller's rating of the other firm"})
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class LentWorkerSchema(Schema):
    worker_id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata=MASKED)
    consent = fields.String(metadata={"description": "pending, consented, declined, withdrawn"})
    decided_at = fields.AwareDateTime(allow_none=True)
    booked = fields.Integer(metadata={"description": "days booked ahead"})
    completed = fields.Integer()
    no_show = fields.Integer()
    minutes = fields.Integer()
    pay_due_fen = fields.Integer()


class SignatureSchema(Schema):
    by = fields.String(allow_none=True)
    at = fields.AwareDateTime(allow_none=True)


class ConfirmationSchema(Schema):
    by = fields.String(allow_none=True)
    at = fields.AwareDateTime(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)


class AgreementOutSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "draft, signed, active, completed, "
                                                    "cancelled"})
    side = fields.String(allow_none=True, metadata={"description": "lender or borrower"})
    terms_version = fields.Integer()
    lender = fields.Nested(FirmRefSchema)
    borrower = fields.Nested(FirmRefSchema)
    title = fields.String()
    work_content = fields.String()
    category = fields.String()
    district = fields.String()
    address = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    day_start_minute = fields.Integer()
    day_end_minute = fields.Integer()
    weekdays = fields.String()
    work_days = fields.Integer()
    daily_pay_fen = fields.Integer()
    worker_pay_fen = fields.Integer()
    labor_relationship = fields.String()
    wage_payer = fields.String()
    injury_liability = fields.String()
    headcount = fields.Integer(metadata={"description": "workers named by the lender"})
    workers = fields.List(fields.Nested(LentWorkerSchema), metadata={
        "description": "the lender sees all it named; the borrower only those who consented"})
    signatures = fields.Dict(keys=fields.String(), values=fields.Nested(SignatureSchema))
    confirmations = fields.Dict(keys=fields.String(), values=fields.Nested(ConfirmationSchema))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class AgreementPageSchema(Schema):
    items = fields.List(fields.Nested(AgreementOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class AgreementQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(
        ["open", "draft", "signed", "active", "completed", "cancelled"]))


class AssignmentOutSchema(Schema):
    """What a lent worker sees: the terms that concern them and their rights."""

    agreement_id = fields.Integer()
    status = fields.String()
    consent = fields.String()
    decided_at = fields.AwareDateTime(allow_none=True)
    lender = fields.Nested(FirmRefSchema)
    borrower = fields.Nested(FirmRefSchema)
    title = fields.String()
    work_content = fields.String()
    district = fields.String()
    address = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    day_start_minute = fields.Integer()
    day_end_minute = fields.Integer()
    weekdays = fields.String()
    worker_pay_fen = fields.Integer(metadata={"description": "paid by the lender, per day"})
    labor_relationship = fields.String()
    wage_payer = fields.String()
    injury_liability = fields.String()
    rights = fields.List(fields.String())


class AssignmentListSchema(Schema):
    items = fields.List(fields.Nested(AssignmentOutSchema))
