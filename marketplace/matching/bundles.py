"""History bundles and the database: `flask ranker import` and `flask ranker evaluate`.

A bundle (see ``marketplace.ranking.bundle`` and the README, "History bundle format") is three
CSV files: workers, shifts and events. ``import_bundle`` loads one into the database in bulk:

* one verified firm per distinct ``firm_id`` ("导入企业 <id>", a valid credit code);
* one worker account per worker (a generated unique 170… phone number, an unusable random
  password: imported workers sign in only after an operator resets it) with its profile;
* the shifts (pay per day, daily settlement, open if not started yet, else completed);
* every event, with bundle ids mapped to database ids;
* the applications the events imply, replayed in time order: apply → applied, offer → offered,
  hire → confirmed, complete → completed (with attendance), no_show → no_show, withdraw →
  withdrawn, decline → declined. A hire that would put a shift over its headcount or the worker
  on two overlapping booked shifts is skipped (counted in the result), like the live service
  would refuse it; ``Shift.filled`` counts the seat-holding applications.

A second import of the same bundle (same SHA-256 of the three files) is refused. The id
mapping is kept in the ``ranker.import`` audit log entry as runs: for each of firms, workers and
shifts, the bundle's distinct ids in ascending order map to the database ids described by
``[[first_index, first_db_id, length], …]`` (almost always one run). ``id_mapping`` expands it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import os
import secrets
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from marketplace.audit.models import AuditLog
from marketplace.audit.services import record
from marketplace.auth.models import Role, User, UserStatus
from marketplace.auth.passwords import hash_password
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.firms.models import Firm, Verification
from marketplace.matching.models import MatchEvent
from marketplace.ranking.bundle import BundleError, read_bundle
from marketplace.ranking.market import (
    APPLY,
    COMPLETE,
    DECLINE,
    ENGAGED,
    HIRE,
    KINDS,
    NO_SHOW,
    OFFER,
    WITHDRAW,
    Market,
    haversine_km,
)
from marketplace.shifts.models import (
    Application,
    Attendance,
    PayUnit,
    Settlement,
    Shift,
    ShiftStatus,
    shift_certificates,
    shift_skills,
)
from marketplace.shifts.states import AppStatus
from marketplace.taxonomy import CATEGORIES, DISTRICTS
from marketplace.validators import CREDIT_CODE_ALPHABET, make_credit_code
from marketplace.workers.models import WorkerProfile, worker_certificates, worker_skills

CHUNK = 5000
BUNDLE_FILES = ("workers.csv", "shifts.csv", "events.csv")
IMPORT_ACTION = "ranker.import"
SOURCE = "import"
PHONE_PREFIX = "170"  # virtual-operator numbers, never a real imported person's phone
CREDIT_PREFIX = "91371000MA"  # Weihai division code; 7 random characters and a check character
_CATEGORY_LABEL = {t.code: t.zh for t in CATEGORIES}
_DISTRICT_LAT = np.array([d.lat for d in DISTRICTS])
_DISTRICT_LON = np.array([d.lon for d in DISTRICTS])


class InvalidBundle(DomainError):
    status = 422
    code = "invalid_bundle"


class AlreadyImported(DomainError):
    status = 409
    code = "bundle_already_imported"


class NothingToEvaluate(DomainError):
    status = 409
    code = "nothing_to_evaluate"


# --------------------------------------------------------------------------- reading


def load_bundle(directory: str | os.PathLike) -> Market:
    """Read a bundle; every problem with it becomes an InvalidBundle with a plain message."""
    path = Path(directory)
    if not path.is_dir():
        raise InvalidBundle(f"{path} is not a directory")
    try:
        return read_bundle(path)
    except BundleError as error:
        raise InvalidBundle(f"{path}: {error}") from error
    except UnicodeDecodeError as error:
        raise InvalidBundle(f"{path}: the files must be UTF-8 ({error.reason})") from error
    except (ValueError, TypeError, csv.Error) as error:  # int()/float()/... on a bad field
        raise InvalidBundle(f"{path}: a value could not be read ({error})") from error


def fingerprint(directory: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    for name in BUNDLE_FILES:
        digest.update(name.encode())
        with open(Path(directory) / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def parse_time(value: str) -> int:
    """Epoch seconds of an ISO 8601 time that carries its UTC offset."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidBundle(f"{value!r} is not an ISO 8601 time") from error
    if parsed.tzinfo is None:
        raise InvalidBundle(f"{value!r} has no UTC offset (write e.g. {value}+08:00)")
    return int(parsed.timestamp())


