"""Database faults (issue 8 item 6): a dropped connection is never a 500.

* `pool_pre_ping` (config.py) replaces pooled connections the server dropped while idle.
* A connection that drops *during* a request raises OperationalError / InterfaceError /
  DisconnectionError (psycopg: `psycopg.OperationalError`). The handler below rolls the
  session back and answers 503 with `Retry-After` and the error envelope (JSON) or the error
  page (HTML), without touching the database again.
* GET and HEAD change nothing, so `RetryIdempotentReads` runs them once more, in a fresh
  request context on a fresh connection, before that 503 reaches the client. Other methods are
  never retried: the client cannot know whether the write happened, and decides itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from flask import Flask, current_app, g, has_app_context, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc

from marketplace.errors import error_body, render_error_page, wants_json
from marketplace.extensions import db, login_manager

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
RETRY_KEY = "marketplace.db_retry"  # environ: the handler asks the middleware for a retry
RETRIED_KEY = "marketplace.db_retried"  # environ: this is the retry, answer 503 if it fails
RETRY_DELAY_SECONDS = 0.1
# Pool exhaustion (sqlalchemy.exc.TimeoutError) is an overload: 503, but a retry would only
# wait for the pool again.
NOT_RETRIED: tuple[type[BaseException], ...] = (sa_exc.TimeoutError,)
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
    sa_exc.TimeoutError, psycopg.OperationalError, psycopg.InterfaceError,
)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]


def register(app: Flask) -> None:
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
    app.wsgi_app = RetryIdempotentReads(app.wsgi_app)  # type: ignore[method-assign]


def database_unavailable(error: Exception):
    """503 + Retry-After; asks for one retry of a GET/HEAD that has not been retried yet."""
    environ = request.environ
    retry = (request.method in IDEMPOTENT_METHODS and not environ.get(RETRIED_KEY)
             and not isinstance(error, NOT_RETRIED))
    environ[RETRY_KEY] = retry
    first_line = (str(error).splitlines() or [""])[0]
    current_app.logger.warning(
        "database unavailable on %s %s (%s)%s: %s", request.method, request.path,
        type(error).__name__, "; retrying" if retry else "", first_line)
    forget_database_state()
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    if wants_json(request):
        body = jsonify(error_body("service_unavailable", message))
    else:
        body, _status = render_error_page(503, message)
    return body, 503, {"Retry-After": str(current_app.config["DB_RETRY_AFTER_SECONDS"])}


def forget_database_state() -> None:
    """Roll back, and show the page as to a visitor: the signed-in user's row (expired by the
    rollback), their locale and unread count would each need the database again."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it
        db.session().invalidate()
    g._login_user = login_manager.anonymous_user()


class RetryIdempotentReads:
    """WSGI middleware: a GET or HEAD that met a dropped database connection runs once more.

    Flask calls `start_response` before returning the body, so the first answer can be held
    back and dropped when the error handler asked for a retry.
    """

    def __init__(self, app: WSGIApp, delay: float = RETRY_DELAY_SECONDS) -> None:
        self.app = app
        self.delay = delay

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in IDEMPOTENT_METHODS:
            return self.app(environ, start_response)
        held: list[Any] = []

        def hold(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            held[:] = [status, headers, exc_info]
            return lambda _data: None

        body = self.app(environ, hold)
        if not environ.pop(RETRY_KEY, False):
            start_response(*held)
            return body
        close = getattr(body, "close", None)
        if close:
            close()
        environ[RETRIED_KEY] = True
        if has_app_context():  # an outer app context spans both attempts (tests, scripts):
            g.pop("_login_user", None)  # the failed attempt's stand-in visitor goes with it
        time.sleep(self.delay)
        return self.app(environ, start_response)
