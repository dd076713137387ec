"""Small helpers shared by the HTML views of every domain."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, flash, request
from flask_login import current_user, login_required

from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.security import safe_next


def role_required(allowed: Callable[[object], bool], doc: str) -> Callable:
    """Decorator: signed in (else to the login page) and `allowed(user)` (else 404: the page
    is not theirs, and saying 403 would tell that it exists)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not allowed(current_user):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    decorator.__doc__ = doc
    return decorator


def page_arg() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def back_to(default: str) -> str:
    """The form's `next` if it is a path on this site, else `default`."""
    return safe_next(request.form.get("next"), default)


def fail(error: DomainError) -> None:
    """Roll back; 404 and 403 go on to the error page, anything else becomes a flash."""
    db.session.rollback()
    if error.status in (403, 404):
        raise error
    flash(translate(error.message), "error")
