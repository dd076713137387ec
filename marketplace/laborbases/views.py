"""Labor-base pages: the registry for administrators (/admin/bases), the partner
organisation's pages (/base), cohorts (/cohorts), the firm's list of arriving cohorts
(/firm/cohorts) and the worker's base tag (/me/base)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.audit.services import record
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import apply_field_errors, localise_choices
from marketplace.laborbases import figures as figures_service
from marketplace.laborbases import services
from marketplace.laborbases.forms import (
    BaseFilterForm,
    BaseForm,
    CohortForm,
    ConfirmForm,
    FiguresForm,
    MemberForm,
    PartnerForm,
)
from marketplace.web import back_to as _back
from marketplace.web import button_action, role_required
from marketplace.web import fail as _fail
from marketplace.web import page_arg as _page_arg

bp = Blueprint("laborbases", __name__)
admin_required = role_required(lambda user: user.is_admin, "Only for administrators.")
partner_required = role_required(lambda user: user.is_partner and user.labor_base_id is not None,
                                 "Only for partner organisations of labor bases.")
organiser_required = role_required(
    lambda user: (user.is_partner and user.labor_base_id is not None)
    or (user.is_agency and user.agency_id is not None),
    "Only for partner organisations and HR agencies.")
cohort_viewer_required = role_required(
    lambda user: user.is_admin or (user.is_partner and user.labor_base_id is not None)
    or (user.is_agency and user.agency_id is not None),
    "Only for administrators, partner organisations and HR agencies.")
firm_required = role_required(lambda user: user.is_firm and user.firm is not None,
                              "Only for firm accounts.")
worker_required = role_required(lambda user: user.is_worker and user.worker_profile is not None,
                                "Only for worker accounts.")

BASES_PER_PAGE = 50
COHORTS_PER_PAGE = 20


@bp.app_template_filter("base_kind")
def base_kind_text(kind: str) -> str:
    return {"labor_base": _("Labor base"),
            "cooperation_region": _("Labor-cooperation region")}.get(kind, kind)


@bp.app_template_filter("member_status")
def member_status_text(status: str) -> str:
    return {"invited": _("Waiting for the worker"), "accepted": _("Confirmed by the worker"),
            "declined": _("Declined by the worker")}.get(status, status)


@bp.app_template_filter("percent")
def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


# --------------------------------------------------------------------------- registry


@bp.get("/admin/bases")
@admin_required
def admin_bases():
    form = BaseFilterForm(formdata=request.args)
    valid = form.validate()
    page = services.list_bases(
        actor=current_user, province=(form.province.data or None) if valid else None,
        kind=(form.kind.data or None) if valid else None,
        q=((form.q.data or "").strip() or None) if valid else None,
        page=_page_arg(), per_page=BASES_PER_PAGE)
    return render_template("laborbases/admin_bases.html", page=page, form=form,
                           counts=services.base_counts([b.id for b in page.items])), \
        200 if valid else 400


@bp.route("/admin/bases/new", methods=["GET", "POST"])
@admin_required
def admin_new_base():
    form = BaseForm()
    status = 200
    if form.validate_on_submit():
        try:
            base = services.create_base(actor=current_user, data=form.to_data())
        except DomainError as error:
            db.session.rollback()
            if error.status in (403, 404):
                raise
            apply_field_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("%(name)s is in the registry.", name=base.name), "success")
            return redirect(url_for("laborbases.admin_base", base_id=base.id), 303)
    elif form.is_submitted():
        status = 422
    return render_template("laborbases/base_form.html", form=form, base=None), status


def _render_admin_base(base, form: BaseForm, partner_form: PartnerForm, status: int = 200):
    cohorts = services.list_cohorts(actor=current_user, base_id=base.id, page=1, per_page=10)
    return render_template(
        "laborbases/base_form.html", form=form, base=base, partner_form=partner_form,
        partners=services.partners_of(base.id), cohorts=cohorts,
        counts=services.base_counts([base.id])[base.id]), status


@bp.route("/admin/bases/<int:base_id>", methods=["GET", "POST"])
@admin_required
def admin_base(base_id: int):
    base = services.get_base(actor=current_user, base_id=base_id)
    form = BaseForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.update_base(actor=current_user, base_id=base.id, changes=form.to_data())
        except DomainError as error:
            db.session.rollback()
            if error.status in (403, 404):
                raise
            apply_field_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("The labor base is saved."), "success")
            return redirect(url_for("laborbases.admin_base", base_id=base.id), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.fill_from(base)
    return _render_admin_base(base, form, PartnerForm(formdata=None), status)


@bp.post("/admin/bases/<int:base_id>/partners")
@admin_required
def admin_new_partner(base_id: int):
    base = services.get_base(actor=current_user, base_id=base_id)
    partner_form = PartnerForm()
    form = BaseForm(formdata=None)
    form.fill_from(base)
    if not partner_form.validate_on_submit():
        return _render_admin_base(base, form, partner_form, 422)
    try:
        user = services.create_partner(actor=current_user, base_id=base.id,
                                       phone=partner_form.phone.data,
                                       name=partner_form.name.data,
                                       password=partner_form.password.data)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        apply_field_errors(partner_form, error)
        base = services.get_base(actor=current_user, base_id=base_id)
        return _render_admin_base(base, form, partner_form, error.status)
    db.session.commit()
    flash(_("%(name)s can now sign in with the mobile number %(phone)s.", name=user.name,
            phone=user.masked_phone), "success")
    return redirect(url_for("laborbases.admin_base", base_id=base.id), 303)


# --------------------------------------------------------------------------- figures


def _figures_request(*, csv: bool = False):
    """Figures for an administrator (every base, filters) or a partner (its own base)."""
    form = FiguresForm(formdata=request.args)
    admin = current_user.is_admin
    if admin:
        form.set_bases(services.registry())
    valid = form.validate()
    try:
        figures = figures_service.compute(
            actor=current_user,
            granularity=form.granularity.data if valid else "month",
            start=form.start.data if valid else None, end=form.end.data if valid else None,
            base_id=form.base_value() if admin and valid else None,
            province=(form.province.data or None) if admin and valid else None)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        apply_field_errors(form, error)
        figures, valid = figures_service.compute(actor=current_user), False
    if csv:
        record(actor=current_user, action="labor_base.figures_export", target_type="labor_base",
               target_id=figures.scope_base.id if figures.scope_base else None,
               granularity=figures.granularity, start=figures.start.isoformat(),
               end=figures.end.isoformat())
        db.session.commit()
        name = f"labor-base-figures-{figures.granularity}-{figures.start}-{figures.end}.csv"
        return Response(figures_service.to_csv(figures), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "private, no-store"})
    return render_template(
        "laborbases/figures.html", figures=figures, form=form, admin=admin,
        chart=figures_service.chart(figures.periods),
        csv_url=url_for("laborbases.admin_figures_csv" if admin
                        else "laborbases.partner_figures_csv", **request.args.to_dict()),
    ), 200 if valid else 422


@bp.get("/admin/bases/figures")
@admin_required
def admin_figures():
    return _figures_request()


@bp.get("/admin/bases/figures.csv")
@admin_required
def admin_figures_csv():
    return _figures_request(csv=True)


@bp.get("/base/figures")
@partner_required
def partner_figures():
    return _figures_request()


@bp.get("/base/figures.csv")
@partner_required
def partner_figures_csv():
    return _figures_request(csv=True)


# --------------------------------------------------------------------------- partner home


@bp.get("/base/")
@partner_required
def partner_home():
    base = services.partner_base(current_user)
    figures = figures_service.compute(actor=current_user)
    cohorts = services.list_cohorts(actor=current_user, page=1, per_page=5)
    return render_template("laborbases/partner_home.html", base=base, figures=figures,
                           cohorts=cohorts, counts=services.base_counts([base.id])[base.id])


# --------------------------------------------------------------------------- cohorts


@bp.get("/cohorts/")
@organiser_required
def cohorts():
    page = services.list_cohorts(actor=current_user, page=_page_arg(),
                                 per_page=COHORTS_PER_PAGE)
    return render_template("laborbases/cohorts.html", page=page)


@bp.route("/cohorts/new", methods=["GET", "POST"])
@organiser_required
def new_cohort():
    form = CohortForm()
    localise_choices(form)
    agency = current_user.is_agency
    if agency:
        form.set_bases(services.registry())
    else:
        del form.labor_base_id
    status = 200
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(actor=current_user,
                                            data=form.to_data(with_base=agency))
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                raise
            apply_field_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("The cohort is registered. Attach the workers who already have an "
                    "account: they confirm on their phones."), "success")
            return redirect(url_for("laborbases.cohort", cohort_id=cohort.id), 303)
    elif form.is_submitted():
        status = 422
    base = None if agency else services.partner_base(current_user)
    return render_template("laborbases/cohort_form.html", form=form, base=base), status


def _render_cohort(cohort_id: int, member_form: MemberForm | None = None, status: int = 200):
    cohort = services.get_cohort(actor=current_user, cohort_id=cohort_id)
    return render_template(
        "laborbases/cohort.html", cohort=cohort,
        members=services.members_of(actor=current_user, cohort_id=cohort.id),
        manage=services.may_manage(current_user, cohort),
        member_form=member_form or MemberForm(formdata=None), confirm_form=ConfirmForm(),
    ), status


@bp.get("/cohorts/<int:cohort_id>")
@cohort_viewer_required
def cohort(cohort_id: int):
    return _render_cohort(cohort_id)


@bp.post("/cohorts/<int:cohort_id>/members")
@organiser_required
def add_member(cohort_id: int):
    form = MemberForm()
    if not form.validate_on_submit():
        services.get_cohort(actor=current_user, cohort_id=cohort_id)  # 404 before 422
        return _render_cohort(cohort_id, form, 422)
    try:
        services.add_member(actor=current_user, cohort_id=cohort_id, phone=form.phone.data)
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        apply_field_errors(form, error)
        return _render_cohort(cohort_id, form, error.status)
    db.session.commit()
    flash(_("Invitation sent. The worker confirms the tag on their phone."), "success")
    return redirect(url_for("laborbases.cohort", cohort_id=cohort_id), 303)


@bp.post("/cohorts/<int:cohort_id>/members/<int:member_id>/withdraw")
@organiser_required
def withdraw_member(cohort_id: int, member_id: int):
    back = url_for("laborbases.cohort", cohort_id=cohort_id)
    return button_action(
        ConfirmForm(),
        lambda: services.withdraw_member(actor=current_user, cohort_id=cohort_id,
                                         member_id=member_id),
        back=back,
        done=_("The invitation is withdrawn."),
    )


@bp.post("/cohorts/<int:cohort_id>/cancel")
@organiser_required
def cancel_cohort(cohort_id: int):
    back = url_for("laborbases.cohort", cohort_id=cohort_id)
    return button_action(
        ConfirmForm(),
        lambda: services.cancel_cohort(actor=current_user, cohort_id=cohort_id),
        back=back,
        done=_("The cohort is cancelled."),
    )


# --------------------------------------------------------------------------- firms


@bp.get("/firm/cohorts")
@firm_required
def firm_cohorts():
    page, provisions = services.upcoming_for_firm(actor=current_user, page=_page_arg(),
                                                  per_page=COHORTS_PER_PAGE)
    return render_template("laborbases/firm_cohorts.html", page=page, provisions=provisions,
                           fits={c.id: services.provision_fit(c, provisions)
                                 for c in page.items},
                           firm=current_user.firm)


# --------------------------------------------------------------------------- workers


@bp.get("/me/base")
@worker_required
def worker_base():
    profile = current_user.worker_profile
    return render_template("laborbases/worker_base.html", profile=profile,
                           base=profile.registered_base,
                           memberships=services.memberships_for_worker(actor=current_user),
                           form=ConfirmForm())


@bp.post("/me/cohorts/<int:member_id>/<answer>")
@worker_required
def answer(member_id: int, answer: str):
    if answer not in ("accept", "decline"):
        abort(404)
    back = _back(url_for("laborbases.worker_base"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        member = services.answer_invitation(actor=current_user, member_id=member_id,
                                            accept=answer == "accept")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    if answer == "accept":
        flash(_("You are tagged with %(base)s.", base=member.cohort.labor_base.name), "success")
    else:
        flash(_("You declined the tag."), "success")
    return redirect(back, 303)

