"""Rate limits on sign-in, registration and password changes.

One failed-sign-in count per account, shared by every route that checks a password
(`POST /login`, `POST /api/v1/auth/token`, the password-change page and API): the limits are
Flask-Limiter *shared* limits, so they live under one key in the limiter's storage (Redis in
production) whatever the route. When that storage is unreachable, Flask-Limiter's in-memory
fallback counts per process instead (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) and a warning is
logged once per outage.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask.logging import default_handler
from flask_login import current_user

from marketplace.extensions import limiter

ACCOUNT_SCOPE = "login-account"  # failed password checks, per account, on every route


def _body_phone() -> str:
    """The phone number of a form or JSON body, or "" (never an error on odd bodies)."""
    phone = request.form.get("phone")
    if not phone and request.is_json:
        body = request.get_json(silent=True)
        phone = body.get("phone") if isinstance(body, dict) else None
    return phone.strip() if isinstance(phone, str) else ""


def _digest(phone: str) -> str:
    return hashlib.sha256(phone.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _phone_key() -> str:
    return f"login-account:{_digest(_body_phone())}"


def _current_account_key() -> str:
    """The signed-in account (web session or API token): its failed password checks count
    with the sign-in failures of the same phone number."""
    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user
    return f"login-account:{_digest(user.phone)}" if user is not None else ""


def _register_phone_key() -> str:
    # never empty: Flask-Limiter would skip the limit (and log an error) on an empty key
    return f"register-phone:{_digest(_body_phone())}"


def _failed(response) -> bool:
    return response.status_code in (400, 401, 403, 422) or getattr(response, "login_failed", False)


def note_failed_guess() -> None:
    """Record that this request checked a password and it was wrong (outside a sign-in)."""
    g.password_guess_failed = True


def _guess_failed(_response) -> bool:
    return bool(g.get("password_guess_failed"))


def login_limits(view: Callable) -> Callable:
    """Apply both sign-in limits; only failed attempts count against the account."""
    view = limiter.shared_limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"], scope=ACCOUNT_SCOPE,
        key_func=_phone_key, deduct_when=_failed, methods=["POST"],
    )(view)
    return limiter.shared_limit(
        lambda: current_app.config["LOGIN_IP_RATE_LIMIT"], scope="login-ip", methods=["POST"],
    )(view)


def password_change_limits(view: Callable) -> Callable:
    """A wrong current password counts as a failed sign-in of the signed-in account."""
    return limiter.shared_limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"], scope=ACCOUNT_SCOPE,
        key_func=_current_account_key, deduct_when=_guess_failed, methods=["POST"],
    )(view)


def register_limits(view: Callable) -> Callable:
    """Every registration attempt counts, per client address and per phone number, across the
    web forms and the API."""
    view = limiter.shared_limit(
        lambda: current_app.config["REGISTER_RATE_LIMIT"], scope="register-phone",
        key_func=_register_phone_key, methods=["POST"],
    )(view)
    return limiter.shared_limit(
        lambda: current_app.config["REGISTER_IP_RATE_LIMIT"], scope="register-ip",
        methods=["POST"],
    )(view)


def init_limits(app: Flask) -> None:
    """Let Flask-Limiter's warnings (storage unreachable, falling back to memory) reach the log.

    Its logger has a NullHandler of its own, so without a handler on the root logger (plain
    gunicorn) they would vanish; then they go where the app's own log goes (stderr).
    """
    log = logging.getLogger("flask-limiter")
    log.setLevel(logging.WARNING)
    if not logging.getLogger().handlers and default_handler not in log.handlers:
        log.addHandler(default_handler)
