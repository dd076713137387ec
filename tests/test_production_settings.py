"""Production mode (issue 8 item 9): secure cookies required, HSTS on every response."""

from __future__ import annotations

import os

import pytest

from marketplace.app import create_app
from marketplace.config import ConfigError
from marketplace.extensions import db

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def production(tmp_path, **overrides):
    return create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 48,
                       "RATELIMIT_STORAGE_URI": REDIS_URL,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
                       **overrides})


def test_production_refuses_cookies_sent_over_plain_http(tmp_path):
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        production(tmp_path)
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        production(tmp_path, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=False)


def test_production_refuses_sql_parameters_in_logs(tmp_path):
    with pytest.raises(ConfigError, match="hide_parameters"):
        production(tmp_path, SESSION_COOKIE_SECURE=True,
                   SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": False})


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    app = production(tmp_path, SESSION_COOKIE_SECURE=True)
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    client = app.test_client()
    try:
        cookie = client.get("/login").headers["Set-Cookie"]  # the CSRF token's session
        assert cookie.startswith("session=") and "; Secure" in cookie and "HttpOnly" in cookie
        for path in ("/login", "/healthz", "/no-such-page", "/static/css/app.css"):
            response = client.get(path)
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
    finally:
        with app.app_context():
            db.engine.dispose()


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
