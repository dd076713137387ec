"""Repeated POSTs take effect once: the `Idempotency-Key` header (API) and the hidden
`idempotency_key` field of every HTML form (a double tap, a retry after a lost answer).

The first request with a key reserves it in its own committed transaction, then runs; its
answer (status, type, location, body) is stored with the key for `IDEMPOTENCY_TTL_HOURS`.
A repeat with the same key and the same request gets that answer again, marked
`Idempotent-Replayed: true`; a repeat that arrives while the first still runs waits for it
(up to `IDEMPOTENCY_WAIT_SECONDS`, then 409 `idempotency_in_progress` with Retry-After); the
same key on a different request is refused (422 `idempotency_key_reused`). Server errors
are not stored, so a retry after one runs again.

Keys belong to the caller: the bearer token (API), the signed-in user (HTML), or the exact
request body for anonymous API calls (registration). An HTML form key is combined with the
form's content, so a form corrected after going back in the browser is a new submission.
`POST /api/v1/auth/token` is exempt: its answer is a secret that is never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time

from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from sqlalchemy import String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.sqlite import begin_read_transaction

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}", re.ASCII)
MAX_STORED_BODY = 256 * 1024
EXEMPT_ENDPOINTS = frozenset({"api.issue_token"})


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # NULL while the first request runs.
    status_code: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[bytes | None]


def register(app: Flask) -> None:
    """Install the hooks; call after CSRF protection so a forged form is refused first."""
    app.config.setdefault("IDEMPOTENCY_TTL_HOURS", 24)
    app.config.setdefault("IDEMPOTENCY_WAIT_SECONDS", 10.0)
    app.before_request(_before)
    app.after_request(_after)


def _digest(*parts: bytes | str) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\0")
    return sha.hexdigest()


def _scope_and_key() -> tuple[str, str] | None:
    """Who the key belongs to and the key as stored, or None when this request has none."""
    if request.method != "POST" or request.endpoint in EXEMPT_ENDPOINTS:
        return None
    is_api = request.path.startswith("/api/")
    raw = request.headers.get(HEADER) if is_api else request.form.get(FORM_FIELD)
    if raw is None or raw == "":
        return None
    if not KEY_PATTERN.fullmatch(raw):
        raise ValidationFailed(
            N_("An idempotency key is 1 to 255 visible ASCII characters"),
            code="invalid_idempotency_key", fields={HEADER: ["Invalid"]})
    if is_api:
        bearer = request.headers.get("Authorization", "")
        if bearer:
            return "token:" + _digest(bearer)[:40], raw
        return "anon", "anon:" + _digest(raw, _fingerprint())  # only the same body replays
    if not current_user.is_authenticated:
        return None  # sign-in and registration forms start a session: never replayed
    return f"user:{current_user.id}", "form:" + _digest(raw, request.get_data())


def _fingerprint() -> str:
    return _digest(request.method, request.full_path, request.get_data())


def _before() -> Response | None:
    found = _scope_and_key()
    if found is None:
        return None
    scope, key = found
    fingerprint = _fingerprint()
    deadline = time.monotonic() + current_app.config["IDEMPOTENCY_WAIT_SECONDS"]
    while True:
        record_id = _reserve(scope, key, fingerprint)
        if record_id is not None:
            g.idempotency_record_id = record_id
            return None
        earlier = _earlier(scope, key)
        if earlier is None:
            continue  # expired and removed meanwhile: reserve again
        if earlier.fingerprint != fingerprint:
            raise ValidationFailed(
                N_("This idempotency key was used for a different request"),
                code="idempotency_key_reused", fields={HEADER: ["Already used"]})
        if earlier.status_code is not None:
            return _replay(earlier)
        db.session.rollback()
        if time.monotonic() >= deadline:
            error = Conflict(N_("This request is still being processed. Please wait a moment."),
                             code="idempotency_in_progress")
            error.retry_after = 1
            raise error
        time.sleep(0.05)


def _reserve(scope: str, key: str, fingerprint: str) -> int | None:
    record = IdempotencyKey(scope=scope, key=key, fingerprint=fingerprint)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return record.id


def _earlier(scope: str, key: str) -> IdempotencyKey | None:
    """The stored request with this key, removed (and None returned) once it has expired."""
    begin_read_transaction()  # a fresh snapshot, and no write lock while we wait
    earlier = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key))
    if earlier is None:
        return None
    ttl = dt.timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    if earlier.created_at < utcnow() - ttl:
        db.session.rollback()  # the delete runs in a writing transaction of its own
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == earlier.id))
        db.session.commit()
        return None
    return earlier


def _replay(earlier: IdempotencyKey) -> Response:
    response = Response(earlier.body or b"", status=earlier.status_code,
                        content_type=earlier.content_type)
    if earlier.location:
        response.headers["Location"] = earlier.location
    response.headers[REPLAYED_HEADER] = "true"
    db.session.rollback()
    return response


def _after(response: Response) -> Response:
    record_id = g.pop("idempotency_record_id", None)
    if record_id is None:
        return response
    db.session.rollback()  # whatever a refused request left unflushed is not part of it
    body = None if response.direct_passthrough or response.is_streamed else response.get_data()
    if response.status_code >= 500 or body is None or len(body) > MAX_STORED_BODY:
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
    else:
        db.session.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == record_id).values(
                status_code=response.status_code, content_type=response.content_type,
                location=response.headers.get("Location"), body=body))
    db.session.commit()
    return response


def purge_expired(*, ttl_hours: int) -> int:
    """Delete stored answers older than the time they are kept for; returns how many."""
    cutoff = utcnow() - dt.timedelta(hours=ttl_hours)
    removed = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
    db.session.commit()
    return removed
