"""HR agencies over /api/v1: the agency's roster, brokered applications, batch fill,
commissions and scorecard; the worker's memberships and consent; agency profiles and
complaints; the administrators' verification, ranking, brokering and complaint decisions."""

from __future__ import annotations

from marketplace.admin.schemas import VerifySchema
from marketplace.agencies import brokering, roster, services, trust
from marketplace.agencies.models import Agency, Commission, RosterMembership
from marketplace.agencies.schemas import (
    AgencyProfileSchema,
    AgencySchema,
    BrokeredApplicationInSchema,
    BrokeredApplicationSchema,
    BrokeredPageSchema,
    BrokeringSchema,
    CommissionItemSchema,
    CommissionPageSchema,
    CommissionQuerySchema,
    ComplaintInSchema,
    ComplaintSchema,
    ConsentSchema,
    DecideComplaintSchema,
    FillInSchema,
    FillPlanSchema,
    FillQuerySchema,
    FillSentSchema,
    InviteSchema,
    MembershipListSchema,
    MembershipSchema,
    PlacementQuerySchema,
    PublicAgencyListSchema,
    PublicAgencySchema,
    RankingSchema,
    RosterPageSchema,
    RosterQuerySchema,
    RosterWorkerSchema,
    id_list,
)
from marketplace.api.core import (
    current_api_user,
    load_body,
    load_query,
    operation,
    page_body,
)
from marketplace.api.schemas import PageQuerySchema
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.privacy import mask_phone
from marketplace.shifts.applications import available_actions

AGENCY = ("agency",)
TAGS = ["agencies"]


# ----------------------------------------------------------------------- bodies


def scorecard_body(card: trust.Scorecard) -> dict:
    return {**card.figures(), "reasons": trust.reasons_english(card.reasons)}


def agency_body(agency: Agency) -> dict:
    return AgencySchema().dump(agency)


def membership_body(membership: RosterMembership, grade: str | None = None) -> dict:
    return MembershipSchema().dump({
        **{k: getattr(membership, k) for k in ("id", "status", "initiated_by", "created_at",
                                                "joined_at", "ended_at", "ended_by",
                                                "consent_categories")},
        "agency": {"id": membership.agency.id, "name": membership.agency.name,
                   "trust_grade": grade},
    })


def commission_body(commission: Commission | None) -> dict | None:
    if commission is None:
        return None
    return {
        **{k: getattr(commission, k) for k in ("id", "application_id", "kind", "fixed_fen",
                                                "rate_bp", "payer", "worker_fee_fen",
                                                "settled_fen", "settled_at")},
        "state": brokering.commission_state(commission),
        "due_fen": brokering.commission_due_fen(commission, commission.application),
    }


def worker_brief(user) -> dict:
    return {"id": user.id, "name": user.name, "phone": mask_phone(user.phone)}


def brokered_body(actor, application, commission: Commission | None) -> dict:
    return BrokeredApplicationSchema().dump({
        "id": application.id, "status": application.status,
        "agency_consent": application.agency_consent, "shift": application.shift,
        "worker": worker_brief(application.worker), "commission": commission_body(commission),
        "actions": available_actions(actor, application), "created_at": application.created_at,
    })


def _first_nonzero(*values: int | None) -> int:
    """The fee fields may appear at two levels: any non-zero one is refused (summing them
    would let 500 and -500 cancel out)."""
    return next((value for value in values if value), 0)


def terms_from(data: dict) -> brokering.Terms:
    commission = data["commission"]
    brokering.refuse_worker_fees(
        payer=commission.get("payer"),
        worker_fee_fen=_first_nonzero(commission.get("worker_fee_fen"),
                                      data.get("worker_fee_fen")),
        deposit_fen=_first_nonzero(commission.get("deposit_fen"), data.get("deposit_fen")))
    return brokering.make_terms(kind=commission["kind"], fixed_fen=commission.get("fixed_fen"),
                                rate_bp=commission.get("rate_bp"))


# ----------------------------------------------------------------------- the agency


@operation("/agency", methods=["GET"], summary="The signed-in agency, its status and "
           "scorecard", tags=TAGS, response=AgencyProfileSchema, roles=AGENCY)
def agency_profile():
    agency = services.require_agency(current_api_user())
    return AgencyProfileSchema().dump({
        "agency": agency, "scorecard": scorecard_body(trust.scorecard(agency.id)),
        "roster_size": roster.roster_size(agency.id)})


