"""Sign-in and registration limits: one failed-sign-in count per account across every route,
registration floods, and sign-in while the limiter's Redis is down (served apps)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from marketplace import ROOT
from marketplace.app import create_app
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_from, new_phone

WRONG = "wrong-password-9"


def _web_login(client, phone: str, password: str) -> int:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"phone": phone, "password": password,
                                       "csrf_token": token}).status_code


def _api_login(client, phone: str, password: str) -> int:
    return client.post("/api/v1/auth/token",
                       json={"phone": phone, "password": password}).status_code


def test_failed_sign_ins_count_once_across_the_form_and_the_token_route(app, make_worker):
    worker = make_worker()
    web, api = app.test_client(), app.test_client()
    codes = []
    for n in range(20):  # 10 on each route, interleaved
        codes.append(_web_login(web, worker.phone, WRONG) if n % 2
                     else _api_login(api, worker.phone, WRONG))
    assert codes == [401] * 20
    assert _api_login(api, worker.phone, WRONG) == 429
    assert _web_login(web, worker.phone, WRONG) == 429
    # the right password is refused too while the account is locked, on both routes
    assert _api_login(api, worker.phone, TEST_PASSWORD) == 429
    assert _web_login(web, worker.phone, TEST_PASSWORD) == 429
    # another account is not affected
    other = make_worker()
    assert _api_login(api, other.phone, TEST_PASSWORD) == 200


def test_odd_token_bodies_are_refused_with_the_envelope_not_a_500(client):
    for body in ([None, None], "13800000000", 7, {"phone": ["x"], "password": 1}):
        response = client.post("/api/v1/auth/token", json=body)
        assert response.status_code in (401, 422), (body, response.status_code)
        assert set(response.get_json()["error"]) >= {"code", "message", "fields"}


def _register_api(client, phone: str) -> int:
    return client.post("/api/v1/auth/register", json={
        "phone": phone, "password": "sea-breeze-cargo-7", "role": "worker",
        "name": "刘师傅"}).status_code


def test_a_flood_of_registrations_of_a_taken_number_is_limited(app, make_worker):
    taken = make_worker().phone
    client = app.test_client()
    codes = [_register_api(client, taken) for _ in range(40)]
    assert codes[:10] == [409] * 10, codes
    assert codes[10:] == [429] * 30, codes
    body = client.post("/api/v1/auth/register", json={"phone": taken}).get_json()
    assert body["error"]["code"] == "rate_limited"
    # the web form counts against the same number
    page = client.get("/register/worker").get_data(as_text=True)
    response = client.post("/register/worker", data={
        "name": "刘师傅", "phone": taken, "password": "sea-breeze-cargo-7",
        "csrf_token": csrf_from(page)})
    assert response.status_code == 429
    # a new number from the same address still registers (the address limit is higher)
    assert _register_api(client, new_phone()) == 201


def test_registrations_from_one_address_are_limited(app):
    client = app.test_client()
    limit = int(app.config["REGISTER_IP_RATE_LIMIT"].split()[0])
    codes = [_register_api(client, new_phone()) for _ in range(limit + 1)]
    assert codes[:limit] == [201] * limit
    assert codes[limit] == 429
    other_address = app.test_client()
    response = other_address.post("/api/v1/auth/register", environ_base={
        "REMOTE_ADDR": "10.1.2.3"}, json={"phone": new_phone(), "password": "sea-breeze-cargo-7",
                                          "role": "worker", "name": "王师傅"})
    assert response.status_code == 201


# --- served apps: Redis down, and two processes sharing Redis --------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(database: str, redis_url: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": redis_url,
           "SECRET_KEY": "x" * 40}
    env.pop("RATELIMIT_STORAGE_URI", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise AssertionError(f"server on {port} did not start: {log.read_text()[-2000:]}")


def _stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


class Browser:
    """A cookie-keeping HTTP client for a served app (the form needs its CSRF cookie)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, *, data: bytes | None = None,
                headers: dict | None = None) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {},
                                     method="POST" if data is not None else "GET")
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, phone: str, password: str) -> int:
        _, page = self.request("/login")
        form = {"phone": phone, "password": password, "csrf_token": csrf_from(page)}
        return self.request("/login", data=urllib.parse.urlencode(form).encode())[0]

    def token(self, phone: str, password: str) -> int:
        return self.request("/api/v1/auth/token",
                            data=json.dumps({"phone": phone, "password": password}).encode(),
                            headers={"Content-Type": "application/json"})[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def shared_database(tmp_path) -> str:
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    shared_app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    with shared_app.app_context():
        db.create_all()
        from marketplace.auth.services import register_worker

        for phone in ("13700001111", "13700002222"):
            register_worker(phone=phone, password=TEST_PASSWORD, name="甲")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return database


def test_sign_in_works_and_is_limited_per_process_when_redis_is_down(tmp_path,
                                                                     shared_database):
    log = tmp_path / "server.log"
    server, port = _serve(shared_database, "redis://127.0.0.1:1/0", log)  # nothing listens
    try:
        browser = Browser(port)
        assert browser.token("13700001111", TEST_PASSWORD) == 200
        assert browser.login("13700001111", TEST_PASSWORD) == 302
        codes = [Browser(port).login("13700002222", WRONG) if n % 2
                 else browser.token("13700002222", WRONG) for n in range(20)]
        assert codes == [401] * 20
        assert browser.token("13700002222", TEST_PASSWORD) == 429
        assert Browser(port).login("13700002222", TEST_PASSWORD) == 429
        assert browser.token("13700001111", TEST_PASSWORD) == 200
    finally:
        _stop([server])
    text = log.read_text()
    assert text.count("falling back to in-memory storage") == 1, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


def test_failed_sign_ins_on_both_routes_count_together_across_processes(tmp_path,
                                                                        shared_database):
    redis_url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    redis = pytest.importorskip("redis").Redis.from_url(redis_url, socket_connect_timeout=1)
    try:
        redis.flushdb()
    except Exception as exc:  # no Redis here: nothing to share
        pytest.skip(f"no Redis at {redis_url}: {exc}")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    servers, ports = [], []
    try:
        for log in logs:
            server, port = _serve(shared_database, redis_url, log)
            servers.append(server)
            ports.append(port)
        # process A takes the form, process B the token route
        codes = [Browser(ports[0]).login("13700001111", WRONG) if n % 2
                 else Browser(ports[1]).token("13700001111", WRONG) for n in range(20)]
        assert codes == [401] * 20
        assert Browser(ports[0]).login("13700001111", TEST_PASSWORD) == 429
        assert Browser(ports[1]).token("13700001111", TEST_PASSWORD) == 429
        assert Browser(ports[0]).token("13700002222", TEST_PASSWORD) == 200
    finally:
        _stop(servers)
        redis.flushdb()
    assert not any(re.search("Traceback", log.read_text()) for log in logs)
