"""The sharing exchange over /api/v1: staff, listings, suggestions, agreements, signatures and
each lent worker's consent. Thin handlers: parse with a schema, call one service, dump."""

from __future__ import annotations

from flask import url_for

from marketplace.api.core import (
    current_api_user,
    load_body,
    load_query,
    operation,
    page_body,
)
from marketplace.auth.models import Role, User
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.privacy import mask_phone
from marketplace.sharing import agreements
from marketplace.sharing import services as sharing
from marketplace.sharing.models import SharingAgreement, SharingListing, StaffMember
from marketplace.sharing.schemas import (
    AgreementOutSchema,
    AgreementPageSchema,
    AgreementQuerySchema,
    AssignmentListSchema,
    AssignmentOutSchema,
    CancelAgreementSchema,
    ConfirmSchema,
    EmployerListSchema,
    ListIdleSchema,
    ListingFieldsSchema,
    ListingInSchema,
    ListingOutSchema,
    ListingPageSchema,
    ListingQuerySchema,
    NoBodySchema,
    ProposeSchema,
    SignSchema,
    StaffInSchema,
    StaffOutSchema,
    StaffPageSchema,
    StaffQuerySchema,
    SuggestionListSchema,
    SuggestionQuerySchema,
    TermsSchema,
)
from marketplace.sharing.texts import reason_text as sharing_reason_text

TAGS = ["sharing"]
STAFF_DECISIONS = ("accept", "decline", "end")
WORKER_DECISIONS = ("consent", "decline", "withdraw")


# --------------------------------------------------------------------------- bodies


def staff_body(member: StaffMember, lent: dict[int, SharingAgreement]) -> dict:
    worker = member.worker
    profile = worker.worker_profile
    agreement = lent.get(member.worker_id)
    return {
        "id": member.id, "status": member.status, "since": member.since,
        "job_title": member.job_title, "created_at": member.created_at,
        "responded_at": member.responded_at,
        "worker": {"id": worker.id, "name": worker.name if member.confirmed else None,
                   "phone": mask_phone(worker.phone),
                   "skills": profile.skills if profile and member.confirmed else []},
        "lent_to": None if agreement is None else {
            "agreement_id": agreement.id, "borrower": agreement.borrower.name,
            "until": agreement.end_date},
    }


def listing_body(actor: User, listing: SharingListing) -> dict:
    own = actor.firm_id == listing.firm_id
    return {
        **{c: getattr(listing, c) for c in (
            "id", "kind", "status", "title", "headcount", "start_date", "end_date", "district",
            "work_content", "daily_pay_fen", "skills", "created_at")},
        "own": own, "firm": {"id": listing.firm_id, "name": listing.firm.name},
        "staff_ids": listing.staff_ids if own else None,
    }


def agreement_body(actor: User, agreement: SharingAgreement,
                   summary: dict[int, dict] | None = None) -> dict:
    if summary is None:
        summary = agreements.attendance_summary(agreement.id)
    empty = {"booked": 0, "completed": 0, "no_show": 0, "minutes": 0, "pay_due_fen": 0}
    workers = [{
        "worker_id": row.worker_id, "name": row.worker.name,
        "phone": mask_phone(row.worker.phone), "consent": row.consent,
        "decided_at": row.decided_at,
        **{k: summary.get(row.worker_id, empty).get(k, 0) for k in empty},
    } for row in agreements.visible_workers(actor, agreement)]

    def signer(user: User | None, at) -> dict:
        return {"by": user.name if user else None, "at": at}

    def confirmation(side: str) -> dict:
        user = getattr(agreement, f"{side}_confirmer")
        return {"by": user.name if user else None,
                "at": getattr(agreement, f"{side}_confirmed_at"),
                "rating": getattr(agreement, f"{side}_rating"),
                "comment": getattr(agreement, f"{side}_comment")}

    return AgreementOutSchema().dump({
        **{c: getattr(agreement, c) for c in (
            "id", "status", "terms_version", "title", "work_content", "category", "district",
            "address", "start_date", "end_date", "day_start_minute", "day_end_minute",
            "weekdays", "daily_pay_fen", "worker_pay_fen", "labor_relationship", "wage_payer",
            "injury_liability", "headcount", "created_at", "updated_at", "closed_at",
            "cancel_reason")},
        "side": agreements.side_of(actor, agreement),
        "work_days": len(agreement.work_days()),
        "lender": {"id": agreement.lender_firm_id, "name": agreement.lender.name},
        "borrower": {"id": agreement.borrower_firm_id, "name": agreement.borrower.name},
        "workers": workers,
        "signatures": {
            "lender": signer(agreement.lender_signer, agreement.lender_signed_at),
            "borrower": signer(agreement.borrower_signer, agreement.borrower_signed_at)},
        "confirmations": {"lender": confirmation("lender"),
                          "borrower": confirmation("borrower")},
    })


