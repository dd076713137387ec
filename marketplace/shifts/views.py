"""Public shift pages: search, detail, and a worker's application from the detail page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.forms import localise_choices
from marketplace.matching.events import log_event
from marketplace.shifts import applications, services
from marketplace.shifts.forms import ApplyForm, ShiftSearchForm
from marketplace.validators import MAX_PAGE, db_id, db_int

bp = Blueprint("shifts", __name__)

PER_PAGE = 20
EVENT_SOURCES = ("feed", "search", "invite", "home")


def search_form() -> tuple[ShiftSearchForm, int]:
    """The filter form bound to the query string; 400 when a filter could not be read."""
    form = ShiftSearchForm(formdata=request.args)
    localise_choices(form)
    valid = form.validate()
    return form, 200 if valid else 400


def _page_arg() -> int:
    return min(request.args.get("page", 1, type=db_id) or 1, MAX_PAGE)


@bp.get("/shifts")
def search():
    form, status = search_form()
    page = services.search_shifts(form.to_filters(), page=_page_arg(), per_page=PER_PAGE)
    return render_template("shifts/search.html", form=form, page=page), status


def _signed_in_user():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/shifts/<int:shift_id>")
def detail(shift_id: int):
    return _render_detail(shift_id, ApplyForm())


def _render_detail(shift_id: int, form: ApplyForm, status: int = 200):
    user = _signed_in_user()
    shift = services.get_visible_shift(actor=user, shift_id=shift_id)
    application = None
    missing: list[str] = []
    if user is not None and user.is_worker:
        application = applications.find_for_worker(actor=user, shift_id=shift.id)
        held = set(user.worker_profile.certificates) if user.worker_profile else set()
        missing = [c for c in shift.certificates if c not in held]
        if request.method == "GET":
            source = request.args.get("src")
            log_event(worker_id=user.id, shift_id=shift.id, kind="view",
                      position=request.args.get("pos", type=db_int),
                      source=source if source in EVENT_SOURCES else "direct")
            db.session.commit()
    return render_template(
        "shifts/detail.html", shift=shift, application=application, missing=missing,
        form=form, actions=applications.available_actions(user, application)
        if application is not None else [],
    ), status


@bp.post("/shifts/<int:shift_id>/apply")
@login_required
def apply(shift_id: int):
    if not current_user.is_worker:
        abort(404)
    form = ApplyForm()
    if not form.validate_on_submit():
        return _render_detail(shift_id, form, 422)
    try:
        applications.apply(actor=current_user, shift_id=shift_id, note=form.note.data or "",
                           source="web")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        flash(translate(error.message), "error")
        return redirect(url_for("shifts.detail", shift_id=shift_id), 303)
    db.session.commit()
    flash(_("You applied. The firm will answer you here and in your messages."), "success")
    return redirect(url_for("shifts.detail", shift_id=shift_id), 303)