# --------------------------------------------------------------------------- evaluate


def evaluate_history(*, data: str | os.PathLike | None, split_at: str | None,
                     seed: int = 0) -> dict:
    """Train a fresh model before the split and compare it with the baselines after it.

    ``data`` is a bundle directory, or None for the database's own history. ``split_at`` is an
    ISO 8601 time with offset; None means 7 days before the newest event. Nothing is written:
    neither to the database nor to the model directory.
    """
    from marketplace.ranking.evaluation import evaluate

    if data is not None:
        market = load_bundle(data)
    else:
        from marketplace.matching.export import full_market

        market = full_market()
    ev = market.events
    if len(ev) == 0:
        raise NothingToEvaluate("The history has no events")
    split = (parse_time(split_at) if split_at is not None
             else int(ev.at.max()) - 7 * 86400)
    when = dt.datetime.fromtimestamp(split, dt.UTC).isoformat()
    if not (ev.at < split).any():
        raise NothingToEvaluate(f"No events before {when}: there is nothing to train on; "
                                "choose a later --split-at")
    after = ev.at >= split
    if not (after & np.isin(ev.kind, ENGAGED)).any():
        raise NothingToEvaluate(f"No apply-or-later events at or after {when}; "
                                "choose an earlier --split-at")
    if not (market.shifts.posted_at >= split).any():
        raise NothingToEvaluate(f"No shifts posted at or after {when}; "
                                "choose an earlier --split-at")
    return evaluate(market, split, seed=seed)


# --------------------------------------------------------------------------- import


def _nearest_district(lat: np.ndarray, lon: np.ndarray) -> list[str | None]:
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if len(lat) == 0:
        return []
    d = haversine_km(lat[:, None], lon[:, None], _DISTRICT_LAT[None, :], _DISTRICT_LON[None, :])
    best = np.argmin(np.where(np.isnan(d), np.inf, d), axis=1)
    known = ~(np.isnan(lat) | np.isnan(lon))
    return [DISTRICTS[b].code if ok else None for b, ok in zip(best.tolist(), known.tolist(),
                                                                strict=True)]


def _when(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(t), dt.UTC)


def _check(market: Market) -> None:
    """Refuse what the database would refuse, with a message that names the row."""
    W, S, E = market.workers, market.shifts, market.events
    problems: list[str] = []

    def first(mask: np.ndarray, ids: np.ndarray, what: str) -> None:
        bad = np.flatnonzero(mask)
        if len(bad):
            problems.append(f"{what} (e.g. id {int(ids[bad[0]])}, {len(bad)} rows)")

    if len(W) == 0 or len(S) == 0:
        problems.append("the bundle needs at least one worker and one shift")
    if len(np.unique(W.worker_id)) != len(W):
        problems.append("workers.csv: duplicate worker_id")
    if len(np.unique(S.shift_id)) != len(S):
        problems.append("shifts.csv: duplicate shift_id")
    first(S.end_at <= S.start_at, S.shift_id, "shifts.csv: end_at not after start_at")
    first(S.headcount < 1, S.shift_id, "shifts.csv: headcount below 1")
    first(~(np.round(S.daily_pay * 100) >= 1), S.shift_id, "shifts.csv: daily_pay not positive")
    first(np.isnan(S.lat) | np.isnan(S.lon), S.shift_id, "shifts.csv: lat/lon missing")
    first(W.min_daily_pay < 0, W.worker_id, "workers.csv: negative min_daily_pay")
    first(np.isnan(W.lat) != np.isnan(W.lon), W.worker_id, "workers.csv: only one of lat/lon")
    long_codes = [c for codes in (*W.skills, *W.certificates, *S.skills, *S.certificates)
                  for c in codes if len(c) > 40]
    if long_codes:
        problems.append(f"a skill or certificate code is longer than 40 characters: "
                        f"{long_codes[0][:50]!r}")
    if any(len(c) > 40 for c in S.category):
        problems.append("shifts.csv: a category is longer than 40 characters")
    if any(len(p or "") > 20 for p in W.origin_province):
        problems.append("workers.csv: an origin_province is longer than 20 characters")
    unknown_w = ~np.isin(E.worker_id, W.worker_id)
    unknown_s = ~np.isin(E.shift_id, S.shift_id)
    if unknown_w.any():
        problems.append(f"events.csv: {int(unknown_w.sum())} events name a worker_id not in "
                        f"workers.csv (e.g. {int(E.worker_id[unknown_w][0])})")
    if unknown_s.any():
        problems.append(f"events.csv: {int(unknown_s.sum())} events name a shift_id not in "
                        f"shifts.csv (e.g. {int(E.shift_id[unknown_s][0])})")
    if problems:
        raise InvalidBundle("; ".join(dict.fromkeys(problems)))


