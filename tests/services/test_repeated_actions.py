"""One seat, once: each move of an application fired ten times at the same instant, against
the app served by gunicorn in several processes, takes effect once; `filled` equals the seat
holders afterwards; a repeat with the same Idempotency-Key gets the first answer.

Runs on the suite's SQLite file and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import func, select, text, update

from marketplace.admin.models import AuditLog
from marketplace.extensions import db
from marketplace.idempotency import IdempotencyKey
from marketplace.notifications.models import Notification
from marketplace.shifts.applications import apply, transition
from marketplace.shifts.models import Application, Attendance, Rating, Shift
from marketplace.shifts.states import SEAT_HOLDING
from tests.conftest import TEST_PASSWORD, bearer
from tests.services.test_concurrency import overlapping_bookings


def seat_holders(shift_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.shift_id == shift_id, Application.status.in_(list(SEAT_HOLDING))))


def assert_seats_add_up() -> None:
    """Every shift's `filled` equals its seat holders, and nobody is booked twice."""
    db.session.expire_all()
    for shift in db.session.scalars(select(Shift)):
        if shift.status == "open":
            assert shift.filled == seat_holders(shift.id), (shift.id, shift.filled)
        assert shift.filled <= shift.headcount
    assert overlapping_bookings() == 0


def audited(action: str, application_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action, AuditLog.target_id == application_id))


def codes(answers) -> Counter:
    return Counter(answer.status for answer in answers)


def move(application: Application, actor, action: str, **params) -> None:
    transition(actor=actor, application_id=application.id, action=action, params=params)
    db.session.commit()


