"""Database faults (issue 8 item 6): never a 500 when the database connection drops.

Real faults: the app's PostgreSQL backends are terminated with `pg_terminate_backend`, between
requests (every backend of this database) and during a request (the backend of the connection
about to run the request's next statement). The shared server itself is never restarted.
A database that cannot be reached at all is a real unreachable SQLite file, on both backends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event

from marketplace.app import create_app
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_from, is_postgres

needs_postgres = pytest.mark.skipif(not is_postgres(),
                                    reason="terminating backends needs PostgreSQL")


@pytest.fixture
def admin() -> Iterator[psycopg.Connection]:
    """A connection of our own, outside the app's pool, to terminate the app's backends."""
    url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def terminate_other_backends(admin: psycopg.Connection) -> int:
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'").fetchall()
    return sum(1 for (done,) in rows if done)


class BackendKiller:
    """Terminates the backend of the app's connection right before its next `times`
    statements run, and waits until it is gone: the statement then meets a dead connection."""

    def __init__(self, admin: psycopg.Connection) -> None:
        self.admin = admin
        self.remaining = 0
        self.killed = 0

    def arm(self, times: int = 1) -> None:
        self.remaining, self.killed = times, 0

    def __call__(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        if self.remaining <= 0:
            return
        self.remaining -= 1
        pid = conn.connection.dbapi_connection.info.backend_pid
        (done,) = self.admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()
        assert done, f"backend {pid} still alive"
        self.killed += 1


@pytest.fixture
def killer(app, admin) -> Iterator[BackendKiller]:
    kill = BackendKiller(admin)
    event.listen(db.engine, "before_cursor_execute", kill)
    try:
        yield kill
    finally:
        event.remove(db.engine, "before_cursor_execute", kill)


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == "5"


def assert_json_unavailable(response) -> None:
    assert_unavailable(response)
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable" and error["message"] and "fields" in error


@needs_postgres
def test_pool_pre_ping_applies_to_postgres(app):
    assert db.engine.dialect.name == "postgresql"
    assert db.engine.pool._pre_ping is True


@needs_postgres
def test_connections_dropped_between_requests_are_replaced(client, make_worker, admin, caplog):
    phone = make_worker().phone
    for _ in range(2):
        assert client.get("/api/v1/shifts").status_code == 200
        # the end of a request's app context returns its connection to the pool (the suite
        # keeps one context open across requests, so do that by hand)
        db.session.remove()
        assert terminate_other_backends(admin) >= 1
    assert client.get("/api/v1/shifts").status_code == 200
    db.session.remove()
    assert terminate_other_backends(admin) >= 1
    response = client.post("/api/v1/auth/token", json={"phone": phone, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.get_json()
    assert "database unavailable" not in caplog.text  # pre-ping replaced them: no retry needed


@needs_postgres
def test_get_is_retried_once_when_the_connection_drops_mid_request(
        client, make_worker, make_firm, make_shift, login, killer, caplog):
    make_shift(make_firm())
    killer.arm(1)
    response = client.get("/api/v1/shifts")
    assert response.status_code == 200 and killer.killed == 1
    assert len(response.get_json()["items"]) == 1
    assert "database unavailable on GET /api/v1/shifts (OperationalError); retrying" \
        in caplog.text
    worker = make_worker(name="重试师傅")
    login(client, worker)
    killer.arm(1)
    page = client.get("/me/applications")
    assert page.status_code == 200 and killer.killed == 1
    assert 'action="/logout"' in page.get_data(as_text=True)  # still signed in on the retry


@needs_postgres
def test_get_answers_503_when_the_retry_fails_too(client, make_worker, login, killer):
    killer.arm(10)
    response = client.get("/api/v1/shifts")
    assert_json_unavailable(response)
    assert killer.killed == 2  # the first try and one retry; the answer needs no database
    killer.arm(0)
    login(client, make_worker())
    killer.arm(10)
    page = client.get("/me/applications")
    assert_unavailable(page)
    assert killer.killed == 2
    assert "服务暂时不可用" in page.get_data(as_text=True)
    killer.arm(0)
    assert client.get("/me/applications").status_code == 200  # signed in, back to normal


@needs_postgres
def test_post_is_not_retried_and_answers_503(client, make_worker, killer):
    phone = make_worker().phone  # read before arming: the test's own queries would die too
    killer.arm(10)
    response = client.post("/api/v1/auth/token", json={"phone": phone, "password": TEST_PASSWORD})
    assert_json_unavailable(response)
    assert killer.killed == 1
    killer.arm(0)
    response = client.post("/api/v1/auth/token", json={"phone": phone, "password": TEST_PASSWORD})
    assert response.status_code == 200


@needs_postgres
def test_html_form_post_answers_503_page(client, make_worker, killer):
    phone = make_worker().phone
    token = csrf_from(client.get("/login").get_data(as_text=True))
    killer.arm(10)
    page = client.post("/login", data={"phone": phone, "password": TEST_PASSWORD,
                                       "csrf_token": token})
    assert_unavailable(page)
    assert killer.killed == 1
    assert "text/html" in page.headers["Content-Type"]
    assert "服务暂时不可用" in page.get_data(as_text=True)


def test_unreachable_database_answers_503_not_500(tmp_path):
    """The database cannot be opened at all (as during a restart): 503 for reads and writes."""
    down = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": "memory://",
                       "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite3"})
    client = down.test_client()
    assert_json_unavailable(client.get("/healthz", headers={"Accept": "application/json"}))
    assert_json_unavailable(client.post("/api/v1/auth/token",
                                        json={"phone": "13800000000", "password": "x" * 10}))
    assert_unavailable(client.get("/"))
    with down.app_context():
        db.engine.dispose()
