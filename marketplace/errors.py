"""Domain errors raised by services, and the handlers that answer them as HTML or JSON."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Request,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import RequestRedirect


def N_(message: str, /, **params: Any) -> str:
    """Mark a message for extraction into the catalog (`pybabel extract -k N_`).

    Without `params` the message comes back unchanged. With `params` it comes back as the
    English text `message % params` (what the API returns), a `Text` that remembers the msgid
    and the values so the web can show it in the user's language with `translate`.
    """
    if not params:
        return message
    return Text(message % params, message, params)


class Text(str):
    """English text that also knows how to say itself in the user's language.

    `Text(english, msgid)` keeps `english` (for example a detailed f-string) for the API and
    shows the static `msgid` translated on the web.
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, text: str, msgid: str, params: dict[str, Any] | None = None) -> Text:
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = dict(params or {})
        return obj


def translate(message: str) -> str:
    """A service message (plain English msgid or a `Text`) in the request's language."""
    if isinstance(message, Text):
        return _(message.msgid, **message.params)
    return _(str(message))


class DomainError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, sent as Retry-After when set

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"


def wants_json(req: Request) -> bool:
    if req.path.startswith("/api/"):
        return True
    best = req.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and req.accept_mimetypes[best] > req.accept_mimetypes[
        "text/html"
    ]


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        if wants_json(request):
            response = jsonify(error_body(error.code, error.message, error.fields))
            if error.retry_after is not None:
                response.headers["Retry-After"] = str(error.retry_after)
            return response, error.status
        if error.status in (404, 403, 401):
            return render_error_page(error.status, translate(error.message))
        flash(translate(error.message), "error")
        return redirect(request.referrer or "/"), 303

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        message = _("Your form expired or was not sent from this site. Please try again.")
        if wants_json(request):
            return jsonify(error_body("csrf_failed", message)), 400
        return render_error_page(400, message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if isinstance(error, MethodNotAllowed) and nothing_at_this_url(error):
            error = HTTPNotFound()
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
        if error.code == 429:
            code, message = "rate_limited", _("Too many attempts. Please wait and try again.")
        if wants_json(request):
            return jsonify(error_body(code, message)), error.code
        return render_error_page(error.code or 500, message)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = _("Something went wrong on our side. Please try again later.")
        if wants_json(request):
            return jsonify(error_body("server_error", message)), 500
        return render_error_page(500, message)


def nothing_at_this_url(error: MethodNotAllowed) -> bool:
    """Whether a 405 is really a 404.

    Werkzeug checks a rule's methods before its URL converters: `PATCH /shifts/0` answers 405
    when the GET rule's pattern fits the path, even though the id converter refuses `0` for
    every method. Match the URL again with each allowed method; when none of them matches
    either, nothing is at this URL.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
        except (HTTPNotFound, MethodNotAllowed):
            continue
        except RequestRedirect:
            return False
        return False
    return True


def render_error_page(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status
