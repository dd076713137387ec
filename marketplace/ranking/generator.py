"""Synthetic Weihai gig market with a known truth, for tests, benchmarks and demo history.

``generate(GeneratorConfig(seed=...))`` returns a :class:`~marketplace.ranking.market.Market`
whose ``oracle`` knows every worker's hidden tastes and every firm's quality:

* workers live in clusters around the district centres of ``taxonomy.DISTRICTS``; their skills
  are Zipf-distributed over ``taxonomy.SKILLS`` (mostly within one trade), certificates follow
  the skills, they have a commute radius, a lowest acceptable daily pay, an origin province
  (some from outside Shandong), a weekly availability and a registration time;
* hidden tastes: distance sensitivity, pay sensitivity, category preferences, reliability,
  a skill level firms notice, and how often the worker opens the app;
* firms have a hidden quality; shifts are posted over the period with a lead time;
* the true worker-side utility of a pair is ``Oracle.utility`` plus a per-pair noise that is a
  deterministic hash of (seed, worker, shift), so logging and evaluation see the same truth;
* a logging policy shows 20 eligible open shifts per session, ranked by a simple content score
  with ~15% exploration slots, and logs each impression with its 1-based position;
* clicks (view) are position-biased; then apply → offer → hire → complete / no_show, with
  withdraw (worker) and decline (offer refused) branches, capacity by headcount, and a few late
  cancellations by firms (a hire without an outcome).

Everything is vectorised: a day's sessions are matched against that day's open shifts as one
matrix, so 50,000 workers, 10,000 shifts and ~1M events take seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtri

from marketplace import taxonomy
from marketplace.ranking.market import (
    APPLY,
    COMPLETE,
    DECLINE,
    HIRE,
    IMPRESSION,
    NO_SHOW,
    OFFER,
    VIEW,
    WITHDRAW,
    Events,
    Market,
    Ratings,
    Shifts,
    Workers,
    haversine_km,
    shift_hour_mask,
)

DAY = 86400
HOUR = 3600
CATEGORY_CODES = tuple(t.code for t in taxonomy.CATEGORIES)
SKILL_CODES = tuple(t.code for t in taxonomy.SKILLS)
SKILL_GROUP = np.array([CATEGORY_CODES.index(t.group) for t in taxonomy.SKILLS])
CERT_CODES = tuple(t.code for t in taxonomy.CERTIFICATES)
# Certificates that go with a skill (the skill's holders usually have them, shifts may need them).
SKILL_CERT = {
    "forklift": "forklift_licence", "electrician": "electrician_licence",
    "welding": "welder_licence", "delivery_driver": "driver_c1", "fishing_crew": "seafarer_cert",
    "tour_guide": "tour_guide_licence", "elderly_care": "care_worker",
    "rebar": "work_at_height", "painting": "work_at_height",
}
HEALTH_CATEGORIES = {"food_processing", "hospitality"}
BASE_PAY = {  # yuan per day, mid-2020s Weihai
    "food_processing": 180, "manufacturing": 230, "textiles": 170, "logistics": 210,
    "hospitality": 170, "tourism": 180, "construction": 260, "retail": 160, "cleaning": 150,
    "agriculture": 200,
}
DISTRICT_WEIGHT = np.array([0.25, 0.15, 0.15, 0.08, 0.12, 0.12, 0.07, 0.06])
PERIOD_START = dt.datetime(2025, 3, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Monday


@dataclass
class GeneratorConfig:
    seed: int = 0
    n_workers: int = 2000
    n_shifts: int = 600
    n_firms: int | None = None  # default n_shifts // 6
    days: int = 42
    #: mean app sessions per active worker per week
    sessions_per_week: float = 1.0
    slate_size: int = 20
    explore_share: float = 0.15
    share_new_workers: float = 0.25  # registered during the period
    noise: float = 0.6  # sd of the per-pair idiosyncratic utility the oracle does not know
    start: dt.datetime = PERIOD_START
    #: workers open the app only during the first ``session_days`` days (default: all ``days``);
    #: shifts are still posted over all ``days`` (the demo loader's upcoming, unseen shifts)
    session_days: int | None = None

    @staticmethod
    def small(seed: int = 0) -> GeneratorConfig:
        return GeneratorConfig(seed=seed, n_workers=300, n_shifts=150, days=28,
                               sessions_per_week=1.5)

    @staticmethod
    def large(seed: int = 0) -> GeneratorConfig:
        return GeneratorConfig(seed=seed, n_workers=50_000, n_shifts=10_000, days=56,
                               sessions_per_week=0.14)


def pair_normal(seed: int, a, b) -> np.ndarray:
    """Deterministic standard normal noise for pairs (a, b) (splitmix64 hash → inverse CDF)."""
    with np.errstate(over="ignore"):
        x = (np.asarray(a, dtype=np.uint64) << np.uint64(32)) ^ np.asarray(b, dtype=np.uint64)
        x = x ^ np.uint64((seed * 0x9E3779B1 + 0x632BE5AB) & 0xFFFFFFFFFFFFFFFF)
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return ndtri(u)


@dataclass
class Oracle:
    """The generator's hidden truth; indices are row indices into workers/shifts."""

    seed: int
    noise: float
    dist_sens: np.ndarray
    pay_sens: np.ndarray
    cat_pref: np.ndarray  # (n_workers, n_categories)
    reliability: np.ndarray
    skill_level: np.ndarray
    activity: np.ndarray
    firm_quality: np.ndarray  # per shift (quality of its firm)
    w_skills: np.ndarray  # (n_workers, n_skills) bool
    s_skills: np.ndarray  # (n_shifts, n_skills) bool
    s_cat: np.ndarray
    w_lat: np.ndarray
    w_lon: np.ndarray
    w_radius: np.ndarray
    w_minpay: np.ndarray
    w_outprov: np.ndarray
    s_lat: np.ndarray
    s_lon: np.ndarray
    s_pay: np.ndarray
    s_meals: np.ndarray
    s_housing: np.ndarray

    def coverage(self, wi, sj) -> np.ndarray:
        req = self.s_skills[sj]
        n_req = req.sum(axis=-1)
        has = (req & self.w_skills[wi]).sum(axis=-1)
        return np.where(n_req > 0, has / np.maximum(n_req, 1), 0.7)

    def utility(self, wi, sj, noise: bool = False) -> np.ndarray:
        """Worker-side utility of shift ``sj`` for worker ``wi`` (broadcasting index arrays)."""
        wi, sj = np.broadcast_arrays(np.asarray(wi), np.asarray(sj))
        dist = haversine_km(self.w_lat[wi], self.w_lon[wi], self.s_lat[sj], self.s_lon[sj])
        out = self.w_outprov[wi]
        u = (-1.2
             + self.cat_pref[wi, self.s_cat[sj]]
             + 1.0 * self.coverage(wi, sj)
             - self.dist_sens[wi] * 2.0 * dist / np.maximum(self.w_radius[wi], 1.0)
             + self.pay_sens[wi] * 3.0 * np.log(self.s_pay[sj] / np.maximum(self.w_minpay[wi], 50))
             + 0.25 * self.s_meals[sj] + 0.15 * self.s_housing[sj]
             + out * (0.5 * self.s_meals[sj] + 1.0 * self.s_housing[sj])
             + 0.35 * self.firm_quality[sj])
        if noise:
            u = u + self.noise * pair_normal(self.seed, wi, sj)
        return u

    def firm_utility(self, wi, sj, noise: bool = False) -> np.ndarray:
        """Firm-side utility (how much the firm wants to offer the worker the shift)."""
        wi, sj = np.broadcast_arrays(np.asarray(wi), np.asarray(sj))
        g = -0.2 + 2.0 * (self.coverage(wi, sj) - 0.5) + 0.6 * self.skill_level[wi]
        if noise:
            g = g + 0.5 * pair_normal(self.seed + 7919, wi, sj)
        return g

    def p_view(self, u):
        return expit(1.2 * u + 0.3)

    def p_apply(self, u):
        return expit(1.6 * u - 0.8)

    def p_offer(self, g):
        return expit(g)

    def p_accept(self, u):
        return 0.95 - 0.35 * expit(-2.0 * u)

    def p_complete(self, wi, sj):
        wi, sj = np.broadcast_arrays(np.asarray(wi), np.asarray(sj))
        return self.reliability[wi] * expit(2.5 + 0.6 * self.firm_quality[sj])

    def expected_grade(self, wi, sj, noise: bool = True) -> np.ndarray:
        """Expected graded relevance (view 1 … complete 4) if the shift were shown at the top.

        With ``noise=True`` this is the truth the evaluation measures against; with
        ``noise=False`` it is the oracle's score (knows the tastes, not the pair noise).
        """
        u = self.utility(wi, sj, noise=noise)
        g = self.firm_utility(wi, sj, noise=noise)
        pv, pa = self.p_view(u), self.p_apply(u)
        ph = self.p_offer(g) * self.p_accept(u) * 0.94
        pc = self.p_complete(wi, sj)
        return pv * (1 + pa * (1 + ph * (1 + pc)))


