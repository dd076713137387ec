"""Marshmallow schemas of the labor-base API: the registry, cohorts, members and figures."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.schemas import Int
from marketplace.laborbases.services import (
    BASE_KINDS,
    BASE_PROVINCES,
    MAX_COHORT_HEADCOUNT,
)
from marketplace.taxonomy import DISTRICT_CODES, SKILL_CODES
from marketplace.validators import MAX_PAGE, PHONE_REGEX


class PageQuerySchema(Schema):
    page = Int(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = Int(load_default=20, validate=validate.Range(min=1, max=100))


class NoBodySchema(Schema):
    """An action without parameters: an empty object (or no body); any key is refused."""


class LaborBasePublicSchema(Schema):
    """What any signed-in account sees of a registry entry (to pick a base)."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"description": "labor_base or cooperation_region"})
    province = fields.String()
    city = fields.String()
    partner_org = fields.String()


class LaborBaseSchema(LaborBasePublicSchema):
    """The whole entry, for administrators and the base's own partner organisation."""

    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class LaborBaseListSchema(Schema):
    items = fields.List(fields.Nested(LaborBaseSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class LaborBaseQuerySchema(PageQuerySchema):
    province = fields.String(validate=validate.OneOf(BASE_PROVINCES))
    kind = fields.String(validate=validate.OneOf(BASE_KINDS))
    per_page = Int(load_default=50, validate=validate.Range(min=1, max=100))


class LaborBaseInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(load_default="labor_base", validate=validate.OneOf(BASE_KINDS))
    province = fields.String(required=True, validate=validate.OneOf(BASE_PROVINCES))
    city = fields.String(required=True, validate=validate.Length(min=1, max=40))
    partner_org = fields.String(required=True, validate=validate.Length(min=1, max=120))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=40))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=20))


class PartnerAccountInputSchema(Schema):
    phone = fields.String(required=True, validate=validate.Regexp(PHONE_REGEX))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=8, max=128))


class PartnerAccountSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked, e.g. 139****0005"})
    role = fields.String()
    labor_base_id = fields.Integer()


class CohortInputSchema(Schema):
    labor_base_id = Int(strict=True, metadata={
        "description": "required for agencies; a partner's cohorts are of its own base"})
    arrival_date = fields.Date(required=True, metadata={"description": "local date"})
    headcount = Int(required=True, strict=True,
                    validate=validate.Range(min=1, max=MAX_COHORT_HEADCOUNT))
    skills = fields.List(fields.String(validate=validate.OneOf(sorted(SKILL_CODES))),
                         load_default=list, validate=validate.Length(max=30))
    housing_needed = fields.Boolean(load_default=False)
    meals_needed = fields.Boolean(load_default=False)
    district = fields.String(allow_none=True, validate=validate.OneOf(sorted(DISTRICT_CODES)))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class CohortSchema(Schema):
    id = fields.Integer()
    labor_base = fields.Nested(LaborBasePublicSchema)
    agency_id = fields.Integer(allow_none=True)
    arrival_date = fields.Date()
    headcount = fields.Integer()
    members = fields.Integer(metadata={"description": "worker accounts attached (invited or "
                                                      "accepted); the rest are counted only"})
    counted_only = fields.Integer()
    skills = fields.List(fields.String())
    housing_needed = fields.Boolean()
    meals_needed = fields.Boolean()
    district = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "registered or cancelled"})
    created_at = fields.AwareDateTime()


class CohortListSchema(Schema):
    items = fields.List(fields.Nested(CohortSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class UpcomingCohortSchema(CohortSchema):
    fits = fields.List(fields.String(), metadata={
        "description": "needs the firm's open shifts meet: housing, meals"})


class UpcomingListSchema(Schema):
    items = fields.List(fields.Nested(UpcomingCohortSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    provisions = fields.Dict(keys=fields.String(), values=fields.Boolean(), metadata={
        "description": "whether the firm's open shifts offer housing and meals"})


class CohortMemberSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "invited, accepted or declined"})
    name = fields.String(allow_none=True, metadata={"description": "shown once accepted"})
    phone = fields.String(metadata={"description": "masked"})
    invited_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)


class CohortDetailSchema(CohortSchema):
    member_list = fields.List(fields.Nested(CohortMemberSchema), data_key="member_list")


class CohortMemberInputSchema(Schema):
    phone = fields.String(required=True, validate=validate.Regexp(PHONE_REGEX))


class MyCohortSchema(Schema):
    id = fields.Integer(metadata={"description": "the invitation (member) id"})
    status = fields.String()
    cohort = fields.Nested(CohortSchema)
    invited_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)


class MyCohortListSchema(Schema):
    items = fields.List(fields.Nested(MyCohortSchema))


class LaborBaseFiguresQuerySchema(Schema):
    granularity = fields.String(load_default="month", validate=validate.OneOf(["month", "week"]))
    start = fields.Date(metadata={"description": "first day (local); default about a year"})
    end = fields.Date(metadata={"description": "last day (local)"})
    base_id = Int(metadata={"description": "administrators: one base; a partner "
                                          "always gets its own"})
    province = fields.String(validate=validate.OneOf(BASE_PROVINCES))


class BaseTallySchema(Schema):
    cohorts = fields.Integer()
    arrivals = fields.Integer()
    placements = fields.Integer()
    retention_eligible = fields.Integer()
    retained_30d = fields.Integer()
    retention_30d = fields.Float(allow_none=True)
    second_shift = fields.Integer()
    second_shift_rate = fields.Float(allow_none=True)


class LaborBasePeriodSchema(BaseTallySchema):
    period = fields.String(metadata={"description": "2026-03 or 2026-W11"})
    start = fields.Date()
    end = fields.Date()


class LaborBaseTotalsSchema(BaseTallySchema):
    labor_base = fields.Nested(LaborBasePublicSchema)


class ProvinceTotalsSchema(BaseTallySchema):
    province = fields.String()


class LaborBaseFiguresSchema(Schema):
    granularity = fields.String()
    start = fields.Date()
    end = fields.Date()
    periods = fields.List(fields.Nested(LaborBasePeriodSchema))
    bases = fields.List(fields.Nested(LaborBaseTotalsSchema))
    provinces = fields.List(fields.Nested(ProvinceTotalsSchema))
    total = fields.Nested(BaseTallySchema)
    definitions = fields.Dict(keys=fields.String(), values=fields.String())
