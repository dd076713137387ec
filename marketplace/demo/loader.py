"""`flask demo load`: a believable Weihai market, the same every time for a given seed.

Everything is generated in memory from one seeded NumPy generator, with explicit primary keys
so that rows can point at each other without a round trip, then written in bulk: COPY on
PostgreSQL, multi-row INSERTs elsewhere. Times are laid out around today's local midnight:
history (past shifts, applications, the event log) happens before it, open shifts start on
the days after it. The demo password is hashed once and shared by every demo account.
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

from marketplace.admin.models import AuditLog
from marketplace.auth.models import Role, User, UserStatus
from marketplace.auth.passwords import hash_password
from marketplace.demo import names as N
from marketplace.demo.history import KINDS, SOURCES, MarketView, generate_history
from marketplace.extensions import db
from marketplace.firms.models import Firm, Verification
from marketplace.matching.models import MatchEvent
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
from marketplace.shifts.states import BOOKED, AppStatus
from marketplace.taxonomy import CATEGORIES, DISTRICTS_BY_CODE, PRIORITY_GROUPS, PROVINCES, SKILLS
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
DEMO_FIRM_NAME = "威海海之韵水产食品有限公司"
HISTORY_DAYS = 28
HORIZON_DAYS = 21
CHUNK = 5000


@dataclass(frozen=True)
class Scale:
    firms: int
    workers: int
    open_shifts: int
    past_shifts: int
    events: int


SCALES = {
    "small": Scale(firms=40, workers=400, open_shifts=300, past_shifts=200, events=20_000),
    "large": Scale(firms=2_500, workers=50_000, open_shifts=10_000, past_shifts=8_000,
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
    db.session.commit()
    return {
        "firms": len(market.rows["firms"]),
        "workers": builder.worker_count,
        "open shifts": builder.open_count,
        "shifts": len(market.rows["shifts"]),
        "applications": len(market.rows["applications"]),
        "events": len(market.history),
        "seconds": round(time.perf_counter() - began, 1),
        "demo password": DEMO_PASSWORD,
        "admin": ADMIN_PHONE,
        "firm": FIRM_PHONE,
        "worker": WORKER_PHONE,
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


@dataclass
class _Market:
    rows: dict[str, list[dict]] = field(default_factory=dict)
    history: Any = None


@dataclass
class _Worker:
    id: int
    category: int
    categories: tuple[str, ...]
    district: str
    certificates: frozenset[str]


@dataclass
class _Shift:
    row: dict
    category: str
    certificates: tuple[str, ...]
    firm_index: int
    day: int
    cancelled: bool
    booked_for: list = field(default_factory=list)


CATEGORY_CODES = [c.code for c in CATEGORIES]
SKILLS_BY_CATEGORY = {c: [s.code for s in SKILLS if s.group == c] for c in CATEGORY_CODES}
TEMPLATES_BY_CATEGORY = {c: [t for t in N.TEMPLATES if t.category == c] for c in CATEGORY_CODES}
GENERIC_TEMPLATES = [t for t in N.TEMPLATES if t.title in ("装卸工", "仓库盘点员", "保洁员")]
KM_PER_DEGREE = 111.2


class _Builder:
    def __init__(self, *, seed: int, scale: Scale, today: dt.date):
        self.rng = np.random.default_rng(seed)
        self.scale = scale
        self.base = dt.datetime.combine(today, dt.time(), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.taken_phones: set[str] = {ADMIN_PHONE, FIRM_PHONE, WORKER_PHONE}
        self.taken_codes: set[str] = set()
        self.taken_firm_names: set[str] = set()
        self.next_id: dict[str, int] = {}
        self.market = _Market(rows={name: [] for name in TABLE_ORDER})
        self.workers: list[_Worker] = []
        self.shifts: list[_Shift] = []
        self.firm_members: dict[int, int] = {}
        self.admin_id = 0
        self.worker_count = 0
        self.open_count = 0
        self.app_shift_worker: list[tuple[int, int, int]] = []

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
        self._firms()
        self._workers()
        self._shifts()
        self._applications()
        self.market.history = generate_history(self._market_view(), self.rng, self.scale.events)
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
        dlat, dlon = self.rng.normal(0.0, km, size=2) / KM_PER_DEGREE
        return (round(centre.lat + float(dlat), 6),
                round(centre.lon + float(dlon) / math.cos(math.radians(centre.lat)), 6))

    def near(self, lat: float, lon: float, km: float) -> tuple[float, float]:
        dlat, dlon = self.rng.normal(0.0, km, size=2) / KM_PER_DEGREE
        return (round(lat + float(dlat), 6),
                round(lon + float(dlon) / math.cos(math.radians(lat)), 6))

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
             created_at: dt.datetime) -> int:
        uid = self.new_id("users")
        self.add("users", id=uid, phone=phone, password_hash=self.password_hash, name=name,
                 role=role, status=UserStatus.ACTIVE.value, session_version=1, locale=None,
                 firm_id=firm_id, created_at=created_at, last_login_at=None)
        return uid

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
        self.firm_rows: list[dict] = []
        for i in range(self.scale.firms):
            demo = i == 0
            industry = "food_processing" if demo else _INDUSTRY.draw(self.rng)
            district = "jingqu" if demo else _INDUSTRY_DISTRICTS[industry].draw(self.rng)
            size = "medium" if demo else _SIZES.draw(self.rng)
            name = DEMO_FIRM_NAME if demo else self._firm_name(district, industry, size)
            self.taken_firm_names.add(name)
            roll = self.rng.random()
            status = (Verification.VERIFIED if demo or roll < 0.88 else
                      Verification.PENDING if roll < 0.97 else Verification.REJECTED)
            created = self.ago(40, 500) if status == Verification.VERIFIED else self.ago(1, 20)
            lat, lon = self.scatter(district, 2.5)
            firm = self.add(
                "firms", id=self.new_id("firms"), name=name,
                credit_code=self._credit_code(district), size=size, industry=industry,
                district=district, address=self.address(district), lat=lat, lon=lon,
                verification_status=status.value,
                verification_note="营业执照信息与统一社会信用代码不一致，请核对后重新提交"
                if status == Verification.REJECTED else None,
                verified_at=created + dt.timedelta(hours=self.uniform(2, 96))
                if status == Verification.VERIFIED else None,
                created_at=created,
            )
            self.firm_rows.append(firm)
            members = 2 if size == "large" else 1
            for m in range(members):
                uid = self.user(phone=FIRM_PHONE if demo and m == 0 else self.phone(),
                                name="王建华" if demo and m == 0 else self.person_name(),
                                role=Role.FIRM.value, firm_id=firm["id"], created_at=created)
                self.firm_members.setdefault(firm["id"], uid)
            self.add("audit_log", id=self.new_id("audit_log"), at=created,
                     actor_id=self.firm_members[firm["id"]], action="firm.register",
                     target_type="firm", target_id=firm["id"], details={})
            if status != Verification.PENDING:
                verified = status == Verification.VERIFIED
                self.add("audit_log", id=self.new_id("audit_log"),
                         at=firm["verified_at"] or created + dt.timedelta(hours=30),
                         actor_id=self.admin_id,
                         action="firm.verify" if verified else "firm.reject",
                         target_type="firm", target_id=firm["id"],
                         details={"note": firm["verification_note"] or ""})

    # -- workers
    def _workers(self) -> None:
        for i in range(self.scale.workers):
            self._worker(demo=i == 0)
        self.worker_count = len(self.workers)

    def _worker(self, *, demo: bool) -> None:
        if demo:
            origin, base, district = "重庆", "重庆云阳劳务协作基地", "jingqu"
            name, phone = "陈海军", WORKER_PHONE
        else:
            name, phone = self.person_name(), self.phone()
            if self.chance(N.LOCAL_SHARE):
                origin, base, district = "山东", None, _LOCAL_DISTRICTS.draw(self.rng)
            else:
                if self.chance(0.85):
                    origin, base = _LABOR_BASES.draw(self.rng)
                else:
                    origin, base = self.pick(_OTHER_PROVINCES), None
                district = _MIGRANT_DISTRICTS.draw(self.rng)
        local = origin == "山东"
        created = self.ago(35, 700)
        uid = self.user(phone=phone, name=name, role=Role.WORKER.value, firm_id=None,
                        created_at=created)
        lat, lon = self.scatter(district, 3.0)
        if demo:
            categories = ("food_processing", "logistics")
            skills = {"seafood_sorting", "food_packing", "cold_storage", "loading"}
            certificates = {"health_cert", "food_safety"}
            radius, min_pay = 25, 18000
        else:
            categories, skills, certificates = self._trade()
            radius = int(self.pick((5, 10, 15, 15, 20, 20, 30, 40, 50) if local
                                   else (5, 8, 10, 15, 15, 20, 30)))
            min_pay = 0 if self.chance(0.2) else int(self.rng.integers(14, 27)) * 1000
        priority = self.pick(PRIORITY_GROUPS).code if local and self.chance(0.06) else None
        self.add("worker_profiles", user_id=uid, district=district, home_lat=lat, home_lon=lon,
                 commute_radius_km=radius, min_daily_pay_fen=min_pay, origin_province=origin,
                 labor_base=base,
                 bio=self.pick(N.BIOS) if demo or self.chance(0.15) else None,
                 id_number_digest=None, id_number_masked=None, priority_group=priority,
                 priority_verified=bool(priority) and self.chance(0.5), updated_at=created)
        for code in sorted(skills):
            self.add("worker_skills", worker_id=uid, code=code)
        for code in sorted(certificates):
            self.add("worker_certificates", worker_id=uid, code=code)
        if not demo and self.chance(0.3):
            for weekday, start, end in self.pick(_AVAILABILITY_PATTERNS):
                self.add("weekly_availability", id=self.new_id("weekly_availability"),
                         worker_id=uid, weekday=weekday, start_minute=start, end_minute=end)
        self.workers.append(_Worker(id=uid, category=CATEGORY_CODES.index(categories[0]),
                                    categories=categories, district=district,
                                    certificates=frozenset(certificates)))

    def _trade(self) -> tuple[tuple[str, ...], set[str], set[str]]:
        primary = _INDUSTRY.draw(self.rng)
        categories = [primary]
        if self.chance(0.4):
            second = _INDUSTRY.draw(self.rng)
            if second != primary:
                categories.append(second)
        skills: set[str] = set()
        pool = SKILLS_BY_CATEGORY[primary]
        for _ in range(int(self.rng.integers(1, 4))):
            skills.add(self.pick(pool))
        for extra in categories[1:]:
            skills.add(self.pick(SKILLS_BY_CATEGORY[extra]))
        if self.chance(0.2):
            skills.add("loading")
        certificates: set[str] = set()
        for skill in sorted(skills):
            for code, p in N.SKILL_CERTIFICATES.get(skill, ()):
                if self.chance(p):
                    certificates.add(code)
        for category in categories:
            if self.chance(N.HEALTH_CERT_CATEGORIES.get(category, 0.1)):
                certificates.add("health_cert")
            if category in ("food_processing", "hospitality") and self.chance(0.1):
                certificates.add("food_safety")
        return tuple(categories), skills, certificates

    # -- shifts
    def _shifts(self) -> None:
        verified = [i for i, f in enumerate(self.firm_rows)
                    if f["verification_status"] == Verification.VERIFIED]
        weights = [(i, _SIZE_WEIGHT[self.firm_rows[i]["size"]] * self.rng.gamma(2.0, 0.5))
                   for i in verified]
        firms = _Weighted(weights)
        upcoming = math.ceil(self.scale.open_shifts / 0.97)
        cancelled_upcoming = set(
            self.rng.choice(upcoming, size=upcoming - self.scale.open_shifts, replace=False)
            .tolist())
        # The demo firm always has a few shifts on both sides of today.
        for n in range(upcoming):
            firm = 0 if n < 8 else firms.draw(self.rng)
            day = 1 + n % 4 if n < 8 else int(self.rng.integers(1, HORIZON_DAYS + 1))
            self._shift(firm, day, cancelled=n in cancelled_upcoming and n >= 8)
        for n in range(self.scale.past_shifts):
            firm = 0 if n < 6 else firms.draw(self.rng)
            day = -1 - n % 6 if n < 6 else -int(self.rng.integers(1, HISTORY_DAYS + 1))
            self._shift(firm, day, cancelled=n >= 6 and self.chance(0.05))
        self.open_count = sum(1 for s in self.shifts if s.day > 0 and not s.cancelled)

    def _template(self, firm: dict, demo: bool) -> N.Template:
        if demo:
            return self.pick([t for t in TEMPLATES_BY_CATEGORY["food_processing"]
                              if set(t.certificates) <= {"health_cert"}])
        if self.chance(0.12):  # any firm sometimes needs hands to load, pack or clean
            return self.pick(GENERIC_TEMPLATES)
        return self.pick(TEMPLATES_BY_CATEGORY[firm["industry"]])

    def _shift(self, firm_index: int, day: int, *, cancelled: bool) -> None:
        firm = self.firm_rows[firm_index]
        template = self._template(firm, firm_index == 0)
        hour = int(self.pick(template.starts))
        minute = 30 if self.chance(0.2) else 0
        hours = int(self.pick(template.hours))
        starts = self.base + dt.timedelta(days=day, hours=hour, minutes=minute)
        ends = starts + dt.timedelta(hours=hours)
        if day < 0 and ends > self.base - dt.timedelta(hours=1):
            day -= 1  # a past night shift must be over by now
            starts -= dt.timedelta(days=1)
            ends -= dt.timedelta(days=1)
        size = firm["size"]
        top = {"micro": 3, "small": 6, "medium": 12, "large": 40}[size]
        headcount = 2 + int(self.rng.integers(0, 6)) if firm_index == 0 else \
            1 + min(int(self.rng.geometric(2.5 / top)) - 1, top - 1)
        unit, amount = self._pay(template, hours, hour)
        if self.chance(0.8):
            district = firm["district"]
            lat, lon = self.near(firm["lat"], firm["lon"], 0.4)
            address = firm["address"]
        else:
            district = _INDUSTRY_DISTRICTS[template.category].draw(self.rng)
            lat, lon = self.scatter(district, 4.0)
            address = self.address(district)
        category = template.category
        settle = self._settlement(category)
        meals = self.chance(0.9 if category == "hospitality" else 0.45)
        housing = self.chance({"food_processing": 0.3, "agriculture": 0.3, "construction": 0.35,
                               "manufacturing": 0.2}.get(category, 0.08))
        if day > 0:
            latest = min(self.base - dt.timedelta(hours=1), starts - dt.timedelta(days=1))
            earliest = min(max(starts - dt.timedelta(days=14), self.base - dt.timedelta(days=10)),
                           latest - dt.timedelta(hours=2))
        else:
            latest = starts - dt.timedelta(hours=20)
            earliest = starts - dt.timedelta(days=7)
        posted = earliest + (latest - earliest) * self.rng.random()
        posted = posted.replace(microsecond=0)
        if firm["verified_at"] and posted < firm["verified_at"]:
            posted = firm["verified_at"] + dt.timedelta(hours=1)
        cancelled_at = None
        if cancelled:
            cancel_by = min(starts - dt.timedelta(hours=6), self.base - dt.timedelta(minutes=30))
            cancelled_at = posted + (cancel_by - posted) * self.uniform(0.5, 0.95)
        status = (ShiftStatus.CANCELLED if cancelled else
                  ShiftStatus.COMPLETED if day < 0 else ShiftStatus.OPEN)
        row = self.add(
            "shifts", id=self.new_id("shifts"), firm_id=firm["id"],
            created_by_id=self.firm_members[firm["id"]], title=template.title,
            category=category, description=self._description(template, meals, housing, settle),
            district=district, address=address, lat=lat, lon=lon, starts_at=starts,
            ends_at=ends, headcount=headcount, filled=0, pay_amount_fen=amount, pay_unit=unit,
            daily_pay_fen=compute_daily_pay_fen(amount, unit, starts, ends), settlement=settle,
            meals=meals, housing=housing, status=status.value, posted_at=posted,
            cancelled_at=cancelled_at,
            cancel_reason=self.pick(N.CANCEL_REASONS) if cancelled else None,
        )
        for code in sorted(set(template.skills)):
            self.add("shift_skills", shift_id=row["id"], code=code)
        for code in sorted(set(template.certificates)):
            self.add("shift_certificates", shift_id=row["id"], code=code)
        self.shifts.append(_Shift(row=row, category=category, certificates=template.certificates,
                                  firm_index=firm_index, day=day, cancelled=cancelled))

    def _pay(self, template: N.Template, hours: int, hour: int) -> tuple[str, int]:
        night = 1.15 if hour >= 20 or hour < 5 else 1.0
        typical = N.DAY_PAY_YUAN[template.category]
        if self.chance(template.hourly_share):
            yuan = typical / 8 * self.uniform(0.95, 1.3) * night
            yuan = min(max(round(yuan * 2) / 2, 22.0), 38.0)
            return PayUnit.HOUR.value, round(yuan * 100)
        yuan = typical * self.uniform(0.85, 1.15) * (hours / 8) ** 0.7 * night
        floor = math.ceil(hours * 22 / 10) * 10 + 10
        yuan = min(max(round(yuan / 10) * 10, floor), 400)
        return PayUnit.DAY.value, int(yuan * 100)

    def _settlement(self, category: str) -> str:
        roll = self.rng.random()
        if category in ("hospitality", "retail", "cleaning", "tourism"):
            return "daily" if roll < 0.7 else "weekly" if roll < 0.95 else "on_completion"
        if category == "construction":
            return "daily" if roll < 0.3 else "weekly" if roll < 0.6 else "on_completion"
        return "daily" if roll < 0.55 else "weekly" if roll < 0.85 else "on_completion"

    @staticmethod
    def _description(template: N.Template, meals: bool, housing: bool, settle: str) -> str:
        perks = "".join(p for p, on in (("管一顿午饭；", meals), ("可提供宿舍；", housing)) if on)
        pay = {"daily": "当天结算", "weekly": "每周五结算", "on_completion": "完工后结算"}[settle]
        return (f"工作内容：{template.title}，服从现场安排。要求：身体健康，吃苦耐劳，"
                f"准时到岗。{perks}工资{pay}。")

    # -- applications, attendance, ratings
    def _applications(self) -> None:
        pools: dict[str, list[int]] = {c: [] for c in CATEGORY_CODES}
        local_pools: dict[tuple[str, str], list[int]] = {}
        for index, worker in enumerate(self.workers[1:], start=1):
            for category in worker.categories:
                pools[category].append(index)
                local_pools.setdefault((category, worker.district), []).append(index)
        self.booked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        self.app_meta: list[tuple[str, tuple]] = []
        reserved = self._demo_worker_plan()
        for index, shift in enumerate(self.shifts):
            planned = reserved.get(index, [])
            used = {w for w, _ in planned}
            seats = 0
            for worker_index, status in planned:
                seats += self._application(shift, worker_index, status)
            for worker_index, status in self._applicants(shift, pools, local_pools, used):
                if status == "hire":
                    status = self._hire_status(shift, worker_index, seats)
                seats += self._application(shift, worker_index, status)
            shift.row["filled"] = seats

    def _demo_worker_plan(self) -> dict[int, list[tuple[int, str]]]:
        """The demo worker's own story: two finished shifts, an upcoming one, an offer, ..."""
        demo = self.workers[0]
        plan: dict[int, list[tuple[int, str]]] = {}
        days: set[int] = set()
        for need in ("completed", "completed", "confirmed", "offered", "applied", "withdrawn"):
            for index, shift in enumerate(self.shifts):
                if (index in plan or shift.cancelled or shift.day in days
                        or not set(shift.certificates) <= demo.certificates):
                    continue
                past, own_firm = shift.day < 0, shift.firm_index == 0
                if ((need == "completed" and past and own_firm)
                        or (need in ("confirmed", "offered") and not past and own_firm)
                        or (need in ("applied", "withdrawn") and not past and not own_firm
                            and shift.category in demo.categories)):
                    plan[index] = [(0, need)]
                    days.add(shift.day)
                    break
        return plan

    def _applicants(self, shift: _Shift, pools, local_pools, used: set[int]):
        headcount = shift.row["headcount"]
        if shift.day < 0:
            n = 1 + round(headcount * self.uniform(1.0, 2.2))
            hires = math.ceil(headcount * self.uniform(0.5, 1.0))
        else:
            soon = max(0.0, 1.0 - shift.day / (HORIZON_DAYS + 3))
            n = round(headcount * self.uniform(0.2, 2.0) * (0.3 + soon))
            hires = headcount if shift.day <= 5 and self.chance(0.12) else \
                int(headcount * self.rng.random() * soon)
        n = min(n, 60)
        pool = pools[shift.category]
        local = local_pools.get((shift.category, shift.row["district"]), [])
        picked: list[int] = []
        for _ in range(n * 3):
            if len(picked) >= n or not pool:
                break
            source = local if local and self.chance(0.7) else pool
            index = source[int(self.rng.integers(len(source)))]
            if index in used or not set(shift.certificates) <= self.workers[index].certificates:
                continue
            used.add(index)
            picked.append(index)
        hired = 0
        for index in picked:
            if hired < hires:
                hired += 1
                yield index, "hire"
            else:
                yield index, self._other_status(shift)

    def _overlaps(self, worker_index: int, shift: _Shift) -> bool:
        starts, ends = shift.row["starts_at"], shift.row["ends_at"]
        return any(s < ends and starts < e for s, e in self.booked.get(worker_index, ()))

    def _hire_status(self, shift: _Shift, worker_index: int, seats: int) -> str:
        if seats >= shift.row["headcount"]:
            return self._other_status(shift)
        if shift.cancelled:
            return "confirmed"
        if self._overlaps(worker_index, shift):
            return "rejected" if shift.day < 0 else "applied"
        if shift.day > 0:
            return "withdrawn_after_hire" if self.chance(0.05) else "confirmed"
        if self.chance(0.06):
            return "no_show"
        if shift.day == -1 and self.chance(0.4):
            return "checked_in"
        return "completed"

    def _other_status(self, shift: _Shift) -> str:
        roll = self.rng.random()
        if shift.day < 0:
            return "rejected" if roll < 0.45 else "withdrawn" if roll < 0.75 else "declined"
        return ("applied" if roll < 0.55 else "offered" if roll < 0.73 else
                "withdrawn" if roll < 0.85 else "declined" if roll < 0.93 else "rejected")

    def _application(self, shift: _Shift, worker_index: int, plan: str) -> int:
        """Add one application with its attendance, ratings and path; returns seats taken."""
        row = shift.row
        worker = self.workers[worker_index]
        starts, ends = row["starts_at"], row["ends_at"]
        posted = row["posted_at"]
        latest = min(starts - dt.timedelta(hours=1), self.base - dt.timedelta(minutes=10))
        if shift.cancelled and row["cancelled_at"] is not None:
            latest = min(latest, row["cancelled_at"] - dt.timedelta(minutes=30))
        latest = max(latest, posted + dt.timedelta(minutes=5))
        created = (posted + (latest - posted) * self.uniform(0.0, 0.7)).replace(microsecond=0)

        def step_at(after: dt.datetime, limit: dt.datetime) -> dt.datetime:
            limit = max(limit, after + dt.timedelta(minutes=2))
            return (after + (limit - after) * self.uniform(0.1, 0.6)).replace(microsecond=0)

        steps: list[tuple[str, dt.datetime]] = []
        last = created
        status = plan
        if shift.cancelled:
            status = AppStatus.CANCELLED.value
            reached = plan if plan in ("offered", "confirmed") else "applied"
        else:
            reached = plan
        if reached in ("offered", "confirmed", "checked_in", "completed", "no_show", "declined",
                       "withdrawn_after_hire"):
            last = step_at(last, latest)
            steps.append(("offer", last))
        if reached in ("confirmed", "checked_in", "completed", "no_show", "withdrawn_after_hire"):
            last = step_at(last, latest)
            steps.append(("hire", last))
        if reached == "declined":
            last = step_at(last, latest)
            steps.append(("decline", last))
        if reached in ("withdrawn", "withdrawn_after_hire"):
            last = step_at(last, latest)
            steps.append(("withdraw", last))
            status = AppStatus.WITHDRAWN.value
        app_id = self.new_id("applications")
        seats = 0
        if status in ("completed", "checked_in", "no_show"):
            last = self._attendance(app_id, shift, status, steps)
        if status in ("confirmed", "checked_in", "completed", "no_show"):
            seats = 1
        if status in BOOKED:
            self.booked.setdefault(worker_index, []).append((starts, ends))
        source = ("invitation" if self.chance(0.04) else "feed" if self.chance(0.6)
                  else "direct")
        self.add("applications", id=app_id, shift_id=row["id"], worker_id=worker.id,
                 status=status, starts_at=starts, ends_at=ends, source=source,
                 note="可以提前到" if self.chance(0.05) else None, created_at=created,
                 updated_at=max(last, created))
        self.app_meta.append((source, tuple((k, int(t.timestamp())) for k, t in steps)))
        self.app_shift_worker.append((row["id"], worker.id, int(created.timestamp())))
        if status == "offered" and worker_index == 0:
            self.add("notifications", id=self.new_id("notifications"), user_id=worker.id,
                     kind="application_offer", message=f"application_offer:{row['title']}",
                     link="/me/applications", created_at=last, read_at=None)
        return seats

    def _attendance(self, app_id: int, shift: _Shift, status: str,
                    steps: list[tuple[str, dt.datetime]]) -> dt.datetime:
        row = shift.row
        starts, ends = row["starts_at"], row["ends_at"]
        if status == "no_show":
            at = min(starts + dt.timedelta(minutes=int(self.rng.integers(60, 240))),
                     self.base - dt.timedelta(minutes=1))
            steps.append(("no_show", at))
            if self.chance(0.4):
                self._rating(app_id, "firm", 1 + int(self.chance(0.3)), at, "未到岗，也没请假")
            return at
        checked_in = starts + dt.timedelta(minutes=int(self.rng.integers(-20, 6)))
        if self.chance(0.08):
            checked_in = starts + dt.timedelta(minutes=int(self.rng.integers(5, 40)))
        out = None
        if status == "completed" or self.chance(0.6):
            out = ends + dt.timedelta(minutes=int(self.rng.integers(-15, 20)))
            out = min(out, self.base - dt.timedelta(minutes=5))
        minutes = pay = None
        if out is not None:
            minutes = max(0, int((min(out, ends) - max(checked_in, starts)).total_seconds()
                                 // 60))
            pay = (round(row["pay_amount_fen"] * minutes / 60)
                   if row["pay_unit"] == PayUnit.HOUR else row["pay_amount_fen"])
        confirmed = paid = None
        last = out or checked_in
        if status == "completed":
            confirmed = min(ends + dt.timedelta(hours=self.uniform(0.3, 20)),
                            self.base - dt.timedelta(minutes=1)).replace(microsecond=0)
            steps.append(("complete", confirmed))
            last = confirmed
            paid = self._paid_at(row["settlement"], ends, confirmed)
        self.add("attendance", application_id=app_id, checked_in_at=checked_in,
                 checked_out_at=out, minutes_worked=minutes, pieces=None, pay_due_fen=pay,
                 confirmed_at=confirmed, paid_at=paid)
        if status == "completed":
            if self.chance(0.75):
                self._rating(app_id, "firm", _FIRM_SCORES.draw(self.rng), confirmed,
                             self.pick(N.FIRM_COMMENTS))
            if self.chance(0.55):
                self._rating(app_id, "worker", _WORKER_SCORES.draw(self.rng), confirmed,
                             self.pick(N.WORKER_COMMENTS))
        return last

    def _paid_at(self, settlement: str, ends: dt.datetime,
                 confirmed: dt.datetime) -> dt.datetime | None:
        if settlement == "daily":
            paid = confirmed + dt.timedelta(hours=self.uniform(0.1, 3))
        elif settlement == "weekly":
            local = ends.astimezone(LOCAL_TZ)
            friday = local.date() + dt.timedelta(days=(4 - local.weekday()) % 7 or 7)
            paid = dt.datetime.combine(friday, dt.time(18), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
        else:
            paid = confirmed + dt.timedelta(days=self.uniform(1, 5))
        return paid.replace(microsecond=0) if paid < self.base else None

    def _rating(self, app_id: int, rater: str, score: int, after: dt.datetime,
                comment: str) -> None:
        at = min(after + dt.timedelta(hours=self.uniform(0.1, 30)),
                 self.base - dt.timedelta(minutes=1))
        self.add("ratings", id=self.new_id("ratings"), application_id=app_id, rater=rater,
                 score=int(score), comment=comment or None, created_at=at.replace(microsecond=0))

    # -- the view the history generator works from
    def _market_view(self) -> MarketView:
        shifts = self.market.rows["shifts"]
        apps = self.app_shift_worker
        return MarketView(
            start=int((self.base - dt.timedelta(days=HISTORY_DAYS)).timestamp()),
            end=int(self.base.timestamp()),
            worker_ids=np.array([w.id for w in self.workers], dtype=np.int64),
            worker_category=np.array([w.category for w in self.workers], dtype=np.int64),
            shift_ids=np.array([s["id"] for s in shifts], dtype=np.int64),
            shift_category=np.array([CATEGORY_CODES.index(s["category"]) for s in shifts],
                                    dtype=np.int64),
            shift_posted=np.array([int(s["posted_at"].timestamp()) for s in shifts],
                                  dtype=np.int64),
            shift_starts=np.array([int(s["starts_at"].timestamp()) for s in shifts],
                                  dtype=np.int64),
            app_worker=np.array([a[1] for a in apps], dtype=np.int64),
            app_shift=np.array([a[0] for a in apps], dtype=np.int64),
            app_created=np.array([a[2] for a in apps], dtype=np.int64),
            app_source=[m[0] for m in self.app_meta],
            app_steps=[m[1] for m in self.app_meta],
        )


# --------------------------------------------------------------------------- writing

TABLE_ORDER = (
    "firms", "users", "worker_profiles", "worker_skills", "worker_certificates",
    "weekly_availability", "shifts", "shift_skills", "shift_certificates", "applications",
    "attendance", "ratings", "audit_log", "notifications",
)
ID_TABLES = {"users": User, "firms": Firm, "shifts": Shift, "applications": Application,
             "ratings": Rating, "weekly_availability": WeeklyAvailability,
             "audit_log": AuditLog, "notifications": Notification}
TABLES: dict[str, Table] = {
    "firms": Firm.__table__, "users": User.__table__,
    "worker_profiles": WorkerProfile.__table__, "worker_skills": worker_skills,
    "worker_certificates": worker_certificates,
    "weekly_availability": WeeklyAvailability.__table__, "shifts": Shift.__table__,
    "shift_skills": shift_skills, "shift_certificates": shift_certificates,
    "applications": Application.__table__, "attendance": Attendance.__table__,
    "ratings": Rating.__table__, "audit_log": AuditLog.__table__,
    "notifications": Notification.__table__,
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
_SIZES = _Weighted({"micro": 30, "small": 40, "medium": 22, "large": 8})
_SIZE_WEIGHT = {"micro": 1.0, "small": 2.0, "medium": 4.0, "large": 8.0}
_LOCAL_DISTRICTS = _Weighted(N.LOCAL_DISTRICT_WEIGHTS)
_MIGRANT_DISTRICTS = _Weighted(N.MIGRANT_DISTRICT_WEIGHTS)
_LABOR_BASES = _Weighted([((p, b), w) for p, b, w in N.LABOR_BASES])
_OTHER_PROVINCES = [p for p in PROVINCES if p != "山东"]
_FIRM_SCORES = _Weighted({5: 55, 4: 30, 3: 10, 2: 4, 1: 1})
_WORKER_SCORES = _Weighted({5: 50, 4: 32, 3: 12, 2: 4, 1: 2})
_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "150", "151", "152",
                   "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "198", "199")
_DAY = 60
_AVAILABILITY_PATTERNS: tuple[tuple[tuple[int, int, int], ...], ...] = (
    tuple((d, 7 * _DAY, 19 * _DAY) for d in range(5)),  # weekdays, daytime
    tuple((d, 6 * _DAY, 22 * _DAY) for d in (5, 6)),  # weekends only
    tuple((d, 17 * _DAY, 23 * _DAY) for d in range(5))
    + tuple((d, 8 * _DAY, 22 * _DAY) for d in (5, 6)),  # evenings and weekends
    tuple((d, 4 * _DAY, 20 * _DAY) for d in range(7)),  # early risers, every day
    tuple((d, 0, 24 * _DAY) for d in range(6)),  # any time except Sunday
)
