"""`flask demo load`: a believable Weihai market, the same every time for a given seed.

The market comes from ONE run of the ranking library's synthetic generator
(`marketplace.ranking.generator`, reached through `marketplace.matching.synthetic`): its
workers (with hidden tastes), firms and shifts, and the event log its logging policy produced
(feed sessions of 20 ranked items with positions and exploration, position-biased views, then
apply → offer → hire → complete / no_show, withdraw and decline). The loader dresses that
market up as Weihai — Chinese names, phones, firm names and credit codes, addresses, shift
titles, the demo logins and the demo worker's own story — maps every generated worker and shift
onto one database row, and derives applications, attendance and ratings from the funnel events,
keeping the product's rules (seats ≤ headcount, no worker booked twice at once): an event that
would break one is changed or dropped, so the log and the applications always tell the same
story.

Times are laid out around today's local midnight: the generator's period starts
`HISTORY_DAYS` before it, workers open the app only before it (the history), and the shifts
starting after it are the open ones. Rows get explicit primary keys and are written in bulk:
COPY on PostgreSQL, multi-row INSERTs elsewhere. The demo password is hashed once and shared by
every demo account.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
import numpy as np
from sqlalchemy import Table, func, insert, select, text

from marketplace.audit.models import AuditLog
from marketplace.auth.models import Role, User, UserStatus
from marketplace.auth.passwords import hash_password
from marketplace.demo import laborbases as labor_demo
from marketplace.demo import names as N
from marketplace.extensions import db
from marketplace.firms.models import Firm, Verification
from marketplace.laborbases.models import Cohort, CohortMember, LaborBase, cohort_skills
from marketplace.matching.models import MatchEvent
from marketplace.matching.synthetic import (
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
    generate_market,
    haversine_km,
)
from marketplace.notifications.models import Notification
from marketplace.shifts.models import (
    Application,
    Attendance,
    PayUnit,
    Rating,
    Shift,
    ShiftStatus,
    shift_certificates,
    shift_skills,
)
from marketplace.shifts.services import compute_daily_pay_fen
from marketplace.shifts.states import BOOKED, SEAT_HOLDING, AppStatus
from marketplace.taxonomy import (
    CATEGORIES,
    DISTRICTS,
    DISTRICTS_BY_CODE,
    HOME_PROVINCE,
    PRIORITY_GROUPS,
    PROVINCES,
    SKILLS,
)
from marketplace.timeutil import LOCAL_TZ
from marketplace.validators import CREDIT_CODE_ALPHABET, make_credit_code
from marketplace.workers.models import (
    WeeklyAvailability,
    WorkerProfile,
    worker_certificates,
    worker_skills,
)

DEMO_PASSWORD = "demo-pass-2026"
ADMIN_PHONE = "13900000001"
FIRM_PHONE = "13900000002"
WORKER_PHONE = "13900000003"
PARTNER_PHONE = labor_demo.PARTNER_PHONE  # partner organisation of 重庆云阳
DEMO_FIRM_NAME = "威海海之韵水产食品有限公司"
HISTORY_DAYS = 28  # workers used the app during the 28 days before today
HORIZON_DAYS = 21  # shifts keep being posted for about three weeks ahead
GENERATED_DAYS = HISTORY_DAYS + HORIZON_DAYS - 3
VERIFIED_SHARE = 0.9  # the other firms are waiting for (or failed) verification: no shifts
OPEN_CANCELLED_SHARE = 0.03
CHUNK = 5000
DAY = 86400
HOUR = 3600


@dataclass(frozen=True)
class Scale:
    firms: int
    workers: int
    shifts: int  # generated shifts, past and upcoming (about 45% of them start after today)
    sessions_per_week: float  # feed sessions per worker and week, tuned for the event count
    events: int  # the event log has at least this many rows (checked by the tests)


SCALES = {
    "small": Scale(firms=40, workers=400, shifts=820, sessions_per_week=3.0, events=20_000),
    "large": Scale(firms=2_500, workers=50_000, shifts=28_000, sessions_per_week=0.3,
                   events=1_000_000),
}


def database_is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None


def load(*, seed: int = 7, scale: str = "small", today: dt.date | None = None) -> dict[str, Any]:
    """Generate and write the demo market; commits. Returns counts for the CLI to print."""
    began = time.perf_counter()
    if db.session.scalar(select(User.id).where(User.phone == ADMIN_PHONE)) is not None:
        raise click.ClickException(
            f"Demo data is already loaded (an account with phone {ADMIN_PHONE} exists)."
        )
    today = today or dt.datetime.now(LOCAL_TZ).date()
    builder = _Builder(seed=seed, scale=SCALES[scale], today=today)
    builder.reserve_existing()
    market = builder.build()
    _write(market)
    from marketplace.agencies.demo import AGENCY_PHONE, add_agencies

    agencies = add_agencies(seed=seed, base=builder.base, password_hash=builder.password_hash,
                            admin_id=builder.admin_id)
    db.session.commit()
    # The sharing exchange (共享用工): staff lists, listings, agreements, through its services.
    from marketplace.sharing.demo import load_sharing

    sharing = load_sharing(seed=seed, demo_firm_phone=FIRM_PHONE, demo_worker_phone=WORKER_PHONE)
    db.session.commit()
    return {
        "firms": len(market.rows["firms"]),
        "workers": builder.worker_count,
        "open shifts": builder.open_count,
        "shifts": len(market.rows["shifts"]),
        "applications": len(market.rows["applications"]),
        "events": len(market.history),
        **sharing,
        "seconds": round(time.perf_counter() - began, 1),
        "demo password": DEMO_PASSWORD,
        "admin": ADMIN_PHONE,
        "firm": FIRM_PHONE,
        "worker": WORKER_PHONE,
        "agencies": agencies.get("agencies", 0),
        "brokered applications": agencies.get("brokered", 0),
        "agency": AGENCY_PHONE,
        "partner": PARTNER_PHONE,
        **builder.labor_summary,
    }


# --------------------------------------------------------------------------- generation


class _Weighted:
    def __init__(self, weights: dict[str, float] | Sequence[tuple[Any, float]]):
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        self.items = [p[0] for p in pairs]
        cum = np.cumsum([float(p[1]) for p in pairs])
        self.cum = cum / cum[-1]

    def draw(self, rng: np.random.Generator) -> Any:
        return self.items[min(int(np.searchsorted(self.cum, rng.random(), side="right")),
                              len(self.items) - 1)]


SOURCES = ("feed", "search", "invitation", "api", "direct")
SOURCE_CODE = {s: i for i, s in enumerate(SOURCES)}


@dataclass
class History:
    """The event log to write, as columns (times are UNIX seconds, kinds index KINDS)."""

    at: np.ndarray
    worker_id: np.ndarray
    shift_id: np.ndarray
    kind: np.ndarray
    position: np.ndarray  # 0 = none
    source: np.ndarray  # index into SOURCES, -1 = none

    def __len__(self) -> int:
        return len(self.at)


@dataclass
class _Market:
    rows: dict[str, list[dict]] = field(default_factory=dict)
    history: Any = None


@dataclass
class _Pair:
    """One application: the funnel events of a (worker, shift) pair, by kind."""

    w: int  # generator row of the worker
    s: int  # generator row of the shift
    idx: dict[int, int]  # kind -> index of the event in the generated log
    extra: dict[int, int] = field(default_factory=dict)  # kind -> time of an added event
    status: str = ""
    source: str = "feed"


CATEGORY_CODES = [c.code for c in CATEGORIES]
TEMPLATES_BY_CATEGORY = {c: [t for t in N.TEMPLATES if t.category == c] for c in CATEGORY_CODES}
DISTRICT_CODES = [d.code for d in DISTRICTS]
DISTRICT_LAT = np.array([d.lat for d in DISTRICTS])
DISTRICT_LON = np.array([d.lon for d in DISTRICTS])
SKILL_GROUP = {s.code: s.group for s in SKILLS}
STORY = ("completed", "completed", "confirmed", "offered", "applied", "withdrawn")


def _nearest_district(lat: np.ndarray, lon: np.ndarray) -> list[str]:
    km = haversine_km(np.asarray(lat)[:, None], np.asarray(lon)[:, None],
                      DISTRICT_LAT[None, :], DISTRICT_LON[None, :])
    return [DISTRICT_CODES[i] for i in np.argmin(km, axis=1)]


def _utc(seconds: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC)


PAST, OPEN, DROPPED = 0, 1, 2


class _Builder:
    def __init__(self, *, seed: int, scale: Scale, today: dt.date):
        self.seed = seed
        self.rng = np.random.default_rng([seed, 2026])  # the generator draws from its own
        self.scale = scale
        self.base = dt.datetime.combine(today, dt.time(), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
        self.now = int(self.base.timestamp())
        self.password_hash = hash_password(DEMO_PASSWORD)
        # 13900000001-99 are the demo's fixed logins (admin, firm, worker, agencies, partner)
        self.taken_phones: set[str] = {f"139000000{n:02d}" for n in range(1, 100)}
        self.taken_codes: set[str] = set()
        self.taken_firm_names: set[str] = set()
        self.next_id: dict[str, int] = {}
        self.market = _Market(rows={name: [] for name in TABLE_ORDER})
        self.firm_members: dict[int, int] = {}
        self.admin_id = 0
        self.worker_count = 0
        self.open_count = 0
        self.base_ids: dict[str, int] = {}
        self.labor_summary: dict[str, int] = {}

    # ids, phones and codes that must not collide with rows already in the database
    def reserve_existing(self) -> None:
        for name, model in ID_TABLES.items():
            self.next_id[name] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        if self.next_id["users"] > 1:
            self.taken_phones |= set(db.session.scalars(select(User.phone)))
            self.taken_codes |= set(db.session.scalars(select(Firm.credit_code)))
            self.taken_firm_names |= set(db.session.scalars(select(Firm.name)))

    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def add(self, table: str, **row: Any) -> dict:
        self.market.rows[table].append(row)
        return row

    def build(self) -> _Market:
        self._admin()
        self._generate()
        self._plan_shifts()
        self._firms()
        self.base_ids = labor_demo.add_registry(self)
        self._workers()
        self._shifts()
        self._derive_applications()
        self._demo_story()
        self._write_applications()
        self.labor_summary = labor_demo.add_cohorts(
            self, self.base_ids, seed=self.seed,
            demo_worker_id=int(self.worker_ids[self.demo_worker]))
        self.market.history = self._history()
        return self.market

    # -- small helpers
    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.rng.integers(len(items)))]

    def scatter(self, district: str, km: float) -> tuple[float, float]:
        centre = DISTRICTS_BY_CODE[district]
        dlat, dlon = self.rng.normal(0.0, km, size=2) / 111.2
        return (round(centre.lat + float(dlat), 6),
                round(centre.lon + float(dlon) / math.cos(math.radians(centre.lat)), 6))

    def person_name(self) -> str:
        surname = _SURNAMES.draw(self.rng)
        chars = N.MALE_CHARS if self.chance(0.6) else N.FEMALE_CHARS
        given = self.pick(chars) + (self.pick(chars) if self.chance(0.7) else "")
        return surname + given

    def phone(self) -> str:
        while True:
            number = self.pick(_PHONE_PREFIXES) + f"{int(self.rng.integers(10**8)):08d}"
            if number not in self.taken_phones:
                self.taken_phones.add(number)
                return number

    def ago(self, low_days: float, high_days: float) -> dt.datetime:
        return self.base - dt.timedelta(seconds=int(self.uniform(low_days, high_days) * 86400))

    def address(self, district: str) -> str:
        zh = DISTRICTS_BY_CODE[district].zh
        prefix = "" if zh.endswith("市") else "威海市"
        return f"{prefix}{zh}{self.pick(N.STREETS[district])}{int(self.rng.integers(1, 300))}号"

    def user(self, *, phone: str, name: str, role: str, firm_id: int | None,
             created_at: dt.datetime, labor_base_id: int | None = None) -> int:
        uid = self.new_id("users")
        self.add("users", id=uid, phone=phone, password_hash=self.password_hash, name=name,
                 role=role, status=UserStatus.ACTIVE.value, session_version=1, locale=None,
                 firm_id=firm_id, labor_base_id=labor_base_id, created_at=created_at,
                 last_login_at=None)
        return uid

    # -- the generated market
    def _generate(self) -> None:
        self.n_verified = max(1, min(self.scale.firms, round(self.scale.firms * VERIFIED_SHARE)))
        self.gen: Market = generate_market(
            seed=self.seed, n_workers=self.scale.workers, n_shifts=self.scale.shifts,
            n_firms=self.n_verified, days=GENERATED_DAYS, session_days=HISTORY_DAYS,
            sessions_per_week=self.scale.sessions_per_week,
            start=self.base - dt.timedelta(days=HISTORY_DAYS),
        )
        ev, W, S = self.gen.events, self.gen.workers, self.gen.shifts
        self.ev_at = ev.at.astype(np.int64).copy()
        self.ev_kind = ev.kind.astype(np.int16).copy()
        self.ev_w = np.searchsorted(W.worker_id, ev.worker_id)
        self.ev_s = np.searchsorted(S.shift_id, ev.shift_id)
        self.ev_pos = ev.position.astype(np.int32)
        self.keep = self.ev_at < self.now  # history only
        self.s_firm = (S.firm_id - 1).astype(np.int64)

    def _plan_shifts(self) -> None:
        """Past, open or dropped (running at midnight); when posted; which are cancelled."""
        S, now = self.gen.shifts, self.now
        n_s = len(S)
        self.s_class = np.where(S.end_at <= now, PAST,
                                np.where(S.start_at >= now, OPEN, DROPPED))
        posted = S.posted_at.astype(np.int64).copy()
        late = np.flatnonzero(posted > now - 600)  # to be posted later: posted already now
        posted[late] = now - self.rng.integers(600, 36 * HOUR, len(late))
        self.posted = np.minimum(posted, S.start_at - HOUR)
        self.cancel_at = np.full(n_s, -1, dtype=np.int64)
        opened = np.flatnonzero(self.s_class == OPEN)
        chosen = np.sort(self.rng.choice(opened, size=round(len(opened) * OPEN_CANCELLED_SHARE),
                                         replace=False))
        span = (now - 1800 - self.posted[chosen]).clip(min=60)
        self.cancel_at[chosen] = self.posted[chosen] + (
            span * self.rng.uniform(0.5, 0.95, len(chosen))).astype(np.int64)
        self._drop_after_cancel()
        # A past shift whose hires all ended without an outcome: the firm cancelled it late.
        kept, kind, s_row = self.keep, self.ev_kind, self.ev_s
        hired = np.zeros(n_s, dtype=bool)
        hired[s_row[kept & (kind == HIRE)]] = True
        outcome = np.zeros(n_s, dtype=bool)
        outcome[s_row[kept & ((kind == COMPLETE) | (kind == NO_SHOW))]] = True
        last = np.zeros(n_s, dtype=np.int64)
        np.maximum.at(last, s_row[kept], self.ev_at[kept])
        for j in np.flatnonzero(hired & ~outcome & (self.s_class == PAST)):
            low, high = int(last[j]) + 60, int(S.start_at[j]) - 1800
            self.cancel_at[j] = low + int(max(high - low, 0) * self.uniform(0.2, 0.8))
        self.cancel_at = np.where(self.cancel_at >= 0,
                                  np.minimum(self.cancel_at, S.start_at), -1)

    def _drop_after_cancel(self) -> None:
        cancel = self.cancel_at[self.ev_s]
        self.keep &= self.s_class[self.ev_s] != DROPPED
        self.keep &= ~((cancel >= 0) & (self.ev_at >= cancel))

    # -- accounts and firms
    def _admin(self) -> None:
        self.admin_id = self.user(phone=ADMIN_PHONE, name="人社局管理员", role=Role.ADMIN.value,
                                  firm_id=None, created_at=self.ago(400, 401))

    def _firm_name(self, district: str, industry: str, size: str) -> str:
        suffix = "股份有限公司" if size == "large" and self.chance(0.5) else "有限公司"
        for _ in range(50):
            brand = (self.pick(N.BRANDS) if self.chance(0.6)
                     else self.pick(N.BRAND_CHARS) + self.pick(N.BRAND_CHARS))
            name = (self.pick(N.CITY_PREFIX[district]) + brand
                    + self.pick(N.INDUSTRY_WORDS[industry]) + suffix)
            if name not in self.taken_firm_names:
                self.taken_firm_names.add(name)
                return name
        raise RuntimeError("ran out of firm names")

    def _credit_code(self, district: str) -> str:
        while True:
            body = "".join(self.pick(CREDIT_CODE_ALPHABET) for _ in range(7))
            code = make_credit_code(f"91{N.DIVISION_CODES[district]}MA{body}")
            if code not in self.taken_codes:
                self.taken_codes.add(code)
                return code

    def _firms(self) -> None:
        """Generated firms are the verified ones (they post shifts); a few more wait or failed."""
        S, n_f = self.gen.shifts, self.n_verified
        live = self.s_class != DROPPED
        cat = np.array([CATEGORY_CODES.index(c) for c in S.category], dtype=np.int64)
        per_cat = np.zeros((n_f, len(CATEGORY_CODES)))
        np.add.at(per_cat, (self.s_firm, cat), 1)
        count = np.bincount(self.s_firm[live], minlength=n_f)
        total = np.maximum(np.bincount(self.s_firm, minlength=n_f), 1)
        lat = np.bincount(self.s_firm, weights=S.lat, minlength=n_f) / total
        lon = np.bincount(self.s_firm, weights=S.lon, minlength=n_f) / total
        first_posted = np.full(n_f, self.now, dtype=np.int64)
        np.minimum.at(first_posted, self.s_firm, self.posted)
        n_past = np.bincount(self.s_firm[self.s_class == PAST], minlength=n_f)
        n_open = np.bincount(self.s_firm[self.s_class == OPEN], minlength=n_f)
        food = per_cat.argmax(axis=1) == CATEGORY_CODES.index("food_processing")
        # The demo firm: a busy seafood processor with shifts on both sides of today.
        demo = int(np.lexsort((count, food, (n_past >= 3) & (n_open >= 4)))[-1])
        self.demo_firm = demo
        rank = np.argsort(np.argsort(-count, kind="stable"), kind="stable") / max(n_f, 1)
        self.firm_rows: list[dict] = []
        self.firm_of_gen: dict[int, dict] = {}
        order = [demo] + [g for g in range(n_f) if g != demo]
        for i in range(self.scale.firms):
            g = order[i] if i < n_f else None
            if g is not None and per_cat[g].sum() > 0:
                industry = "food_processing" if g == demo else CATEGORY_CODES[
                    int(per_cat[g].argmax())]
                district = _nearest_district([lat[g]], [lon[g]])[0]
                spot = (round(float(lat[g]) + float(self.rng.normal(0, 0.002)), 6),
                        round(float(lon[g]) + float(self.rng.normal(0, 0.002)), 6))
            else:
                industry = _INDUSTRY.draw(self.rng)
                district = _INDUSTRY_DISTRICTS[industry].draw(self.rng)
                spot = self.scatter(district, 2.5)
            size = ("micro" if g is None else "large" if rank[g] < 0.08 else
                    "medium" if rank[g] < 0.3 else "small" if rank[g] < 0.7 else "micro")
            self._firm(i, g, industry, district, size, spot,
                       int(first_posted[g]) if g is not None else None)

    def _firm(self, i: int, g: int | None, industry: str, district: str, size: str,
              spot: tuple[float, float], first_posted: int | None) -> None:
        demo = i == 0
        name = DEMO_FIRM_NAME if demo else self._firm_name(district, industry, size)
        self.taken_firm_names.add(name)
        if g is not None:
            status = Verification.VERIFIED
            verified_at = self.ago(40, 500)
            if first_posted is not None and first_posted < self.now:
                verified_at = min(verified_at,
                                  _utc(first_posted - int(self.rng.integers(HOUR, 5 * DAY))))
            created = verified_at - dt.timedelta(hours=self.uniform(2, 96))
        else:
            status = (Verification.PENDING if self.chance(0.75) else Verification.REJECTED)
            verified_at, created = None, self.ago(1, 20)
        firm = self.add(
            "firms", id=self.new_id("firms"), name=name,
            credit_code=self._credit_code(district), size=size, industry=industry,
            district=district, address=self.address(district), lat=spot[0], lon=spot[1],
            verification_status=status.value,
            verification_note="营业执照信息与统一社会信用代码不一致，请核对后重新提交"
            if status == Verification.REJECTED else None,
            verified_at=verified_at.replace(microsecond=0) if verified_at else None,
            created_at=created.replace(microsecond=0),
        )
        self.firm_rows.append(firm)
        if g is not None:
            self.firm_of_gen[g] = firm
        for m in range(2 if size == "large" else 1):
            uid = self.user(phone=FIRM_PHONE if demo and m == 0 else self.phone(),
                            name="王建华" if demo and m == 0 else self.person_name(),
                            role=Role.FIRM.value, firm_id=firm["id"], created_at=firm["created_at"])
            self.firm_members.setdefault(firm["id"], uid)
        self.add("audit_log", id=self.new_id("audit_log"), at=firm["created_at"],
                 actor_id=self.firm_members[firm["id"]], action="firm.register",
                 target_type="firm", target_id=firm["id"], details={})
        if status != Verification.PENDING:
            verified = status == Verification.VERIFIED
            self.add("audit_log", id=self.new_id("audit_log"),
                     at=firm["verified_at"] or firm["created_at"] + dt.timedelta(hours=30),
                     actor_id=self.admin_id,
                     action="firm.verify" if verified else "firm.reject",
                     target_type="firm", target_id=firm["id"],
                     details={"note": firm["verification_note"] or ""})

    # -- workers
    def _workers(self) -> None:
        W = self.gen.workers
        self.demo_worker = self._pick_demo_worker()
        districts = _nearest_district(W.lat, W.lon)
        self.worker_ids = np.zeros(len(W), dtype=np.int64)
        for i in range(len(W)):
            self._worker(i, districts[i])
        self.worker_count = len(W)

    def _pick_demo_worker(self) -> int:
        """A generated worker who fits the demo story: a seafood hand near the demo firm."""
        W, S = self.gen.workers, self.gen.shifts
        at_firm = np.flatnonzero(self.s_firm == self.demo_firm)
        flat, flon = float(S.lat[at_firm].mean()), float(S.lon[at_firm].mean())
        km = haversine_km(W.lat, W.lon, flat, flon)
        health = np.array(["health_cert" in c for c in W.certificates])
        seafood = np.array([any(SKILL_GROUP.get(k) == "food_processing" for k in s)
                            for s in W.skills])
        always = (W.availability.all(axis=1) if W.availability is not None
                  else np.ones(len(W), dtype=bool))
        applies = np.bincount(self.ev_w[self.keep & (self.ev_kind == APPLY)], minlength=len(W))
        veteran = W.registered_at < self.now - HISTORY_DAYS * DAY
        migrant = W.origin_province != HOME_PROVINCE
        return int(np.lexsort((applies, migrant, seafood, W.max_commute_km >= 20, always,
                               km <= 0.8 * W.max_commute_km, health & veteran))[-1])

    def _worker(self, i: int, district: str) -> None:
        W = self.gen.workers
        demo = i == self.demo_worker
        migrant = W.origin_province[i] != HOME_PROVINCE
        if demo:
            origin, base = "重庆", "重庆云阳劳务协作基地"
            name, phone = "陈海军", WORKER_PHONE
        else:
            name, phone = self.person_name(), self.phone()
            if not migrant:
                origin, base = HOME_PROVINCE, None
            elif self.chance(0.85):
                origin, base = _LABOR_BASES.draw(self.rng)
            else:
                origin, base = self.pick(_OTHER_PROVINCES), None
        registered = int(W.registered_at[i])
        if registered > self.now - HOUR:  # signed up after the history: just before today
            registered = self.now - int(self.rng.integers(HOUR, 2 * DAY))
        created = _utc(registered)
        uid = self.user(phone=phone, name=name, role=Role.WORKER.value, firm_id=None,
                        created_at=created)
        self.worker_ids[i] = uid
        local = not migrant and not demo
        priority = self.pick(PRIORITY_GROUPS).code if local and self.chance(0.06) else None
        self.add("worker_profiles", user_id=uid, district=district,
                 home_lat=round(float(W.lat[i]), 6), home_lon=round(float(W.lon[i]), 6),
                 commute_radius_km=int(min(max(round(W.max_commute_km[i]), 1), 500)),
                 min_daily_pay_fen=round(float(W.min_daily_pay[i]) * 100),
                 origin_province=origin, labor_base=base,
                 labor_base_id=self.base_ids.get(base) if base else None,
                 bio=self.pick(N.BIOS) if demo or self.chance(0.15) else None,
                 id_number_digest=None, id_number_masked=None, priority_group=priority,
                 priority_verified=bool(priority) and self.chance(0.5), updated_at=created)
        for code in sorted(set(W.skills[i])):
            self.add("worker_skills", worker_id=uid, code=code)
        for code in sorted(set(W.certificates[i])):
            self.add("worker_certificates", worker_id=uid, code=code)
        if W.availability is not None and not W.availability[i].all():
            for weekday, start, end in _windows(W.availability[i]):
                self.add("weekly_availability", id=self.new_id("weekly_availability"),
                         worker_id=uid, weekday=weekday, start_minute=start, end_minute=end)

    # -- shifts
    def _shifts(self) -> None:
        S = self.gen.shifts
        self.shift_ids = np.zeros(len(S), dtype=np.int64)
        self.shift_rows: dict[int, dict] = {}
        districts = _nearest_district(S.lat, S.lon)
        for j in np.flatnonzero(self.s_class != DROPPED):
            self._shift(int(j), districts[j])
        self.open_count = int(((self.s_class == OPEN) & (self.cancel_at < 0)).sum())

    def _template(self, category: str, skills: tuple[str, ...]) -> N.Template:
        options = TEMPLATES_BY_CATEGORY[category]
        best = max(len(set(t.skills) & set(skills)) for t in options)
        return self.pick([t for t in options if len(set(t.skills) & set(skills)) == best])

    def _shift(self, j: int, district: str) -> None:
        S = self.gen.shifts
        firm = self.firm_of_gen[int(self.s_firm[j])]
        category = str(S.category[j])
        template = self._template(category, S.skills[j])
        starts, ends = _utc(S.start_at[j]), _utc(S.end_at[j])
        hours = (S.end_at[j] - S.start_at[j]) / HOUR
        day_fen = round(float(S.daily_pay[j]) * 100)
        if self.chance(template.hourly_share):
            unit, amount = PayUnit.HOUR.value, max(50, round(day_fen / hours / 50) * 50)
        else:
            unit, amount = PayUnit.DAY.value, day_fen
        settle = self._settlement(category)
        meals, housing = bool(S.meals[j]), bool(S.housing[j])
        cancelled = self.cancel_at[j] >= 0
        status = (ShiftStatus.CANCELLED if cancelled else
                  ShiftStatus.COMPLETED if self.s_class[j] == PAST else ShiftStatus.OPEN)
        row = self.add(
            "shifts", id=self.new_id("shifts"), firm_id=firm["id"],
            created_by_id=self.firm_members[firm["id"]], title=template.title,
            category=category, description=self._description(template, meals, housing, settle),
            district=district, address=firm["address"], lat=round(float(S.lat[j]), 6),
            lon=round(float(S.lon[j]), 6), starts_at=starts, ends_at=ends,
            headcount=int(S.headcount[j]), filled=0, pay_amount_fen=amount, pay_unit=unit,
            daily_pay_fen=compute_daily_pay_fen(amount, unit, starts, ends), settlement=settle,
            meals=meals, housing=housing, status=status.value, posted_at=_utc(self.posted[j]),
            cancelled_at=_utc(self.cancel_at[j]) if cancelled else None,
            cancel_reason=self.pick(N.CANCEL_REASONS) if cancelled else None,
        )
        self.shift_ids[j] = row["id"]
        self.shift_rows[j] = row
        for code in sorted(set(S.skills[j])):
            self.add("shift_skills", shift_id=row["id"], code=code)
        for code in sorted(set(S.certificates[j])):
            self.add("shift_certificates", shift_id=row["id"], code=code)

    def _settlement(self, category: str) -> str:
        roll = self.rng.random()
        if category in ("hospitality", "retail", "cleaning", "tourism"):
            return "daily" if roll < 0.7 else "weekly" if roll < 0.95 else "on_completion"
        if category == "construction":
            return "daily" if roll < 0.3 else "weekly" if roll < 0.6 else "on_completion"
        return "daily" if roll < 0.55 else "weekly" if roll < 0.85 else "on_completion"

    @staticmethod
    def _description(template: N.Template, meals: bool, housing: bool, settle: str) -> str:
        perks = "".join(p for p, on in (("管饭；", meals), ("可提供宿舍；", housing)) if on)
        pay = {"daily": "当天结算", "weekly": "每周五结算", "on_completion": "完工后结算"}[settle]
        return (f"工作内容：{template.title}，服从现场安排。要求：身体健康，吃苦耐劳，"
                f"准时到岗。{perks}工资{pay}。")

    # -- applications, from the generated funnel
    def at(self, pair: _Pair, kind: int) -> int:
        return int(self.ev_at[pair.idx[kind]]) if kind in pair.idx else pair.extra[kind]

    def _derive_applications(self) -> None:
        """One application per (worker, shift) pair that applied before today."""
        kept = np.flatnonzero(self.keep & (self.ev_kind >= APPLY))
        n_s = len(self.gen.shifts)
        pair_key = self.ev_w[kept] * n_s + self.ev_s[kept]
        kept = kept[np.lexsort((self.ev_at[kept], pair_key))]
        self.pairs: list[_Pair] = []
        current: _Pair | None = None
        for e in kept.tolist():
            w, s = int(self.ev_w[e]), int(self.ev_s[e])
            if current is None or current.w != w or current.s != s:
                current = _Pair(w=w, s=s, idx={})
                self.pairs.append(current)
            current.idx.setdefault(int(self.ev_kind[e]), e)
        for pair in self.pairs:
            if APPLY not in pair.idx:  # cannot happen with the generator; keep the log clean
                self.keep[list(pair.idx.values())] = False
        self.pairs = [p for p in self.pairs if APPLY in p.idx]
        self.pairs.sort(key=lambda p: self.at(p, APPLY))
        for pair in self.pairs:
            pair.status = self._status(pair)
        self._keep_the_rules()

    def _status(self, pair: _Pair) -> str:
        steps, s = pair.idx, pair.s
        is_open = self.s_class[s] == OPEN
        if WITHDRAW in steps:
            return AppStatus.WITHDRAWN.value
        if DECLINE in steps:
            return AppStatus.DECLINED.value
        if self.cancel_at[s] >= 0:
            return AppStatus.CANCELLED.value
        if HIRE in steps:
            if is_open:
                return AppStatus.CONFIRMED.value
            if COMPLETE in steps:
                return AppStatus.COMPLETED.value  # or checked_in, decided with the attendance
            if NO_SHOW in steps:
                return AppStatus.NO_SHOW.value
            # Hired, then nothing: the worker withdrew before the shift (logged as such).
            hired = self.at(pair, HIRE)
            start = int(self.gen.shifts.start_at[s])
            pair.extra[WITHDRAW] = hired + int((start - hired) * self.uniform(0.3, 0.9))
            return AppStatus.WITHDRAWN.value
        if OFFER in steps:
            return AppStatus.OFFERED.value if is_open else AppStatus.REJECTED.value
        return AppStatus.APPLIED.value if is_open else AppStatus.REJECTED.value

    def _keep_the_rules(self) -> None:
        """Seats ≤ headcount and no overlapping bookings: a hire that breaks one of them becomes
        a decline (the worker turned the offer down), and its outcome events are dropped."""
        S = self.gen.shifts
        self.seats = np.zeros(len(S), dtype=np.int64)
        self.booked: dict[int, list[tuple[int, int]]] = {}
        holding = [p for p in self.pairs if p.status in SEAT_HOLDING]
        holding.sort(key=lambda p: self.at(p, HIRE))
        for pair in holding:
            s = pair.s
            span = (int(S.start_at[s]), int(S.end_at[s]))
            books = pair.status in BOOKED
            if self.seats[s] >= S.headcount[s] or (books and self._overlaps(pair.w, span)):
                self.ev_kind[pair.idx[HIRE]] = DECLINE
                pair.idx[DECLINE] = pair.idx.pop(HIRE)
                for kind in (COMPLETE, NO_SHOW):
                    if kind in pair.idx:
                        self.keep[pair.idx.pop(kind)] = False
                pair.status = AppStatus.DECLINED.value
                continue
            self.seats[s] += 1
            if books:
                self.booked.setdefault(pair.w, []).append(span)

    def _overlaps(self, w: int, span: tuple[int, int]) -> bool:
        return any(a < span[1] and span[0] < b for a, b in self.booked.get(w, ()))

    # -- the demo worker's own story: two finished shifts, an upcoming one, an offer, ...
    def _demo_story(self) -> None:
        S, me = self.gen.shifts, self.demo_worker
        mine = {p.s for p in self.pairs if p.w == me}
        certificates = set(self.gen.workers.certificates[me])
        trades = {SKILL_GROUP[k] for k in self.gen.workers.skills[me]} | {"food_processing"}
        days: set[int] = set()
        for need in STORY:
            for j in np.flatnonzero(self.s_class != DROPPED).tolist():
                day = (int(S.start_at[j]) + 8 * HOUR) // DAY
                span = (int(S.start_at[j]), int(S.end_at[j]))
                own = self.s_firm[j] == self.demo_firm
                past = self.s_class[j] == PAST
                seat = need in ("completed", "confirmed")
                if (j in mine or day in days or self.cancel_at[j] >= 0
                        or not set(S.certificates[j]) <= certificates
                        or (seat and (self.seats[j] >= S.headcount[j]
                                      or self._overlaps(me, span)))):
                    continue
                if ((need == "completed" and past and own and span[1] < self.now - DAY)
                        or (need in ("confirmed", "offered") and not past and own)
                        or (need in ("applied", "withdrawn") and not past and not own
                            and S.category[j] in trades)):
                    self._story_pair(me, j, need)
                    mine.add(j)
                    days.add(day)
                    if seat:
                        self.seats[j] += 1
                        self.booked.setdefault(me, []).append(span)
                    break

    def _story_pair(self, w: int, s: int, need: str) -> None:
        start = int(self.gen.shifts.start_at[s])
        posted = int(self.posted[s])
        latest = max(min(start - 3 * HOUR, self.now - HOUR), posted + 600)
        t = posted + int((latest - posted) * self.uniform(0.05, 0.4))
        pair = _Pair(w=w, s=s, idx={}, status=need, source="direct")
        pair.extra[APPLY] = t
        steps = {"completed": (OFFER, HIRE, COMPLETE), "confirmed": (OFFER, HIRE),
                 "offered": (OFFER,), "applied": (), "withdrawn": (WITHDRAW,)}[need]
        for kind in steps:
            if kind == COMPLETE:
                pair.extra[COMPLETE] = int(self.gen.shifts.end_at[s])  # moved at confirmation
                continue
            t += max(60, int((latest - t) * self.uniform(0.1, 0.5)))
            pair.extra[kind] = t
        self.pairs.append(pair)

    # -- rows: applications, attendance, ratings
    def _write_applications(self) -> None:
        R = self.gen.ratings
        self.gen_ratings = {
            (int(w), int(s), bool(f)): (int(t), int(v)) for w, s, f, t, v in zip(
                R.worker_id, R.shift_id, R.by_firm, R.at, R.stars, strict=True)
        } if R is not None else {}
        for pair in self.pairs:
            self._application(pair)
        for row in self.shift_rows.values():
            row["filled"] = 0
        for row in self.market.rows["applications"]:
            if row["status"] in SEAT_HOLDING:
                self.shift_rows[row["_s"]]["filled"] += 1
        for row in self.market.rows["applications"]:
            del row["_s"]

    def _application(self, pair: _Pair) -> None:
        S = self.gen.shifts
        shift = self.shift_rows[pair.s]
        app_id = self.new_id("applications")
        status = pair.status
        if status == AppStatus.COMPLETED.value:
            status = self._attendance(app_id, pair)
        elif status == AppStatus.NO_SHOW.value:
            self._no_show(app_id, pair)
        created = self.at(pair, APPLY)
        times = [self.ev_at[e] for k, e in pair.idx.items() if self.keep[e]]
        times += list(pair.extra.values())
        worker_id = int(self.worker_ids[pair.w])
        self.add("applications", id=app_id, shift_id=shift["id"], worker_id=worker_id,
                 status=status, starts_at=_utc(S.start_at[pair.s]),
                 ends_at=_utc(S.end_at[pair.s]), source=pair.source,
                 note="可以提前到" if self.chance(0.03) else None, created_at=_utc(created),
                 updated_at=_utc(max(max(times), created)), _s=pair.s)
        if status == AppStatus.OFFERED.value and pair.w == self.demo_worker:
            self.add("notifications", id=self.new_id("notifications"), user_id=worker_id,
                     kind="application_offer", message=f"application_offer:{shift['title']}",
                     link="/me/applications", created_at=_utc(self.at(pair, OFFER)),
                     read_at=None)

    def _set_time(self, pair: _Pair, kind: int, at: int | None) -> None:
        """Move an event of the pair (None drops it)."""
        if kind in pair.idx:
            if at is None:
                self.keep[pair.idx[kind]] = False
            else:
                self.ev_at[pair.idx[kind]] = at
        elif at is None:
            pair.extra.pop(kind, None)
        else:
            pair.extra[kind] = at

    def _attendance(self, app_id: int, pair: _Pair) -> str:
        """Checked in and out; completed once the firm confirms (before today) — else still
        checked in, and the complete event has not happened yet."""
        S, shift = self.gen.shifts, self.shift_rows[pair.s]
        starts, ends = int(S.start_at[pair.s]), int(S.end_at[pair.s])
        checked_in = starts + 60 * int(self.rng.integers(-20, 6))
        if self.chance(0.08):
            checked_in = starts + 60 * int(self.rng.integers(5, 40))
        out: int | None = min(ends + 60 * int(self.rng.integers(-15, 20)), self.now - 300)
        confirmed: int | None = ends + int(self.uniform(0.5, 36) * HOUR)
        status = AppStatus.COMPLETED.value
        if confirmed >= self.now:
            status, confirmed = AppStatus.CHECKED_IN.value, None
            if self.chance(0.4):
                out = None
        self._set_time(pair, COMPLETE, confirmed)
        minutes = pay = None
        if out is not None:
            minutes = max(0, (min(out, ends) - max(checked_in, starts)) // 60)
            pay = (round(shift["pay_amount_fen"] * minutes / 60)
                   if shift["pay_unit"] == PayUnit.HOUR.value else shift["pay_amount_fen"])
        paid = (self._paid_at(shift["settlement"], ends, confirmed)
                if confirmed is not None else None)
        self.add("attendance", application_id=app_id, checked_in_at=_utc(checked_in),
                 checked_out_at=_utc(out) if out is not None else None, minutes_worked=minutes,
                 pieces=None, pay_due_fen=pay,
                 confirmed_at=_utc(confirmed) if confirmed is not None else None, paid_at=paid)
        if confirmed is not None:
            key = (int(self.gen.workers.worker_id[pair.w]), int(S.shift_id[pair.s]))
            for rater, by_firm, share, comments in (("firm", True, 0.8, N.FIRM_COMMENTS),
                                                    ("worker", False, 0.6, N.WORKER_COMMENTS)):
                at, stars = self.gen_ratings.get((*key, by_firm), (0, 0))
                if not stars:  # the story's shifts: a good experience
                    at, stars = confirmed + HOUR, 5
                if self.chance(share):
                    self._rating(app_id, rater, stars, max(at, confirmed + 300),
                                 self.pick(comments) if stars >= 4 else "")
        return status

    def _no_show(self, app_id: int, pair: _Pair) -> None:
        if self.chance(0.4):
            self._rating(app_id, "firm", 1 + int(self.chance(0.3)),
                         self.at(pair, NO_SHOW) + int(self.uniform(0.1, 30) * HOUR),
                         "未到岗，也没请假")

    def _paid_at(self, settlement: str, ends: int, confirmed: int) -> dt.datetime | None:
        if settlement == "daily":
            paid = _utc(confirmed + int(self.uniform(0.1, 3) * HOUR))
        elif settlement == "weekly":
            local = _utc(ends).astimezone(LOCAL_TZ)
            friday = local.date() + dt.timedelta(days=(4 - local.weekday()) % 7 or 7)
            paid = dt.datetime.combine(friday, dt.time(18), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
        else:
            paid = _utc(confirmed + int(self.uniform(1, 5) * DAY))
        return paid if paid < self.base else None

    def _rating(self, app_id: int, rater: str, score: int, at: int, comment: str) -> None:
        if at >= self.now:
            return
        self.add("ratings", id=self.new_id("ratings"), application_id=app_id, rater=rater,
                 score=int(score), comment=comment or None, created_at=_utc(at))

    # -- the event log: the generated one as kept and edited, plus the added steps
    def _history(self) -> History:
        keep = np.flatnonzero(self.keep)
        kind = self.ev_kind[keep]
        feed = (kind == IMPRESSION) | (kind == VIEW) | (kind == APPLY)
        extra = [(t, p.w, p.s, k, SOURCE_CODE[p.source] if k == APPLY else -1)
                 for p in self.pairs for k, t in p.extra.items()]
        e_at, e_w, e_s, e_kind, e_src = (np.array(c, dtype=np.int64) for c in (
            zip(*extra, strict=True) if extra else ((),) * 5))
        at = np.concatenate([self.ev_at[keep], e_at])
        w = np.concatenate([self.ev_w[keep], e_w])
        s = np.concatenate([self.ev_s[keep], e_s])
        kinds = np.concatenate([kind, e_kind]).astype(np.int16)
        position = np.concatenate([np.where(kind == IMPRESSION, self.ev_pos[keep], 0),
                                   np.zeros(len(e_at), dtype=np.int32)])
        source = np.concatenate([np.where(feed, SOURCE_CODE["feed"], -1), e_src])
        order = np.lexsort((kinds, at))
        return History(at=at[order], worker_id=self.worker_ids[w[order]],
                       shift_id=self.shift_ids[s[order]], kind=kinds[order],
                       position=position[order].astype(np.int32),
                       source=source[order].astype(np.int16))


def _windows(mask: np.ndarray) -> Iterable[tuple[int, int, int]]:
    """(weekday, start_minute, end_minute) runs of a 168-hour availability mask."""
    for day in range(7):
        hours = np.r_[False, mask[day * 24:(day + 1) * 24], False].astype(np.int8)
        edges = np.diff(hours)
        for first, last in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1),
                               strict=True):
            yield day, int(first) * 60, int(last) * 60


# --------------------------------------------------------------------------- writing

TABLE_ORDER = (
    "firms", "labor_bases", "users", "worker_profiles", "worker_skills", "worker_certificates",
    "weekly_availability", "shifts", "shift_skills", "shift_certificates", "applications",
    "attendance", "ratings", "cohorts", "cohort_skills", "cohort_members", "audit_log",
    "notifications",
)
ID_TABLES = {"users": User, "firms": Firm, "shifts": Shift, "applications": Application,
             "ratings": Rating, "weekly_availability": WeeklyAvailability,
             "audit_log": AuditLog, "notifications": Notification, "labor_bases": LaborBase,
             "cohorts": Cohort, "cohort_members": CohortMember}
TABLES: dict[str, Table] = {
    "firms": Firm.__table__, "users": User.__table__,
    "worker_profiles": WorkerProfile.__table__, "worker_skills": worker_skills,
    "worker_certificates": worker_certificates,
    "weekly_availability": WeeklyAvailability.__table__, "shifts": Shift.__table__,
    "shift_skills": shift_skills, "shift_certificates": shift_certificates,
    "applications": Application.__table__, "attendance": Attendance.__table__,
    "ratings": Rating.__table__, "audit_log": AuditLog.__table__,
    "notifications": Notification.__table__, "labor_bases": LaborBase.__table__,
    "cohorts": Cohort.__table__, "cohort_skills": cohort_skills,
    "cohort_members": CohortMember.__table__,
}


def _write(market: _Market) -> None:
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    for name in TABLE_ORDER:
        rows = market.rows[name]
        if not rows:
            continue
        columns = list(rows[0])
        if postgres:
            _copy(connection, name, columns, ([r[c] for c in columns] for r in rows))
        else:
            for start in range(0, len(rows), CHUNK):
                connection.execute(insert(TABLES[name]), rows[start:start + CHUNK])
    _write_history(connection, market.history, postgres)
    if postgres:
        for name in ID_TABLES:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 1))"
            ))
        for name in (*TABLE_ORDER, "events"):
            connection.execute(text(f"ANALYZE {name}"))


def _copy(connection, table: str, columns: list[str], rows: Iterable[list]) -> None:
    from psycopg.types.json import Json

    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row([Json(v) if isinstance(v, dict) else v for v in row])


def _write_history(connection, history, postgres: bool) -> None:
    columns = ["at", "worker_id", "shift_id", "kind", "position", "source"]
    for start in range(0, len(history), CHUNK * 10 if postgres else CHUNK):
        stop = start + (CHUNK * 10 if postgres else CHUNK)
        at = [dt.datetime.fromtimestamp(int(t), dt.UTC) for t in history.at[start:stop]]
        rows = zip(
            at, history.worker_id[start:stop].tolist(), history.shift_id[start:stop].tolist(),
            [KINDS[k] for k in history.kind[start:stop]],
            [p or None for p in history.position[start:stop].tolist()],
            [SOURCES[s] if s >= 0 else None for s in history.source[start:stop]],
            strict=True,
        )
        if postgres:
            _copy(connection, "events", columns, rows)
        else:
            connection.execute(insert(MatchEvent.__table__),
                               [dict(zip(columns, r, strict=True)) for r in rows])


# --------------------------------------------------------------------------- distributions

_SURNAMES = _Weighted(N.SURNAMES)
_INDUSTRY = _Weighted(N.INDUSTRY_WEIGHTS)
_INDUSTRY_DISTRICTS = {k: _Weighted(v) for k, v in N.INDUSTRY_DISTRICTS.items()}
_LABOR_BASES = _Weighted([((p, b), w) for p, b, w in N.LABOR_BASES])
_OTHER_PROVINCES = [p for p in PROVINCES if p != HOME_PROVINCE]
_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "150", "151", "152",
                   "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "198", "199")