def assignment_body(row) -> dict:
    agreement = row.agreement
    return AssignmentOutSchema().dump({
        **{c: getattr(agreement, c) for c in (
            "status", "title", "work_content", "district", "address", "start_date", "end_date",
            "day_start_minute", "day_end_minute", "weekdays", "worker_pay_fen",
            "labor_relationship", "wage_payer", "injury_liability")},
        "agreement_id": agreement.id, "consent": row.consent, "decided_at": row.decided_at,
        "lender": {"id": agreement.lender_firm_id, "name": agreement.lender.name},
        "borrower": {"id": agreement.borrower_firm_id, "name": agreement.borrower.name},
        "rights": [str(r) for r in agreements.worker_rights(agreement)],
    })


# --------------------------------------------------------------------------- staff


@operation("/sharing/staff", methods=["GET"], summary="The firm's staff list (its employees "
           "with worker accounts)", tags=TAGS, query=StaffQuerySchema,
           response=StaffPageSchema, roles=("firm",))
def list_staff():
    query = load_query(StaffQuerySchema())
    page = sharing.list_staff(actor=current_api_user(), page=query["page"],
                              per_page=query["per_page"], current_only=query["current"])
    lent = sharing.lent_now([m.worker_id for m in page.items])
    return page_body(page, StaffOutSchema(many=True).dump(
        [staff_body(m, lent) for m in page.items]))


@operation("/sharing/staff", methods=["POST"], summary="Add an employee by phone (they confirm "
           "on their phone; 404 worker_not_found without a worker account)", tags=TAGS,
           body=StaffInSchema, response=StaffOutSchema, status=201, roles=("firm",),
           errors=(404, 409))
def add_staff():
    data = load_body(StaffInSchema())
    member = sharing.add_staff(actor=current_api_user(), phone=data["phone"],
                               since=data["since"], job_title=data["job_title"])
    db.session.commit()
    return StaffOutSchema().dump(staff_body(member, {})), 201


@operation("/sharing/staff/<int:staff_id>/<decision>", methods=["POST"],
           summary="A staff link: the worker accepts or declines it; either side ends it "
                   "(decision: accept, decline, end)",
           tags=TAGS, body=NoBodySchema, response=StaffOutSchema, roles=("firm", "worker"),
           errors=(409,), path_values={"decision": STAFF_DECISIONS})
def staff_decision(staff_id: int, decision: str):
    load_body(NoBodySchema())
    actor = current_api_user()
    if decision not in STAFF_DECISIONS or (decision != "end" and actor.role != Role.WORKER):
        raise NotFound("Unknown action")
    if decision == "end":
        member = sharing.end_staff(actor=actor, staff_id=staff_id)
    else:
        member = sharing.respond_staff(actor=actor, staff_id=staff_id,
                                       accept=decision == "accept")
    db.session.commit()
    return StaffOutSchema().dump(staff_body(member, {}))


@operation("/sharing/staff/list-idle", methods=["POST"],
           summary="One click: offer idle staff (selected, or all idle) in the exchange",
           tags=TAGS, body=ListIdleSchema, response=ListingOutSchema, status=201,
           roles=("firm",), errors=(409,))
def list_idle():
    data = load_body(ListIdleSchema())
    actor = current_api_user()
    listing = sharing.list_idle_staff(actor=actor, staff_ids=data["staff_ids"] or None)
    db.session.commit()
    return ListingOutSchema().dump(listing_body(actor, listing)), 201


@operation("/sharing/employers", methods=["GET"],
           summary="The worker's links to firms that list them as staff", tags=TAGS,
           response=EmployerListSchema, roles=("worker",))
def employers():
    links = sharing.staff_for_worker(actor=current_api_user())
    return EmployerListSchema().dump({"items": [{
        "id": m.id, "status": m.status, "since": m.since, "job_title": m.job_title,
        "created_at": m.created_at, "firm": {"id": m.firm_id, "name": m.firm.name},
    } for m in links]})


# --------------------------------------------------------------------------- listings


@operation("/sharing/listings", methods=["GET"], summary="The firm's listings, or other "
           "firms' open listings (scope=exchange)", tags=TAGS, query=ListingQuerySchema,
           response=ListingPageSchema, roles=("firm",))
