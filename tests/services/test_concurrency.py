"""Headcount and double booking hold when many requests arrive at the same instant.

Real threads, each with its own test client and database connection, against the file
database (SQLite) or PostgreSQL from DATABASE_URL; a barrier releases them together.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from sqlalchemy import func, select, text

from marketplace.auth.services import issue_token
from marketplace.extensions import db
from marketplace.shifts.applications import apply, transition
from marketplace.shifts.models import Application, Shift
from marketplace.shifts.states import SEAT_HOLDING
from tests.conftest import in_hours


def _bearer(user) -> dict[str, str]:
    token = issue_token(user=user, ttl_days=1)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _race(app, requests: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """POST every (url, headers) from its own thread, all released at once."""
    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, dict]] = [(0, {})] * len(requests)

    def run(i: int, url: str, headers: dict) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(url, json={}, headers=headers)
        results[i] = (response.status_code, response.get_json() or {})

    threads = [threading.Thread(target=run, args=(i, url, h))
               for i, (url, h) in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _offered(firm, worker, shift) -> Application:
    application = apply(actor=worker, shift_id=shift.id)
    db.session.flush()
    transition(actor=firm, application_id=application.id, action="offer")
    db.session.commit()
    return application


def test_fifty_accepts_on_headcount_five_confirm_exactly_five(app, make_firm, make_worker,
                                                              make_shift):
    firm = make_firm()
    shift = make_shift(firm, headcount=5)
    requests = []
    for n in range(50):
        worker = make_worker(name=f"工人{n}")
        application = _offered(firm, worker, shift)
        requests.append((f"/api/v1/applications/{application.id}/accept", _bearer(worker)))

    results = _race(app, requests)

    statuses = Counter(code for code, _ in results)
    assert statuses == {200: 5, 409: 45}, statuses
    assert {body["error"]["code"] for code, body in results if code == 409} == {"shift_full"}
    db.session.expire_all()
    confirmed = db.session.scalar(select(func.count()).select_from(Application).where(
        Application.shift_id == shift.id, Application.status.in_(list(SEAT_HOLDING))))
    assert confirmed == 5
    assert db.session.get(Shift, shift.id).filled == 5


def test_one_worker_accepting_ten_overlapping_shifts_gets_exactly_one(app, make_firm,
                                                                      make_worker, make_shift):
    firm = make_firm()
    worker = make_worker()
    base = in_hours(72)
    requests = []
    for n in range(10):
        shift = make_shift(firm, starts_at=base + dt.timedelta(minutes=20 * n), hours=6,
                           headcount=3)
        application = _offered(firm, worker, shift)
        requests.append((f"/api/v1/applications/{application.id}/accept", _bearer(worker)))

    results = _race(app, requests)

    statuses = Counter(code for code, _ in results)
    assert statuses == {200: 1, 409: 9}, results
    assert {body["error"]["code"] for code, body in results if code == 409} == {
        "schedule_conflict"}
    assert overlapping_bookings() == 0


def test_back_to_back_shifts_both_confirm(app, make_firm, make_worker, make_shift):
    firm = make_firm()
    worker = make_worker()
    first_start = in_hours(30)
    first = make_shift(firm, starts_at=first_start, hours=4)
    second = make_shift(firm, starts_at=first_start + dt.timedelta(hours=4), hours=4)
    requests = [(f"/api/v1/applications/{_offered(firm, worker, s).id}/accept", _bearer(worker))
                for s in (first, second)]

    results = _race(app, requests)

    assert [code for code, _ in results] == [200, 200], results
    assert overlapping_bookings() == 0


def overlapping_bookings() -> int:
    """Pairs of one worker's booked applications whose times overlap, over the whole table."""
    booked = "'confirmed', 'checked_in', 'completed'"
    return db.session.scalar(text(f"""
        SELECT count(*) FROM applications a JOIN applications b
          ON a.worker_id = b.worker_id AND a.id < b.id
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
        WHERE a.status IN ({booked}) AND b.status IN ({booked})
    """))
