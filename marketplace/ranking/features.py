"""Features for (worker, shift) pairs, vectorised over pairs.

``FeatureBuilder(workers, shifts, events, ratings)`` indexes a market once; then
``builder.pairs(wi, sj, at)`` returns a float32 matrix (one row per pair, columns in
``FEATURE_NAMES`` order) for row-index arrays ``wi``/``sj`` and prediction times ``at``.

History features (firm and worker) use only events strictly before the prediction time of each
row (``min(at, history_cutoff)``): every count is a lookup in a time-sorted cumulative sum, so
training rows at different times and a single feed request share one code path and cannot see
the future. Priority-group status is not an input at all.

Hard constraints (``hard_mask``): certificates held ⊇ required, the shift's hours inside the
worker's weekly availability (if known), distance within the commute radius (if located).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from marketplace import taxonomy
from marketplace.ranking.market import (
    APPLY,
    COMPLETE,
    HIRE,
    IMPRESSION,
    NO_SHOW,
    Events,
    Ratings,
    Shifts,
    Workers,
    haversine_km,
    shift_hour_mask,
)

CONTENT_FEATURES = (
    "distance_km", "distance_ratio", "skill_coverage", "skill_jaccard", "n_skills_required",
    "n_certs_required", "daily_pay", "pay_over_min", "pay_over_market", "hours",
    "lead_time_h", "shift_age_h", "meals", "housing", "out_of_province", "meals_x_out",
    "housing_x_out", "time_fit", "log_headcount", "worker_tenure_days", "trade_match",
)
FIRM_FEATURES = (
    "firm_fill_rate", "firm_completion_rate", "firm_rating", "firm_late_cancel_rate",
    "firm_log_hires", "firm_apply_rate", "shift_applicants_per_seat",
)
WORKER_FEATURES = (
    "w_apply_rate", "w_apply_rate_cat", "w_cat_share", "w_reliability", "w_rating",
    "w_log_completed", "w_log_impressions", "w_same_firm_completed", "w_same_firm_applied",
    "text_sim", "dist_ratio_vs_applied", "pay_vs_applied",
)
FEATURE_NAMES: tuple[str, ...] = CONTENT_FEATURES + FIRM_FEATURES + WORKER_FEATURES
FEATURE_INDEX = {n: i for i, n in enumerate(FEATURE_NAMES)}
FIRM_COLS = np.array([FEATURE_INDEX[n] for n in FIRM_FEATURES])
WORKER_COLS = np.array([FEATURE_INDEX[n] for n in WORKER_FEATURES])

_T0 = 946_684_800  # 2000-01-01: times are stored relative to it inside the index keys
_SHIFT = np.int64(1) << np.int64(32)
PRIOR_APPLY = 0.05
PRIOR_RELIABILITY = 0.85
PRIOR_RATING = 4.0
_TERM_ZH = {t.code: t.zh for t in (*taxonomy.CATEGORIES, *taxonomy.SKILLS)}


def popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x).astype(np.int64)


def _bitsets(lists: list[tuple[str, ...]], vocab: dict[str, int]) -> np.ndarray:
    """(n, words) uint64 bitsets of code lists over ``vocab``."""
    words = max(1, -(-len(vocab) // 64))
    out = np.zeros((len(lists), words), dtype=np.uint64)
    rows, cols = [], []
    for i, codes in enumerate(lists):
        for c in codes:
            rows.append(i)
            cols.append(vocab[c])
    if rows:
        r, c = np.array(rows), np.array(cols)
        np.bitwise_or.at(out, (r, c // 64), np.uint64(1) << (c % 64).astype(np.uint64))
    return out


def _pack_hours(mask: np.ndarray) -> np.ndarray:
    """(n, 168) bool → (n, 3) uint64."""
    padded = np.zeros((mask.shape[0], 192), dtype=np.uint64)
    padded[:, :168] = mask
    w = np.uint64(1) << np.arange(64, dtype=np.uint64)
    return (padded.reshape(-1, 3, 64) * w).sum(axis=2, dtype=np.uint64)


class TimedSum:
    """Sum of weights of entity-tagged items strictly before a time, by binary search."""

    def __init__(self, entity, t, weight=None):
        key = np.asarray(entity, np.int64) * _SHIFT + (np.asarray(t, np.int64) - _T0)
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        w = np.ones(len(key)) if weight is None else np.asarray(weight, dtype=np.float64)[order]
        self.cum = np.concatenate([np.zeros((1, *w.shape[1:])), np.cumsum(w, axis=0)])

    def before(self, entity, t) -> np.ndarray:
        entity = np.asarray(entity, np.int64)
        hi = np.searchsorted(self.key, entity * _SHIFT + (np.asarray(t, np.int64) - _T0), "left")
        lo = np.searchsorted(self.key, entity * _SHIFT, "left")
        return self.cum[hi] - self.cum[lo]


@dataclass
class _Uniq:
    """Unique (entity, time) rows of a query, to evaluate a lookup once per unique pair."""

    inv: np.ndarray
    entity: np.ndarray
    t: np.ndarray

    @staticmethod
    def of(entity, t) -> _Uniq:
        entity = np.asarray(entity, np.int64)
        t = np.asarray(t, np.int64)
        if len(entity) and (entity == entity[0]).all() and (t == t[0]).all():
            return _Uniq(np.zeros(len(entity), np.int64), entity[:1], t[:1])
        key = entity * _SHIFT + (t - _T0)  # one int64 key: 1-D unique is much faster
        u, inv = np.unique(key, return_inverse=True)
        return _Uniq(inv.ravel(), u // _SHIFT, u % _SHIFT + _T0)


class FeatureBuilder:
    """Index a market's entities and history once; compute pair features on demand."""

    def __init__(self, workers: Workers, shifts: Shifts, events: Events | None = None,
                 ratings: Ratings | None = None, *, history_cutoff: int | None = None,
                 category_median: dict[str, float] | None = None, text_features: int = 256,
                 firm_counts: dict[int, dict[str, float]] | None = None,
                 shift_applications: np.ndarray | None = None):
        self.workers, self.shifts = workers, shifts
        # Serving may pass the firms' history as counts (from SQL aggregates) instead of their
        # whole event log; the keys are those of `firm_count_columns`.
        self.firm_counts = firm_counts
        self.shift_applications = shift_applications  # (n_shifts,) counts so far, or None
        events = events if events is not None else Events.empty()
        if history_cutoff is not None:
            events = events.before(history_cutoff)
            ratings = ratings.before(history_cutoff) if ratings is not None else None
        self.history_cutoff = history_cutoff
        # id → row index
        self._w_order = np.argsort(workers.worker_id)
        self._s_order = np.argsort(shifts.shift_id)
        self.firm_ids, self.s_firm = np.unique(shifts.firm_id, return_inverse=True)
        firm_ids = self.firm_ids
        self.n_firms = len(firm_ids)
        cats = sorted(set(shifts.category.tolist()) | {t.code for t in taxonomy.CATEGORIES})
        self.cat_vocab = {c: i for i, c in enumerate(cats)}
        self.s_cat = np.array([self.cat_vocab[c] for c in shifts.category], dtype=np.int64)
        self.n_cat = len(cats)
        skill_vocab = {t.code: i for i, t in enumerate(taxonomy.SKILLS)}
        for codes in (*workers.skills, *shifts.skills):
            for c in codes:
                skill_vocab.setdefault(c, len(skill_vocab))
        cert_vocab = {t.code: i for i, t in enumerate(taxonomy.CERTIFICATES)}
        for codes in (*workers.certificates, *shifts.certificates):
            for c in codes:
                cert_vocab.setdefault(c, len(cert_vocab))
        self.w_skill_bits = _bitsets(workers.skills, skill_vocab)
        self.s_skill_bits = _bitsets(shifts.skills, skill_vocab)
        self.w_cert_bits = _bitsets(workers.certificates, cert_vocab)
        self.s_cert_bits = _bitsets(shifts.certificates, cert_vocab)
        self.s_n_skills = popcount(self.s_skill_bits).sum(axis=1)
        self.w_n_skills = popcount(self.w_skill_bits).sum(axis=1)
        # the trade of a skill is its taxonomy group; "trade match" = share of the worker's
        # skills that belong to the shift's category (a content signal of category taste)
        group = {t.code: t.group for t in taxonomy.SKILLS}
        cat_skills = [tuple(c for c in skill_vocab if group.get(c) == cat) for cat in cats]
        self.cat_skill_bits = _bitsets(cat_skills, skill_vocab)
        self.s_n_certs = popcount(self.s_cert_bits).sum(axis=1)
        self.s_hour_bits = _pack_hours(shift_hour_mask(shifts.start_at, shifts.end_at) > 0)
        self.s_n_hours = popcount(self.s_hour_bits).sum(axis=1)
        self.w_has_avail = workers.availability is not None
        if self.w_has_avail:
            self.w_avail_bits = _pack_hours(np.asarray(workers.availability, dtype=bool))
        self.w_out = np.array([bool(p) and p != taxonomy.HOME_PROVINCE
                               for p in workers.origin_province], dtype=np.float32)
        self.s_hours = (shifts.end_at - shifts.start_at) / 3600.0
        if category_median is None:
            category_median = {}
            ref = shifts.posted_at < history_cutoff if history_cutoff is not None else None
            for c in self.cat_vocab:
                sel = shifts.category == c
                if ref is not None and (sel & ref).any():
                    sel = sel & ref
                if sel.any():
                    category_median[c] = float(np.median(shifts.daily_pay[sel]))
        self.category_median = category_median
        overall = float(np.median(list(category_median.values()))) if category_median else 1.0
        self.s_market_median = np.array([category_median.get(c, overall)
                                         for c in shifts.category], dtype=np.float64)
        texts = [" ".join(filter(None, (
            (shifts.title[i] if shifts.title is not None else ""),
            _TERM_ZH.get(shifts.category[i], shifts.category[i]),
            *(_TERM_ZH.get(s, s) for s in shifts.skills[i])))) for i in range(len(shifts))]
        self.text_features = text_features
        vec = HashingVectorizer(analyzer="char", ngram_range=(1, 2), n_features=text_features,
                                alternate_sign=False, norm="l2")
        self.s_text = vec.transform(texts).toarray().astype(np.float32)
        self._index_history(events, ratings)

    # ---- id lookups ------------------------------------------------------------------
    def worker_rows(self, ids) -> np.ndarray:
        return self._lookup(self.workers.worker_id, self._w_order, ids)

    def shift_rows(self, ids) -> np.ndarray:
        return self._lookup(self.shifts.shift_id, self._s_order, ids)

    @staticmethod
    def _lookup(all_ids, order, ids) -> np.ndarray:
        """Row index of each id, -1 when unknown."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(all_ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(all_ids, ids, sorter=order), len(all_ids) - 1)
        rows = order[pos]
        return np.where(all_ids[rows] == ids, rows, -1)

    # ---- history index -----------------------------------------------------------------
    def _index_history(self, events: Events, ratings: Ratings | None) -> None:
        wi = self.worker_rows(events.worker_id)
        sj = self.shift_rows(events.shift_id)
        ok = (wi >= 0) & (sj >= 0)
        wi, sj, t, kind, n = wi[ok], sj[ok], events.at[ok], events.kind[ok], events.count[ok]
        f = self.s_firm[sj]
        c = self.s_cat[sj]
        nf, nc = self.n_firms, self.n_cat

        def sel(k):
            return kind == k

        imp, app, hire = sel(IMPRESSION), sel(APPLY), sel(HIRE)
        comp, ns = sel(COMPLETE), sel(NO_SHOW)
        self.w_imp = TimedSum(wi[imp], t[imp], n[imp])
        self.w_app = TimedSum(wi[app], t[app])
        self.wc_imp = TimedSum(wi[imp] * nc + c[imp], t[imp], n[imp])
        self.wc_app = TimedSum(wi[app] * nc + c[app], t[app])
        self.w_comp = TimedSum(wi[comp], t[comp])
        self.w_ns = TimedSum(wi[ns], t[ns])
        self.wf_comp = TimedSum(wi[comp] * nf + f[comp], t[comp])
        self.wf_app = TimedSum(wi[app] * nf + f[app], t[app])
        self.f_imp = TimedSum(f[imp], t[imp], n[imp])
        self.f_app = TimedSum(f[app], t[app])
        self.f_hire = TimedSum(f[hire], t[hire])
        self.f_comp = TimedSum(f[comp], t[comp])
        self.f_ns = TimedSum(f[ns], t[ns])
        self.s_app = TimedSum(sj[app], t[app])
        self.f_headcount = TimedSum(self.s_firm, self.shifts.posted_at, self.shifts.headcount)
        # a hire with no outcome a day after the shift ended: a late cancellation
        pair = wi.astype(np.int64) * len(self.shifts) + sj
        outcome = np.isin(pair[hire], pair[comp | ns])
        h_sj = sj[hire]
        cancel_t = self.shifts.end_at[h_sj] + 86400
        horizon = self.history_cutoff if self.history_cutoff is not None else (
            int(t.max()) + 1 if len(t) else 0)
        cancelled = ~outcome & (cancel_t < horizon)
        self.f_cancel = TimedSum(f[hire][cancelled], cancel_t[cancelled])
        # what the worker applied to before: text profile, distance and pay habits
        a_w, a_s = wi[app], sj[app]
        d = haversine_km(self.workers.lat[a_w], self.workers.lon[a_w],
                         self.shifts.lat[a_s], self.shifts.lon[a_s])
        ratio = d / np.maximum(self.workers.max_commute_km[a_w], 1.0)
        ratio = np.where(np.isfinite(ratio), ratio, 0.0)
        self.w_app_dist = TimedSum(a_w, t[app], ratio)
        self.w_app_pay = TimedSum(a_w, t[app], np.log(self.shifts.daily_pay[a_s]))
        self.w_text = TimedSum(a_w, t[app], self.s_text[a_s])
        # ratings
        if ratings is not None and len(ratings.at):
            rw = self.worker_rows(ratings.worker_id)
            rs = self.shift_rows(ratings.shift_id)
            rok = (rw >= 0) & (rs >= 0)
            by_firm = ratings.by_firm.astype(bool)
            a = rok & by_firm
            b = rok & ~by_firm
            self.w_rate = TimedSum(rw[a], ratings.at[a], np.c_[np.ones(a.sum()),
                                                                ratings.stars[a]])
            self.f_rate = TimedSum(self.s_firm[rs[b]], ratings.at[b],
                                   np.c_[np.ones(b.sum()), ratings.stars[b]])
        else:
            self.w_rate = TimedSum([], [], np.zeros((0, 2)))
            self.f_rate = TimedSum([], [], np.zeros((0, 2)))

    # ---- features ----------------------------------------------------------------------
    def distance(self, wi, sj) -> np.ndarray:
        return haversine_km(self.workers.lat[wi], self.workers.lon[wi],
                            self.shifts.lat[sj], self.shifts.lon[sj])

    def skill_overlap(self, wi, sj) -> tuple[np.ndarray, np.ndarray]:
        inter = popcount(self.w_skill_bits[wi] & self.s_skill_bits[sj]).sum(axis=1)
        union = popcount(self.w_skill_bits[wi] | self.s_skill_bits[sj]).sum(axis=1)
        req = self.s_n_skills[sj]
        coverage = np.where(req > 0, inter / np.maximum(req, 1), 1.0)
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        return coverage, jaccard

    def time_fit(self, wi, sj) -> np.ndarray:
        if not self.w_has_avail:
            return np.ones(len(np.atleast_1d(sj)))
        inside = popcount(self.w_avail_bits[wi] & self.s_hour_bits[sj]).sum(axis=1)
        return inside / np.maximum(self.s_n_hours[sj], 1)

    def certs_ok(self, wi, sj) -> np.ndarray:
        return (self.s_cert_bits[sj] & ~self.w_cert_bits[wi] == 0).all(axis=1)

    def hard_mask(self, wi, sj, distance: np.ndarray | None = None) -> np.ndarray:
        """Pairs the worker can legally and practically take (certificates, time, reach)."""
        wi, sj = np.broadcast_arrays(np.asarray(wi), np.asarray(sj))
        d = self.distance(wi, sj) if distance is None else distance
        reach = ~(d > self.workers.max_commute_km[wi])  # unknown location (NaN) passes
        return self.certs_ok(wi, sj) & (self.time_fit(wi, sj) >= 1.0) & reach

    def pairs(self, wi, sj, at, history_at=None) -> np.ndarray:
        """Feature matrix (n, len(FEATURE_NAMES)) float32 for pairs at times ``at``.

        ``history_at`` (default ``at``) is the time history is taken at; it is further capped
        by the builder's ``history_cutoff``.
        """
        wi, sj, at = np.broadcast_arrays(np.asarray(wi, np.int64), np.asarray(sj, np.int64),
                                         np.asarray(at, np.int64))
        ht = at if history_at is None else np.broadcast_to(np.asarray(history_at, np.int64),
                                                           at.shape)
        if self.history_cutoff is not None:
            ht = np.minimum(ht, self.history_cutoff)
        n = len(wi)
        X = np.empty((n, len(FEATURE_NAMES)), dtype=np.float32)
        W, S = self.workers, self.shifts
        d = self.distance(wi, sj)
        radius = np.maximum(W.max_commute_km[wi], 1.0)
        cov, jac = self.skill_overlap(wi, sj)
        pay = S.daily_pay[sj]
        minpay = W.min_daily_pay[wi]
        out = self.w_out[wi]
        meals, housing = S.meals[sj].astype(np.float32), S.housing[sj].astype(np.float32)
        X[:, 0] = d
        X[:, 1] = d / radius
        X[:, 2] = cov
        X[:, 3] = jac
        X[:, 4] = self.s_n_skills[sj]
        X[:, 5] = self.s_n_certs[sj]
        X[:, 6] = pay
        X[:, 7] = np.where(minpay > 0, pay / np.maximum(minpay, 1e-9), np.nan)
        X[:, 8] = pay / self.s_market_median[sj]
        X[:, 9] = self.s_hours[sj]
        X[:, 10] = (S.start_at[sj] - at) / 3600.0
        X[:, 11] = (at - S.posted_at[sj]) / 3600.0
        X[:, 12] = meals
        X[:, 13] = housing
        X[:, 14] = out
        X[:, 15] = meals * out
        X[:, 16] = housing * out
        X[:, 17] = self.time_fit(wi, sj)
        X[:, 18] = np.log1p(S.headcount[sj])
        X[:, 19] = np.maximum(at - W.registered_at[wi], 0) / 86400.0
        in_trade = popcount(self.w_skill_bits[wi] & self.cat_skill_bits[self.s_cat[sj]]).sum(1)
        X[:, 20] = in_trade / np.maximum(self.w_n_skills[wi], 1)
        self._firm_block(X, self.s_firm[sj], sj, ht)
        self._worker_block(X, wi, sj, ht, d / radius, pay)
        return X

    def _firm_history(self, e, t) -> tuple[np.ndarray, ...]:
        """(hires, seats, completed, no-shows, ratings, stars, cancelled, applies, shown)."""
        if self.firm_counts is not None:
            ids = self.firm_ids[e]
            keys = ("hire", "seats", "complete", "no_show", "ratings", "stars", "cancelled",
                    "apply", "impression")
            table = np.array([[self.firm_counts.get(int(i), {}).get(k, 0.0) for k in keys]
                              for i in ids], dtype=np.float64).reshape(len(ids), len(keys))
            return tuple(table[:, n] for n in range(len(keys)))
        rate = self.f_rate.before(e, t)
        return (self.f_hire.before(e, t), self.f_headcount.before(e, t),
                self.f_comp.before(e, t), self.f_ns.before(e, t), rate[:, 0], rate[:, 1],
                self.f_cancel.before(e, t), self.f_app.before(e, t), self.f_imp.before(e, t))

    def _firm_block(self, X, f, sj, ht) -> None:
        u = _Uniq.of(f, ht)
        hires, heads, comp, ns, n_rated, stars, cancelled, app, imp = self._firm_history(
            u.entity, u.t)
        cols = np.stack([
            (hires + 0.5) / (heads + 1.0),
            (comp + 2 * PRIOR_RELIABILITY) / (comp + ns + 2),
            (stars + 2 * PRIOR_RATING) / (n_rated + 2),
            cancelled / (hires + 2),
            np.log1p(hires),
            (app + 5 * PRIOR_APPLY) / (imp + 5),
        ], axis=1)
        X[:, FIRM_COLS[:-1]] = cols[u.inv]
        # competition for this very shift so far (lets P(hire) separate it from quality)
        applied = (self.shift_applications[sj] if self.shift_applications is not None
                   else self.s_app.before(sj, ht))
        X[:, FIRM_COLS[-1]] = applied / np.maximum(self.shifts.headcount[sj], 1)

    def _worker_block(self, X, wi, sj, ht, dist_ratio, pay) -> None:
        u = _Uniq.of(wi, ht)
        e, t = u.entity, u.t
        imp, app = self.w_imp.before(e, t), self.w_app.before(e, t)
        comp, ns = self.w_comp.before(e, t), self.w_ns.before(e, t)
        rate = self.w_rate.before(e, t)
        apply_rate = (app + 5 * PRIOR_APPLY) / (imp + 5)
        text = self.w_text.before(e, t)
        norm = np.linalg.norm(text, axis=1)
        app_dist = self.w_app_dist.before(e, t)
        app_pay = self.w_app_pay.before(e, t)
        inv = u.inv
        c = self.s_cat[sj]
        nf, nc = self.n_firms, self.n_cat
        wc = wi * nc + c
        wc_imp, wc_app = self.wc_imp.before(wc, ht), self.wc_app.before(wc, ht)
        wf = wi * nf + self.s_firm[sj]
        X[:, FEATURE_INDEX["w_apply_rate"]] = apply_rate[inv]
        X[:, FEATURE_INDEX["w_apply_rate_cat"]] = (wc_app + 3 * apply_rate[inv]) / (wc_imp + 3)
        X[:, FEATURE_INDEX["w_cat_share"]] = (wc_app + 1.0 / nc) / (app[inv] + 1)
        reliability = (comp + 2 * PRIOR_RELIABILITY) / (comp + ns + 2)
        X[:, FEATURE_INDEX["w_reliability"]] = reliability[inv]
        X[:, FEATURE_INDEX["w_rating"]] = ((rate[:, 1] + 2 * PRIOR_RATING) / (rate[:, 0] + 2))[inv]
        X[:, FEATURE_INDEX["w_log_completed"]] = np.log1p(comp)[inv]
        X[:, FEATURE_INDEX["w_log_impressions"]] = np.log1p(imp)[inv]
        X[:, FEATURE_INDEX["w_same_firm_completed"]] = self.wf_comp.before(wf, ht)
        X[:, FEATURE_INDEX["w_same_firm_applied"]] = self.wf_app.before(wf, ht)
        has = app[inv] > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            profile = text / np.where(norm > 0, norm, 1.0)[:, None]
            profile = profile.astype(np.float32)
            if len(e) == 1 and len(sj) * 8 >= len(self.s_text):
                sim = (self.s_text @ profile[0])[sj]  # no (n, 256) gather for a big batch
            elif len(e) == 1:
                sim = self.s_text[sj] @ profile[0]
            else:
                sim = np.empty(len(sj), dtype=np.float32)
                for lo in range(0, len(sj), 32768):
                    hi = lo + 32768
                    sim[lo:hi] = np.einsum("ij,ij->i", profile[inv[lo:hi]], self.s_text[sj[lo:hi]])
            X[:, FEATURE_INDEX["text_sim"]] = np.where(has, sim, np.nan)
            mean_dist = (app_dist / np.maximum(app, 1))[inv]
            mean_pay = (app_pay / np.maximum(app, 1))[inv]
            X[:, FEATURE_INDEX["dist_ratio_vs_applied"]] = np.where(has, dist_ratio - mean_dist,
                                                                    np.nan)
            X[:, FEATURE_INDEX["pay_vs_applied"]] = np.where(has, np.log(pay) - mean_pay, np.nan)


def mask_history(X: np.ndarray, worker_rows: np.ndarray | None = None,
                 firm_rows: np.ndarray | None = None) -> np.ndarray:
    """Blank (NaN) the history features of some rows, as for a new worker / a new firm."""
    X = X.copy()
    if worker_rows is not None:
        X[np.ix_(np.asarray(worker_rows), WORKER_COLS)] = np.nan
    if firm_rows is not None:
        X[np.ix_(np.asarray(firm_rows), FIRM_COLS)] = np.nan
    return X
