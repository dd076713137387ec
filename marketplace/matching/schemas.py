"""Marshmallow schemas of the matching API: candidates for a shift and the one-click match."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.schemas import Int


class CandidateQuerySchema(Schema):
    limit = Int(load_default=20, validate=validate.Range(min=1, max=50))


class CandidateWorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked, e.g. 138****5678"})
    rating = fields.Float(allow_none=True)
    ratings = fields.Integer()
    completed = fields.Integer()
    no_show = fields.Integer()
    reliability = fields.Float(metadata={"description": "smoothed completions / (completions + "
                                                        "no-shows)"})


class CandidateSchema(Schema):
    worker = fields.Nested(CandidateWorkerSchema)
    score = fields.Float(metadata={"description": "reciprocal score: harmonic mean of the "
                                                  "worker and firm sides"})
    distance_km = fields.Float(allow_none=True)
    reasons = fields.List(fields.String(), metadata={"description": "reason keys, best first"})
    reason_text = fields.String()


class CandidateListSchema(Schema):
    items = fields.List(fields.Nested(CandidateSchema))


class PlannedShiftSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()


class PlannedWorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked, e.g. 138****5678"})


class PlannedOfferSchema(Schema):
    application_id = fields.Integer()
    shift = fields.Nested(PlannedShiftSchema)
    worker = fields.Nested(PlannedWorkerSchema)
    score = fields.Float()


class MatchSummarySchema(Schema):
    shifts = fields.Integer(metadata={"description": "open shifts with free seats"})
    applicants = fields.Integer(metadata={"description": "pending applications on them"})
    offers = fields.Integer(metadata={"description": "offers in the plan"})
    total_score = fields.Float()
    method = fields.String(metadata={"description": "how the assignment was solved"})


class MatchPlanSchema(Schema):
    items = fields.List(fields.Nested(PlannedOfferSchema))
    summary = fields.Nested(MatchSummarySchema)


class MatchSentSchema(Schema):
    offers_sent = fields.Integer()