def _zipf(n: int, s: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def _topk_rows(logits: np.ndarray, k: np.ndarray, rng) -> np.ndarray:
    """Sample without replacement per row (Gumbel top-k): bool mask with k[i] True per row."""
    g = logits + rng.gumbel(size=logits.shape)
    rank = np.argsort(np.argsort(-g, axis=1), axis=1)
    return rank < k[:, None]


def _codes(mask: np.ndarray, vocab: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [tuple(vocab[j] for j in np.flatnonzero(row)) for row in mask]


def generate(config: GeneratorConfig | None = None, **overrides) -> Market:
    cfg = config or GeneratorConfig()
    if overrides:
        cfg = GeneratorConfig(**{**cfg.__dict__, **overrides})
    rng = np.random.default_rng(cfg.seed)
    t0 = int(cfg.start.timestamp())
    t_end = t0 + cfg.days * DAY
    n_w, n_s = cfg.n_workers, cfg.n_shifts
    n_f = cfg.n_firms or max(n_s // 6, 3)
    n_cat, n_sk = len(CATEGORY_CODES), len(SKILL_CODES)
    d_lat = np.array([d.lat for d in taxonomy.DISTRICTS])
    d_lon = np.array([d.lon for d in taxonomy.DISTRICTS])

    # ---- workers -------------------------------------------------------------------------
    home = rng.choice(len(d_lat), size=n_w, p=DISTRICT_WEIGHT)
    spread = np.where(rng.random(n_w) < 0.8, 0.03, 0.08)
    w_lat = d_lat[home] + rng.normal(0, 1, n_w) * spread
    w_lon = d_lon[home] + rng.normal(0, 1, n_w) * spread * 1.25
    skill_pop = _zipf(n_sk)[rng.permutation(n_sk)]  # Zipf popularity over a fixed shuffle
    trade = rng.choice(n_cat, size=n_w, p=_zipf(n_cat, 0.8))
    logits = np.log(skill_pop)[None, :] + np.where(SKILL_GROUP[None, :] == trade[:, None],
                                                   2.5, 0.0)
    n_skills = np.clip(1 + rng.poisson(1.3, n_w), 1, 6)
    w_skills = _topk_rows(logits, n_skills, rng)
    w_certs = np.zeros((n_w, len(CERT_CODES)), dtype=bool)
    for skill, cert in SKILL_CERT.items():
        has = w_skills[:, SKILL_CODES.index(skill)]
        w_certs[:, CERT_CODES.index(cert)] |= has & (rng.random(n_w) < 0.75)
        w_certs[:, CERT_CODES.index(cert)] |= rng.random(n_w) < 0.02
    food_like = np.isin(SKILL_GROUP, [CATEGORY_CODES.index(c) for c in HEALTH_CATEGORIES])
    w_food = (w_skills & food_like[None, :]).any(axis=1)
    w_certs[:, CERT_CODES.index("health_cert")] = rng.random(n_w) < np.where(w_food, 0.85, 0.4)
    w_certs[:, CERT_CODES.index("food_safety")] = rng.random(n_w) < np.where(w_food, 0.4, 0.05)
    radius = np.clip(np.round(rng.lognormal(np.log(14), 0.5, n_w)), 3, 80)
    minpay = np.clip(np.round(rng.normal(175, 30, n_w) / 10) * 10, 100, 320)
    outprov = rng.random(n_w) < 0.22
    others = [p for p in taxonomy.PROVINCES if p != taxonomy.HOME_PROVINCE]
    province = np.where(outprov, np.array(others, dtype=object)[rng.integers(0, len(others), n_w)],
                        taxonomy.HOME_PROVINCE).astype(object)
    new = rng.random(n_w) < cfg.share_new_workers
    registered = np.where(new, t0 + rng.integers(0, cfg.days * DAY, n_w),
                          t0 - rng.integers(DAY, 365 * DAY, n_w)).astype(np.int64)
    avail = _availability(n_w, rng)

    # hidden tastes
    dist_sens = rng.lognormal(0, 0.5, n_w)
    pay_sens = rng.lognormal(0, 0.5, n_w)
    cat_pref = rng.normal(0, 0.6, (n_w, n_cat))
    cat_pref[np.arange(n_w), trade] += 1.0
    reliability = rng.beta(8, 1.6, n_w)
    skill_level = rng.normal(0, 1, n_w)
    activity = rng.lognormal(-0.3, 0.8, n_w)
    activity /= activity.mean()

    # ---- firms and shifts ---------------------------------------------------------------
    f_quality = rng.normal(0, 1, n_f)
    f_cat = rng.choice(n_cat, size=n_f, p=_zipf(n_cat, 0.6))
    f_home = rng.choice(len(d_lat), size=n_f, p=DISTRICT_WEIGHT)
    f_lat = d_lat[f_home] + rng.normal(0, 0.04, n_f)
    f_lon = d_lon[f_home] + rng.normal(0, 0.05, n_f)
    firm = rng.choice(n_f, size=n_s, p=_zipf(n_f, 0.7)[rng.permutation(n_f)])
    s_cat = np.where(rng.random(n_s) < 0.85, f_cat[firm], rng.integers(0, n_cat, n_s))
    in_cat = SKILL_GROUP[None, :] == s_cat[:, None]
    s_logits = np.where(in_cat, np.log(skill_pop)[None, :], -np.inf)
    n_req = np.where(rng.random(n_s) < 0.15, 0, rng.integers(1, 3, n_s))
    n_req = np.minimum(n_req, in_cat.sum(axis=1))
    s_skills = _topk_rows(s_logits, n_req, rng) & in_cat
    s_certs = np.zeros((n_s, len(CERT_CODES)), dtype=bool)
    for skill, cert in SKILL_CERT.items():
        s_certs[:, CERT_CODES.index(cert)] = (s_skills[:, SKILL_CODES.index(skill)]
                                              & (rng.random(n_s) < 0.6))
    s_health = np.isin(s_cat, [CATEGORY_CODES.index(c) for c in HEALTH_CATEGORIES])
    s_certs[:, CERT_CODES.index("health_cert")] = s_health & (rng.random(n_s) < 0.6)
    s_lat = f_lat[firm] + rng.normal(0, 0.005, n_s)
    s_lon = f_lon[firm] + rng.normal(0, 0.006, n_s)
    posted = (t0 - 3 * DAY + rng.integers(0, (cfg.days + 1) * DAY, n_s)).astype(np.int64)
    lead_days = np.ceil(rng.exponential(2.0, n_s) + 0.3)
    pattern = rng.choice(4, size=n_s, p=[0.55, 0.15, 0.15, 0.15])
    start_hour = np.array([8, 6, 16, 20])[pattern]
    hours = np.array([9, 8, 8, 9])[pattern]
    local_day = (posted + 8 * HOUR) // DAY + lead_days.astype(np.int64)
    start = local_day * DAY - 8 * HOUR + start_hour * HOUR
    end = start + hours * HOUR
    headcount = 1 + rng.geometric(0.4, n_s) - 1 + (rng.random(n_s) < 0.1) * rng.integers(3, 15, n_s)
    base = np.array([BASE_PAY[c] for c in CATEGORY_CODES])[s_cat]
    pay = base * (1 + 0.08 * f_quality[firm]) * rng.lognormal(0, 0.12, n_s)
    pay *= np.where(pattern == 3, 1.15, 1.0)
    pay = np.clip(np.round(pay / 10) * 10, 80, 600)
    outdoor = np.isin(s_cat, [CATEGORY_CODES.index(c) for c in
                              ("agriculture", "construction", "food_processing")])
    meals = rng.random(n_s) < np.where(outdoor, 0.7, 0.45)
    housing = rng.random(n_s) < np.where(outdoor, 0.3, 0.08)

    oracle = Oracle(
        seed=cfg.seed, noise=cfg.noise, dist_sens=dist_sens, pay_sens=pay_sens,
        cat_pref=cat_pref, reliability=reliability, skill_level=skill_level, activity=activity,
        firm_quality=f_quality[firm], w_skills=w_skills, s_skills=s_skills, s_cat=s_cat,
        w_lat=w_lat, w_lon=w_lon, w_radius=radius, w_minpay=minpay,
        w_outprov=outprov.astype(float), s_lat=s_lat, s_lon=s_lon, s_pay=pay,
        s_meals=meals.astype(float), s_housing=housing.astype(float))

    workers = Workers(
        worker_id=np.arange(1, n_w + 1, dtype=np.int64),
        skills=_codes(w_skills, SKILL_CODES), certificates=_codes(w_certs, CERT_CODES),
        lat=np.round(w_lat, 5), lon=np.round(w_lon, 5), max_commute_km=radius.astype(float),
        min_daily_pay=minpay.astype(float), origin_province=province,
        registered_at=registered, availability=avail)
    shifts = Shifts(
        shift_id=np.arange(1, n_s + 1, dtype=np.int64) + 100_000,
        firm_id=(firm + 1).astype(np.int64),
        category=np.array(CATEGORY_CODES, dtype=object)[s_cat],
        skills=_codes(s_skills, SKILL_CODES), certificates=_codes(s_certs, CERT_CODES),
        lat=np.round(s_lat, 5), lon=np.round(s_lon, 5), start_at=start.astype(np.int64),
        end_at=end.astype(np.int64), headcount=headcount.astype(np.int64),
        daily_pay=pay.astype(float), meals=meals, housing=housing, posted_at=posted)
    # Oracle indices must match rows: workers and shifts are in generation order.
    oracle.w_lat, oracle.w_lon = workers.lat.astype(float), workers.lon.astype(float)
    oracle.s_lat, oracle.s_lon = shifts.lat.astype(float), shifts.lon.astype(float)

    events, ratings = _simulate(cfg, rng, oracle, workers, shifts, w_certs, s_certs, t0, t_end)
    return Market(workers=workers, shifts=shifts, events=events, ratings=ratings, oracle=oracle)


def _availability(n: int, rng) -> np.ndarray:
    """(n, 168) weekly availability from a few common patterns, with a random day off."""
    hour = np.arange(168) % 24
    day = np.arange(168) // 24
    patterns = np.stack([
        (hour >= 5) & (hour < 23),                      # most days, long hours
        (day < 5) & (hour >= 6) & (hour < 20),          # weekday daytime
        (day >= 5) & (hour >= 5) & (hour < 23),         # weekends only
        ((hour >= 15) | (day >= 5)) & (hour >= 5),      # evenings and weekends (not overnight)
        np.ones(168, dtype=bool),                       # any time, nights included
    ])
    kind = rng.choice(len(patterns), size=n, p=[0.4, 0.2, 0.08, 0.12, 0.2])
    avail = patterns[kind].copy()
    off = rng.integers(0, 7, n)
    drop = rng.random(n) < 0.3
    avail[drop[:, None] & (day[None, :] == off[:, None])] = False
    return avail


def _simulate(cfg, rng, o: Oracle, workers: Workers, shifts: Shifts, w_certs, s_certs,
              t0: int, t_end: int) -> tuple[Events, Ratings]:
    n_w, n_s = len(workers), len(shifts)
    if cfg.session_days is not None:
        t_end = min(t_end, t0 + cfg.session_days * DAY)
    # sessions: Poisson per worker over their active weeks, at local hours 7–23
    active_from = np.maximum(workers.registered_at, t0)
    weeks = np.maximum(t_end - active_from, 0) / (7 * DAY)
    n_sess = rng.poisson(cfg.sessions_per_week * o.activity * weeks)
    s_worker = np.repeat(np.arange(n_w), n_sess)
    day0 = (active_from[s_worker] - t0) // DAY
    s_day = day0 + (rng.random(len(s_worker)) * ((t_end - t0) // DAY - day0)).astype(np.int64)
    s_time = (t0 + s_day * DAY + rng.integers(7 * HOUR, 23 * HOUR,
                                              len(s_worker)))
    s_time = np.maximum(s_time, workers.registered_at[s_worker])
    order = np.argsort(s_time, kind="stable")
    s_worker, s_time = s_worker[order], s_time[order]

    hour_mask = shift_hour_mask(shifts.start_at, shifts.end_at)  # (n_s, 168)
    n_hours = hour_mask.sum(axis=1)
    avail = workers.availability.astype(np.float32)
    cert_bits = _bits(w_certs), _bits(s_certs)
    close = shifts.start_at - 2 * HOUR  # open for applications from posting until then
    logp_policy = np.log(shifts.daily_pay)

    imp_w, imp_s, imp_t, imp_p = [], [], [], []
    sess_day = (s_time - t0) // DAY
    for d in range(int(sess_day.max()) + 1 if len(s_time) else 0):
        rows = np.flatnonzero(sess_day == d)
        if len(rows) == 0:
            continue
        day_lo, day_hi = t0 + d * DAY, t0 + (d + 1) * DAY
        cand = np.flatnonzero((shifts.posted_at < day_hi) & (close > day_lo))
        if len(cand) == 0:
            continue
        wi = s_worker[rows]
        t = s_time[rows]
        open_ = ((shifts.posted_at[cand][None, :] <= t[:, None])
                 & (close[cand][None, :] > t[:, None]))
        dist = haversine_km(o.w_lat[wi][:, None], o.w_lon[wi][:, None],
                            o.s_lat[cand][None, :], o.s_lon[cand][None, :])
        reach = dist <= o.w_radius[wi][:, None]
        certs_ok = (cert_bits[1][cand][None, :] & ~cert_bits[0][wi][:, None]) == 0
        fit = (avail[wi] @ hour_mask[cand].T) >= n_hours[cand][None, :] - 0.5
        elig = open_ & reach & certs_ok & fit
        # logging policy: a simple content score with a bit of noise
        cov = o.coverage(wi[:, None], cand[None, :])
        score = (1.5 * cov - 1.0 * dist / o.w_radius[wi][:, None]
                 + 1.5 * (logp_policy[cand][None, :] - np.log(o.w_minpay[wi])[:, None])
                 + 0.3 * rng.normal(size=dist.shape))
        score = np.where(elig, score, -np.inf)
        k = cfg.slate_size
        n_exp = rng.binomial(k, cfg.explore_share, len(rows))
        rank = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1)
        top = elig & (rank < (k - n_exp)[:, None])
        r = np.where(elig & ~top, rng.random(dist.shape), np.inf)
        rrank = np.argsort(np.argsort(r, axis=1), axis=1)
        explore = elig & ~top & (rrank < n_exp[:, None])
        slate = top | explore
        key = np.where(top, rank.astype(float), np.where(explore, rng.random(dist.shape) * k,
                                                         np.inf))
        pos = np.argsort(np.argsort(key, axis=1), axis=1) + 1
        ri, ci = np.nonzero(slate)
        imp_w.append(wi[ri])
        imp_s.append(cand[ci])
        imp_t.append(t[ri])
        imp_p.append(pos[ri, ci])

    iw = np.concatenate(imp_w) if imp_w else np.zeros(0, np.int64)
    is_ = np.concatenate(imp_s) if imp_s else np.zeros(0, np.int64)
    it = np.concatenate(imp_t) if imp_t else np.zeros(0, np.int64)
    ip = np.concatenate(imp_p) if imp_p else np.zeros(0, np.int64)
    n_i = len(iw)

    u = o.utility(iw, is_, noise=True)
    examine = 1.0 / ip ** 0.9
    viewed = rng.random(n_i) < examine * o.p_view(u)
    applied = viewed & (rng.random(n_i) < o.p_apply(u))
    # one application per pair: keep the first
    a_idx = np.flatnonzero(applied)
    pair = iw[a_idx].astype(np.int64) * n_s + is_[a_idx]
    _, first = np.unique(pair, return_index=True)
    a_idx = a_idx[first]
    view_t = it + rng.integers(5, 600, n_i)
    aw, as_ = iw[a_idx], is_[a_idx]
    a_t = view_t[a_idx] + rng.integers(30, 1800, len(a_idx))
    na = len(a_idx)
    ua = u[a_idx]
    withdrawn = rng.random(na) < 0.06
    g = o.firm_utility(aw, as_, noise=True)
    offered = ~withdrawn & (rng.random(na) < o.p_offer(g))
    room = np.maximum(shifts.start_at[as_] - 2 * HOUR - a_t, 60)
    o_t = a_t + (rng.random(na) * np.minimum(room, 20 * HOUR)).astype(np.int64)
    accepts = rng.random(na) < o.p_accept(ua)
    # capacity: accepted offers in time order beyond headcount never get made
    want = offered & accepts
    wi_ = np.flatnonzero(want)
    ordr = wi_[np.lexsort((o_t[wi_], as_[wi_]))]
    grp_start = np.r_[0, np.flatnonzero(np.diff(as_[ordr])) + 1]
    rank_in = np.arange(len(ordr)) - np.repeat(grp_start, np.diff(np.r_[grp_start, len(ordr)]))
    full = np.zeros(na, dtype=bool)
    full[ordr[rank_in >= shifts.headcount[as_[ordr]]]] = True
    offered &= ~full
    hired = offered & accepts
    declined = offered & ~accepts
    h_t = o_t + rng.integers(300, 6 * HOUR, na)
    h_t = np.minimum(h_t, shifts.start_at[as_] - 60)
    h_t = np.maximum(h_t, o_t + 1)
    cancelled = hired & (rng.random(na) < 0.06 * expit(-o.firm_quality[as_] * 1.5) * 2)
    done = hired & ~cancelled
    completes = done & (rng.random(na) < o.p_complete(aw, as_))
    no_show = done & ~completes
    w_t = a_t + rng.integers(600, 12 * HOUR, na)

    ids_w, ids_s = workers.worker_id, shifts.shift_id
    parts = []

    def add(mask_or_idx, at, kind, w, s, position=None):
        w, s, at = w[mask_or_idx], s[mask_or_idx], at[mask_or_idx]
        parts.append(Events(at.astype(np.int64), ids_w[w], ids_s[s],
                            np.full(len(at), kind, np.int8),
                            (position[mask_or_idx] if position is not None
                             else np.zeros(len(at))).astype(np.int32)))

    everything = np.ones(n_i, dtype=bool)
    add(everything, it, IMPRESSION, iw, is_, ip)
    add(viewed, view_t, VIEW, iw, is_)
    alla = np.ones(na, dtype=bool)
    add(alla, a_t, APPLY, aw, as_)
    add(withdrawn, w_t, WITHDRAW, aw, as_)
    add(offered, o_t, OFFER, aw, as_)
    add(declined, h_t, DECLINE, aw, as_)
    add(hired, h_t, HIRE, aw, as_)
    add(completes, shifts.end_at[as_], COMPLETE, aw, as_)
    add(no_show, shifts.start_at[as_] + HOUR, NO_SHOW, aw, as_)
    events = Events.concat(parts).sorted()

    c = np.flatnonzero(completes)
    stars_w = np.clip(np.round(3.8 + 0.6 * o.skill_level[aw[c]] + rng.normal(0, 0.6, len(c))), 1, 5)
    stars_f = np.clip(np.round(3.8 + 0.6 * o.firm_quality[as_[c]] + rng.normal(0, 0.6, len(c))),
                      1, 5)
    r_t = shifts.end_at[as_[c]] + rng.integers(HOUR, 2 * DAY, len(c))
    ratings = Ratings(
        at=np.concatenate([r_t, r_t + 60]).astype(np.int64),
        worker_id=np.concatenate([ids_w[aw[c]]] * 2), shift_id=np.concatenate([ids_s[as_[c]]] * 2),
        by_firm=np.r_[np.ones(len(c), bool), np.zeros(len(c), bool)],
        stars=np.r_[stars_w, stars_f].astype(np.int8))
    return events, ratings


def _bits(mask: np.ndarray) -> np.ndarray:
    """Pack ≤ 64 boolean columns into one uint64 per row."""
    w = (np.uint64(1) << np.arange(mask.shape[1], dtype=np.uint64))
    return (mask.astype(np.uint64) * w[None, :]).sum(axis=1, dtype=np.uint64)
