"""The sharing exchange's pages: firms at /firm/staff and /firm/sharing (desktop first), lent
workers at /me/sharing (phone first). Thin views: a form, one service call, a redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.db import utcnow
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.forms import apply_field_errors
from marketplace.sharing import agreements, texts
from marketplace.sharing import services as sharing
from marketplace.sharing.forms import (
    FORM_NAME_OF,
    AgreementForm,
    CancelAgreementForm,
    ConfirmAgreementForm,
    DecisionForm,
    ListingForm,
    ProposeForm,
    SignForm,
    StaffForm,
    StaffPickForm,
)
from marketplace.sharing.models import (
    AgreementStatus,
    ListingKind,
    ListingStatus,
    SharingListing,
)
from marketplace.taxonomy import DISTRICT_CODES, SKILL_CODES
from marketplace.validators import db_int
from marketplace.web import button_action, role_required
from marketplace.web import fail as _fail
from marketplace.web import page_arg as _page_arg

bp = Blueprint("sharing", __name__, url_prefix="/firm")
worker_bp = Blueprint("sharing_me", __name__, url_prefix="/me/sharing")
firm_required = role_required(lambda user: user.is_firm and user.firm is not None,
                              "Only for firm accounts.")
worker_required = role_required(lambda user: user.is_worker and user.worker_profile is not None,
                                "Only for worker accounts.")

PER_PAGE = 20
STAFF_PER_PAGE = 50
AGREEMENT_TABS = ("open", "completed", "cancelled", "all")


@bp.app_template_filter("sharing_reasons")
def _reasons_filter(reasons) -> str:
    return texts.reason_text(reasons)


@bp.app_context_processor
def _sharing_helpers() -> dict:
    return {"sharing_text": texts}


def _place_errors(form, error: DomainError) -> None:
    fields = {FORM_NAME_OF.get(name, name): messages for name, messages in error.fields.items()}
    apply_field_errors(form, type(error)(error.message, code=error.code, fields=fields))
    placed = any(getattr(form, name, None) is not None for name in fields)
    if placed and error.code not in (None, "validation_failed"):
        form.form_errors.append(translate(error.message))


# --------------------------------------------------------------------------- staff


@bp.get("/staff")
@firm_required
def staff():
    return _render_staff(StaffForm())


def _render_staff(form: StaffForm, status: int = 200):
    page = sharing.list_staff(actor=current_user, page=_page_arg(), per_page=STAFF_PER_PAGE)
    lent = sharing.lent_now([m.worker_id for m in page.items])
    return render_template("sharing/staff.html", page=page, form=form, lent=lent,
                           firm=current_user.firm, pick=StaffPickForm(),
                           idle=len(sharing.idle_staff(current_user.firm_id)),
                           action=DecisionForm()), status


@bp.post("/staff")
@firm_required
def add_staff():
    form = StaffForm()
    if not form.validate_on_submit():
        return _render_staff(form, 422)
    try:
        sharing.add_staff(actor=current_user, phone=form.phone.data, since=form.since.data,
                          job_title=form.job_title.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        _place_errors(form, error)
        # A number without a worker account is a problem with what was typed, not a page.
        return _render_staff(form, 422 if error.status == 404 else error.status)
    db.session.commit()
    flash(_("Added. Your employee confirms on their phone, under 共享用工 in the app."),
          "success")
    return redirect(url_for("sharing.staff"), 303)


@bp.post("/staff/<int:staff_id>/end")
@firm_required
def end_staff(staff_id: int):
    return button_action(
        DecisionForm(),
        lambda: sharing.end_staff(actor=current_user, staff_id=staff_id),
        back=url_for("sharing.staff"),
        done=_("Taken off your staff list."),
    )


@bp.post("/staff/list-idle")
@firm_required
def list_idle():
    form = StaffPickForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = None if request.form.get("all") else list(form.staff.data or [])
    if chosen == []:
        flash(_("Tick the staff to list first."), "error")
        return redirect(url_for("sharing.staff"), 303)
    try:
        listing = sharing.list_idle_staff(actor=current_user, staff_ids=chosen)
    except DomainError as error:
        _fail(error)
        return redirect(url_for("sharing.staff"), 303)
    db.session.commit()
    flash(_("Your idle staff are listed in the sharing exchange for the next 30 days. Adjust "
            "the period or details if needed; matching firms are suggested below."), "success")
    return redirect(url_for("sharing.listing", listing_id=listing.id), 303)


# --------------------------------------------------------------------------- the exchange


@bp.get("/sharing")
@firm_required
def exchange():
    firm = current_user.firm
    kind = request.args.get("kind")
    kind = kind if kind in set(ListingKind) else None
    district = request.args.get("district")
    district = district if district in DISTRICT_CODES else None
    skill = request.args.get("skill")
    skill = skill if skill in SKILL_CODES else None
    market = None
    if firm.is_verified:
        market = sharing.list_exchange(actor=current_user, kind=kind, district=district,
                                       skill=skill, page=_page_arg(), per_page=PER_PAGE)
    own = sharing.list_own_listings(actor=current_user, page=1, per_page=50)
    open_agreements = agreements.list_agreements(actor=current_user, page=1, per_page=50,
                                                 status="open")
    return render_template("sharing/exchange.html", firm=firm, market=market, own=own,
                           open_agreements=open_agreements, kind=kind, district=district,
                           skill=skill)


@bp.route("/sharing/listings/new", methods=["GET", "POST"])
@firm_required
def new_listing():
    kind = request.args.get("kind", "need")
    if kind not in set(ListingKind):
        abort(404)
    form = ListingForm()
    form.localise()
    _staff_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            listing = sharing.create_listing(actor=current_user, kind=kind,
                                             data=form.to_data(kind))
        except DomainError as error:
            db.session.rollback()
            if error.status in (403, 404):
                raise
            _place_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Your listing is in the exchange. Matching firms are suggested below."),
                  "success")
            return redirect(url_for("sharing.listing", listing_id=listing.id), 303)
    elif form.is_submitted():
        status = 422
    else:
        firm = current_user.firm
        form.district.data = firm.district if firm.district in DISTRICT_CODES else None
        if kind == ListingKind.OFFER:
            form.title.data = firm.name[:80]
    return render_template("sharing/listing_form.html", form=form, kind=kind, listing=None,
                           firm=current_user.firm), status


def _staff_choices(form) -> None:
    idle = sharing.idle_staff(current_user.firm_id)
    form.staff.choices = [(m.id, m.worker.name) for m in idle]


@bp.get("/sharing/listings/<int:listing_id>")
@firm_required
def listing(listing_id: int):
    item = sharing.get_listing(actor=current_user, listing_id=listing_id)
    own = item.firm_id == current_user.firm_id
    context: dict = {"listing": item, "own": own, "form": ProposeForm(),
                     "action": DecisionForm()}
    if own:
        context["suggestions"] = (sharing.suggestions(actor=current_user, listing_id=item.id)
                                  if current_user.firm.is_verified else [])
        context["made"] = agreements.agreements_for_listing(item)
        context["staff_names"] = sharing.staff_names(item)
    else:
        mine = sharing.list_own_listings(actor=current_user, page=1, per_page=100)
        context["mine"] = [m for m in mine.items if m.kind != item.kind
                           and m.status == ListingStatus.OPEN]
    return render_template("sharing/listing.html", **context)


@bp.route("/sharing/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@firm_required
def edit_listing(listing_id: int):
    item = sharing.get_own_listing(actor=current_user, listing_id=listing_id)
    form = ListingForm()
    form.localise()
    _staff_choices(form)
    known = {value for value, _label in form.staff.choices}
    if item.staff_ids:  # staff already chosen stay on the list even when lent meanwhile
        names = dict(zip(item.staff_ids, sharing.staff_names(item), strict=False))
        form.staff.choices += [(s, names.get(s, str(s))) for s in item.staff_ids
                               if s not in known]
    status = 200
    if form.validate_on_submit():
        try:
            sharing.update_listing(actor=current_user, listing_id=item.id,
                                   changes=form.to_data(item.kind))
        except DomainError as error:
            db.session.rollback()
            if error.status in (403, 404):
                raise
            _place_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("The listing is saved."), "success")
            return redirect(url_for("sharing.listing", listing_id=item.id), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.fill_from(item)
    return render_template("sharing/listing_form.html", form=form, kind=item.kind,
                           listing=item, firm=current_user.firm), status


@bp.post("/sharing/listings/<int:listing_id>/close")
@firm_required
def close_listing(listing_id: int):
    return button_action(
        DecisionForm(),
        lambda: sharing.close_listing(actor=current_user, listing_id=listing_id),
        back=url_for("sharing.exchange"),
        done=_("The listing is closed."),
    )


@bp.post("/sharing/listings/<int:listing_id>/propose")
@firm_required
def propose(listing_id: int):
    """Propose an agreement between this listing and another (the form names the other): one
    of them must be the firm's own, the other another firm's open listing."""
    item = sharing.get_listing(actor=current_user, listing_id=listing_id)
    form = ProposeForm()
    back = url_for("sharing.listing", listing_id=item.id)
    if not form.validate_on_submit():
        flash(_("Choose one of your open listings."), "error")
        return redirect(back, 303)
    if item.firm_id == current_user.firm_id:
        own_id, counterpart_id = item.id, form.with_id.data
    else:
        own_id, counterpart_id = form.with_id.data, item.id
        own = db.session.get(SharingListing, own_id)
        if own is None or own.firm_id != current_user.firm_id:
            flash(_("Choose one of your open listings."), "error")
            return redirect(back, 303)
    try:
        agreement = agreements.propose(actor=current_user, listing_id=own_id,
                                       counterpart_id=counterpart_id)
    except DomainError as error:
        if error.code == "already_proposed":
            db.session.rollback()
            flash(translate(error.message), "info")
            return redirect(url_for("sharing.agreement",
                                    agreement_id=error.fields["agreement_id"]), 303)
        db.session.rollback()
        flash(translate(error.message), "error")
        return redirect(back, 303)
    db.session.commit()
    flash(_("A draft agreement is ready. Check the terms, name the workers (lender), then "
            "sign."), "success")
    return redirect(url_for("sharing.agreement", agreement_id=agreement.id), 303)


# --------------------------------------------------------------------------- agreements


@bp.get("/sharing/agreements")
@firm_required
def agreements_page():
    tab = request.args.get("status", "open")
    if tab not in AGREEMENT_TABS:
        tab = "open"
    page = agreements.list_agreements(actor=current_user, page=_page_arg(), per_page=PER_PAGE,
                                      status=None if tab == "all" else tab)
    return render_template("sharing/agreements.html", page=page, tab=tab, tabs=AGREEMENT_TABS)


def _agreement_context(agreement) -> dict:
    side = agreements.side_of(current_user, agreement)
    workers = agreements.visible_workers(current_user, agreement)
    hidden = len(agreement.workers) - len(workers)
    days = agreements.day_shifts(agreement.id)
    now = utcnow()
    return {
        "period_over": not any(shift.status == "open" and shift.ends_at > now
                               for _day, shift in days),
        "agreement": agreement, "side": side, "workers": workers, "hidden": hidden,
        "summary": agreements.attendance_summary(agreement.id),
        "days": days,
        "consented": any(w.consented_version is not None for w in agreement.workers),
        "signed_by_me": agreement.lender_signed_at if side == "lender"
        else agreement.borrower_signed_at,
        "confirmed_by_me": getattr(agreement, f"{side}_confirmed_at") if side else None,
    }


@bp.get("/sharing/agreements/<int:agreement_id>")
@firm_required
def agreement(agreement_id: int):
    item = agreements.get_agreement(actor=current_user, agreement_id=agreement_id)
    sign_form = SignForm()
    sign_form.version.data = item.terms_version
    return render_template("sharing/agreement.html", **_agreement_context(item),
                           sign_form=sign_form, cancel_form=CancelAgreementForm(),
                           confirm_form=ConfirmAgreementForm(),
                           editable=item.status in (AgreementStatus.DRAFT,
                                                    AgreementStatus.SIGNED))


@bp.route("/sharing/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@firm_required
def edit_agreement(agreement_id: int):
    item = agreements.get_agreement(actor=current_user, agreement_id=agreement_id)
    side = agreements.side_of(current_user, item)
    form = AgreementForm()
    form.localise()
    lender = side == "lender"
    if lender:
        idle = sharing.idle_staff(current_user.firm_id)
        choices = [(m.worker_id, m.worker.name) for m in idle]
        named = {w.worker_id: w.worker.name for w in item.workers}
        form.workers.choices = choices + [(wid, name) for wid, name in named.items()
                                          if wid not in {c[0] for c in choices}]
    status = 200
    if form.validate_on_submit():
        try:
            agreements.update_terms(actor=current_user, agreement_id=item.id,
                                    version=form.version.data,
                                    changes=form.changes(lender=lender))
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                raise
            _place_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Saved. Any signature on the earlier terms is void: both firms sign the "
                    "new version."), "success")
            return redirect(url_for("sharing.agreement", agreement_id=item.id), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.fill_from(item)
    return render_template("sharing/agreement_form.html", form=form, agreement=item,
                           side=side, lender=lender), status


def _version_of(form: SignForm) -> int | None:
    """The terms version the firm read, if the form is valid and it is a plain number."""
    if not form.validate_on_submit():
        return None
    try:
        return db_int(form.version.data, low=0)
    except ValueError:
        return None


@bp.post("/sharing/agreements/<int:agreement_id>/sign")
@firm_required
def sign(agreement_id: int):
    form = SignForm()
    back = url_for("sharing.agreement", agreement_id=agreement_id)
    version = _version_of(form)
    if version is None:
        abort(400)
    try:
        item = agreements.sign(actor=current_user, agreement_id=agreement_id, version=version)
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    if item.status == AgreementStatus.SIGNED:
        flash(_("Signed by both firms. Each named worker is now asked for their own consent on "
                "their phone; their days are booked only when they agree."), "success")
    else:
        flash(_("Signed. The agreement takes effect when the other firm signs too."), "success")
    return redirect(back, 303)


@bp.post("/sharing/agreements/<int:agreement_id>/cancel")
@firm_required
def cancel(agreement_id: int):
    form = CancelAgreementForm()
    back = url_for("sharing.agreement", agreement_id=agreement_id)
    if not form.validate_on_submit():
        flash(_("The reason is too long (at most 300 characters)."), "error")
        return redirect(back, 303)
    try:
        agreements.cancel(actor=current_user, agreement_id=agreement_id,
                          reason=form.reason.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("The agreement is cancelled. The days still ahead were cancelled and the workers "
            "told."), "success")
    return redirect(back, 303)


@bp.post("/sharing/agreements/<int:agreement_id>/confirm")
@firm_required
def confirm(agreement_id: int):
    form = ConfirmAgreementForm()
    back = url_for("sharing.agreement", agreement_id=agreement_id)
    if not form.validate_on_submit():
        flash(_("Choose 1 to 5 stars."), "error")
        return redirect(back, 303)
    try:
        item = agreements.confirm(actor=current_user, agreement_id=agreement_id,
                                  score=form.score.data, comment=form.comment.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("Confirmed and closed. Thank you.") if item.status == AgreementStatus.COMPLETED
          else _("Confirmed. The agreement closes when the other firm confirms too."),
          "success")
    return redirect(back, 303)


@bp.get("/sharing/agreements/<int:agreement_id>/print")
@firm_required
def print_record(agreement_id: int):
    item = agreements.get_agreement(actor=current_user, agreement_id=agreement_id)
    return render_template("sharing/print.html", **_agreement_context(item),
                           printed_at=utcnow())


# --------------------------------------------------------------------------- the worker


@worker_bp.get("")
@worker_required
def mine():
    links = sharing.staff_for_worker(actor=current_user)
    rows = agreements.assignments_for(actor=current_user)
    return render_template("sharing/worker_index.html", links=links, rows=rows,
                           form=DecisionForm())


@worker_bp.post("/staff/<int:staff_id>/<decision>")
@worker_required
def staff_decision(staff_id: int, decision: str):
    if decision not in ("accept", "decline", "end"):
        abort(404)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        if decision == "end":
            sharing.end_staff(actor=current_user, staff_id=staff_id)
        else:
            sharing.respond_staff(actor=current_user, staff_id=staff_id,
                                  accept=decision == "accept")
    except DomainError as error:
        _fail(error)
        return redirect(url_for("sharing_me.mine"), 303)
    db.session.commit()
    flash({"accept": _("Confirmed: you are on your employer's staff list."),
           "decline": _("Declined."),
           "end": _("You left the firm's staff list.")}[decision], "success")
    return redirect(url_for("sharing_me.mine"), 303)


@worker_bp.get("/agreements/<int:agreement_id>")
@worker_required
def assignment(agreement_id: int):
    row = agreements.get_assignment(actor=current_user, agreement_id=agreement_id)
    rights = [translate(r) for r in agreements.worker_rights(row.agreement)]
    days = [(day, shift) for day, shift in agreements.day_shifts(agreement_id)]
    mine_by_shift = agreements.my_days(actor=current_user, agreement_id=agreement_id)
    return render_template("sharing/assignment.html", row=row, agreement=row.agreement,
                           rights=rights, days=days, mine=mine_by_shift, form=DecisionForm())


@worker_bp.post("/agreements/<int:agreement_id>/<decision>")
@worker_required
def assignment_decision(agreement_id: int, decision: str):
    action = {"consent": agreements.consent, "decline": agreements.decline,
              "withdraw": agreements.withdraw}.get(decision)
    if action is None:
        abort(404)
    if not DecisionForm().validate_on_submit():
        abort(400)
    back = url_for("sharing_me.assignment", agreement_id=agreement_id)
    try:
        action(actor=current_user, agreement_id=agreement_id)
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash({"consent": _("Thank you. Your days at the borrowing firm are booked: they are under "
                        "My shifts, where you check in and out."),
           "decline": _("You said no. Nothing changes at your own firm."),
           "withdraw": _("Your consent is withdrawn: the days still ahead are cancelled.")}[
        decision], "success")
    return redirect(back, 303)