def start_now(application: Application) -> None:
    """Put the shift's start an hour in the past (after the seat was taken in the future)."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    end = start + dt.timedelta(hours=8)
    db.session.execute(update(Shift).where(Shift.id == application.shift_id)
                       .values(starts_at=start, ends_at=end))
    db.session.execute(update(Application).where(Application.shift_id == application.shift_id)
                       .values(starts_at=start, ends_at=end))
    db.session.commit()


@pytest.fixture
def market(make_firm, make_worker, make_shift):
    """A firm, a headcount-2 shift starting soon and an application at the stage asked for."""

    def build(stage: str, *, start_in_hours: float = 1):
        firm = make_firm()
        worker = make_worker()
        shift = make_shift(firm, headcount=2, start_in_hours=start_in_hours)
        application = apply(actor=worker, shift_id=shift.id)
        db.session.commit()
        path = ["offer", "accept", "check-in"]
        steps = {"applied": 0, "offered": 1, "confirmed": 2, "checked_in": 3}[stage]
        for action in path[:steps]:
            move(application, firm if action == "offer" else worker, action)
        return firm, worker, shift, application

    return build


# action, the stage it starts from, who fires it, the body, whether the shift has begun
CASES = [
    ("offer", "applied", "firm", {}, False),
    ("reject", "applied", "firm", {}, False),
    ("withdraw", "applied", "worker", {}, False),
    ("accept", "offered", "worker", {}, False),
    ("decline", "offered", "worker", {}, False),
    ("withdraw", "confirmed", "worker", {}, False),
    ("check-in", "confirmed", "worker", {}, False),
    ("no-show", "confirmed", "firm", {}, True),
    ("check-out", "checked_in", "worker", {}, True),
    ("complete", "checked_in", "firm", {"minutes_worked": 240}, True),
]


@pytest.mark.parametrize(("action", "stage", "who", "body", "begun"), CASES,
                         ids=[f"{c[0]}-from-{c[1]}" for c in CASES])
def test_a_move_fired_ten_times_at_once_takes_effect_once(server, market, action, stage, who,
                                                          body, begun):
    firm, worker, _shift, application = market(stage)
    if begun:
        start_now(application)
    headers = bearer(firm if who == "firm" else worker)

    answers = server.race("POST", f"/api/v1/applications/{application.id}/{action}",
                          body=body, headers=headers)

    assert codes(answers)[200] == 1, [(a.status, a.json()) for a in answers]
    refused = [a for a in answers if a.status != 200]
    assert {a.status for a in refused} == {409}, [(a.status, a.json()) for a in refused]
    assert {a.json()["error"]["code"] for a in refused} <= {"invalid_transition"}
    assert audited(f"application.{action}", application.id) == 1
    assert_seats_add_up()
    assert server.server_errors() == []
    if action == "complete":
        attendance = db.session.get(Attendance, application.id)
        assert (attendance.minutes_worked, attendance.pay_due_fen) == (240, 3000 * 4)
    if action == "check-out":
        assert db.session.get(Attendance, application.id).checked_out_at is not None


def test_ten_withdrawals_of_one_seat_free_one_seat_and_never_overbook(server, market,
                                                                      make_worker):
    """The attack of issue 8: repeated withdrawals freed four seats for one worker."""
    firm, worker, shift, application = market("confirmed")
    others = []
    for n in range(3):
        other = make_worker(name=f"候补{n}")
        mine = apply(actor=other, shift_id=shift.id)
        db.session.commit()
        move(mine, firm, "offer")
        others.append((other, mine))
    keep = make_worker(name="留下")
    kept = apply(actor=keep, shift_id=shift.id)
    db.session.commit()
    move(kept, firm, "offer")
    move(kept, keep, "accept")  # the headcount-2 shift is now full

    answers = server.race("POST", f"/api/v1/applications/{application.id}/withdraw",
                          headers=bearer(worker))
    assert codes(answers) == {200: 1, 409: 9}
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).filled == 1

    accepts = [server.send("POST", f"/api/v1/applications/{mine.id}/accept",
                           headers=bearer(other)) for other, mine in others]
    assert [a.status for a in accepts].count(200) == 1
    assert {a.json()["error"]["code"] for a in accepts if a.status != 200} == {"shift_full"}
    assert_seats_add_up()
    assert seat_holders(shift.id) == 2


def test_ten_applications_by_one_worker_to_one_shift_file_one(server, make_firm, make_worker,
                                                              make_shift):
    firm = make_firm()
    worker = make_worker()
    shift = make_shift(firm)

    answers = server.race("POST", f"/api/v1/shifts/{shift.id}/applications", body={},
                          headers=bearer(worker))

    assert codes(answers) == {201: 1, 409: 9}, [(a.status, a.json()) for a in answers]
    assert db.session.scalar(select(func.count()).select_from(Application).where(
        Application.shift_id == shift.id)) == 1


def test_applying_again_after_withdrawing_ten_times_at_once_reopens_once(server, market):
    _firm, worker, shift, application = market("applied")
    move(application, worker, "withdraw")

    answers = server.race("POST", f"/api/v1/shifts/{shift.id}/applications", body={},
                          headers=bearer(worker))

    assert codes(answers) == {201: 1, 409: 9}, [(a.status, a.json()) for a in answers]
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "applied"


def test_ten_ratings_at_once_record_one(server, market):
    firm, worker, _shift, application = market("checked_in")
    start_now(application)
    move(application, firm, "complete", minutes_worked=60)

    answers = server.race("POST", f"/api/v1/applications/{application.id}/rating",
                          body={"score": 5}, headers=bearer(worker))

    assert codes(answers) == {201: 1, 409: 9}, [(a.status, a.json()) for a in answers]
    assert db.session.scalar(select(func.count()).select_from(Rating).where(
        Rating.application_id == application.id)) == 1


def test_ten_cancellations_of_one_shift_cancel_it_once(server, market, make_worker):
    firm, worker, shift, application = market("confirmed", start_in_hours=48)

    answers = server.race("POST", f"/api/v1/shifts/{shift.id}/cancel", body={},
                          headers=bearer(firm))

    assert codes(answers)[200] == 1, [(a.status, a.json()) for a in answers]
    assert {a.status for a in answers if a.status != 200} == {409}
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).filled == 0
    assert db.session.get(Application, application.id).status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == worker.id, Notification.kind == "shift_cancelled")) == 1


def test_cancelling_while_workers_accept_never_leaves_a_seat_on_a_cancelled_shift(
        server, make_firm, make_worker, make_shift):
    firm = make_firm()
    shift = make_shift(firm, headcount=5)
    offered = []
    for n in range(6):
        worker = make_worker(name=f"工人{n}")
        application = apply(actor=worker, shift_id=shift.id)
        db.session.commit()
        move(application, firm, "offer")
        offered.append((worker, application))
    import threading

    results = []
    raw = server.served  # the threads have no app context: no test-side session there
    requests = [(f"/api/v1/applications/{a.id}/accept", bearer(w)) for w, a in offered]
    requests.append((f"/api/v1/shifts/{shift.id}/cancel", bearer(firm)))
    db.session.rollback()
    threads = [threading.Thread(target=lambda path=path, headers=headers: results.append(
        raw.send("POST", path, body={}, headers=headers))) for path, headers in requests]
    canceller = threads.pop()
    for thread in [*threads, canceller]:
        thread.start()
    for thread in [*threads, canceller]:
        thread.join(timeout=120)

    assert len(results) == 7
    assert all(answer.status < 500 for answer in results), [(a.status, a.json()) for a in results]
    db.session.rollback()
    assert db.session.get(Shift, shift.id).status == "cancelled"
    assert db.session.get(Shift, shift.id).filled == 0
    assert seat_holders(shift.id) == 0
    assert server.server_errors() == []


# --------------------------------------------------------------------- Idempotency-Key


def test_the_same_idempotency_key_fired_ten_times_gets_the_first_answer(server, market):
    _firm, worker, _shift, application = market("offered")
    headers = {**bearer(worker), "Idempotency-Key": "accept-7f3a"}

    answers = server.race("POST", f"/api/v1/applications/{application.id}/accept",
                          headers=headers)

    assert codes(answers) == {200: 10}, [(a.status, a.json()) for a in answers]
    assert len({a.body for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 9
    assert audited("application.accept", application.id) == 1
    assert_seats_add_up()
    # Later, the same key again: the stored answer, even though accepting again would fail.
    again = server.send("POST", f"/api/v1/applications/{application.id}/accept",
                        headers=headers)
    assert (again.status, again.body) == (200, answers[0].body)


def test_an_idempotency_key_reused_for_another_request_is_refused(server, market):
    _firm, worker, shift, application = market("offered")
    headers = {**bearer(worker), "Idempotency-Key": "k-1"}
    first = server.send("POST", f"/api/v1/applications/{application.id}/decline",
                        headers=headers)
    assert first.status == 200
    other = server.send("POST", f"/api/v1/shifts/{shift.id}/applications", body={},
                        headers=headers)
    assert other.status == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    bad = server.send("POST", f"/api/v1/shifts/{shift.id}/applications", body={},
                      headers={**headers, "Idempotency-Key": "é" * 3})
    assert bad.status == 422 and bad.json()["error"]["code"] == "invalid_idempotency_key"


def test_a_refusal_is_replayed_and_a_new_key_runs_again(server, market):
    firm, worker, _shift, application = market("applied")
    headers = bearer(worker)
    refused = server.send("POST", f"/api/v1/applications/{application.id}/accept",
                          headers={**headers, "Idempotency-Key": "early"})
    assert refused.status == 409
    move(application, firm, "offer")
    replayed = server.send("POST", f"/api/v1/applications/{application.id}/accept",
                           headers={**headers, "Idempotency-Key": "early"})
    assert (replayed.status, replayed.body) == (409, refused.body)
    fresh = server.send("POST", f"/api/v1/applications/{application.id}/accept",
                        headers={**headers, "Idempotency-Key": "later"})
    assert fresh.status == 200


def test_stored_answers_expire_after_a_day(app, server, market):

    _firm, worker, _shift, application = market("offered")
    headers = {**bearer(worker), "Idempotency-Key": "old"}
    assert server.send("POST", f"/api/v1/applications/{application.id}/decline",
                       headers=headers).status == 200
    db.session.execute(update(IdempotencyKey).values(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)))
    db.session.commit()
    again = server.send("POST", f"/api/v1/applications/{application.id}/decline",
                        headers=headers)
    assert again.status == 409 and "Idempotent-Replayed" not in again.headers
    db.session.execute(update(IdempotencyKey).values(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)))
    db.session.commit()
    purged = app.test_cli_runner().invoke(args=["idempotency", "purge"])
    assert purged.exit_code == 0 and "1 stored answers removed" in purged.output
    assert db.session.scalar(text("SELECT count(*) FROM idempotency_keys")) == 0


# --------------------------------------------------------------------- HTML buttons


def test_a_button_tapped_ten_times_at_once_acts_once(server, market):
    _firm, worker, shift, application = market("offered")
    phone = server.session()
    phone.login(worker.phone, TEST_PASSWORD)
    action = f"/me/applications/{application.id}/accept"
    fields = phone.form_fields("/me/applications?tab=active", action)
    assert set(fields) == {"csrf_token", "idempotency_key"}
    body, headers = phone.form_body(fields)

    answers = server.race("POST", action, body=body, headers=headers, opener=phone.opener)

    assert codes(answers) == {303: 10}, [(a.status, a.body[:200]) for a in answers]
    assert len({a.headers["Location"] for a in answers}) == 1
    assert audited("application.accept", application.id) == 1
    assert_seats_add_up()
    assert seat_holders(shift.id) == 1
    assert server.server_errors() == []


def test_a_form_sent_twice_acts_once_and_the_second_gets_the_first_answer(client, login,
                                                                        market):
    _firm, worker, _shift, application = market("offered")
    login(client, worker)
    html = client.get("/me/applications?tab=active").get_data(as_text=True)
    action = f"/me/applications/{application.id}/accept"
    form = html[html.index(f'action="{action}"'):]
    fields = dict(re.findall(r'name="(csrf_token|idempotency_key)"[^>]*value="([^"]+)"',
                             form[:form.index("</form>")]))

    first = client.post(action, data=fields)
    second = client.post(action, data=fields)

    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert audited("application.accept", application.id) == 1
    # A form without the key (an old page) still works, and the state machine refuses it.
    plain = client.post(action, data={"csrf_token": fields["csrf_token"]})
    assert plain.status_code == 303 and "Idempotent-Replayed" not in plain.headers


def test_token_requests_are_never_stored(client, make_worker):
    worker = make_worker()
    body = {"phone": worker.phone, "password": TEST_PASSWORD}
    tokens = [client.post("/api/v1/auth/token", json=body,
                          headers={"Idempotency-Key": "same"}).get_json()["token"]
              for _ in range(2)]
    assert tokens[0] != tokens[1]
    assert db.session.scalar(text("SELECT count(*) FROM idempotency_keys")) == 0