def previous_import(digest: str) -> AuditLog | None:
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == IMPORT_ACTION))
    return next((e for e in entries if (e.details or {}).get("fingerprint") == digest), None)


def _runs(db_ids: list[int]) -> list[list[int]]:
    """Compress db ids listed in bundle order into [first_index, first_db_id, length] runs."""
    runs: list[list[int]] = []
    for i, value in enumerate(db_ids):
        if runs and runs[-1][1] + runs[-1][2] == value and runs[-1][0] + runs[-1][2] == i:
            runs[-1][2] += 1
        else:
            runs.append([i, value, 1])
    return runs


def id_mapping(entry: AuditLog, market: Market) -> dict[str, dict[int, int]]:
    """Bundle id → database id for firms, workers and shifts of an imported bundle."""
    keys = {"firms": np.unique(market.shifts.firm_id), "workers": np.sort(market.workers.worker_id),
            "shifts": np.sort(market.shifts.shift_id)}
    out: dict[str, dict[int, int]] = {}
    for name, ids in keys.items():
        mapping: dict[int, int] = {}
        for start, first_id, length in entry.details["ids"][name]:
            for k in range(length):
                mapping[int(ids[start + k])] = first_id + k
        out[name] = mapping
    return out


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), CHUNK):
        ids.extend(db.session.scalars(statement, rows[start:start + CHUNK]).all())
    return ids


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start:start + CHUNK])


def _unique_phones(n: int, rng: np.random.Generator) -> list[str]:
    taken = set(db.session.scalars(select(User.phone).where(User.phone.like(f"{PHONE_PREFIX}%"))))
    phones: list[str] = []
    seen = set(taken)
    while len(phones) < n:
        for number in rng.integers(0, 10**8, size=(n - len(phones)) * 2 + 8).tolist():
            phone = f"{PHONE_PREFIX}{number:08d}"
            if phone not in seen:
                seen.add(phone)
                phones.append(phone)
                if len(phones) == n:
                    break
    return phones


def _unique_credit_codes(n: int, rng: np.random.Generator) -> list[str]:
    taken = set(db.session.scalars(select(Firm.credit_code)))
    alphabet = np.array(list(CREDIT_CODE_ALPHABET))
    codes: list[str] = []
    while len(codes) < n:
        body = "".join(alphabet[rng.integers(0, len(alphabet), size=7)])
        code = make_credit_code(CREDIT_PREFIX + body)
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


