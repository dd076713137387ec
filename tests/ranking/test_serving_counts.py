"""Serving passes firm history as counts (SQL aggregates); training reads the event log.

Both must give the same firm features, or the model would see different inputs online.
"""

from __future__ import annotations

import numpy as np

from marketplace.ranking.features import FIRM_COLS, FeatureBuilder
from marketplace.ranking.generator import generate
from marketplace.ranking.market import KIND_CODE


def test_firm_counts_reproduce_event_log_firm_features():
    market = generate(n_workers=150, n_shifts=80, days=14, seed=3)
    now = int(market.events.at.max()) + 1
    from_log = FeatureBuilder(market.workers, market.shifts, market.events, market.ratings,
                              history_cutoff=now)
    firm_of_shift = dict(zip(market.shifts.shift_id.tolist(), market.shifts.firm_id.tolist(),
                             strict=True))
    counts: dict[int, dict[str, float]] = {}
    for firm in set(firm_of_shift.values()):
        counts[firm] = dict.fromkeys(("impression", "apply", "hire", "complete", "no_show",
                                      "seats", "ratings", "stars", "cancelled"), 0.0)
    for shift, kind in zip(market.events.shift_id.tolist(), market.events.kind.tolist(),
                           strict=True):
        name = next((k for k, code in KIND_CODE.items() if code == kind), None)
        if name in counts[firm_of_shift[shift]]:
            counts[firm_of_shift[shift]][name] += 1
    for shift, heads, posted in zip(market.shifts.shift_id.tolist(),
                                    market.shifts.headcount.tolist(),
                                    market.shifts.posted_at.tolist(), strict=True):
        if posted < now:
            counts[firm_of_shift[shift]]["seats"] += heads
    ratings = market.ratings
    if ratings is not None:
        for shift, by_firm, stars in zip(ratings.shift_id.tolist(), ratings.by_firm.tolist(),
                                         ratings.stars.tolist(), strict=True):
            if not by_firm:
                counts[firm_of_shift[shift]]["ratings"] += 1
                counts[firm_of_shift[shift]]["stars"] += stars
    from_counts = FeatureBuilder(market.workers, market.shifts, market.events, market.ratings,
                                 history_cutoff=now, firm_counts=counts)
    wi = np.arange(len(market.workers)) % len(market.workers)
    sj = np.arange(len(market.workers)) % len(market.shifts)
    log_x = from_log.pairs(wi, sj, now)[:, FIRM_COLS]
    count_x = from_counts.pairs(wi, sj, now)[:, FIRM_COLS]
    late_cancel = 3  # inferred from the log; the database records cancellations directly
    same = [c for c in range(len(FIRM_COLS)) if c != late_cancel]
    np.testing.assert_allclose(count_x[:, same], log_x[:, same], rtol=1e-5)
