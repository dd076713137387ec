"""Labor bases over /api/v1: the registry, partner accounts, cohorts, members, figures."""

from __future__ import annotations

from marketplace.api.core import current_api_user, load_body, load_query, operation, page_body
from marketplace.auth.models import Role
from marketplace.extensions import db
from marketplace.laborbases import figures as figures_service
from marketplace.laborbases import services
from marketplace.laborbases.models import Cohort, CohortMember
from marketplace.laborbases.schemas import (
    CohortDetailSchema,
    CohortInputSchema,
    CohortListSchema,
    CohortMemberInputSchema,
    CohortMemberSchema,
    CohortSchema,
    LaborBaseFiguresQuerySchema,
    LaborBaseFiguresSchema,
    LaborBaseInputSchema,
    LaborBaseListSchema,
    LaborBasePublicSchema,
    LaborBaseQuerySchema,
    LaborBaseSchema,
    MyCohortListSchema,
    MyCohortSchema,
    NoBodySchema,
    PageQuerySchema,
    PartnerAccountInputSchema,
    PartnerAccountSchema,
    UpcomingListSchema,
)
from marketplace.privacy import mask_phone

DEFINITIONS = {
    "arrivals": "people in registered (not cancelled) cohorts, by arrival date",
    "placements": "confirmed, checked-in or completed shifts of workers tagged with the base, "
                  "by the shift's start",
    "retention_30d": "of cohort members who accepted the tag and arrived at least 30 days ago, "
                     "the share with a confirmed, checked-in or completed shift starting 30 days "
                     "or more after arrival; by arrival date",
    "second_shift_rate": "of the same members, the share who completed at least two shifts "
                         "since arriving",
    "dates": "local (Asia/Shanghai); weeks are ISO weeks, Monday to Sunday",
}


# --------------------------------------------------------------------------- registry


@operation("/labor-bases", methods=["GET"],
           summary="The registry of labor bases and cooperation regions (contacts for "
                   "administrators only)",
           tags=["labor bases"], query=LaborBaseQuerySchema, response=LaborBaseListSchema)
def list_labor_bases():
    user = current_api_user()
    query = load_query(LaborBaseQuerySchema())
    if user.role == Role.ADMIN:
        page = services.list_bases(actor=user, province=query.get("province"),
                                   kind=query.get("kind"), page=query["page"],
                                   per_page=query["per_page"])
        return page_body(page, LaborBaseSchema(many=True).dump(page.items))
    bases = [b for b in services.registry()
             if b.province == query.get("province", b.province)
             and b.kind == query.get("kind", b.kind)]
    start = (query["page"] - 1) * query["per_page"]
    items = LaborBasePublicSchema(many=True).dump(bases[start:start + query["per_page"]])
    return {"items": items, "page": query["page"], "per_page": query["per_page"],
            "total": len(bases)}


@operation("/labor-bases", methods=["POST"], summary="Add a labor base to the registry",
           tags=["labor bases"], body=LaborBaseInputSchema, response=LaborBaseSchema,
           status=201, roles=("admin",), errors=(409,))
def create_labor_base():
    data = load_body(LaborBaseInputSchema())
    base = services.create_base(actor=current_api_user(), data=data)
    db.session.commit()
    return LaborBaseSchema().dump(base), 201


@operation("/labor-bases/<int:base_id>", methods=["GET"], summary="One labor base",
           tags=["labor bases"], response=LaborBaseSchema, roles=("admin", "partner"))
def get_labor_base(base_id: int):
    return LaborBaseSchema().dump(services.get_base(actor=current_api_user(), base_id=base_id))


@operation("/labor-bases/<int:base_id>", methods=["PATCH"], summary="Edit a labor base",
           tags=["labor bases"], body=LaborBaseInputSchema, response=LaborBaseSchema,
           roles=("admin",), errors=(409,))
def update_labor_base(base_id: int):
    changes = load_body(LaborBaseInputSchema(), partial=True)
    base = services.update_base(actor=current_api_user(), base_id=base_id, changes=changes)
    db.session.commit()
    return LaborBaseSchema().dump(base)


@operation("/labor-bases/<int:base_id>/partners", methods=["POST"],
           summary="Create an account of the base's partner organisation",
           tags=["labor bases"], body=PartnerAccountInputSchema,
           response=PartnerAccountSchema, status=201, roles=("admin",), errors=(409,))
def create_partner(base_id: int):
    data = load_body(PartnerAccountInputSchema())
    user = services.create_partner(actor=current_api_user(), base_id=base_id, **data)
    db.session.commit()
    return PartnerAccountSchema().dump({"id": user.id, "name": user.name,
                                 "phone": mask_phone(user.phone), "role": user.role,
                                 "labor_base_id": user.labor_base_id}), 201


@operation("/labor-bases/figures", methods=["GET"],
           summary="Arrivals, placements and retention by period, base and province "
                   "(a partner sees only its own base)",
           tags=["labor bases"], query=LaborBaseFiguresQuerySchema, response=LaborBaseFiguresSchema,
           roles=("admin", "partner"))