def list_listings():
    query = load_query(ListingQuerySchema())
    actor = current_api_user()
    if query["scope"] == "exchange":
        page = sharing.list_exchange(actor=actor, kind=query.get("kind"),
                                     district=query.get("district"), skill=query.get("skill"),
                                     page=query["page"], per_page=query["per_page"])
    else:
        page = sharing.list_own_listings(actor=actor, page=query["page"],
                                         per_page=query["per_page"],
                                         status=query.get("status"))
    return page_body(page, ListingOutSchema(many=True).dump(
        [listing_body(actor, listing) for listing in page.items]))


@operation("/sharing/listings", methods=["POST"], summary="List idle staff (offer) or a need "
           "for staff (need)", tags=TAGS, body=ListingInSchema, response=ListingOutSchema,
           status=201, roles=("firm",))
def create_listing():
    data = load_body(ListingInSchema())
    actor = current_api_user()
    kind = data.pop("kind")
    listing = sharing.create_listing(actor=actor, kind=kind, data=data)
    db.session.commit()
    return (ListingOutSchema().dump(listing_body(actor, listing)), 201,
            {"Location": url_for("api.get_listing", listing_id=listing.id)})


@operation("/sharing/listings/<int:listing_id>", methods=["GET"], summary="One listing (the "
           "firm's own, or another firm's open one)", tags=TAGS, response=ListingOutSchema,
           roles=("firm",))
def get_listing(listing_id: int):
    actor = current_api_user()
    return ListingOutSchema().dump(listing_body(
        actor, sharing.get_listing(actor=actor, listing_id=listing_id)))


@operation("/sharing/listings/<int:listing_id>", methods=["PATCH"], summary="Change an open "
           "listing", tags=TAGS, body=ListingFieldsSchema, response=ListingOutSchema,
           roles=("firm",), errors=(409,))
def patch_listing(listing_id: int):
    changes = load_body(ListingFieldsSchema(), partial=True)
    actor = current_api_user()
    listing = sharing.update_listing(actor=actor, listing_id=listing_id, changes=changes)
    db.session.commit()
    return ListingOutSchema().dump(listing_body(actor, listing))


@operation("/sharing/listings/<int:listing_id>/close", methods=["POST"], summary="Close a "
           "listing", tags=TAGS, body=NoBodySchema, response=ListingOutSchema, roles=("firm",),
           errors=(409,))
def close_listing(listing_id: int):
    load_body(NoBodySchema())
    actor = current_api_user()
    listing = sharing.close_listing(actor=actor, listing_id=listing_id)
    db.session.commit()
    return ListingOutSchema().dump(listing_body(actor, listing))


@operation("/sharing/listings/<int:listing_id>/suggestions", methods=["GET"],
           summary="Other firms' listings that fit one of the firm's listings, best first, "
                   "with reasons", tags=TAGS, query=SuggestionQuerySchema,
           response=SuggestionListSchema, roles=("firm",))
def listing_suggestions(listing_id: int):
    query = load_query(SuggestionQuerySchema())
    actor = current_api_user()
    found = sharing.suggestions(actor=actor, listing_id=listing_id, limit=query["limit"])
    return SuggestionListSchema().dump({"items": [{
        "listing": listing_body(actor, s.listing), "score": s.score,
        "reasons": [key for key, _params in s.reasons],
        "reason_text": sharing_reason_text(s.reasons),
    } for s in found]})


# --------------------------------------------------------------------------- agreements


@operation("/sharing/agreements", methods=["GET"], summary="The firm's sharing agreements "
           "(as lender or borrower)", tags=TAGS, query=AgreementQuerySchema,
           response=AgreementPageSchema, roles=("firm",))
def list_agreements():
    query = load_query(AgreementQuerySchema())
    actor = current_api_user()
    page = agreements.list_agreements(actor=actor, page=query["page"],
                                      per_page=query["per_page"], status=query.get("status"))
    summaries = agreements.attendance_summaries([a.id for a in page.items])
    return page_body(page, [agreement_body(actor, a, summaries.get(a.id, {}))
                            for a in page.items])


@operation("/sharing/agreements", methods=["POST"], summary="Propose a draft agreement from "
           "one of the firm's listings and another firm's listing", tags=TAGS,
           body=ProposeSchema, response=AgreementOutSchema, status=201, roles=("firm",),
           errors=(409,))
