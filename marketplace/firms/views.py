"""The firm's pages under /firm: shifts, posting and editing, applicants, favourites, messages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from marketplace.agencies.brokering import brokers_for
from marketplace.db import utcnow
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.firms import services
from marketplace.firms.forms import (
    FORM_NAME_OF,
    ActionForm,
    CancelShiftForm,
    ConfirmForm,
    FavouriteForm,
    InviteForm,
    RateWorkerForm,
    ShiftForm,
)
from marketplace.forms import apply_field_errors
from marketplace.matching import candidates as matching
from marketplace.notifications import services as notifications
from marketplace.security import safe_next
from marketplace.shifts import applications
from marketplace.shifts import services as shifts
from marketplace.shifts.models import ShiftStatus
from marketplace.shifts.states import FIRM_ACTIONS
from marketplace.web import back_to as _back
from marketplace.web import button_action, role_required
from marketplace.web import fail as _fail
from marketplace.web import page_arg as _page_arg

bp = Blueprint("firms", __name__, url_prefix="/firm")
firm_required = role_required(lambda user: user.is_firm and user.firm is not None,
                "Only for firm accounts.")

LIST_PER_PAGE = 20
CANDIDATES_SHOWN = 30
APPLICANTS_PER_PAGE = 50
STATUS_TABS = ("open", "completed", "cancelled", "all")
ACTION_MESSAGES = {
    "offer": _l("Offer sent. The worker confirms it in the app."),
    "reject": _l("The applicant was told they were not selected."),
    "complete": _l("Attendance confirmed."),
    "no-show": _l("Marked as a no-show."),
}


def _place_errors(form: ShiftForm, error: DomainError) -> None:
    fields = {FORM_NAME_OF.get(name, name): messages for name, messages in error.fields.items()}
    apply_field_errors(form, type(error)(error.message, code=error.code, fields=fields))
    if error.status != 422 and fields:
        form.form_errors.append(translate(error.message))


@bp.get("/")
@firm_required
def dashboard():
    tab = request.args.get("status", "open")
    if tab not in STATUS_TABS:
        tab = "open"
    page = shifts.list_firm_shifts(actor=current_user, status=None if tab == "all" else tab,
                                   page=_page_arg(), per_page=LIST_PER_PAGE)
    return render_template("firms/dashboard.html", page=page, tab=tab, tabs=STATUS_TABS,
                           firm=current_user.firm, cancel_form=CancelShiftForm())


@bp.route("/shifts/new", methods=["GET", "POST"])
@firm_required
def new_shift():
    form = ShiftForm()
    form.localise()
    status = 200
    if form.validate_on_submit():
        try:
            shift = shifts.post_shift(actor=current_user, data=form.to_data())
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                raise
            _place_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Your shift is posted. Workers can apply now."), "success")
            return redirect(url_for("firms.applicants", shift_id=shift.id), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.district.data = current_user.firm.district or form.district.data
        form.category.data = current_user.firm.industry or form.category.data
    return render_template("firms/shift_form.html", form=form, shift=None,
                           firm=current_user.firm), status


@bp.route("/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@firm_required
def edit_shift(shift_id: int):
    shift = shifts.get_own_shift(actor=current_user, shift_id=shift_id)
    form = ShiftForm()
    form.localise()
    status = 200
    if form.validate_on_submit():
        try:
            shifts.update_shift(actor=current_user, shift_id=shift.id,
                                changes=form.changes_from(shift))
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                raise
            _place_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("The shift is saved."), "success")
            return redirect(url_for("firms.applicants", shift_id=shift.id), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.fill_from(shift)
    return render_template("firms/shift_form.html", form=form, shift=shift,
                           firm=current_user.firm), status


@bp.post("/shifts/<int:shift_id>/cancel")
@firm_required
def cancel_shift(shift_id: int):
    form = CancelShiftForm()
    back = _back(url_for("firms.dashboard"))
    if not form.validate_on_submit():
        flash(_("The reason is too long (at most 300 characters)."), "error")
        return redirect(back, 303)
    try:
        shifts.cancel_shift(actor=current_user, shift_id=shift_id, reason=form.reason.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("The shift is cancelled. Applicants and confirmed workers were told."), "success")
    return redirect(url_for("firms.dashboard"), 303)


@bp.get("/shifts/<int:shift_id>/applicants")
@firm_required
def applicants(shift_id: int):
    page = applications.list_for_shift(actor=current_user, shift_id=shift_id,
                                       page=_page_arg(), per_page=APPLICANTS_PER_PAGE)
    shift = shifts.get_own_shift(actor=current_user, shift_id=shift_id)  # identity map: no query
    items = page.items
    return render_template(
        "firms/applicants.html", shift=shift, page=page,
        records=applications.worker_records(sorted({a.worker_id for a in items})),
        rated=applications.ratings_given([a.id for a in items]),
        actions={a.id: applications.available_actions(current_user, a) for a in items},
        favourites=services.favourite_ids(current_user.firm_id),
        brokers=brokers_for(items),
        here=url_for("firms.applicants", shift_id=shift.id,
                     page=page.page if page.page > 1 else None),
        cancel_form=CancelShiftForm(),
    )


@bp.post("/applications/<int:application_id>/<action>")
@firm_required
def act(application_id: int, action: str):
    if action not in FIRM_ACTIONS:
        abort(404)
    form = ActionForm()
    back = _back(url_for("firms.dashboard"))
    if not form.validate_on_submit():
        messages = [m for f in (form.minutes_worked, form.pieces) for m in f.errors]
        flash(" ".join(str(m) for m in messages) or _("Please try again."), "error")
        return redirect(back, 303)
    try:
        applications.transition(actor=current_user, application_id=application_id,
                                action=action, params=form.params())
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(str(ACTION_MESSAGES[action]), "success")
    return redirect(back, 303)


@bp.post("/applications/<int:application_id>/rate")
@firm_required
def rate(application_id: int):
    form = RateWorkerForm()
    back = _back(url_for("firms.dashboard"))
    if not form.validate_on_submit():
        flash(_("Choose 1 to 5 stars."), "error")
        return redirect(back, 303)
    try:
        applications.rate(actor=current_user, application_id=application_id,
                          score=form.score.data, comment=form.comment.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("Thank you for your rating."), "success")
    return redirect(back, 303)


@bp.post("/workers/<int:worker_id>/favourite")
@firm_required
def favourite(worker_id: int):
    form = FavouriteForm()
    back = safe_next(form.next.data, url_for("firms.favourites"))
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.wanted:
            services.add_favourite(actor=current_user, worker_id=worker_id)
        else:
            services.remove_favourite(actor=current_user, worker_id=worker_id)
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("Added to your favourites.") if form.wanted else _("Removed from your favourites."),
          "success")
    return redirect(back, 303)


@bp.get("/favourites")
@firm_required
def favourites():
    page = services.list_favourites(actor=current_user, page=_page_arg(),
                                    per_page=LIST_PER_PAGE)
    open_page = shifts.list_firm_shifts(actor=current_user, status=ShiftStatus.OPEN,
                                        page=1, per_page=100)
    now = utcnow()
    open_shifts = sorted((s for s in open_page.items if s.starts_at > now),
                         key=lambda s: s.starts_at)
    return render_template(
        "firms/favourites.html", page=page, open_shifts=open_shifts,
        records=applications.worker_records([w.id for w in page.items]),
    )


@bp.post("/favourites/invite")
@firm_required
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("Choose one of your open shifts."), "error")
        return redirect(url_for("firms.favourites"), 303)
    try:
        services.invite(actor=current_user, shift_id=form.shift_id.data,
                        worker_id=form.worker_id.data)
    except DomainError as error:
        _fail(error)
        return redirect(url_for("firms.favourites"), 303)
    db.session.commit()
    flash(_("Invitation sent."), "success")
    return redirect(url_for("firms.favourites"), 303)


@bp.get("/notifications", endpoint="notifications")
@firm_required
def notifications_page():
    page = notifications.list_for(current_user.id, page=_page_arg(), per_page=LIST_PER_PAGE)
    unread = {n.id for n in page.items if n.read_at is None}
    notifications.mark_all_read(current_user.id)
    db.session.commit()
    return render_template("notifications/list.html", page=page, unread=unread,
                           nav_template="firms/_nav.html")


@bp.get("/shifts/<int:shift_id>/candidates")
@firm_required
def candidates(shift_id: int):
    shift = shifts.get_own_shift(actor=current_user, shift_id=shift_id)
    problem = None
    try:
        items = matching.suggest(actor=current_user, shift_id=shift.id, limit=CANDIDATES_SHOWN)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        items, problem = [], translate(error.message)
    return render_template("firms/candidates.html", shift=shift, items=items, problem=problem,
                           invited=services.invited_ids(shift.id), form=ConfirmForm())


@bp.post("/shifts/<int:shift_id>/candidates/<int:worker_id>/invite")
@firm_required
def invite_candidate(shift_id: int, worker_id: int):
    form = ConfirmForm()
    back = url_for("firms.candidates", shift_id=shift_id)
    return button_action(
        form,
        lambda: services.invite_candidate(actor=current_user, shift_id=shift_id,
                                          worker_id=worker_id),
        back=back,
        done=_("Invitation sent. The worker gets a message and can apply in one tap."),
    )


@bp.get("/match")
@firm_required
def match():
    plan, summary = matching.one_click_plan(actor=current_user)
    workers = services.users_by_id(p.application.worker_id for p in plan)
    return render_template("firms/match.html", plan=plan, summary=summary, workers=workers,
                           form=ConfirmForm())


@bp.post("/match")
@firm_required
def send_match():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sent = matching.send_planned_offers(actor=current_user)
    except DomainError as error:
        _fail(error)
        return redirect(url_for("firms.match"), 303)
    db.session.commit()
    if sent:
        flash(ngettext("%(num)d offer sent.", "%(num)d offers sent.", sent), "success")
    else:
        flash(_("No offers to send: no open seat has a pending applicant."), "info")
    return redirect(url_for("firms.match"), 303)
