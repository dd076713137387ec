"""Scores for pairs of sharing-exchange listings: a lender's idle staff and a borrower's need.

The same transparent approach as the content score for workers and shifts: each pair gets
a score in [0, 1] from skills, distance between the two firms, the overlap of the periods
and how much of the need the headcount covers, with plain reasons. Vectorised over all the
candidate listings of one listing in a single NumPy batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from marketplace.matching.content import haversine_km

WEIGHTS = {"skills": 0.40, "period": 0.25, "headcount": 0.20, "distance": 0.15}
REACH_KM = 60.0  # beyond this the firms are too far apart for a daily commute


@dataclass(frozen=True)
class ListingView:
    """What the score needs to know of a listing (no database objects)."""

    id: int
    kind: str  # "offer" or "need"
    headcount: int
    start: dt.date
    end: dt.date
    lat: float
    lon: float
    skills: frozenset[str]


@dataclass
class PairScore:
    listing_id: int
    score: float
    skills_matched: int
    skills_wanted: int
    distance_km: float
    overlap_days: int
    covered: int  # workers of the need the offer can cover
    wanted: int  # workers the need asks for

    def reasons(self) -> list[tuple[str, dict]]:
        reasons: list[tuple[str, dict]] = []
        if self.skills_wanted:
            reasons.append(("skills", {"matched": self.skills_matched,
                                       "required": self.skills_wanted}))
        reasons.append(("distance", {"km": round(self.distance_km, 1)}))
        reasons.append(("overlap", {"days": self.overlap_days}))
        reasons.append(("headcount", {"covered": self.covered, "wanted": self.wanted}))
        return reasons


def score_listing_pairs(listing: ListingView, others: list[ListingView]) -> list[PairScore]:
    """Score `listing` against each of `others` (listings of the opposite kind); pairs whose
    periods do not overlap score 0 and are left out. Best first."""
    if not others:
        return []
    offer_side = listing.kind == "offer"
    n = len(others)
    lat = np.fromiter((o.lat for o in others), dtype=float, count=n)
    lon = np.fromiter((o.lon for o in others), dtype=float, count=n)
    distance = haversine_km(listing.lat, listing.lon, lat, lon)
    distance_score = np.clip(1.0 - distance / REACH_KM, 0.0, 1.0)

    # Skills: how many of the need's skills the offer brings (a need without skills: any).
    wanted_sets = [o.skills if offer_side else listing.skills for o in others]
    offered_sets = [listing.skills if offer_side else o.skills for o in others]
    wanted = np.fromiter((len(w) for w in wanted_sets), dtype=float, count=n)
    matched = np.fromiter((len(w & o) for w, o in zip(wanted_sets, offered_sets, strict=True)),
                          dtype=float, count=n)
    skill_score = np.where(wanted > 0, matched / np.maximum(wanted, 1), 0.6)

    # Period: overlapping days over the need's days.
    start = np.array([max(listing.start, o.start).toordinal() for o in others])
    end = np.array([min(listing.end, o.end).toordinal() for o in others])
    overlap = np.maximum(end - start + 1, 0)
    need_days = np.array([((o.end if offer_side else listing.end)
                           - (o.start if offer_side else listing.start)).days + 1
                          for o in others])
    period_score = overlap / np.maximum(need_days, 1)

    # Headcount: the share of the need the offer can cover.
    need_heads = np.array([o.headcount if offer_side else listing.headcount for o in others])
    offer_heads = np.array([listing.headcount if offer_side else o.headcount for o in others])
    covered = np.minimum(need_heads, offer_heads)
    head_score = covered / np.maximum(need_heads, 1)

    score = (WEIGHTS["skills"] * skill_score + WEIGHTS["period"] * period_score
             + WEIGHTS["headcount"] * head_score + WEIGHTS["distance"] * distance_score)
    score = np.where(overlap > 0, score, 0.0)
    order = np.argsort(-score, kind="stable")
    return [
        PairScore(listing_id=others[i].id, score=round(float(score[i]), 4),
                  skills_matched=int(matched[i]), skills_wanted=int(wanted[i]),
                  distance_km=float(distance[i]), overlap_days=int(overlap[i]),
                  covered=int(covered[i]), wanted=int(need_heads[i]))
        for i in order if overlap[i] > 0
    ]
