"""Scores from the promoted model for a batch of (worker, shift) pairs, built per request.

A small market holds just what the features need: the worker(s), the shifts to score plus the
shifts the workers interacted with before, those workers' own events, and the firms' history as
SQL aggregates. Hard constraints were already applied in SQL by the caller.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Sequence

import numpy as np
from flask import current_app

from marketplace.matching.export import (
    all_firm_ids,
    applications_per_shift,
    epoch,
    firm_history,
    ratings_frame,
    serving_events_frame,
    workers_frame,
)
from marketplace.matching.shift_store import frame
from marketplace.matching.shift_store import store as shift_store
from marketplace.ranking.features import FEATURE_INDEX
from marketplace.ranking.market import Market
from marketplace.ranking.model import Ranker


def _market(worker_ids: Sequence[int], shift_ids: Sequence[int]) -> tuple[Market, np.ndarray]:
    events = serving_events_frame(worker_ids)
    known = sorted(set(int(s) for s in shift_ids) | set(events.shift_id.tolist()))
    shifts = frame(list(shift_store.facts(known).values()))
    counts = applications_per_shift(known)
    applied = np.array([counts.get(int(s), 0) for s in shifts.shift_id], dtype=np.float64)
    market = Market(workers=workers_frame(worker_ids), shifts=shifts, events=events,
                    ratings=ratings_frame(worker_ids))
    return market, applied


class _FirmStats:
    """All firms' history counts, shared by the requests of a process for a short while."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded_at = -math.inf
        self.counts: dict[int, dict[str, float]] = {}

    def get(self, firm_ids: Sequence[int]) -> dict[int, dict[str, float]]:
        ttl = current_app.config["FIRM_STATS_TTL_SECONDS"]
        if ttl <= 0:
            return firm_history(firm_ids)
        if time.monotonic() - self.loaded_at > ttl or not set(firm_ids) <= self.counts.keys():
            with self.lock:
                self.counts = firm_history(all_firm_ids())
                self.loaded_at = time.monotonic()
        return self.counts


firm_stats = _FirmStats()


def pair_features(ranker: Ranker, worker_ids: Sequence[int], shift_ids: Sequence[int],
                  pairs_w: np.ndarray, pairs_s: np.ndarray, now: dt.datetime):
    """Feature matrix for pairs given as indexes into worker_ids / shift_ids."""
    market, applied = _market(worker_ids, shift_ids)
    firms = sorted(set(market.shifts.firm_id.tolist()))
    fb = ranker.builder(market)
    fb.firm_counts = firm_stats.get(firms)
    fb.shift_applications = applied
    wi = fb.worker_rows(np.asarray(worker_ids, dtype=np.int64)[pairs_w])
    sj = fb.shift_rows(np.asarray(shift_ids, dtype=np.int64)[pairs_s])
    return fb.pairs(wi, sj, epoch(now))


def feed_scores(ranker: Ranker, worker_id: int, shift_ids: Sequence[int],
                now: dt.datetime) -> tuple[np.ndarray, np.ndarray]:
    """(feed score, shifts completed at the same firm before) for each shift."""
    n = len(shift_ids)
    X = pair_features(ranker, [worker_id], shift_ids, np.zeros(n, dtype=np.int64),
                      np.arange(n), now)
    return ranker.feed_scores(X), X[:, FEATURE_INDEX["w_same_firm_completed"]]


def reciprocal_scores(ranker: Ranker, worker_ids: Sequence[int], shift_id: int,
                      now: dt.datetime) -> np.ndarray:
    n = len(worker_ids)
    X = pair_features(ranker, worker_ids, [shift_id], np.arange(n),
                      np.zeros(n, dtype=np.int64), now)
    return ranker.score_features(X)["reciprocal"]


def edge_scores(ranker: Ranker, worker_ids: Sequence[int], shift_ids: Sequence[int],
                pairs_w: np.ndarray, pairs_s: np.ndarray, now: dt.datetime) -> np.ndarray:
    """Reciprocal scores for assignment edges."""
    if len(pairs_w) == 0:
        return np.zeros(0)
    X = pair_features(ranker, worker_ids, shift_ids, pairs_w, pairs_s, now)
    return ranker.score_features(X)["reciprocal"]