@operation("/agency/roster", methods=["GET"], summary="Workers on the agency's roster now",
           tags=TAGS, query=RosterQuerySchema, response=RosterPageSchema, roles=AGENCY)
def agency_roster():
    query = load_query(RosterQuerySchema())
    page = roster.list_roster(actor=current_api_user(), page=query["page"],
                              per_page=query["per_page"], q=query.get("q"))
    items = [roster.worker_profile_for_agency(m) for m in page.items]
    return page_body(page, RosterPageSchema().dump({"items": items})["items"])


@operation("/agency/roster/invitations", methods=["POST"],
           summary="Invite a worker by mobile number (they accept on their phone)", tags=TAGS,
           body=InviteSchema, response=MembershipSchema, status=201, roles=AGENCY,
           errors=(409,))
def agency_invite():
    data = load_body(InviteSchema())
    membership = roster.invite(actor=current_api_user(), phone=data["phone"],
                               note=data["note"])
    db.session.commit()
    return membership_body(membership), 201


@operation("/agency/roster/<int:worker_id>", methods=["GET"],
           summary="A worker on the roster (404 for anyone else, past members included)",
           tags=TAGS, response=RosterWorkerSchema, roles=AGENCY)
def agency_roster_worker(worker_id: int):
    membership = roster.roster_member(actor=current_api_user(), worker_id=worker_id)
    return RosterWorkerSchema().dump(roster.worker_profile_for_agency(membership))


@operation("/agency/roster/<int:worker_id>/end", methods=["POST"],
           summary="Take a worker off the roster (or withdraw an invitation)", tags=TAGS,
           response=MembershipSchema, roles=AGENCY, errors=(409,))
def agency_end_membership(worker_id: int):
    membership = roster.end_by_agency(actor=current_api_user(), worker_id=worker_id)
    db.session.commit()
    return membership_body(membership)


@operation("/agency/roster/requests/<int:membership_id>/<answer>", methods=["POST"],
           summary="Accept or decline a worker's request to join (answer: accept|decline)",
           tags=TAGS, response=MembershipSchema, roles=AGENCY, errors=(409,),
           path_values={"answer": ("accept", "decline")})
def agency_answer_request(membership_id: int, answer: str):
    if answer not in ("accept", "decline"):
        raise NotFound("Unknown answer")
    membership = roster.answer_request(actor=current_api_user(), membership_id=membership_id,
                                       accept=answer == "accept")
    db.session.commit()
    return membership_body(membership)


@operation("/agency/applications", methods=["GET"],
           summary="The agency's brokered applications (workers on its roster now)",
           tags=TAGS, query=PlacementQuerySchema, response=BrokeredPageSchema, roles=AGENCY)
def agency_applications():
    query = load_query(PlacementQuerySchema())
    actor = current_api_user()
    page = brokering.list_placements(actor=actor, statuses=[query["status"]]
                                     if query.get("status") else None, page=query["page"],
                                     per_page=query["per_page"])
    commissions = brokering.commissions_for_applications([a.id for a in page.items])
    return page_body(page, [brokered_body(actor, a, commissions.get(a.id))
                            for a in page.items])


@operation("/agency/applications", methods=["POST"],
           summary="Apply for a roster worker to an open shift: a proposal the worker "
                   "confirms on their phone, unless they gave standing consent for the "
                   "category. Commission paid by the firm; any worker fee or deposit is "
                   "refused (422 worker_fee_forbidden)",
           tags=TAGS, body=BrokeredApplicationInSchema, response=BrokeredApplicationSchema,
           status=201, roles=AGENCY, errors=(409,))
def agency_apply():
    data = load_body(BrokeredApplicationInSchema())
    actor = current_api_user()
    terms = terms_from(data)
    application = brokering.broker_apply(actor=actor, shift_id=data["shift_id"],
                                         worker_id=data["worker_id"], terms=terms,
                                         note=data["note"])
    db.session.commit()
    commission = brokering.commissions_for_applications([application.id]).get(application.id)
    return brokered_body(actor, application, commission), 201


@operation("/agency/fill", methods=["GET"],
           summary="Suggested batch fill of open shifts (shift_ids, or all of a firm's) from "
                   "the roster: the highest total match score, no shift over its seats, no "
                   "worker on two overlapping shifts. Nothing is sent",
           tags=TAGS, query=FillQuerySchema, response=FillPlanSchema, roles=AGENCY)
