"""Figures of the labor bases: arrivals, placements and retention, by base and province over
time, for administrators (every base) and partner organisations (their own base only).

Definitions (also shown on the figures page and in the API):
- **Arrivals**: the headcount of the registered (not cancelled) cohorts, in the period of their
  arrival date; **cohorts** counts them.
- **Placements**: applications of the base's workers (workers whose profile is tagged with the
  base) that were confirmed, checked in or completed, in the period of the shift's start.
  No-shows and cancelled or withdrawn places do not count.
- **Retention (30 days)**: of the cohort members who accepted their base's tag and arrived at
  least 30 days ago, the share who still work through the exchange 30 days after arrival: a
  confirmed, checked-in or completed shift starting on or after the 30th day after arrival.
  Counted in the period of the cohort's arrival (a cohort view).
- **Second shift**: of the same members, the share who completed at least two shifts that
  started on or after their arrival date.
Dates are local (Asia/Shanghai); weeks are ISO weeks (Monday to Sunday).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.errors import N_, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.laborbases.models import (
    Cohort,
    CohortMember,
    CohortStatus,
    LaborBase,
    MemberStatus,
)
from marketplace.laborbases.services import partner_base, today_local
from marketplace.shifts.models import Application
from marketplace.shifts.states import BOOKED, AppStatus
from marketplace.timeutil import LOCAL_TZ, to_local
from marketplace.validators import EARLIEST_DATE, LATEST_DATE, date_in_range
from marketplace.workers.models import WorkerProfile

GRANULARITIES = ("month", "week")
RETENTION_DAYS = 30
MAX_PERIODS = {"month": 60, "week": 106}
DEFAULT_SPAN = {"month": (11, 2), "week": (11, 4)}  # periods before / after the current one
PLACED = sorted(BOOKED)  # confirmed, checked in, completed
CHUNK = 1000


@dataclass
class Tally:
    cohorts: int = 0
    arrivals: int = 0
    placements: int = 0
    eligible: int = 0  # accepted members who arrived at least 30 days ago
    retained: int = 0  # ... still working 30 days after arrival
    second: int = 0  # ... who completed two shifts since arrival

    @property
    def retention_rate(self) -> float | None:
        return round(self.retained / self.eligible, 4) if self.eligible else None

    @property
    def second_rate(self) -> float | None:
        return round(self.second / self.eligible, 4) if self.eligible else None

    @property
    def empty(self) -> bool:
        return not (self.cohorts or self.arrivals or self.placements or self.eligible)

    def add(self, other: Tally) -> None:
        for name in ("cohorts", "arrivals", "placements", "eligible", "retained", "second"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {"cohorts": self.cohorts, "arrivals": self.arrivals,
                "placements": self.placements, "retention_eligible": self.eligible,
                "retained_30d": self.retained, "retention_30d": self.retention_rate,
                "second_shift": self.second, "second_shift_rate": self.second_rate}


@dataclass
class Period:
    key: str
    start: dt.date
    end: dt.date  # inclusive
    tally: Tally = field(default_factory=Tally)


@dataclass
class Figures:
    granularity: str
    start: dt.date
    end: dt.date
    today: dt.date
    periods: list[Period]
    bases: list[tuple[LaborBase, Tally]]
    provinces: list[tuple[str, Tally]]
    cells: dict[tuple[int, str], Tally]  # (base id, period key) -> tally
    total: Tally
    scope_base: LaborBase | None = None


# --------------------------------------------------------------------------- periods


def period_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == "month":
        return day.replace(day=1)
    return day - dt.timedelta(days=day.weekday())


def next_period(start: dt.date, granularity: str) -> dt.date:
    if granularity == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=7)


def period_key(start: dt.date, granularity: str) -> str:
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def shift_periods(start: dt.date, count: int, granularity: str) -> dt.date:
    """The start of the period `count` periods after (or before, if negative) `start`."""
    if granularity == "month":
        months = start.year * 12 + start.month - 1 + count
        return dt.date(months // 12, months % 12 + 1, 1)
    return start + dt.timedelta(days=7 * count)


def default_range(today: dt.date, granularity: str) -> tuple[dt.date, dt.date]:
    before, after = DEFAULT_SPAN[granularity]
    current = period_start(today, granularity)
    first = shift_periods(current, -before, granularity)
    last = shift_periods(current, after + 1, granularity) - dt.timedelta(days=1)
    return first, last


def build_periods(start: dt.date, end: dt.date, granularity: str) -> list[Period]:
    periods, begin = [], period_start(start, granularity)
    while begin <= end:
        following = next_period(begin, granularity)
        periods.append(Period(period_key(begin, granularity), begin,
                              following - dt.timedelta(days=1)))
        begin = following
    return periods


# --------------------------------------------------------------------------- computing


def _scope(actor: User, base_id: int | None, province: str | None) -> tuple[list[LaborBase],
                                                                            LaborBase | None]:
    """The bases the figures cover. A partner always gets its own base; naming another base is
    'not found' (the same answer as for a base that does not exist)."""
    if actor.role == Role.PARTNER and actor.labor_base_id is not None:
        if base_id is not None and base_id != actor.labor_base_id:
            raise NotFound(N_("Labor base not found"))
        own = partner_base(actor)
        return [own], own
    if actor.role != Role.ADMIN:
        raise NotFound(N_("Not found"))
    query = select(LaborBase).order_by(LaborBase.province, LaborBase.name)
    if base_id is not None:
        query = query.where(LaborBase.id == base_id)
    if province:
        query = query.where(LaborBase.province == province)
    bases = list(db.session.scalars(query))
    if base_id is not None and not bases:
        raise NotFound(N_("Labor base not found"))
    return bases, (bases[0] if base_id is not None else None)


def compute(*, actor: User, granularity: str = "month", start: dt.date | None = None,
            end: dt.date | None = None, base_id: int | None = None,
            province: str | None = None, today: dt.date | None = None) -> Figures:
    if granularity not in GRANULARITIES:
        raise ValidationFailed(N_("Choose month or week"),
                               fields={"granularity": [N_("Choose month or week")]})
    today = today or today_local()
    bases, scope_base = _scope(actor, base_id, province)
    first, last = default_range(today, granularity)
    start, end = start or first, end or last
    if start > end:
        raise ValidationFailed(N_("The start must not be after the end"),
                               fields={"start": [N_("The start must not be after the end")]})
    periods = build_periods(start, end, granularity)
    if len(periods) > MAX_PERIODS[granularity]:
        message = N_("At most %(n)d periods at a time", n=MAX_PERIODS[granularity])
        raise ValidationFailed(message, fields={"start": [message]})
    start, end = periods[0].start, periods[-1].end
    key_of = {p.start: p.key for p in periods}

    def key(day: dt.date) -> str:
        return key_of[period_start(day, granularity)]

    base_ids = [b.id for b in bases]
    cells: dict[tuple[int, str], Tally] = defaultdict(Tally)
    if base_ids:
        _arrivals(cells, base_ids, start, end, key)
        _placements(cells, base_ids, start, end, key)
        _retention(cells, base_ids, start, end, key, today)
    by_period = {p.key: p for p in periods}
    by_base = {b.id: Tally() for b in bases}
    by_province: dict[str, Tally] = {}
    total = Tally()
    base_of = {b.id: b for b in bases}
    for (bid, pkey), tally in cells.items():
        by_period[pkey].tally.add(tally)
        by_base[bid].add(tally)
        by_province.setdefault(base_of[bid].province, Tally()).add(tally)
        total.add(tally)
    for base in bases:
        by_province.setdefault(base.province, Tally())
    ranked_bases = sorted(((base_of[b], t) for b, t in by_base.items()),
                          key=lambda bt: (-bt[1].arrivals, -bt[1].placements, bt[0].province,
                                          bt[0].name))
    ranked_provinces = sorted(by_province.items(),
                              key=lambda pt: (-pt[1].arrivals, -pt[1].placements, pt[0]))
    return Figures(granularity=granularity, start=start, end=end, today=today,
                   periods=periods, bases=ranked_bases, provinces=ranked_provinces,
                   cells=dict(cells), total=total, scope_base=scope_base)


def _arrivals(cells, base_ids, start, end, key) -> None:
    rows = db.session.execute(
        select(Cohort.labor_base_id, Cohort.arrival_date, Cohort.headcount).where(
            Cohort.labor_base_id.in_(base_ids), Cohort.status == CohortStatus.REGISTERED,
            Cohort.arrival_date >= start, Cohort.arrival_date <= end))
    for base_id, arrival, headcount in rows:
        tally = cells[(base_id, key(arrival))]
        tally.cohorts += 1
        tally.arrivals += headcount


def _utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    begin = dt.datetime.combine(start, dt.time(), tzinfo=LOCAL_TZ)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return begin.astimezone(dt.UTC), stop.astimezone(dt.UTC)


def _placements(cells, base_ids, start, end, key) -> None:
    begin, stop = _utc_bounds(start, end)
    rows = db.session.execute(
        select(WorkerProfile.labor_base_id, Application.starts_at)
        .join(WorkerProfile, WorkerProfile.user_id == Application.worker_id)
        .where(WorkerProfile.labor_base_id.in_(base_ids), Application.status.in_(PLACED),
               Application.starts_at >= begin, Application.starts_at < stop))
    for base_id, starts_at in rows:
        cells[(base_id, key(to_local(starts_at).date()))].placements += 1


def _retention(cells, base_ids, start, end, key, today: dt.date) -> None:
    members = db.session.execute(
        select(CohortMember.worker_id, Cohort.labor_base_id, Cohort.arrival_date)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.labor_base_id.in_(base_ids), Cohort.status == CohortStatus.REGISTERED,
               CohortMember.status == MemberStatus.ACCEPTED,
               Cohort.arrival_date >= start, Cohort.arrival_date <= end,
               Cohort.arrival_date <= today - dt.timedelta(days=RETENTION_DAYS))).all()
    if not members:
        return
    worker_ids = sorted({m.worker_id for m in members})
    earliest, _ = _utc_bounds(min(m.arrival_date for m in members), today)
    shifts: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for begin in range(0, len(worker_ids), CHUNK):
        chunk = worker_ids[begin:begin + CHUNK]
        for worker_id, starts_at, status in db.session.execute(
                select(Application.worker_id, Application.starts_at, Application.status)
                .where(Application.worker_id.in_(chunk), Application.status.in_(PLACED),
                       Application.starts_at >= earliest)):
            shifts[worker_id].append((to_local(starts_at).date(), status))
    for worker_id, base_id, arrival in members:
        tally = cells[(base_id, key(arrival))]
        tally.eligible += 1
        later = arrival + dt.timedelta(days=RETENTION_DAYS)
        mine = shifts.get(worker_id, [])
        if any(day >= later for day, _status in mine):
            tally.retained += 1
        if sum(1 for day, status in mine
               if day >= arrival and status == AppStatus.COMPLETED) >= 2:
            tally.second += 1


# --------------------------------------------------------------------------- chart


@dataclass
class Chart:
    """Geometry of the server-drawn SVG chart (rendered by templates/laborbases/_chart.html):
    bars for arrivals and placements, a line for the 30-day retention rate."""

    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    y_max: int
    y_ticks: list[tuple[float, int]]  # (y, value)
    bars: list[dict]
    line: str  # SVG points of the retention line ("x,y x,y")
    dots: list[dict]
    labels: list[dict]


def nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


def chart(periods: list[Period]) -> Chart:
    width, height, left, right, top, bottom = 720, 260, 44, 40, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(p.tally.arrivals, p.tally.placements) for p in periods] + [0])
    y_max = nice_max(peak)
    slot = plot_w / max(len(periods), 1)
    bar_w = max(min(slot * 0.36, 28), 1.5)
    label_every = max(1, -(-len(periods) // 12))
    bars, dots, labels, points = [], [], [], []

    def y_of(value: float) -> float:
        return round(top + plot_h - plot_h * value / y_max, 1)

    for n, period in enumerate(periods):
        x = left + slot * n + slot / 2
        for offset, value, kind in ((-bar_w, period.tally.arrivals, "arrivals"),
                                    (0.0, period.tally.placements, "placements")):
            y = y_of(value)
            bars.append({"x": round(x + offset, 1), "y": y, "w": round(bar_w, 1),
                         "h": round(top + plot_h - y, 1), "kind": kind, "value": value,
                         "period": period.key})
        rate = period.tally.retention_rate
        if rate is not None:
            py = round(top + plot_h - plot_h * rate, 1)
            points.append(f"{round(x, 1)},{py}")
            dots.append({"x": round(x, 1), "y": py, "pct": round(rate * 100),
                         "period": period.key})
        if n % label_every == 0:
            labels.append({"x": round(x, 1), "text": period.key})
    ticks = [(y_of(y_max * i / 4), round(y_max * i / 4)) for i in range(5)]
    return Chart(width, height, left, top, plot_w, plot_h, y_max, ticks, bars,
                 " ".join(points), dots, labels)


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = ("level", "period", "period_start", "period_end", "province", "labor_base",
               "kind", "cohorts", "arrivals", "placements", "retention_eligible",
               "retained_30d", "retention_30d_rate", "second_shift", "second_shift_rate")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(figures: Figures) -> str:
    """One row per base and period, per province and period, and per period for everything in
    scope (level = base / province / all); only periods with something to count. UTF-8 with a
    byte-order mark so that Excel reads the Chinese names."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    bases = {b.id: b for b, _tally in figures.bases}

    def row(level: str, period: Period, province: str, base: LaborBase | None,
            tally: Tally) -> None:
        rate = tally.retention_rate
        second = tally.second_rate
        writer.writerow([_cell(v) for v in (
            level, period.key, period.start.isoformat(), period.end.isoformat(), province,
            base.name if base else "", base.kind if base else "", tally.cohorts,
            tally.arrivals, tally.placements, tally.eligible, tally.retained,
            "" if rate is None else f"{rate:.4f}", tally.second,
            "" if second is None else f"{second:.4f}")])

    for period in figures.periods:
        provinces: dict[str, Tally] = {}
        for base in sorted(bases.values(), key=lambda b: (b.province, b.name)):
            tally = figures.cells.get((base.id, period.key))
            if tally is None or tally.empty:
                continue
            row("base", period, base.province, base, tally)
            provinces.setdefault(base.province, Tally()).add(tally)
        for province, tally in sorted(provinces.items()):
            row("province", period, province, None, tally)
        if not period.tally.empty:
            row("all", period, "", None, period.tally)
    return out.getvalue()


def parse_day(value: str | None, field_name: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        message = N_("Enter a date like 2026-03-01")
        raise ValidationFailed(message, fields={field_name: [message]}) from exc
    if not date_in_range(day):
        message = N_("Enter a date between %(first)s and %(last)s",
                     first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat())
        raise ValidationFailed(message, fields={field_name: [message]})
    return day
