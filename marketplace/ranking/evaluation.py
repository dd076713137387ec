"""Offline evaluation of the ranker on any market's history (a bundle or a generated market).

``evaluate(data, split_at)`` trains a fresh :class:`~marketplace.ranking.model.Ranker` on the
events strictly before ``split_at``; then, for every worker with an ``apply`` or later event at
or after the split, ranks all shifts posted at or after the split that pass the worker's hard
constraints (certificates, availability when known, commute radius), and scores the rankings
with NDCG@5, NDCG@10 and MAP@10 against the graded outcomes observed after the split (view 1,
apply 2, hire 3, complete 4, no-show 0). The same candidates are ranked by the baselines:
random, newest first, nearest first and skill overlap.

Each pair is scored as of ``max(split_at, posted_at)`` (when the worker could first see it) with
history only from before the split. For a generated market the report adds NDCG@10 against the
*true* utility (``Oracle.expected_grade`` with the pair noise), for all evaluated workers and
for those without any history before the split, and an oracle that knows the hidden tastes but
not the noise.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from marketplace.ranking.features import FeatureBuilder
from marketplace.ranking.market import ENGAGED, GRADE, NO_SHOW, Market
from marketplace.ranking.metrics import ap_per_query, ndcg_at_k, ndcg_per_query
from marketplace.ranking.model import Ranker

BASELINES = ("random", "newest", "nearest", "skill_overlap")


@dataclass
class Candidates:
    """Every (worker, shift) pair to rank, with its prediction time and observed grade."""

    fb: FeatureBuilder
    wi: np.ndarray
    sj: np.ndarray
    at: np.ndarray
    grade: np.ndarray
    cold: np.ndarray  # the worker had no event before the split


def _to_epoch(t) -> int:
    if isinstance(t, int | np.integer):
        return int(t)
    if isinstance(t, str):
        t = dt.datetime.fromisoformat(t)
    if t.tzinfo is None:
        raise ValueError("split time needs an explicit UTC offset")
    return int(t.timestamp())


def candidate_pairs(market: Market, split_at: int, *, category_median=None,
                    max_pairs_per_chunk: int = 2_000_000) -> Candidates:
    ev = market.events
    fb = FeatureBuilder(market.workers, market.shifts, ev, market.ratings,
                        history_cutoff=split_at, category_median=category_median)
    after = ev.at >= split_at
    engaged = after & np.isin(ev.kind, ENGAGED)
    w_rows = np.unique(fb.worker_rows(ev.worker_id[engaged]))
    w_rows = w_rows[w_rows >= 0]
    s_rows = np.flatnonzero(market.shifts.posted_at >= split_at)
    wis, sjs = [], []
    step = max(1, max_pairs_per_chunk // max(len(s_rows), 1))
    for lo in range(0, len(w_rows), step):
        w = np.repeat(w_rows[lo:lo + step], len(s_rows))
        s = np.tile(s_rows, len(w_rows[lo:lo + step]))
        ok = fb.hard_mask(w, s)
        wis.append(w[ok])
        sjs.append(s[ok])
    wi = np.concatenate(wis) if wis else np.zeros(0, np.int64)
    sj = np.concatenate(sjs) if sjs else np.zeros(0, np.int64)
    at = np.maximum(split_at, market.shifts.posted_at[sj])
    # observed grade of each pair after the split
    n_s = len(market.shifts)
    e_w, e_s = fb.worker_rows(ev.worker_id[after]), fb.shift_rows(ev.shift_id[after])
    e_k = ev.kind[after]
    ok = (e_w >= 0) & (e_s >= 0)
    e_key = e_w[ok] * n_s + e_s[ok]
    grade_of = np.array([GRADE[k] for k in range(len(GRADE))], dtype=np.float64)
    e_g = grade_of[e_k[ok]]
    e_ns = e_k[ok] == NO_SHOW
    ukey, inv = np.unique(e_key, return_inverse=True)
    best = np.zeros(len(ukey))
    np.maximum.at(best, inv, e_g)
    best[np.bincount(inv, weights=e_ns, minlength=len(ukey)) > 0] = 0
    key = wi * n_s + sj
    pos = np.clip(np.searchsorted(ukey, key), 0, max(len(ukey) - 1, 0))
    grade = np.where(len(ukey) > 0, np.where(ukey[pos] == key, best[pos], 0.0), 0.0) if len(
        ukey) else np.zeros(len(key))
    before = fb.worker_rows(ev.worker_id[~after])
    had_history = np.zeros(len(market.workers), dtype=bool)
    had_history[before[before >= 0]] = True
    return Candidates(fb, wi, sj, at, grade, ~had_history[wi])


def baseline_scores(c: Candidates, name: str, seed: int = 0) -> np.ndarray:
    S = c.fb.shifts
    if name == "random":
        return np.random.default_rng(seed).random(len(c.wi))
    if name == "newest":
        return S.posted_at[c.sj].astype(np.float64)
    if name == "nearest":
        d = c.fb.distance(c.wi, c.sj)
        return -np.where(np.isnan(d), 1e6, d)
    if name == "skill_overlap":
        cov, jac = c.fb.skill_overlap(c.wi, c.sj)
        return cov + 0.01 * jac
    raise ValueError(name)


def _metrics(qid, score, grade, tiebreak) -> dict[str, float]:
    return {
        "ndcg@5": ndcg_at_k(qid, score, grade, 5, tiebreak),
        "ndcg@10": ndcg_at_k(qid, score, grade, 10, tiebreak),
        "map@10": float(np.nanmean(ap_per_query(qid, score, grade, 10, tiebreak)))
        if len(qid) else float("nan"),
    }


def evaluate(data: str | os.PathLike | Market, split_at, *, seed: int = 0,
             ranker: Ranker | None = None,
             extra: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None,
             score_batch: int = 500_000) -> dict:
    """Train on history before ``split_at`` and compare the model with the baselines.

    ``data`` is a bundle directory or a Market. ``extra`` maps a method name to a function of
    the feature matrix (e.g. a LightGBM model in the benchmark). Returns a dict with
    ``metrics`` (per method: ndcg@5, ndcg@10, map@10), ``true_utility`` (generated markets
    only), counts, the model metadata and ``rankings`` (worker_id, rank, shift_id, score arrays
    for the model).
    """
    if not isinstance(data, Market):
        from marketplace.ranking.bundle import read_bundle

        data = read_bundle(data)
    market = data
    split = _to_epoch(split_at)
    model = ranker or Ranker(seed=seed)
    model.fit(market, until=split)
    c = candidate_pairs(market, split, category_median=model.meta.category_median)
    n = len(c.wi)
    scores: dict[str, np.ndarray] = {}
    extra = extra or {}
    model_s = np.empty(n)
    extra_s = {k: np.empty(n) for k in extra}
    for lo in range(0, n, score_batch):
        hi = min(n, lo + score_batch)
        X = c.fb.pairs(c.wi[lo:hi], c.sj[lo:hi], c.at[lo:hi])
        model_s[lo:hi] = model.feed_scores(X)
        for k, fn in extra.items():
            extra_s[k][lo:hi] = fn(X)
    scores["model"] = model_s
    scores.update(extra_s)
    for b in BASELINES:
        scores[b] = baseline_scores(c, b, seed)
    oracle = market.oracle
    if oracle is not None:
        scores["oracle"] = oracle.expected_grade(c.wi, c.sj, noise=False)
    tiebreak = np.random.default_rng(seed + 1).random(n)
    qid = c.wi
    out: dict = {
        "split_at": dt.datetime.fromtimestamp(split, dt.UTC).isoformat(),
        "queries": len(np.unique(qid)),
        "queries_with_outcome": int(np.isfinite(ndcg_per_query(qid, c.grade, c.grade)).sum()),
        "cold_queries": len(np.unique(qid[c.cold])),
        "candidates": int(n),
        "model": {"version": model.meta.version, "apply_model": model.meta.apply_model,
                  "validation": model.meta.validation, "rows": model.meta.rows,
                  "fit_seconds": model.meta.fit_seconds},
        "metrics": {m: _metrics(qid, s, c.grade, tiebreak) for m, s in scores.items()
                    if m != "oracle"},
    }
    if oracle is not None:
        truth = oracle.expected_grade(c.wi, c.sj, noise=True)
        cold = c.cold
        out["true_utility"] = {
            m: {"ndcg@10": ndcg_at_k(qid, s, truth, 10, tiebreak),
                "ndcg@10_cold": ndcg_at_k(qid[cold], s[cold], truth[cold], 10, tiebreak[cold])
                if cold.any() else float("nan")}
            for m, s in scores.items()
        }
    # the model's rankings
    order = np.lexsort((tiebreak, -model_s, qid))
    q = qid[order]
    start = np.r_[0, np.flatnonzero(q[1:] != q[:-1]) + 1] if n else np.zeros(0, np.int64)
    rank = np.arange(n) - np.repeat(start, np.diff(np.r_[start, n])) + 1
    out["rankings"] = {
        "worker_id": market.workers.worker_id[c.wi[order]],
        "rank": rank,
        "shift_id": market.shifts.shift_id[c.sj[order]],
        "score": model_s[order],
    }
    return out


def write_rankings(rankings: dict, path: str | os.PathLike) -> None:
    """Write ``worker_id,rank,shift_id,score`` rows (UTF-8 CSV with a header)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("worker_id,rank,shift_id,score\n")
        for w, r, s, sc in zip(rankings["worker_id"], rankings["rank"], rankings["shift_id"],
                               rankings["score"], strict=True):
            fh.write(f"{int(w)},{int(r)},{int(s)},{float(sc):.6g}\n")
