"""The history bundle: a directory of three UTF-8 CSV files with a header row.

``workers.csv``: worker_id, skills, certificates, lat, lon, max_commute_km, min_daily_pay,
origin_province, registered_at

``shifts.csv``: shift_id, firm_id, category, skills, certificates, lat, lon, start_at, end_at,
headcount, daily_pay, meals, housing, posted_at

``events.csv``: at, worker_id, shift_id, kind, position

Lists are ``|``-separated codes; times are ISO 8601 with a UTC offset (written in Asia/Shanghai,
``+08:00``); pay is in yuan per day (a decimal number); meals/housing are ``true``/``false``
(``1``/``0``/``yes``/``no`` are accepted); ``kind`` is one of impression, view, apply, offer,
hire, complete, no_show, withdraw, decline; ``position`` (1-based) is set for impressions and
empty otherwise. Empty lat/lon mean unknown; an empty commute radius reads as 15 km and an empty
minimum pay as 0. Weekly availability and ratings are not part of the bundle: workers read from
a bundle are treated as always available.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import numpy as np

from marketplace.ranking.market import KIND_CODE, KINDS, Events, Market, Shifts, Workers

WORKER_COLUMNS = ("worker_id", "skills", "certificates", "lat", "lon", "max_commute_km",
                  "min_daily_pay", "origin_province", "registered_at")
SHIFT_COLUMNS = ("shift_id", "firm_id", "category", "skills", "certificates", "lat", "lon",
                 "start_at", "end_at", "headcount", "daily_pay", "meals", "housing", "posted_at")
EVENT_COLUMNS = ("at", "worker_id", "shift_id", "kind", "position")
TZ = dt.timezone(dt.timedelta(hours=8))
_TRUE = {"1", "true", "yes", "y", "t"}


class BundleError(ValueError):
    pass


def _iso(t: int) -> str:
    return dt.datetime.fromtimestamp(int(t), TZ).isoformat()


def _epoch(s: str) -> int:
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        raise BundleError(f"time without a UTC offset: {s!r}")
    return int(t.timestamp())


def _num(s: str) -> str:
    if s is None or np.isnan(s):
        return ""
    f = float(s)
    return str(int(f)) if f.is_integer() else repr(f)


def _list(codes) -> str:
    return "|".join(codes)


def _split(s: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in s.split("|") if c.strip()) if s else ()


def write_bundle(market: Market, directory: str | os.PathLike) -> Path:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    W, S, E = market.workers, market.shifts, market.events
    with open(d / "workers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(WORKER_COLUMNS)
        for i in range(len(W)):
            w.writerow((int(W.worker_id[i]), _list(W.skills[i]), _list(W.certificates[i]),
                        _num(W.lat[i]), _num(W.lon[i]), _num(W.max_commute_km[i]),
                        _num(W.min_daily_pay[i]), W.origin_province[i] or "",
                        _iso(W.registered_at[i])))
    with open(d / "shifts.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SHIFT_COLUMNS)
        for i in range(len(S)):
            w.writerow((int(S.shift_id[i]), int(S.firm_id[i]), S.category[i], _list(S.skills[i]),
                        _list(S.certificates[i]), _num(S.lat[i]), _num(S.lon[i]),
                        _iso(S.start_at[i]), _iso(S.end_at[i]), int(S.headcount[i]),
                        _num(S.daily_pay[i]), "true" if S.meals[i] else "false",
                        "true" if S.housing[i] else "false", _iso(S.posted_at[i])))
    # events: format times once per distinct second (many events share them)
    uniq, inv = np.unique(E.at, return_inverse=True)
    times = [_iso(t) for t in uniq]
    kinds = np.array(KINDS, dtype=object)[E.kind]
    with open(d / "events.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(EVENT_COLUMNS) + "\n")
        fh.writelines(
            f"{times[ix]},{wid},{sid},{k},{p if p > 0 else ''}\n"
            for ix, wid, sid, k, p in zip(inv.tolist(), E.worker_id.tolist(),
                                          E.shift_id.tolist(), kinds.tolist(),
                                          E.position.tolist(), strict=True))
    return d


def _rows(path: Path, columns: tuple[str, ...]):
    if not path.exists():
        raise BundleError(f"missing {path.name}")
    fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    try:
        r = csv.reader(fh)
        header = [h.strip() for h in next(r, [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise BundleError(f"{path.name}: missing columns {', '.join(missing)}")
        idx = [header.index(c) for c in columns]
        for line, row in enumerate(r, start=2):
            if not row:
                continue
            try:
                yield [row[i].strip() for i in idx]
            except IndexError as exc:
                raise BundleError(f"{path.name}:{line}: too few fields") from exc
    finally:
        fh.close()


def _f(s: str, default=np.nan) -> float:
    return float(s) if s != "" else default


def read_bundle(directory: str | os.PathLike) -> Market:
    d = Path(directory)
    wr = list(_rows(d / "workers.csv", WORKER_COLUMNS))
    workers = Workers(
        worker_id=np.array([int(r[0]) for r in wr], dtype=np.int64),
        skills=[_split(r[1]) for r in wr], certificates=[_split(r[2]) for r in wr],
        lat=np.array([_f(r[3]) for r in wr]), lon=np.array([_f(r[4]) for r in wr]),
        max_commute_km=np.array([_f(r[5], 15.0) for r in wr]),
        min_daily_pay=np.array([_f(r[6], 0.0) for r in wr]),
        origin_province=np.array([r[7] for r in wr], dtype=object),
        registered_at=np.array([_epoch(r[8]) for r in wr], dtype=np.int64))
    sr = list(_rows(d / "shifts.csv", SHIFT_COLUMNS))
    shifts = Shifts(
        shift_id=np.array([int(r[0]) for r in sr], dtype=np.int64),
        firm_id=np.array([int(r[1]) for r in sr], dtype=np.int64),
        category=np.array([r[2] for r in sr], dtype=object),
        skills=[_split(r[3]) for r in sr], certificates=[_split(r[4]) for r in sr],
        lat=np.array([_f(r[5]) for r in sr]), lon=np.array([_f(r[6]) for r in sr]),
        start_at=np.array([_epoch(r[7]) for r in sr], dtype=np.int64),
        end_at=np.array([_epoch(r[8]) for r in sr], dtype=np.int64),
        headcount=np.array([int(r[9] or 1) for r in sr], dtype=np.int64),
        daily_pay=np.array([_f(r[10], 0.0) for r in sr]),
        meals=np.array([r[11].lower() in _TRUE for r in sr], dtype=bool),
        housing=np.array([r[12].lower() in _TRUE for r in sr], dtype=bool),
        posted_at=np.array([_epoch(r[13]) for r in sr], dtype=np.int64))
    cache: dict[str, int] = {}
    at, wid, sid, kind, pos = [], [], [], [], []
    for line, r in enumerate(_rows(d / "events.csv", EVENT_COLUMNS), start=2):
        t = cache.get(r[0])
        if t is None:
            t = cache[r[0]] = _epoch(r[0])
        k = KIND_CODE.get(r[3])
        if k is None:
            raise BundleError(f"events.csv:{line}: unknown kind {r[3]!r}")
        at.append(t)
        wid.append(int(r[1]))
        sid.append(int(r[2]))
        kind.append(k)
        pos.append(int(r[4]) if r[4] else 0)
    events = Events(np.array(at, dtype=np.int64), np.array(wid, dtype=np.int64),
                    np.array(sid, dtype=np.int64), np.array(kind, dtype=np.int8),
                    np.array(pos, dtype=np.int32)).sorted()
    return Market(workers=workers, shifts=shifts, events=events)
