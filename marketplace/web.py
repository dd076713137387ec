"""Small helpers shared by the HTML views of every domain."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.security import safe_next
from marketplace.validators import MAX_PAGE, db_id


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
    """The page asked for (1 when missing or not a number), at most MAX_PAGE."""
    return min(request.args.get("page", 1, type=db_id) or 1, MAX_PAGE)


def back_to(default: str) -> str:
    """The form's `next` if it is a path on this site, else `default`."""
    return safe_next(request.form.get("next"), default)


def fail(error: DomainError) -> None:
    """Roll back; 404 and 403 go on to the error page, anything else becomes a flash."""
    db.session.rollback()
    if error.status in (403, 404):
        raise error
    flash(translate(error.message), "error")


def fail_on_page(error: DomainError) -> None:
    """Like `fail`, but a 403 (an agency not yet verified, an administrator's refused step) is
    explained on the page too; only "not found" goes on to the error page."""
    db.session.rollback()
    if error.status == 404:
        raise error
    flash(translate(error.message), "error")


def button_action(form, call: Callable[[], object], *, back: str, done: str,
                  on_error: Callable[[DomainError], None] = fail) -> ResponseReturnValue:
    """A one-button POST: the form's CSRF token checked, one service call committed, a flash
    saying it is done and a 303 back; a refusal goes to `on_error` (roll back, explain)."""
    if not form.validate_on_submit():
        abort(400)
    try:
        call()
    except DomainError as error:
        on_error(error)
        return redirect(back, 303)
    db.session.commit()
    flash(done, "success")
    return redirect(back, 303)
