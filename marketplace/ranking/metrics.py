"""Ranking metrics over many queries at once (vectorised, no loop per query).

Gains are linear in the graded relevance (view 1, apply 2, hire 3, complete 4; no-show 0), as
in ``sklearn.metrics.ndcg_score``: DCG@k = Σ_{i≤k} rel_i / log2(i + 1). Queries whose ideal DCG
is 0 are skipped (NaN). For MAP@k an item is relevant when its grade is > 0, and AP@k is divided
by min(k, number of relevant items of the query).
"""

from __future__ import annotations

import numpy as np


def _ranks(qid: np.ndarray, key: np.ndarray, tiebreak: np.ndarray | None = None):
    """Order rows by query, then key descending; return (order, 0-based rank within query)."""
    n = len(qid)
    tb = np.arange(n) if tiebreak is None else tiebreak
    order = np.lexsort((tb, -np.asarray(key, dtype=np.float64), qid))
    q = qid[order]
    start = np.r_[0, np.flatnonzero(q[1:] != q[:-1]) + 1] if n else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[start, n])
    rank = np.arange(n) - np.repeat(start, sizes)
    return order, rank


def _dcg(qid_codes, n_q, rel_sorted, rank, k):
    disc = np.where(rank < k, 1.0 / np.log2(rank + 2.0), 0.0)
    return np.bincount(qid_codes, weights=rel_sorted * disc, minlength=n_q)


def ndcg_per_query(qid, score, rel, k: int = 10, tiebreak=None) -> np.ndarray:
    """NDCG@k for each distinct query id (sorted by id); NaN where no item is relevant."""
    qid = np.asarray(qid)
    rel = np.asarray(rel, dtype=np.float64)
    uq, codes = np.unique(qid, return_inverse=True)
    order, rank = _ranks(codes, score, tiebreak)
    dcg = _dcg(codes[order], len(uq), rel[order], rank, k)
    iorder, irank = _ranks(codes, rel)
    idcg = _dcg(codes[iorder], len(uq), rel[iorder], irank, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(idcg > 0, dcg / idcg, np.nan)


def ap_per_query(qid, score, rel, k: int = 10, tiebreak=None) -> np.ndarray:
    """Average precision@k per query (relevant = grade > 0); NaN where nothing is relevant."""
    qid = np.asarray(qid)
    relevant = (np.asarray(rel) > 0).astype(np.float64)
    uq, codes = np.unique(qid, return_inverse=True)
    order, rank = _ranks(codes, score, tiebreak)
    r = relevant[order]
    c = codes[order]
    # cumulative hits within each query
    cum = np.cumsum(r)
    start_cum = np.r_[0.0, cum][np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]] if len(c) else (
        np.zeros(0))
    sizes = np.bincount(c, minlength=len(uq))
    hits = cum - np.repeat(start_cum, sizes[sizes > 0])
    prec = hits / (rank + 1.0)
    s = np.bincount(c, weights=np.where(rank < k, prec * r, 0.0), minlength=len(uq))
    n_rel = np.bincount(c, weights=r, minlength=len(uq))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, s / np.minimum(n_rel, k), np.nan)


def ndcg_at_k(qid, score, rel, k: int = 10, tiebreak=None) -> float:
    v = ndcg_per_query(qid, score, rel, k, tiebreak)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def map_at_k(qid, score, rel, k: int = 10, tiebreak=None) -> float:
    v = ap_per_query(qid, score, rel, k, tiebreak)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
