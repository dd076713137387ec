"""Sessions, CSRF, redirects, headers, rate limits, mass assignment and personal data."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import inspect, text

from marketplace import ROOT
from marketplace.admin.services import set_user_status
from marketplace.app import create_app
from marketplace.config import ConfigError
from marketplace.extensions import db
from marketplace.workers.services import update_profile
from tests.conftest import TEST_PASSWORD, csrf_from, in_hours

ID_NUMBER = "110101199003074477"  # valid check digit; a made-up test identity


def test_replayed_cookie_after_logout_is_refused(client, make_worker, login):
    worker = make_worker()
    login(client, worker)
    assert client.get("/me/feed").status_code == 200
    cookie = client.get_cookie("session")
    page = client.get("/me/feed").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})

    replay = create_app_client(client)
    replay.set_cookie("session", cookie.value)
    response = replay.get("/me/feed")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def create_app_client(client):
    return client.application.test_client()


def test_suspended_user_cookie_and_token_are_refused(client, make_worker, make_admin, login,
                                                     api_token):
    worker = make_worker()
    headers = api_token(worker)
    login(client, worker)
    cookie = client.get_cookie("session")
    set_user_status(actor=make_admin(), user_id=worker.id, suspended=True, reason="fraud")
    db.session.commit()

    replay = create_app_client(client)
    replay.set_cookie("session", cookie.value)
    assert replay.get("/me/feed").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    r = client.post("/api/v1/auth/token", json={"phone": worker.phone, "password": TEST_PASSWORD})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "account_suspended"


def test_form_post_without_csrf_token_is_400(client, make_worker):
    worker = make_worker()
    response = client.post("/login", data={"phone": worker.phone, "password": TEST_PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_redirects_stay_on_site(client, make_worker, target):
    worker = make_worker()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(f"/login?next={target}", data={
        "phone": worker.phone, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and not location.startswith("javascript")


def test_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_token_endpoint_limits_failed_logins_per_account(client, make_worker):
    worker = make_worker()
    codes = [client.post("/api/v1/auth/token", json={"phone": worker.phone,
                                                     "password": "wrong-password"}).status_code
             for _ in range(21)]
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
    assert client.post("/api/v1/auth/token", json={"phone": worker.phone,
                                                   "password": TEST_PASSWORD}).status_code == 429


def test_html_login_limits_failed_logins(client, make_worker):
    worker = make_worker()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"phone": worker.phone, "password": "nope-nope-1",
                                         "csrf_token": token}).status_code for _ in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429


MASS_ASSIGNMENT_KEYS = {"id": 999, "status": "completed", "firm_id": 1, "filled": 5,
                        "verified": True, "role": "admin"}


@pytest.mark.parametrize("key", sorted(MASS_ASSIGNMENT_KEYS))
def test_input_schemas_refuse_privileged_keys(client, make_firm, make_worker, make_shift,
                                              api_token, key):
    firm = make_firm()
    shift = make_shift(firm)
    worker = make_worker()
    firm_h, worker_h = api_token(firm), api_token(worker)
    extra = {key: MASS_ASSIGNMENT_KEYS[key]}
    starts = in_hours(30)
    calls = [
        ("post", "/api/v1/auth/register", None, {"phone": "13911112222", "password": "abcdefgh1",
                                                 "role": "worker", "name": "x"}),
        ("post", "/api/v1/auth/token", None, {"phone": worker.phone, "password": TEST_PASSWORD}),
        ("patch", "/api/v1/me", worker_h, {"name": "新名字"}),
        ("put", "/api/v1/me/availability", worker_h, {"weekly": []}),
        ("post", "/api/v1/shifts", firm_h, {
            "title": "t", "category": "logistics", "district": "huancui",
            "starts_at": starts.isoformat(), "ends_at": in_hours(38).isoformat(),
            "headcount": 1, "pay_amount_fen": 3000, "pay_unit": "hour", "settlement": "daily"}),
        ("patch", f"/api/v1/shifts/{shift.id}", firm_h, {"title": "新标题"}),
        ("post", f"/api/v1/shifts/{shift.id}/cancel", firm_h, {"reason": "x"}),
        ("post", f"/api/v1/shifts/{shift.id}/applications", worker_h, {"note": "hi"}),
    ]
    before = snapshot()
    for method, url, headers, body in calls:
        response = getattr(client, method)(url, json={**body, **extra}, headers=headers or {})
        assert response.status_code == 422, (url, response.get_json())
        assert key in response.get_json()["error"]["fields"]
    assert snapshot() == before


def snapshot() -> dict:
    return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("users", "shifts", "applications", "firms")} | {
        "titles": sorted(db.session.execute(text("SELECT title FROM shifts")).scalars())}


def test_id_numbers_never_stored_in_clear(make_worker):
    worker = make_worker()
    update_profile(actor=worker, changes={"id_number": ID_NUMBER})
    db.session.commit()
    assert worker.worker_profile.id_number_masked == "110***********4477"
    pattern = re.compile(r"\d{17}[\dXx]")
    for table in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            for value in row:
                assert not (isinstance(value, str) and pattern.search(value)), (table, row)


def test_logs_mask_phone_and_id_numbers(app, make_worker, caplog):
    from marketplace.privacy import redact

    assert redact(f"phone 13812345678 id {ID_NUMBER}") == \
        "phone 138****5678 id 110***********4477"
    worker = make_worker()
    app.logger.warning("login failed for %s with id %s", worker.phone, ID_NUMBER)
    logged = caplog.text
    assert worker.phone not in logged and ID_NUMBER not in logged
    assert worker.phone[:3] + "****" + worker.phone[-4:] in logged


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_login_limit_holds_across_two_processes_sharing_redis(tmp_path, make_worker):
    """Two gunicorn processes on one Redis: failed logins count together."""
    redis_url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    redis = pytest.importorskip("redis").Redis.from_url(redis_url)
    try:
        redis.flushdb()
    except Exception as exc:  # pragma: no cover - environment problem, not a product failure
        pytest.fail(f"Redis is required at {redis_url}: {exc}")
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    shared_app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    with shared_app.app_context():
        db.create_all()
        from marketplace.auth.services import register_worker

        register_worker(phone="13700001111", password=TEST_PASSWORD, name="甲")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": redis_url,
           "SECRET_KEY": "x" * 40, "MARKETPLACE_ENV": "production", "SESSION_COOKIE_SECURE": "1"}
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports]
    try:
        for port in ports:
            _wait_for(port)
        codes = [_post_token(ports[n % 2], "13700001111", "wrong-password") for n in range(21)]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    assert codes[:20] == [401] * 20, codes
    assert codes[20] == 429


def _wait_for(port: int) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:  # refused, or accepted by the master before a worker is up
            time.sleep(0.2)
    raise AssertionError(f"server on {port} did not start")


def _post_token(port: int, phone: str, password: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
        data=json.dumps({"phone": phone, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code