def propose():
    data = load_body(ProposeSchema())
    actor = current_api_user()
    agreement = agreements.propose(actor=actor, listing_id=data["listing_id"],
                                   counterpart_id=data["counterpart_id"])
    db.session.commit()
    return (agreement_body(actor, agreement), 201,
            {"Location": url_for("api.get_agreement", agreement_id=agreement.id)})


@operation("/sharing/agreements/<int:agreement_id>", methods=["GET"], summary="One agreement "
           "(its two firms only)", tags=TAGS, response=AgreementOutSchema, roles=("firm",))
def get_agreement(agreement_id: int):
    actor = current_api_user()
    return agreement_body(actor, agreements.get_agreement(actor=actor,
                                                          agreement_id=agreement_id))


@operation("/sharing/agreements/<int:agreement_id>", methods=["PATCH"],
           summary="Change the terms (voids both signatures; refused once a worker consented)",
           tags=TAGS, body=TermsSchema, response=AgreementOutSchema, roles=("firm",),
           errors=(409,))
def patch_agreement(agreement_id: int):
    changes = load_body(TermsSchema())
    actor = current_api_user()
    version = changes.pop("version")
    agreement = agreements.update_terms(actor=actor, agreement_id=agreement_id,
                                        version=version, changes=changes)
    db.session.commit()
    return agreement_body(actor, agreement)


@operation("/sharing/agreements/<int:agreement_id>/sign", methods=["POST"],
           summary="Sign the given terms version for the caller's firm", tags=TAGS,
           body=SignSchema, response=AgreementOutSchema, roles=("firm",), errors=(409,))
def sign_agreement(agreement_id: int):
    data = load_body(SignSchema())
    actor = current_api_user()
    agreement = agreements.sign(actor=actor, agreement_id=agreement_id,
                                version=data["version"])
    db.session.commit()
    return agreement_body(actor, agreement)


@operation("/sharing/agreements/<int:agreement_id>/cancel", methods=["POST"],
           summary="End an agreement early (the days still ahead are cancelled)", tags=TAGS,
           body=CancelAgreementSchema, response=AgreementOutSchema, roles=("firm",),
           errors=(409,))
def cancel_agreement(agreement_id: int):
    data = load_body(CancelAgreementSchema())
    actor = current_api_user()
    agreement = agreements.cancel(actor=actor, agreement_id=agreement_id, reason=data["reason"])
    db.session.commit()
    return agreement_body(actor, agreement)


@operation("/sharing/agreements/<int:agreement_id>/confirm", methods=["POST"],
           summary="At the end: confirm the agreement was carried out and rate the other firm",
           tags=TAGS, body=ConfirmSchema, response=AgreementOutSchema, roles=("firm",),
           errors=(409,))
def confirm_agreement(agreement_id: int):
    data = load_body(ConfirmSchema())
    actor = current_api_user()
    agreement = agreements.confirm(actor=actor, agreement_id=agreement_id, score=data["score"],
                                   comment=data["comment"])
    db.session.commit()
    return agreement_body(actor, agreement)


# --------------------------------------------------------------------------- the worker


@operation("/sharing/assignments", methods=["GET"], summary="Agreements that would lend the "
           "worker (after both firms signed), with their rights", tags=TAGS,
           response=AssignmentListSchema, roles=("worker",))
def list_assignments():
    rows = agreements.assignments_for(actor=current_api_user())
    return {"items": [assignment_body(r) for r in rows]}


@operation("/sharing/assignments/<int:agreement_id>", methods=["GET"], summary="One agreement "
           "naming the worker", tags=TAGS, response=AssignmentOutSchema, roles=("worker",))
def get_assignment(agreement_id: int):
    return assignment_body(agreements.get_assignment(actor=current_api_user(),
                                                     agreement_id=agreement_id))


@operation("/sharing/assignments/<int:agreement_id>/<decision>", methods=["POST"],
           summary="The worker's own decision: consent (books every day ahead), decline, "
                   "withdraw", tags=TAGS, body=NoBodySchema, response=AssignmentOutSchema,
           roles=("worker",), errors=(409,), path_values={"decision": WORKER_DECISIONS})
def assignment_decision(agreement_id: int, decision: str):
    load_body(NoBodySchema())
    actor = current_api_user()
    action = {"consent": agreements.consent, "decline": agreements.decline,
              "withdraw": agreements.withdraw}.get(decision)
    if action is None:
        raise NotFound("Unknown action")
    row = action(actor=actor, agreement_id=agreement_id)
    db.session.commit()
    return assignment_body(row)