class _Replay:
    """Applications implied by the events, replayed in time order under the live rules."""

    def __init__(self, market: Market) -> None:
        S = market.shifts
        self.row = {int(s): i for i, s in enumerate(S.shift_id.tolist())}
        self.start = S.start_at.tolist()
        self.end = S.end_at.tolist()
        self.headcount = S.headcount.tolist()
        self.seats = [0] * len(S)
        self.status: dict[tuple[int, int], str] = {}
        self.first_at: dict[tuple[int, int], int] = {}
        self.last_at: dict[tuple[int, int], int] = {}
        self.completed_at: dict[tuple[int, int], int] = {}
        self.blocked: set[tuple[int, int]] = set()
        self.booked: dict[int, set[int]] = defaultdict(set)  # worker → shift rows booked
        self.skipped = Counter()

    def _take_seat(self, key: tuple[int, int], book: bool) -> bool:
        worker, j = key
        if self.seats[j] >= self.headcount[j]:
            self.skipped["shift_full"] += 1
            self.blocked.add(key)
            return False
        if book:
            s, e = self.start[j], self.end[j]
            if any(self.start[o] < e and s < self.end[o] for o in self.booked[worker]):
                self.skipped["double_booking"] += 1
                self.blocked.add(key)
                return False
            self.booked[worker].add(j)
        self.seats[j] += 1
        return True

    def _free(self, key: tuple[int, int]) -> None:
        self.seats[key[1]] -= 1
        self.booked[key[0]].discard(key[1])

    def event(self, at: int, worker: int, shift: int, kind: int) -> None:
        key = (worker, self.row[shift])
        if key in self.blocked:
            return
        state = self.status.get(key)
        new = state
        if kind == APPLY:
            if state in (None, AppStatus.WITHDRAWN, AppStatus.DECLINED):
                new = AppStatus.APPLIED
        elif kind == OFFER:
            if state in (None, AppStatus.APPLIED):
                new = AppStatus.OFFERED
        elif kind == HIRE:
            if state in (None, AppStatus.APPLIED, AppStatus.OFFERED, AppStatus.WITHDRAWN,
                         AppStatus.DECLINED) and self._take_seat(key, book=True):
                new = AppStatus.CONFIRMED
        elif kind == COMPLETE:
            if state == AppStatus.CONFIRMED or (
                    state in (None, AppStatus.APPLIED, AppStatus.OFFERED)
                    and self._take_seat(key, book=True)):
                new = AppStatus.COMPLETED
                self.completed_at[key] = at
        elif kind == NO_SHOW:
            if state == AppStatus.CONFIRMED:
                self.booked[worker].discard(key[1])  # a no-show holds the seat, not the time
                new = AppStatus.NO_SHOW
            elif (state in (None, AppStatus.APPLIED, AppStatus.OFFERED)
                  and self._take_seat(key, book=False)):
                new = AppStatus.NO_SHOW
        elif kind == WITHDRAW:
            if state == AppStatus.CONFIRMED:
                self._free(key)
                new = AppStatus.WITHDRAWN
            elif state in (None, AppStatus.APPLIED, AppStatus.OFFERED):
                new = AppStatus.WITHDRAWN
        elif kind == DECLINE and state in (None, AppStatus.APPLIED, AppStatus.OFFERED):
            new = AppStatus.DECLINED
        if new is None or new == state:
            return
        self.status[key] = new
        self.first_at.setdefault(key, at)
        self.last_at[key] = at


