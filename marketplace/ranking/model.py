"""The ranker: a worker-side and a firm-side model, and their reciprocal score.

Three scikit-learn estimators are trained on the event log (all features from
``features.FEATURE_NAMES``, history only from before each row's time):

* ``apply``: P(apply | shown) on impressions (the logged position is an input during training
  and is set to 1 when serving, which removes most of the position bias). Two candidates are
  trained and the better one on a time-based validation split (NDCG@10 of the logged sessions)
  is kept: a pairwise linear model on within-session feature differences (RankSVM style,
  logistic loss, Platt-calibrated) and a ``HistGradientBoostingClassifier`` with monotonic
  constraints;
* ``hire``: P(hired | applied), on applications whose outcome is known;
* ``complete``: P(completes | hired), on hires with a complete / no-show outcome.

Worker side = P(apply) · P(hire | apply) ("would take it and get it");
firm side = P(hire | apply) · P(complete | hire) ("would hire and keep them");
reciprocal = harmonic mean of the two. The worker's feed is ordered by the worker side; firms'
candidate lists and assignment edges use the reciprocal score.

Cold start: history features are blanked (NaN) on a share of the training rows (workers 25%,
firms 10%) so new workers and new firms are scored by the content features. Negatives are
subsampled per session (all positives kept, at most ``neg_per_query`` negatives, a share of
sessions without any application) with inverse-probability weights.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import asdict, dataclass, field

import joblib
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from marketplace.ranking.features import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    FIRM_COLS,
    WORKER_COLS,
    FeatureBuilder,
)
from marketplace.ranking.market import (
    APPLY,
    COMPLETE,
    GRADE,
    HIRE,
    IMPRESSION,
    NO_SHOW,
    VIEW,
    WITHDRAW,
    Events,
    Market,
)
from marketplace.ranking.metrics import ndcg_at_k

FORMAT_VERSION = 1
DAY = 86400
APPLY_INPUTS = (*FEATURE_NAMES, "position")
#: What orders a worker's feed: "apply" = P(apply) (default), "worker" = P(apply)·P(hire).
FEED_SCORES = ("apply", "worker")

_MONO_APPLY = {
    "distance_km": -1, "distance_ratio": -1, "skill_coverage": 1, "pay_over_min": 1,
    "pay_over_market": 1, "trade_match": 1, "w_apply_rate_cat": 1, "w_cat_share": 1, "text_sim": 1,
    "firm_rating": 1, "position": -1,
}
_MONO_HIRE = {"skill_coverage": 1, "skill_jaccard": 1, "w_reliability": 1, "w_rating": 1}
_MONO_COMPLETE = {"w_reliability": 1, "firm_completion_rate": 1}


def _mono(names, table) -> list[int]:
    return [table.get(n, 0) for n in names]


@dataclass
class ModelMeta:
    version: str
    trained_at: str
    train_from: str | None
    train_to: str | None
    feature_names: list[str]
    apply_model: str
    validation: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    fit_seconds: float = 0.0
    feed: str = "apply"
    format_version: int = FORMAT_VERSION
    category_median: dict = field(default_factory=dict)


class _Const:
    """Stand-in classifier when a stage has too little data: a smoothed base rate."""

    def __init__(self, p: float):
        self.p = float(p)

    def predict_proba(self, X):
        return np.column_stack([np.full(len(X), 1 - self.p), np.full(len(X), self.p)])


class PairwiseLinear:
    """RankSVM-style model: logistic regression on within-query differences of features."""

    def __init__(self, C: float = 0.5, max_pairs: int = 300_000, seed: int = 0):
        self.C, self.max_pairs, self.seed = C, max_pairs, seed

    def _z(self, X):
        Z = np.where(np.isnan(X), self.fill_, X)
        Z = (Z - self.mean_) / self.scale_
        # history-missing indicators let the model shift new workers/firms as a block
        return np.column_stack([Z, np.isnan(X[:, [WORKER_COLS[0], FIRM_COLS[0]]])])

    def fit(self, X, y, qid, sample_weight=None):
        rng = np.random.default_rng(self.seed)
        self.fill_ = np.nan_to_num(np.nanmedian(X, axis=0))
        Xf = np.where(np.isnan(X), self.fill_, X)
        self.mean_ = Xf.mean(axis=0)
        self.scale_ = Xf.std(axis=0) + 1e-6
        Z = self._z(X)
        order = np.lexsort((-y, qid))
        q, yy = qid[order], y[order]
        pos_rows = order[yy > 0]
        # negatives of each query are a contiguous block in `order`
        is_neg = yy <= 0
        uq, first = np.unique(q, return_index=True)
        neg_start = np.searchsorted(np.flatnonzero(is_neg), first)  # index into neg list
        neg_list = order[is_neg]
        neg_count = np.bincount(np.searchsorted(uq, q[is_neg]), minlength=len(uq))
        qp = np.searchsorted(uq, qid[pos_rows])
        cnt = neg_count[qp]
        p_idx = np.repeat(pos_rows, cnt)
        offs = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        n_idx = neg_list[np.repeat(neg_start[qp], cnt) + offs]
        if len(p_idx) > self.max_pairs:
            keep = rng.choice(len(p_idx), self.max_pairs, replace=False)
            p_idx, n_idx = p_idx[keep], n_idx[keep]
        D = Z[p_idx] - Z[n_idx]
        labels = (y > 0).astype(int)
        if len(D) >= 10:
            sign = rng.random(len(D)) < 0.5
            D[sign] *= -1
            lr = LogisticRegression(C=self.C, fit_intercept=False, max_iter=300)
            lr.fit(D, (~sign).astype(int))
            self.coef_ = lr.coef_.ravel()
        elif labels.min() != labels.max():
            # Too few within-session pairs (a thin log): fall back to a pointwise fit.
            lr = LogisticRegression(C=self.C, max_iter=300)
            self.coef_ = lr.fit(Z, labels, sample_weight=sample_weight).coef_.ravel()
        else:
            self.coef_ = np.zeros(Z.shape[1])
        if labels.min() == labels.max():
            self.platt_ = _Const((labels.sum() + 1) / (len(labels) + 2))
            return self
        # Platt scaling so the score is a probability that can be multiplied with P(hire)
        s = Z @ self.coef_
        self.platt_ = LogisticRegression(C=100.0).fit(s[:, None], (y > 0).astype(int),
                                                      sample_weight=sample_weight)
        return self

    def decision_function(self, X):
        return self._z(X) @ self.coef_

    def predict_proba(self, X):
        return self.platt_.predict_proba(self.decision_function(X)[:, None])


def _hgb(names, mono, seed, max_iter=200):
    return HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.08, max_leaf_nodes=31, min_samples_leaf=40,
        l2_regularization=1.0, monotonic_cst=_mono(names, mono), early_stopping=False,
        random_state=seed)


def _iso(t: int | None) -> str | None:
    if t is None:
        return None
    return dt.datetime.fromtimestamp(int(t), dt.UTC).isoformat()


@dataclass
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    grade: np.ndarray
    qid: np.ndarray
    t: np.ndarray
    w: np.ndarray


class Ranker:
    """Fit on a market's event log; score pairs; save/load with metadata."""

    def __init__(self, *, seed: int = 0, neg_per_query: int = 6, empty_query_share: float = 0.15,
                 mask_worker_share: float = 0.25, mask_firm_share: float = 0.10,
                 max_rows: int = 400_000, validation_share: float = 0.15,
                 candidates: tuple[str, ...] = ("hgb", "pairwise_linear"), hgb_iter: int = 200,
                 feed: str = "apply"):
        if feed not in FEED_SCORES:
            raise ValueError(f"feed must be one of {FEED_SCORES}")
        self.feed = feed
        self.seed = seed
        self.neg_per_query = neg_per_query
        self.empty_query_share = empty_query_share
        self.mask_worker_share = mask_worker_share
        self.mask_firm_share = mask_firm_share
        self.max_rows = max_rows
        self.validation_share = validation_share
        self.candidates = candidates
        self.hgb_iter = hgb_iter
        self.meta: ModelMeta | None = None
        self.apply_model = self.hire_model = self.complete_model = None

    # ---- training data ----------------------------------------------------------------
    def _mask(self, X, rng) -> np.ndarray:
        n = len(X)
        X[np.ix_(np.flatnonzero(rng.random(n) < self.mask_worker_share), WORKER_COLS)] = np.nan
        X[np.ix_(np.flatnonzero(rng.random(n) < self.mask_firm_share), FIRM_COLS)] = np.nan
        return X

    def impression_set(self, fb: FeatureBuilder, ev: Events, rng) -> TrainingSet:
        n_s = len(fb.shifts)
        wi, sj = fb.worker_rows(ev.worker_id), fb.shift_rows(ev.shift_id)
        ok = (wi >= 0) & (sj >= 0)
        wi, sj, t, kind, pos = wi[ok], sj[ok], ev.at[ok], ev.kind[ok], ev.position[ok]
        pair = wi * n_s + sj
        # pair-level outcome: best grade (a no-show zeroes it), first engagement, first apply
        grade_of = np.array([GRADE[k] for k in range(len(GRADE))])
        g = grade_of[kind]
        upair, pinv = np.unique(pair, return_inverse=True)
        pg = np.zeros(len(upair))
        np.maximum.at(pg, pinv, g)
        pg[np.bincount(pinv, weights=kind == NO_SHOW, minlength=len(upair)) > 0] = 0
        big = np.iinfo(np.int64).max
        first_apply = np.full(len(upair), big)
        a = kind == APPLY
        np.minimum.at(first_apply, pinv[a], t[a])
        first_eng = np.full(len(upair), big)
        e = (kind == VIEW) | a
        np.minimum.at(first_eng, pinv[e], t[e])
        imp = np.flatnonzero(kind == IMPRESSION)
        it, ip = t[imp], pinv[imp]
        fa = first_apply[ip]
        keep = ~(fa <= it)  # not yet applied when shown
        imp, it, ip, fa = imp[keep], it[keep], ip[keep], fa[keep]
        y = ((fa > it) & (fa <= it + DAY)).astype(np.int8)
        fe = first_eng[ip]
        grade = np.where((fe > it) & (fe <= it + DAY), pg[ip], 0.0)
        grade = np.maximum(grade, 2.0 * y)
        qkey = wi[imp].astype(np.int64) * (1 << 40) + (it - it.min() if len(it) else it)
        _, qid = np.unique(qkey, return_inverse=True)
        # subsample negatives per query
        q_pos = np.bincount(qid, weights=y) > 0
        r = rng.random(len(imp))
        order = np.lexsort((r, y == 0, qid))  # positives first, then random negatives
        qs = qid[order]
        start = np.r_[0, np.flatnonzero(qs[1:] != qs[:-1]) + 1]
        rank = np.arange(len(qs)) - np.repeat(start, np.diff(np.r_[start, len(qs)]))
        n_pos_q = np.bincount(qid, weights=y, minlength=qid.max() + 1 if len(qid) else 0)
        n_q = np.bincount(qid, minlength=len(n_pos_q))
        neg_rank = rank - n_pos_q[qs]
        is_pos = y[order] > 0
        keep_q = q_pos | (rng.random(len(q_pos)) < self.empty_query_share)
        sel = keep_q[qs] & (is_pos | (neg_rank < self.neg_per_query))
        n_neg_q = n_q - n_pos_q
        kept_neg = np.minimum(n_neg_q, self.neg_per_query)
        w_neg = np.where(kept_neg > 0, n_neg_q / np.maximum(kept_neg, 1), 1.0)
        w_q = np.where(q_pos, 1.0, 1.0 / self.empty_query_share)
        weight = np.where(is_pos, 1.0, w_neg[qs]) * w_q[qs]
        rows = order[sel]
        weight = weight[sel]
        if len(rows) > self.max_rows:
            pick = np.sort(rng.choice(len(rows), self.max_rows, replace=False))
            rows, weight = rows[pick], weight[pick]
        rows_i = imp[rows]
        X = fb.pairs(wi[rows_i], sj[rows_i], t[rows_i])
        X = np.column_stack([X, pos[rows_i].astype(np.float32)])
        return TrainingSet(X, y[rows].astype(int), grade[rows], qid[rows], t[rows_i], weight)

    @staticmethod
    def _outcome_set(fb: FeatureBuilder, ev: Events, until: int, stage: str):
        n_s = len(fb.shifts)
        wi, sj = fb.worker_rows(ev.worker_id), fb.shift_rows(ev.shift_id)
        ok = (wi >= 0) & (sj >= 0)
        wi, sj, t, kind = wi[ok], sj[ok], ev.at[ok], ev.kind[ok]
        pair = wi.astype(np.int64) * n_s + sj
        if stage == "hire":
            base = np.flatnonzero(kind == APPLY)
            base = base[fb.shifts.start_at[sj[base]] < until]  # the decision is known
            drop = np.isin(pair[base], pair[kind == WITHDRAW])
            base = base[~drop]
            y = np.isin(pair[base], pair[kind == HIRE])
        else:
            base = np.flatnonzero(kind == HIRE)
            done = np.isin(pair[base], pair[(kind == COMPLETE) | (kind == NO_SHOW)])
            base = base[done]
            y = np.isin(pair[base], pair[kind == COMPLETE])
        _, first = np.unique(pair[base], return_index=True)
        base, y = base[first], y[first]
        return wi[base], sj[base], t[base], y.astype(int)

    # ---- fit -----------------------------------------------------------------------------
    def fit(self, market: Market, *, until: int | None = None) -> Ranker:
        """Train on the events strictly before ``until`` (default: all of them)."""
        started = time.perf_counter()
        rng = np.random.default_rng(self.seed)
        ev = market.events if until is None else market.events.before(until)
        ratings = market.ratings
        if until is None:
            until = int(ev.at.max()) + 1 if len(ev) else int(time.time())
        fb = FeatureBuilder(market.workers, market.shifts, ev, ratings, history_cutoff=until)
        self.category_median = fb.category_median
        ts = self.impression_set(fb, ev, rng)
        ts.X[:, :len(FEATURE_NAMES)] = self._mask(ts.X[:, :len(FEATURE_NAMES)], rng)
        validation: dict = {}
        # time-based split for choosing the apply model
        cut = np.quantile(ts.t, 1 - self.validation_share) if len(ts.t) else 0
        tr, va = ts.t < cut, ts.t >= cut
        scores = {}
        candidates = self.candidates if (ts.y[tr].sum() >= 5 and ts.y[va].sum() >= 1) else (
            self.candidates[:1])
        for name in candidates:
            if len(candidates) == 1:
                scores[name] = float("nan")
                break
            m = self._apply_candidate(name)
            self._fit_apply(m, name, ts, tr)
            Xv = ts.X[va].copy()
            Xv[:, -1] = 1.0
            s = m.predict_proba(Xv)[:, 1]
            scores[name] = ndcg_at_k(ts.qid[va], s, ts.grade[va], 10)
        best = max(scores, key=lambda k: -np.inf if np.isnan(scores[k]) else scores[k])
        validation["apply_ndcg10"] = scores
        validation["apply_model"] = best
        self.apply_model = self._apply_candidate(best)
        if ts.y.sum() >= 2:
            self._fit_apply(self.apply_model, best, ts, np.ones(len(ts.y), bool))
        else:
            self.apply_model = _Const((ts.y.sum() + 1) / (len(ts.y) + 20))
        rows = {"apply": len(ts.y), "apply_pos": int(ts.y.sum())}
        for stage, mono in (("hire", _MONO_HIRE), ("complete", _MONO_COMPLETE)):
            wi, sj, t, y = self._outcome_set(fb, ev, until, stage)
            rows[stage] = len(y)
            prior = (y.sum() + 1) / (len(y) + 2)
            if len(y) < 30 or y.min() == y.max():
                model = _Const(prior)
            else:
                X = self._mask(fb.pairs(wi, sj, t), rng)
                cut_s = np.quantile(t, 1 - self.validation_share)
                trs, vas = t < cut_s, t >= cut_s
                model = _hgb(FEATURE_NAMES, mono, self.seed, max_iter=100)
                if len(np.unique(y[trs])) == 2 and len(np.unique(y[vas])) == 2:
                    model.fit(X[trs], y[trs])
                    validation[f"{stage}_auc"] = float(roc_auc_score(
                        y[vas], model.predict_proba(X[vas])[:, 1]))
                model.fit(X, y)
            setattr(self, f"{stage}_model", model)
        trained = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.meta = ModelMeta(
            version=f"{trained:%Y%m%d-%H%M%S}-s{self.seed}",
            trained_at=trained.isoformat(),
            train_from=_iso(int(ev.at.min())) if len(ev) else None,
            train_to=_iso(until), feature_names=list(FEATURE_NAMES), apply_model=best,
            validation=validation, rows=rows, fit_seconds=round(time.perf_counter() - started, 2),
            category_median=dict(self.category_median), feed=self.feed)
        return self

    def _apply_candidate(self, name):
        if name == "hgb":
            return _hgb(APPLY_INPUTS, _MONO_APPLY, self.seed, self.hgb_iter)
        if name == "pairwise_linear":
            return PairwiseLinear(seed=self.seed)
        raise ValueError(name)

    @staticmethod
    def _fit_apply(model, name, ts: TrainingSet, rows):
        if name == "pairwise_linear":
            model.fit(ts.X[rows], ts.grade[rows], ts.qid[rows], sample_weight=ts.w[rows])
        else:
            model.fit(ts.X[rows], ts.y[rows], sample_weight=ts.w[rows])

    # ---- predict --------------------------------------------------------------------------
    def builder(self, market: Market, *, history_cutoff: int | None = None) -> FeatureBuilder:
        """A FeatureBuilder for scoring, with this model's market medians."""
        return FeatureBuilder(market.workers, market.shifts, market.events, market.ratings,
                              history_cutoff=history_cutoff,
                              category_median=self.meta.category_median if self.meta else None)

    def score_features(self, X: np.ndarray) -> dict[str, np.ndarray]:
        Xa = np.column_stack([X, np.ones(len(X), dtype=np.float32)])
        p_apply = self.apply_model.predict_proba(Xa)[:, 1]
        p_hire = self.hire_model.predict_proba(X)[:, 1]
        p_complete = self.complete_model.predict_proba(X)[:, 1]
        worker = p_apply * p_hire
        firm = p_hire * p_complete
        with np.errstate(invalid="ignore", divide="ignore"):
            recip = np.where(worker + firm > 0, 2 * worker * firm / (worker + firm), 0.0)
        return {"worker": worker, "firm": firm, "reciprocal": recip, "p_apply": p_apply,
                "p_hire": p_hire, "p_complete": p_complete}

    def feed_scores(self, X: np.ndarray) -> np.ndarray:
        """The score that orders a worker's feed (see ``feed``)."""
        Xa = np.column_stack([X, np.ones(len(X), dtype=np.float32)])
        p = self.apply_model.predict_proba(Xa)[:, 1]
        if self.feed == "worker":
            p = p * self.hire_model.predict_proba(X)[:, 1]
        return p

    def score(self, fb: FeatureBuilder, wi, sj, at, history_at=None) -> dict[str, np.ndarray]:
        return self.score_features(fb.pairs(wi, sj, at, history_at))

    def rank_for_worker(self, fb: FeatureBuilder, wi: int, sj: np.ndarray, at: int,
                        k: int = 50, hard_filter: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top-k shift rows for one worker among ``sj``, best first.

        ``hard_filter=False`` when the caller (the SQL query) has already applied them.
        """
        sj = np.asarray(sj, dtype=np.int64)
        w = np.full(len(sj), wi, dtype=np.int64)
        if hard_filter:
            ok = fb.hard_mask(w, sj)
            sj, w = sj[ok], w[ok]
        s = self.feed_scores(fb.pairs(w, sj, at))
        top = np.argpartition(-s, k)[:k] if len(s) > k else np.arange(len(s))
        top = top[np.argsort(-s[top], kind="stable")]
        return sj[top], s[top]

    # ---- persistence ----------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        joblib.dump({"meta": asdict(self.meta), "apply": self.apply_model,
                     "hire": self.hire_model, "complete": self.complete_model}, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ranker:
        data = joblib.load(path)
        meta = ModelMeta(**data["meta"])
        if meta.feature_names != list(FEATURE_NAMES):
            raise ValueError(f"model {meta.version} was trained on different features")
        r = cls(feed=meta.feed)
        r.meta = meta
        r.category_median = meta.category_median
        r.apply_model, r.hire_model, r.complete_model = data["apply"], data["hire"], data[
            "complete"]
        return r


__all__ = ["FEATURE_INDEX", "ModelMeta", "PairwiseLinear", "Ranker"]