def labor_base_figures():
    query = load_query(LaborBaseFiguresQuerySchema())
    result = figures_service.compute(actor=current_api_user(), **query)
    return LaborBaseFiguresSchema().dump({
        "granularity": result.granularity, "start": result.start, "end": result.end,
        "periods": [{"period": p.key, "start": p.start, "end": p.end, **p.tally.as_dict()}
                    for p in result.periods],
        "bases": [{"labor_base": b, **t.as_dict()} for b, t in result.bases],
        "provinces": [{"province": p, **t.as_dict()} for p, t in result.provinces],
        "total": result.total.as_dict(), "definitions": DEFINITIONS,
    })


# --------------------------------------------------------------------------- cohorts


def cohort_body(cohort: Cohort, schema=CohortSchema) -> dict:
    return schema().dump(cohort)


def member_body(member: CohortMember) -> dict:
    return CohortMemberSchema().dump({
        "id": member.id, "status": member.status,
        "name": member.worker.name if member.status == "accepted" else None,
        "phone": mask_phone(member.worker.phone), "invited_at": member.invited_at,
        "responded_at": member.responded_at})


@operation("/cohorts", methods=["GET"],
           summary="Cohorts the account may see: a partner its base's, an agency its own, "
                   "administrators all",
           tags=["cohorts"], query=PageQuerySchema, response=CohortListSchema,
           roles=("partner", "agency", "admin"))
def list_cohorts():
    query = load_query(PageQuerySchema())
    page = services.list_cohorts(actor=current_api_user(), page=query["page"],
                                 per_page=query["per_page"])
    return page_body(page, CohortSchema(many=True).dump(page.items))


@operation("/cohorts", methods=["POST"],
           summary="Register a cohort arriving together (a partner for its own base; an "
                   "agency names the base)",
           tags=["cohorts"], body=CohortInputSchema, response=CohortSchema, status=201,
           roles=("partner", "agency"))
def create_cohort():
    data = load_body(CohortInputSchema())
    cohort = services.create_cohort(actor=current_api_user(), data=data)
    db.session.commit()
    return cohort_body(cohort), 201


@operation("/cohorts/upcoming", methods=["GET"],
           summary="Cohorts arriving from a week ago on; those needing what the firm's open "
                   "shifts offer (housing, meals) first",
           tags=["cohorts"], query=PageQuerySchema, response=UpcomingListSchema,
           roles=("firm",))
def upcoming_cohorts():
    query = load_query(PageQuerySchema())
    page, provisions = services.upcoming_for_firm(actor=current_api_user(),
                                                  page=query["page"],
                                                  per_page=query["per_page"])
    items = [{**CohortSchema().dump(c), "fits": services.provision_fit(c, provisions)}
             for c in page.items]
    return {**page_body(page, items), "provisions": provisions}


@operation("/cohorts/<int:cohort_id>", methods=["GET"],
           summary="A cohort with its members (names once they accept; phones masked)",
           tags=["cohorts"], response=CohortDetailSchema, roles=("partner", "agency", "admin"))
def get_cohort(cohort_id: int):
    user = current_api_user()
    cohort = services.get_cohort(actor=user, cohort_id=cohort_id)
    body = cohort_body(cohort)
    body["member_list"] = [member_body(m) for m in services.members_of(actor=user,
                                                                       cohort_id=cohort.id)]
    return body


@operation("/cohorts/<int:cohort_id>/members", methods=["POST"],
           summary="Attach an existing worker account by mobile number (the worker confirms "
                   "on their phone)",
           tags=["cohorts"], body=CohortMemberInputSchema, response=CohortMemberSchema, status=201,
           roles=("partner", "agency"), errors=(409,))
def add_cohort_member(cohort_id: int):
    data = load_body(CohortMemberInputSchema())
    member = services.add_member(actor=current_api_user(), cohort_id=cohort_id,
                                 phone=data["phone"])
    db.session.commit()
    return member_body(member), 201


@operation("/cohorts/<int:cohort_id>/cancel", methods=["POST"], summary="Cancel a cohort",
           tags=["cohorts"], response=CohortSchema, roles=("partner", "agency"),
           errors=(409,))
def cancel_cohort(cohort_id: int):
    load_body(NoBodySchema())
    cohort = services.cancel_cohort(actor=current_api_user(), cohort_id=cohort_id)
    db.session.commit()
    return cohort_body(cohort)


# --------------------------------------------------------------------------- workers


@operation("/me/cohorts", methods=["GET"],
           summary="The worker's cohort invitations and tags, unanswered first",
           tags=["cohorts"], response=MyCohortListSchema, roles=("worker",))
def my_cohorts():
    members = services.memberships_for_worker(actor=current_api_user())
    return MyCohortListSchema().dump({"items": members})


@operation("/me/cohorts/<int:member_id>/accept", methods=["POST"],
           summary="Accept the tag: the profile's labor base becomes the cohort's",
           tags=["cohorts"], response=MyCohortSchema, roles=("worker",), errors=(409,))
def accept_cohort(member_id: int):
    member = services.answer_invitation(actor=current_api_user(), member_id=member_id,
                                        accept=True)
    db.session.commit()
    return MyCohortSchema().dump(member)


@operation("/me/cohorts/<int:member_id>/decline", methods=["POST"],
           summary="Decline the tag (frees the place in the cohort)",
           tags=["cohorts"], response=MyCohortSchema, roles=("worker",), errors=(409,))
def decline_cohort(member_id: int):
    member = services.answer_invitation(actor=current_api_user(), member_id=member_id,
                                        accept=False)
    db.session.commit()
    return MyCohortSchema().dump(member)