def agency_fill_plan():
    query = load_query(FillQuerySchema())
    rows, summary = brokering.plan_fill(actor=current_api_user(),
                                        shift_ids=id_list(query.get("shift_ids")),
                                        firm_id=query.get("firm_id"))
    return FillPlanSchema().dump({"items": [{
        "shift": r.shift, "worker": worker_brief(r.worker), "score": r.score,
        "standing_consent": r.standing_consent} for r in rows], "summary": summary})


@operation("/agency/fill", methods=["POST"],
           summary="Send a reviewed batch fill in one step (all rows or none; 409 "
                   "seats_taken / schedule_conflict)",
           tags=TAGS, body=FillInSchema, response=FillSentSchema, status=201, roles=AGENCY,
           errors=(409,))
def agency_fill_send():
    data = load_body(FillInSchema())
    terms = terms_from(data)
    created = brokering.send_fill(actor=current_api_user(),
                                  pairs=[(r["shift_id"], r["worker_id"]) for r in data["rows"]],
                                  terms=terms, note=data["note"])
    db.session.commit()
    proposals = sum(a.status == "proposed" for a in created)
    return FillSentSchema().dump({"sent": len(created), "proposals": proposals,
                                  "applications": len(created) - proposals}), 201


@operation("/agency/commissions", methods=["GET"],
           summary="The agency's commissions (paid by firms) and totals", tags=TAGS,
           query=CommissionQuerySchema, response=CommissionPageSchema, roles=AGENCY)
def agency_commissions():
    query = load_query(CommissionQuerySchema())
    actor = current_api_user()
    page = brokering.list_commissions(actor=actor, state=query.get("state"),
                                      page=query["page"], per_page=query["per_page"])
    items = []
    for commission in page.items:
        application = commission.application
        visible = brokering.visible_worker(actor.agency_id, application.worker_id)
        items.append({**commission_body(commission), "shift": application.shift,
                      "worker": worker_brief(application.worker) if visible else None})
    body = page_body(page, CommissionItemSchema(many=True).dump(items))
    body["totals"] = brokering.commission_totals(actor.agency_id)
    return body


@operation("/agency/commissions/<int:commission_id>/settle", methods=["POST"],
           summary="Record that the firm paid a completed placement's commission", tags=TAGS,
           response=CommissionItemSchema, roles=AGENCY, errors=(409,))
def agency_settle(commission_id: int):
    actor = current_api_user()
    commission = brokering.settle(actor=actor, commission_id=commission_id)
    db.session.commit()
    return CommissionItemSchema().dump({**commission_body(commission),
                                        "shift": commission.application.shift, "worker": None})


# ----------------------------------------------------------------------- workers


@operation("/me/agencies", methods=["GET"],
           summary="The worker's agency memberships and invitations", tags=TAGS,
           response=MembershipListSchema, roles=("worker",))
def my_agencies():
    memberships = roster.worker_memberships(actor=current_api_user())
    grades = trust.grades(m.agency_id for m in memberships)
    return {"items": [membership_body(m, grades.get(m.agency_id)) for m in memberships]}


@operation("/me/agencies/memberships/<int:membership_id>/<answer>", methods=["POST"],
           summary="Accept or decline an agency's invitation, or end a membership "
                   "(answer: accept|decline|end)",
           tags=TAGS, response=MembershipSchema, roles=("worker",), errors=(409,),
           path_values={"answer": ("accept", "decline", "end")})
def my_membership_answer(membership_id: int, answer: str):
    actor = current_api_user()
    if answer == "end":
        membership = roster.end_by_worker(actor=actor, membership_id=membership_id)
    elif answer in ("accept", "decline"):
        membership = roster.answer_invitation(actor=actor, membership_id=membership_id,
                                              accept=answer == "accept")
    else:
        raise NotFound("Unknown answer")
    db.session.commit()
    return membership_body(membership)


@operation("/me/agencies/memberships/<int:membership_id>/consents", methods=["PUT"],
           summary="Standing consent: categories the agency may apply for without asking "
                   "each time (an empty list revokes it)",
           tags=TAGS, body=ConsentSchema, response=MembershipSchema, roles=("worker",),
           errors=(409,))
def my_consents(membership_id: int):
    data = load_body(ConsentSchema())
    membership = roster.set_consents(actor=current_api_user(), membership_id=membership_id,
                                     categories=data["categories"])
    db.session.commit()
    return membership_body(membership)