def import_bundle(directory: str | os.PathLike, *, now: dt.datetime | None = None) -> dict:
    """Load a bundle into the database (bulk inserts; flushes, the caller commits).

    Raises InvalidBundle for a bundle the database would refuse and AlreadyImported when the
    same bundle was imported before. Returns counts, the skipped hires and the seconds taken.
    """
    began = time.perf_counter()
    directory = Path(directory)
    market = load_bundle(directory)
    _check(market)
    digest = fingerprint(directory)
    earlier = previous_import(digest)
    if earlier is not None:
        raise AlreadyImported(
            f"This bundle was imported already on {earlier.at:%Y-%m-%d %H:%M} UTC "
            f"(audit entry {earlier.id}); importing it again would duplicate its history")
    now = now or utcnow()
    now_s = int(now.timestamp())
    rng = np.random.default_rng(int(digest[:16], 16))
    W, S, E = market.workers, market.shifts, market.events

    # firms: one per distinct firm_id, placed at the centre of its shifts
    firm_keys = np.unique(S.firm_id)
    firm_of_shift = np.searchsorted(firm_keys, S.firm_id)
    counts = np.bincount(firm_of_shift, minlength=len(firm_keys)).astype(np.float64)
    f_lat = np.bincount(firm_of_shift, weights=S.lat, minlength=len(firm_keys)) / counts
    f_lon = np.bincount(firm_of_shift, weights=S.lon, minlength=len(firm_keys)) / counts
    f_created = np.full(len(firm_keys), np.iinfo(np.int64).max)
    np.minimum.at(f_created, firm_of_shift, S.posted_at)
    industry: list[Counter] = [Counter() for _ in firm_keys]
    for f, category in zip(firm_of_shift.tolist(), S.category.tolist(), strict=True):
        industry[f][category] += 1
    f_district = _nearest_district(f_lat, f_lon)
    codes = _unique_credit_codes(len(firm_keys), rng)
    firm_rows = [
        {"name": f"导入企业 {int(fid)}", "credit_code": codes[i], "size": "small",
         "industry": industry[i].most_common(1)[0][0], "district": f_district[i],
         "address": "", "lat": round(float(f_lat[i]), 6), "lon": round(float(f_lon[i]), 6),
         "verification_status": Verification.VERIFIED.value,
         "verification_note": "历史数据包导入", "verified_at": now,
         "created_at": _when(min(int(f_created[i]), now_s))}
        for i, fid in enumerate(firm_keys.tolist())
    ]
    firm_ids = _insert_returning_ids(Firm, firm_rows)

    # workers: accounts (one unusable password hash for all) and profiles, in bundle-id order
    w_order = np.argsort(W.worker_id, kind="stable")
    password_hash = hash_password(secrets.token_urlsafe(32))
    phones = _unique_phones(len(W), rng)
    user_rows = [
        {"phone": phones[n], "password_hash": password_hash,
         "name": f"导入工人 {int(W.worker_id[i])}", "role": Role.WORKER.value,
         "status": UserStatus.ACTIVE.value, "session_version": 1, "locale": None,
         "firm_id": None, "created_at": _when(W.registered_at[i]), "last_login_at": None}
        for n, i in enumerate(w_order.tolist())
    ]
    user_ids = _insert_returning_ids(User, user_rows)
    worker_db = dict(zip(W.worker_id[w_order].tolist(), user_ids, strict=True))
    w_district = _nearest_district(W.lat[w_order], W.lon[w_order])
    profile_rows, skill_rows, cert_rows = [], [], []
    for n, i in enumerate(w_order.tolist()):
        uid = user_ids[n]
        lat, lon = float(W.lat[i]), float(W.lon[i])
        radius = W.max_commute_km[i]
        profile_rows.append({
            "user_id": uid, "district": w_district[n],
            "home_lat": None if math.isnan(lat) else lat,
            "home_lon": None if math.isnan(lon) else lon,
            "commute_radius_km": int(min(500, max(1, round(radius)))) if not math.isnan(radius)
            else 15,
            "min_daily_pay_fen": round(float(W.min_daily_pay[i]) * 100)
            if not math.isnan(W.min_daily_pay[i]) else 0,
            "origin_province": W.origin_province[i] or None, "labor_base": None, "bio": None,
            "id_number_digest": None, "id_number_masked": None, "priority_group": None,
            "priority_verified": False, "updated_at": _when(W.registered_at[i]),
        })
        skill_rows += [{"worker_id": uid, "code": c} for c in sorted(set(W.skills[i]))]
        cert_rows += [{"worker_id": uid, "code": c} for c in sorted(set(W.certificates[i]))]
    _insert(WorkerProfile, profile_rows)
    _insert(worker_skills, skill_rows)
    _insert(worker_certificates, cert_rows)

    # applications: replay the events in time order (read_bundle sorts them by time, kind)
    replay = _Replay(market)
    engaged = np.isin(E.kind, ENGAGED)
    for at, wid, sid, kind in zip(E.at[engaged].tolist(), E.worker_id[engaged].tolist(),
                                  E.shift_id[engaged].tolist(), E.kind[engaged].tolist(),
                                  strict=True):
        replay.event(at, wid, sid, kind)

    # shifts, with filled = the seat-holding applications
    s_order = np.argsort(S.shift_id, kind="stable")
    s_district = _nearest_district(S.lat[s_order], S.lon[s_order])
    shift_rows = []
    for n, j in enumerate(s_order.tolist()):
        category = str(S.category[j])
        pay = round(float(S.daily_pay[j]) * 100)
        shift_rows.append({
            "firm_id": firm_ids[int(firm_of_shift[j])], "created_by_id": None,
            "title": f"{_CATEGORY_LABEL.get(category, category)}临时工"[:80],
            "category": category, "description": f"历史数据包导入（原编号 {int(S.shift_id[j])}）",
            "district": s_district[n], "address": "",
            "lat": float(S.lat[j]), "lon": float(S.lon[j]),
            "starts_at": _when(S.start_at[j]), "ends_at": _when(S.end_at[j]),
            "headcount": int(S.headcount[j]), "filled": replay.seats[j],
            "pay_amount_fen": pay, "pay_unit": PayUnit.DAY.value, "daily_pay_fen": pay,
            "settlement": Settlement.DAILY.value, "meals": bool(S.meals[j]),
            "housing": bool(S.housing[j]),
            "status": (ShiftStatus.OPEN if S.start_at[j] > now_s else ShiftStatus.COMPLETED).value,
            "posted_at": _when(S.posted_at[j]), "cancelled_at": None, "cancel_reason": None,
        })
    shift_ids = _insert_returning_ids(Shift, shift_rows)
    shift_db_by_row = [0] * len(S)
    for n, j in enumerate(s_order.tolist()):
        shift_db_by_row[j] = shift_ids[n]
    _insert(shift_skills, [{"shift_id": shift_db_by_row[j], "code": c}
                           for j in range(len(S)) for c in sorted(set(S.skills[j]))])
    _insert(shift_certificates, [{"shift_id": shift_db_by_row[j], "code": c}
                                 for j in range(len(S)) for c in sorted(set(S.certificates[j]))])

    # applications and the attendance of completed ones
    keys = sorted(replay.status, key=lambda k: (replay.first_at[k], k))
    app_rows = [
        {"shift_id": shift_db_by_row[j], "worker_id": worker_db[w],
         "status": replay.status[(w, j)].value, "starts_at": _when(replay.start[j]),
         "ends_at": _when(replay.end[j]), "source": SOURCE, "note": None,
         "created_at": _when(replay.first_at[(w, j)]),
         "updated_at": _when(replay.last_at[(w, j)])}
        for w, j in keys
    ]
    app_ids = _insert_returning_ids(Application, app_rows)
    attendance_rows = []
    for app_id, key in zip(app_ids, keys, strict=True):
        if replay.status[key] != AppStatus.COMPLETED:
            continue
        j = key[1]
        attendance_rows.append({
            "application_id": app_id, "checked_in_at": _when(replay.start[j]),
            "checked_out_at": _when(replay.end[j]),
            "minutes_worked": (replay.end[j] - replay.start[j]) // 60, "pieces": None,
            "pay_due_fen": round(float(S.daily_pay[j]) * 100),
            "confirmed_at": _when(max(replay.completed_at[key], replay.end[j])),
            "paid_at": None,
        })
    _insert(Attendance, attendance_rows)

    # events, ids mapped; times formatted once per distinct second
    uniq, inv = np.unique(E.at, return_inverse=True)
    times = [_when(t) for t in uniq.tolist()]
    shift_row = np.searchsorted(S.shift_id[s_order], E.shift_id)
    e_shift = np.array(shift_ids, dtype=np.int64)[shift_row]
    w_sorted = W.worker_id[w_order]
    e_worker = np.array(user_ids, dtype=np.int64)[np.searchsorted(w_sorted, E.worker_id)]
    kinds = [KINDS[k] for k in range(len(KINDS))]
    for start in range(0, len(E), CHUNK):
        stop = start + CHUNK
        db.session.execute(insert(MatchEvent), [
            {"at": times[ix], "worker_id": w, "shift_id": s, "kind": kinds[k],
             "position": p or None, "source": SOURCE}
            for ix, w, s, k, p in zip(inv[start:stop].tolist(), e_worker[start:stop].tolist(),
                                      e_shift[start:stop].tolist(), E.kind[start:stop].tolist(),
                                      E.position[start:stop].tolist(), strict=True)
        ])

    result = {
        "firms": len(firm_ids), "workers": len(user_ids), "shifts": len(shift_ids),
        "events": len(E), "applications": len(app_ids),
        "completed": len(attendance_rows),
        "skipped_hires": dict(replay.skipped),
    }
    record(actor=None, action=IMPORT_ACTION, target_type="bundle", target_id=None,
           fingerprint=digest, directory=str(directory.resolve()), **{
               k: v for k, v in result.items() if k != "skipped_hires"},
           skipped_hires=sum(replay.skipped.values()),
           ids={"firms": _runs(firm_ids), "workers": _runs(user_ids),
                "shifts": _runs(shift_ids)})
    db.session.flush()
    result["seconds"] = round(time.perf_counter() - began, 2)
    return result
