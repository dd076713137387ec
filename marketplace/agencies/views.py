"""The agency's pages under /agency (desktop first), its registration at /register/agency, and
agency profiles at /agencies/<id> (trust grade for firms and workers, complaints)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from marketplace.agencies import brokering, roster, services, trust
from marketplace.agencies.forms import (
    AgencyRegisterForm,
    BrokerApplyForm,
    ButtonForm,
    ComplaintForm,
    FillSendForm,
    InviteWorkerForm,
)
from marketplace.agencies.models import Agency
from marketplace.auth.limits import register_limits
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.forms import apply_field_errors, localise_choices
from marketplace.notifications import services as notifications
from marketplace.shifts import services as shifts
from marketplace.shifts.views import search_form
from marketplace.validators import db_id
from marketplace.web import back_to, button_action, page_arg, role_required
from marketplace.web import fail_on_page as _fail

bp = Blueprint("agencies", __name__)
agency_required = role_required(lambda user: user.is_agency and user.agency is not None,
                                "Only for HR agency accounts.")
signed_in = role_required(lambda user: True, "Any signed-in account.")

PER_PAGE = 30
CANDIDATES_SHOWN = 20
PLACEMENT_TABS = {
    "waiting": ["proposed"],
    "active": ["applied", "offered", "confirmed", "checked_in"],
    "done": ["completed", "no_show"],
    "closed": ["withdrawn", "declined", "rejected", "cancelled"],
    "all": [],
}


# ----------------------------------------------------------------------- registration


@bp.route("/register/agency", methods=["GET", "POST"])
@register_limits
def register():
    form = AgencyRegisterForm()
    localise_choices(form)
    if form.validate_on_submit():
        try:
            user = services.register_agency(
                phone=form.phone.data, password=form.password.data, name=form.name.data,
                agency_name=form.agency_name.data, credit_code=form.credit_code.data,
                licence_no=form.licence_no.data, district=form.district.data,
                address=form.address.data)
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return render_template("agencies/register.html", form=form), error.status
        db.session.commit()
        login_user(user)
        flash(_("Registered. The city will verify your agency before it can invite workers "
                "and fill shifts."), "success")
        return redirect(url_for("agencies.dashboard"))
    return render_template("agencies/register.html", form=form), (
        422 if form.is_submitted() else 200)


# ----------------------------------------------------------------------- the agency's pages


@bp.get("/agency/")
@agency_required
def dashboard():
    agency = current_user.agency
    card = trust.scorecard(agency.id)
    pending = roster.pending_for_agency(actor=current_user)
    waiting = brokering.list_placements(actor=current_user, statuses=["proposed"], page=1,
                                        per_page=1).total
    return render_template("agencies/dashboard.html", agency=agency, card=card,
                           roster_size=roster.roster_size(agency.id), pending=pending,
                           waiting=waiting, totals=brokering.commission_totals(agency.id))


@bp.get("/agency/roster")
@agency_required
def roster_page():
    return _render_roster(InviteWorkerForm())


def _render_roster(form: InviteWorkerForm, status: int = 200):
    q = (request.args.get("q") or "").strip()[:40] or None
    page = roster.list_roster(actor=current_user, page=page_arg(), per_page=PER_PAGE, q=q)
    from marketplace.shifts.applications import worker_records

    return render_template(
        "agencies/roster.html", page=page, form=form, q=q, agency=current_user.agency,
        pending=roster.pending_for_agency(actor=current_user),
        records=worker_records([m.worker_id for m in page.items]), button=ButtonForm(),
    ), status


@bp.post("/agency/roster/invite")
@agency_required
def invite():
    form = InviteWorkerForm()
    if not form.validate_on_submit():
        return _render_roster(form, 422)
    try:
        roster.invite(actor=current_user, phone=form.phone.data, note=form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        apply_field_errors(form, error)
        return _render_roster(form, error.status)
    db.session.commit()
    flash(_("Invitation sent. The worker accepts it on their phone."), "success")
    return redirect(url_for("agencies.roster_page"), 303)


@bp.post("/agency/roster/requests/<int:membership_id>/<answer>")
@agency_required
def answer_request(membership_id: int, answer: str):
    if answer not in ("accept", "decline"):
        abort(404)
    return button_action(
        ButtonForm(),
        lambda: roster.answer_request(actor=current_user, membership_id=membership_id,
                                      accept=answer == "accept"),
        back=url_for("agencies.roster_page"),
        done=_("The worker is on your roster now.") if answer == "accept"
        else _("The request was declined."),
        on_error=_fail,
    )


@bp.get("/agency/roster/<int:worker_id>")
@agency_required
def roster_worker(worker_id: int):
    membership = roster.roster_member(actor=current_user, worker_id=worker_id)
    mine = brokering.placements_for_worker(actor=current_user, worker_id=worker_id)
    return render_template("agencies/roster_worker.html", membership=membership,
                           worker=roster.worker_profile_for_agency(membership),
                           applications=mine, button=ButtonForm())


@bp.post("/agency/roster/<int:worker_id>/end")
@agency_required
def end_membership(worker_id: int):
    return button_action(
        ButtonForm(),
        lambda: roster.end_by_agency(actor=current_user, worker_id=worker_id),
        back=url_for("agencies.roster_page"),
        done=_("The worker is no longer on your roster."),
        on_error=_fail,
    )


@bp.get("/agency/shifts")
@agency_required
def shift_list():
    form, status = search_form()
    filters = form.to_filters()
    filters.firm_id = request.args.get("firm_id", type=db_id)
    page = shifts.search_shifts(filters, page=page_arg(), per_page=PER_PAGE)
    return render_template("agencies/shifts.html", form=form, page=page,
                           firms=brokering.firms_with_open_shifts(),
                           firm_id=filters.firm_id, agency=current_user.agency), status


@bp.get("/agency/shifts/<int:shift_id>")
@agency_required
def shift_page(shift_id: int):
    return _render_shift(shift_id, BrokerApplyForm(formdata=None))


def _render_shift(shift_id: int, form: BrokerApplyForm, status: int = 200):
    shift = shifts.get_visible_shift(actor=current_user, shift_id=shift_id)
    candidates, problem = [], None
    try:
        candidates = brokering.roster_candidates(actor=current_user, shift_id=shift.id,
                                                 limit=CANDIDATES_SHOWN)
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        problem = translate(error.message)
    seats = brokering.seats_for_agency([shift], current_user.agency_id)[shift.id]
    return render_template("agencies/shift.html", shift=shift, candidates=candidates,
                           problem=problem, form=form, seats=seats,
                           agency=current_user.agency), status


@bp.post("/agency/shifts/<int:shift_id>/apply")
@agency_required
def apply(shift_id: int):
    form = BrokerApplyForm()
    if not form.validate_on_submit():
        return _render_shift(shift_id, form, 422)
    try:
        terms = brokering.make_terms(**form.terms_fields(), **form.fee_fields())
        application = brokering.broker_apply(actor=current_user, shift_id=shift_id,
                                             worker_id=form.worker_id.data, terms=terms,
                                             note=form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        form.form_errors.append(translate(error.message))
        return _render_shift(shift_id, form, error.status)
    db.session.commit()
    if application.status == "proposed":
        flash(_("Sent to the worker: the application counts once they confirm it on their "
                "phone."), "success")
    else:
        flash(_("Applied: the worker gave standing consent for this kind of shift."),
              "success")
    return redirect(url_for("agencies.shift_page", shift_id=shift_id), 303)


def _fill_args() -> tuple[list[int], int | None]:
    ids = [i for i in request.args.getlist("shift_id", type=db_id) if i]
    if not ids:
        ids = [i for i in request.form.getlist("shift_id", type=db_id) if i]
    firm_id = request.args.get("firm_id", type=db_id) or request.form.get("firm_id", type=db_id)
    return ids[:brokering.MAX_FILL_SHIFTS], firm_id


@bp.get("/agency/fill")
@agency_required
def fill():
    return _render_fill(FillSendForm(formdata=None))


def _render_fill(form: FillSendForm, status: int = 200):
    shift_ids, firm_id = _fill_args()
    rows, summary, problem = [], {}, None
    if shift_ids or firm_id:
        try:
            rows, summary = brokering.plan_fill(actor=current_user, shift_ids=shift_ids,
                                                firm_id=firm_id)
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                raise
            problem = translate(error.message)
    return render_template("agencies/fill.html", rows=rows, summary=summary, form=form,
                           problem=problem, shift_ids=shift_ids, firm_id=firm_id,
                           agency=current_user.agency), status


@bp.post("/agency/fill")
@agency_required
def send_fill():
    form = FillSendForm()
    if not form.validate_on_submit():
        return _render_fill(form, 422)
    pairs = []
    for value in form.row.data or []:
        shift_part, _sep, worker_part = str(value).partition(":")
        try:
            pairs.append((db_id(shift_part), db_id(worker_part)))
        except ValueError:
            abort(400)
    try:
        terms = brokering.make_terms(**form.terms_fields(), **form.fee_fields())
        created = brokering.send_fill(actor=current_user, pairs=pairs, terms=terms,
                                      note=form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        form.form_errors.append(translate(error.message))
        return _render_fill(form, error.status)
    db.session.commit()
    proposals = sum(a.status == "proposed" for a in created)
    flash(ngettext("%(num)d application sent.", "%(num)d applications sent.", len(created))
          + " " + ngettext("%(num)d waits for the worker's confirmation on their phone.",
                           "%(num)d wait for the workers' confirmation on their phones.",
                           proposals), "success")
    return redirect(url_for("agencies.placements"), 303)


@bp.get("/agency/placements")
@agency_required
def placements():
    tab = request.args.get("tab", "all")
    if tab not in PLACEMENT_TABS:
        tab = "all"
    page = brokering.list_placements(actor=current_user, statuses=PLACEMENT_TABS[tab],
                                     page=page_arg(), per_page=PER_PAGE)
    from marketplace.shifts.applications import available_actions

    return render_template(
        "agencies/placements.html", page=page, tab=tab, tabs=list(PLACEMENT_TABS),
        commissions=brokering.commissions_for_applications([a.id for a in page.items]),
        actions={a.id: available_actions(current_user, a) for a in page.items},
        button=ButtonForm(), here=request.full_path.rstrip("?"))


@bp.post("/agency/applications/<int:application_id>/retract")
@agency_required
def retract(application_id: int):
    back = back_to(url_for("agencies.placements"))
    return button_action(
        ButtonForm(),
        lambda: brokering.retract(actor=current_user, application_id=application_id),
        back=back,
        done=_("The application was withdrawn."),
        on_error=_fail,
    )


@bp.get("/agency/settlement")
@agency_required
def settlement():
    state = request.args.get("state") or None
    if state not in (None, *brokering.COMMISSION_STATES):
        state = None
    page = brokering.list_commissions(actor=current_user, state=state, page=page_arg(),
                                      per_page=PER_PAGE)
    agency_id = current_user.agency_id
    visible = {c.id: brokering.visible_worker(agency_id, c.application.worker_id)
               for c in page.items}
    return render_template("agencies/settlement.html", page=page, state=state,
                           states=brokering.COMMISSION_STATES, visible=visible,
                           totals=brokering.commission_totals(agency_id),
                           due={c.id: brokering.commission_due_fen(c, c.application)
                                for c in page.items},
                           status_of={c.id: brokering.commission_state(c) for c in page.items},
                           button=ButtonForm())


@bp.post("/agency/commissions/<int:commission_id>/settle")
@agency_required
def settle(commission_id: int):
    return button_action(
        ButtonForm(),
        lambda: brokering.settle(actor=current_user, commission_id=commission_id),
        back=url_for("agencies.settlement"),
        done=_("Recorded as paid by the firm."),
        on_error=_fail,
    )


@bp.get("/agency/scorecard")
@agency_required
def scorecard():
    agency = current_user.agency
    return render_template("agencies/scorecard.html", agency=agency,
                           card=trust.scorecard(agency.id), rules=trust.GRADE_RULES,
                           multipliers=trust.GRADE_MULTIPLIER, trust=trust,
                           complaints=trust.complaints_about_own(actor=current_user))


@bp.get("/agency/notifications", endpoint="notifications")
@agency_required
def notifications_page():
    page = notifications.list_for(current_user.id, page=page_arg(), per_page=PER_PAGE)
    unread = {n.id for n in page.items if n.read_at is None}
    notifications.mark_all_read(current_user.id)
    db.session.commit()
    return render_template("notifications/list.html", page=page, unread=unread,
                           nav_template="agencies/_nav.html")


# ----------------------------------------------------------------------- agency profiles


@bp.get("/agencies/<int:agency_id>")
@signed_in
def profile(agency_id: int):
    return _render_profile(agency_id, ComplaintForm(formdata=None))


def _render_profile(agency_id: int, form: ComplaintForm, status: int = 200):
    agency: Agency = services.get_public_agency(actor=current_user, agency_id=agency_id)
    may_complain = (current_user.is_firm or current_user.is_worker) and trust.may_complain(
        current_user, agency.id)
    return render_template("agencies/profile.html", agency=agency,
                           card=trust.scorecard(agency.id), form=form,
                           may_complain=may_complain, rules=trust.GRADE_RULES), status


@bp.post("/agencies/<int:agency_id>/complaints")
@role_required(lambda user: user.is_firm or user.is_worker, "Firms and workers.")
def complain(agency_id: int):
    form = ComplaintForm()
    if not form.validate_on_submit():
        return _render_profile(agency_id, form, 422)
    try:
        trust.file_complaint(actor=current_user, agency_id=agency_id,
                             category=form.category.data, description=form.description.data)
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        apply_field_errors(form, error)
        return _render_profile(agency_id, form, error.status)
    db.session.commit()
    flash(_("Your complaint is filed. The city reviews it and tells you the outcome."),
          "success")
    return redirect(url_for("agencies.profile", agency_id=agency_id), 303)


# ----------------------------------------------------------------------- template helpers


@bp.app_template_global()
def commission_text(terms) -> str:
    """Commission terms in words, e.g. "Commission ¥50 per placement, paid by the firm"."""
    from marketplace.templating import yuan

    def get(name: str):
        return terms.get(name) if isinstance(terms, dict) else getattr(terms, name)

    if get("kind") == "percent":
        percent = format((get("rate_bp") or 0) / 100, "g")
        return _("Commission %(pct)s%% of the worker's pay, paid by the firm", pct=percent)
    return _("Commission %(amount)s per placement, paid by the firm",
             amount=yuan(get("fixed_fen") or 0))


@bp.app_template_filter("grade_reason")
def grade_reason(reason: tuple[str, dict]) -> str:
    """Why an agency's grade is not one better, in the reader's language."""
    key, values = reason
    texts = {
        "volume": lambda v: _("%(n)d seats taken on; grade %(grade)s needs at least %(min)d",
                              **v),
        "fill_rate": lambda v: _("Fill rate %(pct)d%% is below the %(min)d%% grade %(grade)s "
                                 "needs", **v),
        "show_up_rate": lambda v: _("Show-up rate %(pct)d%% is below the %(min)d%% grade "
                                    "%(grade)s needs", **v),
        "completion_rate": lambda v: _("Completion rate %(pct)d%% is below the %(min)d%% "
                                       "grade %(grade)s needs", **v),
        "firm_rating": lambda v: _("Firms rate its workers %(r)s; grade %(grade)s needs "
                                   "%(min)s", **v),
        "complaints": lambda v: _("%(n)d complaints upheld; grade %(grade)s allows %(max)d",
                                  **v),
        "grave_breach": lambda v: _("An upheld complaint of a fee or deposit charged to a "
                                    "worker, or of a fake posting"),
    }
    return texts[key](values) if key in texts else key


@bp.app_template_filter("pct")
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@bp.app_template_global()
def complaint_category_text(code: str) -> str:
    return {
        "worker_fee": _("A fee or deposit charged to a worker"),
        "fake_posting": _("A fake posting"),
        "no_show": _("Placed workers did not come"),
        "conduct": _("Misconduct"),
        "other": _("Something else"),
    }.get(code, code)
