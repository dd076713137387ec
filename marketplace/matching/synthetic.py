"""The synthetic market the demo seeds from, reached through matching (the ranker's only importer).

`marketplace.ranking` is a pure library that only `marketplace.matching` imports; the demo
seeder takes the generated market, its event kinds and the distance helper from here.
"""

from __future__ import annotations

import datetime as dt

from marketplace.ranking.generator import GeneratorConfig, generate
from marketplace.ranking.market import (
    APPLY,
    COMPLETE,
    DECLINE,
    HIRE,
    IMPRESSION,
    KINDS,
    NO_SHOW,
    OFFER,
    VIEW,
    WITHDRAW,
    Market,
    haversine_km,
)

__all__ = [
    "APPLY", "COMPLETE", "DECLINE", "HIRE", "IMPRESSION", "KINDS", "NO_SHOW", "OFFER", "VIEW",
    "WITHDRAW", "Market", "generate_market", "haversine_km",
]


def generate_market(*, seed: int, n_workers: int, n_shifts: int, n_firms: int, days: int,
                    session_days: int, sessions_per_week: float, start: dt.datetime) -> Market:
    """A generated market (workers, shifts, firms and their event log) for the demo to seed."""
    return generate(GeneratorConfig(
        seed=seed, n_workers=n_workers, n_shifts=n_shifts, n_firms=n_firms, days=days,
        session_days=session_days, sessions_per_week=sessions_per_week, start=start,
    ))
