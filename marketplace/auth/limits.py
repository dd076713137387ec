"""Login rate limits: per account (failed attempts) and per client address."""

from __future__ import annotations

import hashlib

from flask import current_app, request

from marketplace.extensions import limiter


def _phone_key() -> str:
    phone = request.form.get("phone") or (request.get_json(silent=True) or {}).get("phone") or ""
    digest = hashlib.sha256(str(phone).strip().encode()).hexdigest()[:24]
    return f"login-account:{digest}"


def _failed(response) -> bool:
    return response.status_code in (400, 401, 403, 422) or getattr(response, "login_failed", False)


def login_limits(view):
    """Apply both login limits; only failed attempts count against the account."""
    view = limiter.limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_phone_key,
        deduct_when=_failed, methods=["POST"], scope="login-account",
    )(view)
    return limiter.limit(
        lambda: current_app.config["LOGIN_IP_RATE_LIMIT"], methods=["POST"], scope="login-ip",
    )(view)
