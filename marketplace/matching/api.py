"""Matching for firms over /api/v1: candidates to invite, the one-click match plan and send."""

from __future__ import annotations

from marketplace.api.core import current_api_user, load_query, operation
from marketplace.extensions import db
from marketplace.firms.services import users_by_id
from marketplace.matching import candidates
from marketplace.matching.schemas import (
    CandidateListSchema,
    CandidateQuerySchema,
    MatchPlanSchema,
    MatchSentSchema,
)
from marketplace.privacy import mask_phone
from marketplace.templating import reason_text


@operation("/shifts/<int:shift_id>/candidates", methods=["GET"],
           summary="The best workers who have not applied to the firm's open shift, to invite",
           tags=["matching"], query=CandidateQuerySchema, response=CandidateListSchema,
           roles=("firm",), errors=(409,))
def shift_candidates(shift_id: int):
    query = load_query(CandidateQuerySchema())
    found = candidates.suggest(actor=current_api_user(), shift_id=shift_id,
                               limit=query["limit"])
    items = [{
        "worker": {"id": c.worker.id, "name": c.worker.name, "phone": mask_phone(c.worker.phone),
                   **{k: c.record.get(k) for k in ("rating", "ratings", "completed", "no_show",
                                                  "reliability")}},
        "score": c.score, "distance_km": c.distance_km,
        "reasons": [key for key, _params in c.reasons], "reason_text": reason_text(c.reasons),
    } for c in found]
    return CandidateListSchema().dump({"items": items})


@operation("/match", methods=["GET"],
           summary="One-click match: which pending applicants to offer on the firm's open "
                   "shifts (highest total score, no shift over its seats, no overlaps)",
           tags=["matching"], response=MatchPlanSchema, roles=("firm",))
def match_plan():
    plan, summary = candidates.one_click_plan(actor=current_api_user())
    workers = users_by_id(p.application.worker_id for p in plan)
    items = []
    for item in plan:
        application = item.application
        worker = workers[application.worker_id]
        items.append({
            "application_id": application.id, "score": item.score,
            "shift": {"id": application.shift_id, "title": application.shift.title,
                      "starts_at": application.starts_at, "ends_at": application.ends_at},
            "worker": {"id": worker.id, "name": worker.name, "phone": mask_phone(worker.phone)},
        })
    return MatchPlanSchema().dump({"items": items, "summary": summary})


@operation("/match", methods=["POST"],
           summary="Send the offers of the one-click match (the plan is recomputed now)",
           tags=["matching"], response=MatchSentSchema, roles=("firm",), errors=(409,))
def send_match():
    sent = candidates.send_planned_offers(actor=current_api_user())
    db.session.commit()
    return MatchSentSchema().dump({"offers_sent": sent})
