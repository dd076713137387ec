"""The administrators' agency pages under /admin/agencies: verification, the ranking of
agencies, brokering suspension and restoration, complaints."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.agencies import roster, services, trust
from marketplace.agencies.forms import ButtonForm, DecideForm, ReasonForm
from marketplace.agencies.models import ComplaintStatus
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.security import safe_next
from marketplace.web import fail_on_page as _fail
from marketplace.web import page_arg, role_required

bp = Blueprint("agency_admin", __name__, url_prefix="/admin/agencies")
admin_required = role_required(lambda user: user.is_admin, "Only for administrators.")

PER_PAGE = 30
TABS = ("pending", "verified", "rejected", "all")
COMPLAINT_TABS = ("open", "upheld", "dismissed", "all")


@bp.get("")
@admin_required
def index():
    return _render_index()


def _render_index(errors: dict[int, list[str]] | None = None, status: int = 200):
    tab = request.args.get("status", "pending")
    if tab not in TABS:
        tab = "pending"
    page = services.list_agencies(actor=current_user, status=None if tab == "all" else tab,
                                  page=page_arg(), per_page=PER_PAGE)
    return render_template(
        "agencies/admin_list.html", page=page, tab=tab, tabs=TABS, errors=errors or {},
        here=url_for("agency_admin.index", status=tab,
                     page=page.page if page.page > 1 else None),
        grades=trust.grades(a.id for a in page.items if a.is_verified),
    ), status


@bp.post("/<int:agency_id>/<decision>")
@admin_required
def decide(agency_id: int, decision: str):
    if decision not in ("verify", "reject"):
        abort(404)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render_index({agency_id: [str(m) for m in form.note.errors]}, 422)
    try:
        agency = services.decide_agency(actor=current_user, agency_id=agency_id,
                                        approve=decision == "verify",
                                        note=form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        messages = error.fields.get("note") or [error.message]
        return _render_index({agency_id: [translate(m) for m in messages]}, error.status)
    db.session.commit()
    if agency.is_verified:
        flash(_("%(name)s is verified and can invite workers and fill shifts.",
                name=agency.name), "success")
    else:
        flash(_("%(name)s was rejected; the agency sees your note.", name=agency.name),
              "success")
    return redirect(safe_next(request.form.get("next"), url_for("agency_admin.index")), 303)


@bp.get("/<int:agency_id>")
@admin_required
def detail(agency_id: int):
    agency = services.get_agency_for_admin(actor=current_user, agency_id=agency_id)
    complaints = trust.list_complaints(actor=current_user, status=None, page=1, per_page=50,
                                       agency_id=agency.id)
    return render_template("agencies/admin_detail.html", agency=agency,
                           card=trust.scorecard(agency.id),
                           roster_size=roster.roster_size(agency.id),
                           complaints=complaints.items, form=ReasonForm(formdata=None),
                           decide_form=DecideForm(formdata=None))


@bp.post("/<int:agency_id>/brokering/<change>")
@admin_required
def brokering(agency_id: int, change: str):
    if change not in ("suspend", "restore"):
        abort(404)
    form = ReasonForm()
    back = url_for("agency_admin.detail", agency_id=agency_id)
    if not form.validate_on_submit():
        flash(_("The reason is too long (at most 300 characters)."), "error")
        return redirect(back, 303)
    try:
        services.set_brokering(actor=current_user, agency_id=agency_id,
                               suspended=change == "suspend", reason=form.note.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("Brokering is suspended.") if change == "suspend"
          else _("Brokering is restored."), "success")
    return redirect(back, 303)


@bp.get("/ranking")
@admin_required
def ranking():
    return render_template("agencies/admin_ranking.html",
                           ranked=trust.ranking(actor=current_user), button=ButtonForm())


@bp.post("/reassess")
@admin_required
def reassess():
    if not ButtonForm().validate_on_submit():
        abort(400)
    counts = trust.reassess_all()
    db.session.commit()
    flash(_("Grades recomputed: %(a)d A, %(b)d B, %(c)d C, %(d)d D.", a=counts["A"],
            b=counts["B"], c=counts["C"], d=counts["D"]), "success")
    return redirect(url_for("agency_admin.ranking"), 303)


@bp.get("/complaints")
@admin_required
def complaints():
    tab = request.args.get("status", "open")
    if tab not in COMPLAINT_TABS:
        tab = "open"
    page = trust.list_complaints(actor=current_user, status=None if tab == "all" else tab,
                                 page=page_arg(), per_page=PER_PAGE)
    return render_template("agencies/admin_complaints.html", page=page, tab=tab,
                           tabs=COMPLAINT_TABS, form=DecideForm(formdata=None),
                           open_status=ComplaintStatus.OPEN,
                           here=request.full_path.rstrip("?"))


@bp.post("/complaints/<int:complaint_id>/<verdict>")
@admin_required
def decide_complaint(complaint_id: int, verdict: str):
    if verdict not in ("uphold", "dismiss"):
        abort(404)
    form = DecideForm()
    back = safe_next(request.form.get("next"), url_for("agency_admin.complaints"))
    if not form.validate_on_submit():
        flash(_("The note is too long (at most 300 characters)."), "error")
        return redirect(back, 303)
    try:
        trust.decide_complaint(actor=current_user, complaint_id=complaint_id,
                               uphold=verdict == "uphold", note=form.note.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    flash(_("The complaint is upheld; the agency's grade was recomputed.")
          if verdict == "uphold" else _("The complaint is dismissed."), "success")
    return redirect(back, 303)
