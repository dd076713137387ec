from __future__ import annotations

import json

from flask import current_app, url_for

from marketplace import cache
from marketplace.api.core import current_api_user, load_body, load_query, operation, page_body
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.firms.services import favourite_ids
from marketplace.matching.events import commit_event_log
from marketplace.matching.feed import build_feed
from marketplace.privacy import mask_phone
from marketplace.shifts import applications, services
from marketplace.shifts.cards import shift_cards
from marketplace.shifts.models import Application
from marketplace.shifts.schemas import (
    ActionSchema,
    ApplicantQuerySchema,
    ApplicationOutSchema,
    ApplicationPageSchema,
    ApplySchema,
    CancelSchema,
    FeedPageSchema,
    FeedQuerySchema,
    RatingInSchema,
    RatingOutSchema,
    ShiftInSchema,
    ShiftOutSchema,
    ShiftPageSchema,
    ShiftQuerySchema,
)
from marketplace.shifts.services import ShiftFilters
from marketplace.templating import reason_text

shift_schema = ShiftOutSchema()
application_schema = ApplicationOutSchema()


def filters_from(query: dict) -> ShiftFilters:
    return ShiftFilters(
        category=query.get("category"), district=query.get("district"), day=query.get("date"),
        min_daily_pay_fen=query.get("min_daily_pay_fen"), meals=query.get("meals"),
        housing=query.get("housing"), q=query.get("q"),
    )


def application_body(actor: User, application: Application,
                     records: dict[int, dict] | None = None,
                     favourites: set[int] | None = None,
                     brokers: dict[int, dict] | None = None) -> dict:
    from marketplace.agencies.brokering import brokers_for

    worker = None
    if brokers is None:
        brokers = brokers_for([application])
    if actor.role in (Role.FIRM, Role.ADMIN, Role.AGENCY):
        record = (records or applications.worker_records([application.worker_id])).get(
            application.worker_id, {})
        worker = {"id": application.worker_id, "name": application.worker.name,
                  "phone": mask_phone(application.worker.phone),
                  "favourite": application.worker_id in (favourites or set()), **record}
    return application_schema.dump({
        **{c: getattr(application, c) for c in (
            "id", "shift_id", "worker_id", "status", "source", "note", "starts_at", "ends_at",
            "created_at", "updated_at", "attendance", "shift")},
        "worker": worker,
        "agency": brokers.get(application.id),
        "actions": applications.available_actions(actor, application),
    })


@operation("/shifts", methods=["GET"], summary="Open shifts, filtered and paginated",
           tags=["shifts"], query=ShiftQuerySchema, response=ShiftPageSchema, auth=False)
def list_shifts():
    query = load_query(ShiftQuerySchema())
    ttl = current_app.config["PUBLIC_LIST_CACHE_SECONDS"]
    key = f"shifts:{sorted(query.items())!r}"
    body = cache.get_text(key) if ttl > 0 else None
    if body is None:
        page = services.search_shifts(filters_from(query), page=query["page"],
                                      per_page=query["per_page"])
        body = json.dumps(page_body(page, shift_schema.dump(page.items, many=True)),
                          ensure_ascii=False, separators=(",", ":"))
        if ttl > 0:
            cache.set_text(key, body, ttl)
    return current_app.response_class(body, mimetype="application/json")


@operation("/shifts", methods=["POST"], summary="Post a shift (verified firms)",
           tags=["shifts"], body=ShiftInSchema, response=ShiftOutSchema, status=201,
           roles=("firm",))
def create_shift():
    data = load_body(ShiftInSchema())
    shift = services.post_shift(actor=current_api_user(), data=data)
    db.session.commit()
    return shift_schema.dump(shift), 201, {"Location": url_for("api.get_shift",
                                                                shift_id=shift.id)}


@operation("/shifts/<int:shift_id>", methods=["GET"], summary="One shift (a bearer token, "
           "when sent, must be valid)", tags=["shifts"], response=ShiftOutSchema, auth=False,
           errors=(401,))
def get_shift(shift_id: int):
    from marketplace.api.core import _authenticate

    actor = _authenticate()
    return shift_schema.dump(services.get_visible_shift(actor=actor, shift_id=shift_id))


@operation("/shifts/<int:shift_id>", methods=["PATCH"], summary="Edit an open shift",
           tags=["shifts"], body=ShiftInSchema, response=ShiftOutSchema, roles=("firm",),
           errors=(409,))
