"""Benchmark: an HR agency batch-fills 200 seats from a 1,000-worker roster, end to end.

Through the real services on a real database: `marketplace.agencies.brokering.plan_fill`
(roster eligibility in SQL, the reciprocal score, the matching layer's batch assignment) and
`send_fill` (every row a brokered application through the shifts' state machine, with its
commission, in one transaction), then the firm offers every seat and each worker accepts on
the shifts' database-enforced headcount and overlap rules. Asserts no overbooking and no
double booking in the plan, in what was sent and in the bookings; prints the seconds and
writes bench/results/agency_fill.json.

The market: one verified firm, 25 shifts x 8 seats over 5 days (start 07:00, 08:00, 14:00 or
20:00, 8 to 12 hours, so shifts of a day overlap), 1,000 workers near the firm, every one on
the agency's roster (half with standing consent for the category).

Run:  flock -x /tmp/bench.lock .venv/bin/python bench/agency_fill.py [--repeat 3]
A SQLite file in a temporary directory by default; with DATABASE_URL=postgresql://... a fresh
database is created on that server for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULTS = Path(__file__).resolve().parent / "results" / "agency_fill.json"
WORKERS, SHIFTS, SEATS_PER_SHIFT = 1000, 25, 8


def postgres_database(url: str):
    from sqlalchemy import create_engine, text

    name = f"agency_fill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{url.rpartition('/')[0]}/{name}", drop


def build_market(seed: int):
    """Rows written in bulk (setup, not timed): firm, agency, shifts, workers, roster."""
    from sqlalchemy import insert

    from marketplace.agencies.models import Agency, RosterMembership, StandingConsent
    from marketplace.auth.models import Role, User
    from marketplace.auth.passwords import hash_password
    from marketplace.extensions import db
    from marketplace.firms.models import Firm
    from marketplace.shifts.models import Shift, shift_skills
    from marketplace.validators import make_credit_code
    from marketplace.workers.models import WorkerProfile, worker_skills

    rng = np.random.default_rng(seed)
    password = hash_password("bench-pass-2026")
    firm = Firm(name="威海基准食品有限公司", credit_code=make_credit_code("91371000MA3BENCH1"),
                size="large", industry="food_processing", district="jingqu", lat=37.4578,
                lon=122.1773, verification_status="verified")
    agency = Agency(name="威海基准人力资源有限公司", credit_code=make_credit_code(
        "91371000MA3BENCH2"), licence_no="371000BENCH0001", verification_status="verified")
    firm_user = User(phone="13700000001", password_hash=password, name="企业", role=Role.FIRM,
                     firm=firm)
    agency_user = User(phone="13700000002", password_hash=password, name="机构",
                       role=Role.AGENCY, agency=agency)
    db.session.add_all([firm_user, agency_user])
    db.session.flush()
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    shift_rows = []
    for n in range(SHIFTS):
        day = int(rng.integers(1, 6))
        starts = today + dt.timedelta(days=day, hours=int(rng.choice([7, 8, 14, 20])) - 8)
        hours = int(rng.choice([8, 10, 12]))
        shift_rows.append(Shift(
            firm_id=firm.id, created_by_id=firm_user.id, title=f"分拣班 {n + 1}",
            category="food_processing", district="jingqu", lat=37.4578, lon=122.1773,
            starts_at=starts, ends_at=starts + dt.timedelta(hours=hours),
            headcount=SEATS_PER_SHIFT, filled=0, pay_amount_fen=3000, pay_unit="hour",
            daily_pay_fen=3000 * hours, settlement="daily", status="open"))
    db.session.add_all(shift_rows)
    db.session.flush()
    db.session.execute(insert(shift_skills), [{"shift_id": s.id, "code": "seafood_sorting"}
                                              for s in shift_rows])
    first = 13800000000
    db.session.execute(insert(User), [
        {"phone": str(first + n), "password_hash": password, "name": f"工人{n}",
         "role": Role.WORKER.value, "status": "active", "session_version": 1}
        for n in range(WORKERS)])
    from sqlalchemy import select

    worker_ids = list(db.session.scalars(select(User.id).where(User.role == Role.WORKER)
                                         .order_by(User.id)))
    lat = 37.4578 + rng.normal(0, 0.05, WORKERS)
    lon = 122.1773 + rng.normal(0, 0.06, WORKERS)
    db.session.execute(insert(WorkerProfile), [
        {"user_id": w, "district": "jingqu", "home_lat": float(lat[i]),
         "home_lon": float(lon[i]), "commute_radius_km": 40,
         "min_daily_pay_fen": int(rng.integers(0, 20000)), "priority_verified": False}
        for i, w in enumerate(worker_ids)])
    db.session.execute(insert(worker_skills), [
        {"worker_id": w, "code": "seafood_sorting"} for w in worker_ids])
    joined = today - dt.timedelta(days=30)
    db.session.execute(insert(RosterMembership), [
        {"agency_id": agency.id, "worker_id": w, "status": "active", "initiated_by": "agency",
         "created_at": joined, "joined_at": joined} for w in worker_ids])
    memberships = db.session.execute(select(RosterMembership.id, RosterMembership.worker_id)
                                     .order_by(RosterMembership.id)).all()
    db.session.execute(insert(StandingConsent), [
        {"membership_id": m, "category": "food_processing", "granted_at": joined}
        for m, w in memberships if w % 2 == 0])
    db.session.commit()
    return agency_user.id, firm_user.id, [s.id for s in shift_rows]


def overlaps(intervals: list[tuple[dt.datetime, dt.datetime]]) -> int:
    ordered = sorted(intervals)
    return sum(a[1] > b[0] for a, b in pairwise(ordered))


def run_once(seed: int) -> dict:
    from sqlalchemy import select

    from marketplace.agencies import brokering
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.shifts import applications as apps
    from marketplace.shifts.models import Application, Shift
    from marketplace.shifts.states import BOOKED

    agency_id, firm_id, shift_ids = build_market(seed)
    agency = db.session.get(User, agency_id)
    shifts = {s.id: s for s in db.session.scalars(select(Shift).where(Shift.id.in_(shift_ids)))}

    t0 = time.perf_counter()
    rows, summary = brokering.plan_fill(actor=agency, shift_ids=shift_ids)
    plan_s = time.perf_counter() - t0
    pairs = [(r.shift.id, r.worker.id) for r in rows]
    per_shift = Counter(s for s, _w in pairs)
    assert max(per_shift.values()) <= SEATS_PER_SHIFT, "overbooked in the plan"
    by_worker: dict[int, list] = defaultdict(list)
    for shift_id, worker_id in pairs:
        by_worker[worker_id].append((shifts[shift_id].starts_at, shifts[shift_id].ends_at))
    assert sum(overlaps(v) for v in by_worker.values()) == 0, "double booking in the plan"

    t0 = time.perf_counter()
    created = brokering.send_fill(actor=agency, pairs=pairs,
                                  terms=brokering.make_terms(kind="fixed", fixed_fen=5000))
    db.session.commit()
    send_s = time.perf_counter() - t0
    ids = [a.id for a in created]

    # Every worker confirms (or consented already), the firm offers, the worker accepts.
    firm = db.session.get(User, firm_id)
    workers = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({w for _s, w in pairs})))}
    t0 = time.perf_counter()
    for application in db.session.scalars(select(Application).where(Application.id.in_(ids))):
        worker = workers[application.worker_id]
        if application.status == "proposed":
            apps.transition(actor=worker, application_id=application.id, action="confirm")
        apps.transition(actor=firm, application_id=application.id, action="offer")
        apps.transition(actor=worker, application_id=application.id, action="accept")
        db.session.commit()
    accept_s = time.perf_counter() - t0

    booked = db.session.execute(select(Application.worker_id, Application.starts_at,
                                       Application.ends_at)
                                .where(Application.status.in_(list(BOOKED)))).all()
    per_worker: dict[int, list] = defaultdict(list)
    for worker_id, starts, ends in booked:
        per_worker[worker_id].append((starts, ends))
    double_booked = sum(overlaps(v) for v in per_worker.values())
    db.session.expire_all()
    fills = [(s.filled, s.headcount) for s in db.session.scalars(
        select(Shift).where(Shift.id.in_(shift_ids)))]
    overbooked = sum(filled > headcount for filled, headcount in fills)
    assert double_booked == 0 and overbooked == 0
    return {
        "seats": SHIFTS * SEATS_PER_SHIFT, "roster": WORKERS, "shifts": SHIFTS,
        "planned": len(rows), "sent": len(created),
        "proposals": sum(a.status == "proposed" for a in created),
        "confirmed_seats": sum(f for f, _h in fills), "method": summary.get("method"),
        "plan_seconds": round(plan_s, 3), "send_seconds": round(send_s, 3),
        "fill_seconds": round(plan_s + send_s, 3), "accept_seconds": round(accept_s, 3),
        "overbooked_shifts": overbooked, "double_booked_pairs": double_booked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from marketplace.app import create_app
    from marketplace.extensions import db

    url = os.environ.get("DATABASE_URL", "")
    runs = []
    for n in range(args.repeat):
        drop = None
        with tempfile.TemporaryDirectory() as tmp:
            if url.startswith("postgres"):
                database, drop = postgres_database(url)
            else:
                database = f"sqlite:///{tmp}/agency_fill.sqlite3"
            app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True,
                              "SECRET_KEY": "bench-secret-key-long-enough-0123456789",
                              "MODEL_DIR": f"{tmp}/models", "FEED_CACHE_SECONDS": 0})
            try:
                with app.app_context():
                    if db.engine.dialect.name == "postgresql":
                        from sqlalchemy import text

                        with db.engine.begin() as conn:
                            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
                    db.create_all()
                    row = run_once(seed=n)
                    db.session.remove()
                    db.engine.dispose()
            finally:
                if drop:
                    drop()
        runs.append(row)
        print(f"run {n + 1}: planned {row['planned']} of {row['seats']} seats from a "
              f"{row['roster']}-worker roster in {row['plan_seconds']:.2f}s, sent in "
              f"{row['send_seconds']:.2f}s (fill {row['fill_seconds']:.2f}s); firm offers and "
              f"workers accept in {row['accept_seconds']:.2f}s; overbooked "
              f"{row['overbooked_shifts']}, double booked {row['double_booked_pairs']}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parent).stdout.strip()
    result = {
        "benchmark": "agency batch fill: 200 seats from a 1,000-worker roster",
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "fill_seconds_median": statistics.median(r["fill_seconds"] for r in runs),
        "plan_seconds_median": statistics.median(r["plan_seconds"] for r in runs),
        "send_seconds_median": statistics.median(r["send_seconds"] for r in runs),
        "accept_seconds_median": statistics.median(r["accept_seconds"] for r in runs),
        "overbooked_shifts": max(r["overbooked_shifts"] for r in runs),
        "double_booked_pairs": max(r["double_booked_pairs"] for r in runs),
        "runs": runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": list(os.getloadavg())},
        "commit": commit,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"fill (plan + send) median {result['fill_seconds_median']:.2f}s -> {args.out}")


if __name__ == "__main__":
    main()