@operation("/agencies/<int:agency_id>/join", methods=["POST"],
           summary="Ask a verified agency to represent you (it answers)", tags=TAGS,
           response=MembershipSchema, status=201, roles=("worker",), errors=(409,))
def join_agency(agency_id: int):
    membership = roster.request_to_join(actor=current_api_user(), agency_id=agency_id)
    db.session.commit()
    return membership_body(membership), 201


# ----------------------------------------------------------------------- anyone signed in


@operation("/agencies", methods=["GET"], summary="Verified agencies with their trust grade",
           tags=TAGS, query=PageQuerySchema, response=PublicAgencyListSchema)
def list_agencies():
    query = load_query(PageQuerySchema())
    page = services.verified_agencies(page=query["page"], per_page=query["per_page"])
    grades = trust.grades(a.id for a in page.items)
    return page_body(page, [{"id": a.id, "name": a.name, "trust_grade": grades.get(a.id)}
                            for a in page.items])


@operation("/agencies/<int:agency_id>", methods=["GET"],
           summary="An agency's profile: licence, trust grade and scorecard", tags=TAGS,
           response=PublicAgencySchema)
def public_agency(agency_id: int):
    agency = services.get_public_agency(actor=current_api_user(), agency_id=agency_id)
    return PublicAgencySchema().dump({
        "id": agency.id, "name": agency.name, "licence_no": agency.licence_no,
        "district": agency.district, "verified": agency.is_verified,
        "scorecard": scorecard_body(trust.scorecard(agency.id))})


@operation("/agencies/<int:agency_id>/complaints", methods=["POST"],
           summary="Complain about an agency you dealt with (a firm it placed workers with, "
                   "or a worker it represented)",
           tags=TAGS, body=ComplaintInSchema, response=ComplaintSchema, status=201,
           roles=("firm", "worker"), errors=(409, 429))
def complain(agency_id: int):
    data = load_body(ComplaintInSchema())
    complaint = trust.file_complaint(actor=current_api_user(), agency_id=agency_id,
                                     category=data["category"],
                                     description=data["description"])
    db.session.commit()
    return ComplaintSchema().dump(complaint), 201


# ----------------------------------------------------------------------- administrators


@operation("/admin/agencies/<int:agency_id>/verify", methods=["POST"],
           summary="Verify (or reject, with approve=false and a note) an agency",
           tags=["admin"], body=VerifySchema, response=AgencySchema, roles=("admin",))
def verify_agency(agency_id: int):
    data = load_body(VerifySchema())
    agency = services.decide_agency(actor=current_api_user(), agency_id=agency_id,
                                    approve=data["approve"], note=data["note"])
    db.session.commit()
    return agency_body(agency)


@operation("/admin/agencies/<int:agency_id>/brokering", methods=["POST"],
           summary="Suspend or restore an agency's brokering (audited)", tags=["admin"],
           body=BrokeringSchema, response=AgencySchema, roles=("admin",), errors=(409,))
def agency_brokering(agency_id: int):
    data = load_body(BrokeringSchema())
    agency = services.set_brokering(actor=current_api_user(), agency_id=agency_id,
                                    suspended=data["suspended"], reason=data["reason"])
    db.session.commit()
    return agency_body(agency)


@operation("/admin/agencies/ranking", methods=["GET"],
           summary="Verified agencies ranked by trust grade and performance", tags=["admin"],
           response=RankingSchema, roles=("admin",))
def agency_ranking():
    ranked = trust.ranking(actor=current_api_user())
    return RankingSchema().dump({"items": [
        {"rank": n, "agency": agency, "scorecard": scorecard_body(card)}
        for n, (agency, card) in enumerate(ranked, start=1)]})


@operation("/admin/agencies/complaints/<int:complaint_id>/decide", methods=["POST"],
           summary="Uphold or dismiss a complaint about an agency (an upheld one re-grades "
                   "it at once)", tags=["admin"], body=DecideComplaintSchema,
           response=ComplaintSchema, roles=("admin",), errors=(409,))
def decide_complaint(complaint_id: int):
    data = load_body(DecideComplaintSchema())
    complaint = trust.decide_complaint(actor=current_api_user(), complaint_id=complaint_id,
                                       uphold=data["uphold"], note=data["note"])
    db.session.commit()
    return ComplaintSchema().dump(complaint)