def patch_shift(shift_id: int):
    changes = load_body(ShiftInSchema(), partial=True)
    shift = services.update_shift(actor=current_api_user(), shift_id=shift_id, changes=changes)
    db.session.commit()
    return shift_schema.dump(shift)


@operation("/shifts/<int:shift_id>/cancel", methods=["POST"], summary="Cancel a shift",
           tags=["shifts"], body=CancelSchema, response=ShiftOutSchema, roles=("firm",),
           errors=(409,))
def cancel_shift(shift_id: int):
    data = load_body(CancelSchema())
    shift = services.cancel_shift(actor=current_api_user(), shift_id=shift_id,
                                  reason=data["reason"])
    db.session.commit()
    return shift_schema.dump(shift)


@operation("/feed", methods=["GET"], summary="The worker's ranked feed with reasons",
           tags=["feed"], query=FeedQuerySchema, response=FeedPageSchema, roles=("worker",))
def feed():
    query = load_query(FeedQuerySchema())
    per_page = query["per_page"]
    items, total = build_feed(actor=current_api_user(), filters=filters_from(query),
                              limit=per_page, offset=(query["page"] - 1) * per_page,
                              load_shifts=False)
    cards = shift_cards({item.shift_id: item.seats for item in items})
    body = {"items": [{
        "shift": cards[item.shift_id], "score": item.score, "distance_km": item.distance_km,
        "position": item.position, "reasons": [key for key, _ in item.reasons],
        "reason_text": reason_text(item.reasons),
    } for item in items], "page": query["page"], "per_page": per_page, "total": total}
    commit_event_log()  # the impressions the feed logged
    return body


@operation("/shifts/<int:shift_id>/applications", methods=["POST"],
           summary="Apply for a shift", tags=["applications"], body=ApplySchema,
           response=ApplicationOutSchema, status=201, roles=("worker",), errors=(409,))
def apply(shift_id: int):
    data = load_body(ApplySchema())
    actor = current_api_user()
    application = applications.apply(actor=actor, shift_id=shift_id, note=data["note"],
                                     source="api")
    db.session.commit()
    return application_body(actor, application), 201


@operation("/shifts/<int:shift_id>/applications", methods=["GET"],
           summary="Applicants for the firm's shift", tags=["applications"],
           query=ApplicantQuerySchema, response=ApplicationPageSchema, roles=("firm",))
def list_applicants(shift_id: int):
    query = load_query(ApplicantQuerySchema())
    actor = current_api_user()
    page = applications.list_for_shift(actor=actor, shift_id=shift_id, page=query["page"],
                                       per_page=query["per_page"], order=query["order"])
    records = applications.worker_records([a.worker_id for a in page.items])
    favourites = favourite_ids(actor.firm_id)
    from marketplace.agencies.brokering import brokers_for

    brokers = brokers_for(page.items)
    return page_body(page, [application_body(actor, a, records, favourites, brokers)
                            for a in page.items])


@operation("/applications/<int:application_id>", methods=["GET"], summary="One application",
           tags=["applications"], response=ApplicationOutSchema)
def get_application(application_id: int):
    actor = current_api_user()
    application = applications.get_application(actor=actor, application_id=application_id)
    return application_body(actor, application)


@operation("/applications/<int:application_id>/<action>", methods=["POST"],
           summary="Move an application: offer, reject, accept, decline, withdraw, check-in, "
                   "check-out, complete, no-show",
           tags=["applications"], body=ActionSchema, response=ApplicationOutSchema,
           errors=(409,))
def act(application_id: int, action: str):
    params = load_body(ActionSchema())
    actor = current_api_user()
    application = applications.transition(actor=actor, application_id=application_id,
                                          action=action, params=params)
    db.session.commit()
    return application_body(actor, application)


@operation("/applications/<int:application_id>/rating", methods=["POST"],
           summary="Rate the other party after a completed shift", tags=["applications"],
           body=RatingInSchema, response=RatingOutSchema, status=201, errors=(409,))
def rate(application_id: int):
    data = load_body(RatingInSchema())
    rating = applications.rate(actor=current_api_user(), application_id=application_id,
                               score=data["score"], comment=data["comment"])
    db.session.commit()
    return RatingOutSchema().dump(rating), 201
