"""No phone number, ID number, password hash, token or cookie reaches a log (issue 8 item 4).

The failing inserts are real: a second account with a phone that is taken, through a real app
on the suite's database (SQLite file or PostgreSQL), logged by the app's own error handler
into a handler on the root logger, the way gunicorn and `flask run` log.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from flask import Flask, request
from sqlalchemy.exc import IntegrityError

from marketplace import ROOT
from marketplace.app import create_app
from marketplace.auth.models import Role, User
from marketplace.extensions import csrf, db
from marketplace.logredact import find_secrets, redact
from tests.conftest import _HASH

ID_NUMBER = "110101199003074477"  # valid check digit; a made-up identity
TOKEN = "Zq3xV9-kT2_pL8mN4bR7cW1yH6dF0sA5gJ2eU8iO3vX"  # shaped like secrets.token_urlsafe(32)
SESSION = ".eJwlzjEOwzAIAMC_sHZw5QHYBvMXC0Pqpk3_X1XqPuC8_tF7M.ZkR2Qg.aBcDeFgHiJkLmNoPqRsTuVwXyZ0"


def test_redact_masks_every_kind_of_secret():
    line = (f"tel +86 138-1234-5678, id {ID_NUMBER}, x13900000003y, hash {_HASH}, "
            f"Authorization: Bearer {TOKEN}, Cookie: session={SESSION}; remember_token=7|ab, "
            '{"password": "hunter2-long"}')
    redacted = redact(line)
    for secret in ("1234-5678", "13900000003", ID_NUMBER, _HASH.split("$")[-1], TOKEN,
                   SESSION, "7|ab", "hunter2-long"):
        assert secret not in redacted, (secret, redacted)
    assert "138****5678" in redacted and "139****0003" in redacted
    assert find_secrets(redacted) == []
    kinds = {finding.kind for finding in find_secrets(line)}
    assert {"phone number", "ID number", "argon2 hash", "bearer token", "session cookie",
            "credential"} <= kinds


def test_redact_leaves_ordinary_numbers_alone():
    line = "2026-12-03 09:10:59,123 GET /shifts?page=2 200 in 12345 ms, order 1234567890123"
    assert redact(line) == line
    assert find_secrets(line) == []


def test_engine_hides_bound_parameters(app, make_worker):
    worker = make_worker()
    assert db.engine.hide_parameters is True
    db.session.add(User(phone=worker.phone, password_hash=_HASH, name="重复", role=Role.WORKER))
    with pytest.raises(IntegrityError) as raised:
        db.session.flush()
    db.session.rollback()
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(raised.value)
    assert _HASH not in str(raised.value)


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    """A handler on the root logger, installed before the app is created (as in production)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def probe_app(database_uri: str, **overrides) -> Flask:
    """The real app on the suite's database, plus one route that inserts an account."""
    probe = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri,
                        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                        "RATELIMIT_STORAGE_URI": "memory://", **overrides})

    @probe.post("/probe/account")
    @csrf.exempt
    def add_account():
        data = request.get_json()
        probe.logger.warning("adding an account with %s", request.headers.get("Authorization"))
        db.session.add(User(phone=data["phone"], password_hash=data["hash"], name="x",
                            role=Role.WORKER))
        db.session.commit()
        return {"ok": True}

    @probe.post("/probe/careless")
    @csrf.exempt
    def careless():
        raise ValueError(f"refused {request.headers['Authorization']} "
                         f"{request.headers['Cookie']} for {request.get_json()['phone']}")

    return probe


def post_probe(app: Flask, database_uri: str, path: str, phone: str, **overrides) -> int:
    probe = probe_app(database_uri, **overrides)
    try:
        client = probe.test_client()
        client.set_cookie("session", SESSION)
        response = client.post(path, json={"phone": phone, "hash": _HASH},
                               headers={"Authorization": f"Bearer {TOKEN}"})
        return response.status_code
    finally:
        with probe.app_context():
            db.session.remove()
            db.engine.dispose()


def assert_no_secrets(logged: str, phone: str) -> None:
    for secret in (phone, _HASH, _HASH.split("$")[-1], TOKEN, SESSION):
        assert secret not in logged, (secret, logged)
    assert find_secrets(logged) == [], find_secrets(logged)


def test_failed_insert_logs_no_phone_hash_or_token(app, make_worker, root_log):
    worker = make_worker()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert post_probe(app, uri, "/probe/account", worker.phone) == 500
    logged = root_log.getvalue()
    assert "IntegrityError" in logged and "unhandled error on POST /probe/account" in logged
    assert "Bearer [REDACTED]" in logged
    assert_no_secrets(logged, worker.phone)


def test_parameters_in_exception_text_are_redacted_too(app, make_worker, root_log):
    """Even an engine that shows its parameters (a developer's override) logs none."""
    worker = make_worker()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    status = post_probe(app, uri, "/probe/account", worker.phone,
                        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": False})
    assert status == 500
    logged = root_log.getvalue()
    assert "[parameters:" in logged  # the parameters did reach the log line ...
    assert "$argon2id$[REDACTED]" in logged and worker.phone[-4:] in logged  # ... masked
    assert_no_secrets(logged, worker.phone)


def test_exception_text_with_token_cookie_and_phone_is_redacted(app, root_log):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert post_probe(app, uri, "/probe/careless", "13912345678") == 500
    logged = root_log.getvalue()
    assert "ValueError: refused Bearer [REDACTED] session=[REDACTED] for 139****5678" in logged
    assert_no_secrets(logged, "13912345678")


def test_handlers_added_later_see_redacted_records(app, caplog):
    """caplog's handler comes after create_app; the loggers' filter covers it."""
    try:
        raise RuntimeError(f"no account for 13812345678 ({ID_NUMBER}) hash {_HASH}")
    except RuntimeError:
        app.logger.exception("lookup failed for %s", "13812345678")
    assert "13812345678" not in caplog.text and ID_NUMBER not in caplog.text
    assert _HASH not in caplog.text
    assert "RuntimeError: no account for 138****5678 (110***********4477)" in caplog.text


def test_scan_command_finds_secrets_without_printing_them(tmp_path):
    leaky = tmp_path / "leaky.log"
    leaky.write_text(f"ok line\nfailed insert [parameters: ('13812345678', '{_HASH}')]\n")
    clean = tmp_path / "clean.log"
    clean.write_text(redact(leaky.read_text()))
    result = subprocess.run([sys.executable, "-m", "marketplace.logredact", str(leaky),
                             str(clean)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "leaky.log: line 2: phone number" in result.stdout
    assert "leaky.log: line 2: argon2 hash" in result.stdout
    assert "clean.log" not in result.stdout and "13812345678" not in result.stdout
    result = subprocess.run([sys.executable, "-m", "marketplace.logredact", str(clean)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.skipif(not os.environ.get("LOG_SCAN_FILES"),
                    reason="LOG_SCAN_FILES names no server log to scan")
def test_server_logs_have_no_secrets():
    """Scan the logs of a served run (e.g. the schemathesis fuzz run's gunicorn log):
    LOG_SCAN_FILES=path/error.log:path/access.log pytest tests/test_log_secrets.py"""
    from marketplace.logredact import scan_files

    paths = [p for p in os.environ["LOG_SCAN_FILES"].split(os.pathsep) if p]
    missing = [p for p in paths if not os.path.exists(p)]
    assert not missing, f"no such log file: {missing}"
    report = scan_files(paths)
    assert report == {}, {path: [str(f) for f in found] for path, found in report.items()}
