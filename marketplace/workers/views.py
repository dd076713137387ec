"""The worker's own pages under /me: feed, applications, profile, availability, pay, messages."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.firms.services import invitations_for_worker
from marketplace.forms import apply_field_errors, localise_choices
from marketplace.matching.events import commit_event_log
from marketplace.matching.feed import build_feed
from marketplace.notifications import services as notifications
from marketplace.pagination import ListPage
from marketplace.shifts import applications
from marketplace.shifts.models import ShiftStatus
from marketplace.shifts.states import WORKER_ACTIONS, AppStatus
from marketplace.shifts.views import search_form
from marketplace.web import back_to as _back
from marketplace.web import fail as _fail
from marketplace.web import page_arg as _page_arg
from marketplace.web import role_required
from marketplace.workers import services
from marketplace.workers.forms import WEEKDAYS, AvailabilityForm, ProfileForm, RateForm

bp = Blueprint("workers", __name__, url_prefix="/me")
worker_required = role_required(
    lambda user: user.is_worker and user.worker_profile is not None,
    "Only for worker accounts.")

FEED_PER_PAGE = 20
LIST_PER_PAGE = 20
# Tabs of the applications page: which statuses each one lists.
APPLICATION_TABS: dict[str, list[str]] = {
    "active": [AppStatus.PROPOSED, AppStatus.APPLIED, AppStatus.OFFERED, AppStatus.CONFIRMED,
               AppStatus.CHECKED_IN],
    "done": [AppStatus.COMPLETED, AppStatus.NO_SHOW],
    "closed": [AppStatus.WITHDRAWN, AppStatus.DECLINED, AppStatus.REJECTED,
               AppStatus.CANCELLED],
    "all": [],
}
ACTION_MESSAGES = {
    "confirm": _l("Confirmed: the agency's application for you is sent to the firm."),
    "withdraw": _l("You withdrew your application."),
    "accept": _l("Offer accepted: the shift is in your calendar."),
    "decline": _l("You declined the offer."),
    "check-in": _l("Checked in. Have a good shift!"),
    "check-out": _l("Checked out. The firm will confirm your hours."),
}


@bp.get("/feed")
@worker_required
def feed():
    form, status = search_form()
    number = _page_arg()
    items, total = build_feed(actor=current_user, filters=form.to_filters(),
                              limit=FEED_PER_PAGE, offset=(number - 1) * FEED_PER_PAGE)
    now = utcnow()
    invitations = [
        inv for inv in invitations_for_worker(current_user.id)
        if inv.shift.status == ShiftStatus.OPEN and inv.shift.starts_at > now
    ][:5]
    commit_event_log()  # the impressions the feed logged
    return render_template(
        "workers/feed.html", form=form, items=items, invitations=invitations,
        page=ListPage(number, FEED_PER_PAGE, total), total=total,
        profile=current_user.worker_profile,
    ), status


@bp.get("/applications", endpoint="applications")
@worker_required
def applications_page():
    return _render_applications()


def _render_applications(rate_form: RateForm | None = None, rate_for: int | None = None,
                         status: int = 200):
    tab = request.args.get("tab", "active")
    if tab not in APPLICATION_TABS:
        tab = "active"
    number = _page_arg()
    page = applications.list_for_worker(actor=current_user, statuses=APPLICATION_TABS[tab],
                                        page=number, per_page=LIST_PER_PAGE)
    rated = applications.ratings_given([a.id for a in page.items])
    actions = {a.id: applications.available_actions(current_user, a) for a in page.items}
    return render_template(
        "workers/applications.html", page=page, tab=tab, tabs=list(APPLICATION_TABS),
        actions=actions, rated=rated, rate_form=rate_form or RateForm(), rate_for=rate_for,
        here=url_for("workers.applications", tab=tab, page=number if number > 1 else None),
    ), status


@bp.post("/applications/<int:application_id>/<action>")
@worker_required
def act(application_id: int, action: str):
    if action not in WORKER_ACTIONS:
        abort(404)
    back = _back(url_for("workers.applications"))
    try:
        application = applications.transition(actor=current_user,
                                              application_id=application_id, action=action)
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    if action == "decline" and application.agency_id and not application.agency_consent:
        flash(_("You declined the agency's proposal."), "success")
    else:
        flash(str(ACTION_MESSAGES[action]), "success")
    return redirect(back, 303)


@bp.post("/applications/<int:application_id>/rate")
@worker_required
def rate(application_id: int):
    form = RateForm()
    if not form.validate_on_submit():
        return _render_applications(form, application_id, 422)
    try:
        applications.rate(actor=current_user, application_id=application_id,
                          score=form.score.data, comment=form.comment.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(_back(url_for("workers.applications", tab="done")), 303)
    db.session.commit()
    flash(_("Thank you for your rating."), "success")
    return redirect(_back(url_for("workers.applications", tab="done")), 303)


@bp.route("/profile", methods=["GET", "POST"])
@worker_required
def profile():
    from marketplace.laborbases.services import pending_invitations, registry

    form = ProfileForm()
    localise_choices(form)
    form.set_bases(registry())
    status = 200
    if form.validate_on_submit():
        try:
            services.update_profile(actor=current_user, changes=form.changes())
        except DomainError as error:
            db.session.rollback()
            if error.status in (403, 404):
                raise
            apply_field_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("workers.profile"), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.fill_from(current_user)
    form.id_number.data = ""  # never echoed back, not even after an error
    return render_template("workers/profile.html", form=form,
                           profile=current_user.worker_profile,
                           base_invitations=pending_invitations(current_user.id)), status


@bp.route("/availability", methods=["GET", "POST"])
@worker_required
def availability():
    form = AvailabilityForm()
    localise_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            services.set_availability(actor=current_user, weekly=form.weekly(),
                                      dates=form.exceptions())
        except DomainError as error:
            db.session.rollback()
            if error.status in (403, 404):
                raise
            form.form_errors.append(translate(error.message))
            _place_availability_errors(form, error.fields)
            status = error.status
        else:
            db.session.commit()
            flash(_("Your availability is saved."), "success")
            return redirect(url_for("workers.availability"), 303)
    elif form.is_submitted():
        status = 422
        form.form_errors.append(_("Please correct the highlighted fields"))
    else:
        form.fill_from(services.get_availability(actor=current_user))
    return render_template("workers/availability.html", form=form, weekdays=WEEKDAYS), status


def _place_availability_errors(form: AvailabilityForm, fields: dict) -> None:
    """Service errors are keyed "weekly.<n>" / "dates.<n>" by the position in what we sent."""
    weekly_rows = [n for n, entry in enumerate(form.days) if entry.form.start.data]
    date_rows = [n for n, entry in enumerate(form.dates) if entry.form.day.data]
    for key, messages in (fields or {}).items():
        kind, _sep, index = key.partition(".")
        rows = {"weekly": (weekly_rows, form.days), "dates": (date_rows, form.dates)}.get(kind)
        if (rows is None or not (index.isascii() and index.isdigit())
                or int(index) >= len(rows[0])):
            continue
        entry = rows[1][rows[0][int(index)]]
        entry.form.end.errors = [*entry.form.end.errors, *(translate(m) for m in messages)]


@bp.get("/pay")
@worker_required
def pay():
    page = services.pay_history(actor=current_user, page=_page_arg(), per_page=LIST_PER_PAGE)
    totals = services.pay_totals(actor=current_user)
    return render_template("workers/pay.html", page=page, totals=totals)


@bp.get("/calendar.ics")
@worker_required
def calendar():
    body = services.calendar_ics(actor=current_user, base_url=request.url_root)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="weihai-shifts.ics"',
        "Cache-Control": "private, no-store",
    })


@bp.get("/notifications", endpoint="notifications")
@worker_required
def notifications_page():
    page = notifications.list_for(current_user.id, page=_page_arg(), per_page=LIST_PER_PAGE)
    unread = {n.id for n in page.items if n.read_at is None}
    notifications.mark_all_read(current_user.id)
    db.session.commit()
    return render_template("notifications/list.html", page=page, unread=unread,
                           nav_template="workers/_nav.html")
