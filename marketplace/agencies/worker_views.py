"""The worker's agency page under /me/agencies (a phone page): invitations to answer,
agencies' proposals to confirm, memberships with standing consent, agencies to join."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.agencies import brokering, roster, services, trust
from marketplace.agencies.forms import ButtonForm, ConsentForm
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import localise_choices
from marketplace.web import button_action, page_arg, role_required
from marketplace.web import fail_on_page as _fail

bp = Blueprint("agency_worker", __name__, url_prefix="/me/agencies")
worker_required = role_required(
    lambda user: user.is_worker and user.worker_profile is not None, "Only for worker accounts.")

DIRECTORY_PER_PAGE = 10


@bp.get("")
@worker_required
def index():
    memberships = roster.worker_memberships(actor=current_user)
    directory = services.verified_agencies(page=page_arg(), per_page=DIRECTORY_PER_PAGE)
    grades = trust.grades([m.agency_id for m in memberships]
                          + [a.id for a in directory.items])
    live = {m.agency_id for m in memberships if m.status in ("invited", "requested", "active")}
    consent_forms = {}
    for membership in memberships:
        if membership.status == "active":
            form = ConsentForm(formdata=None, prefix=f"m{membership.id}",
                               categories=membership.consent_categories)
            localise_choices(form)
            consent_forms[membership.id] = form
    return render_template("agencies/worker.html", memberships=memberships,
                           proposals=brokering.proposals_for_worker(actor=current_user),
                           brokers=brokering.brokers_for(
                               brokering.proposals_for_worker(actor=current_user)),
                           directory=directory, grades=grades, live=live,
                           consent_forms=consent_forms, button=ButtonForm(),
                           here=request.full_path.rstrip("?"))


@bp.post("/memberships/<int:membership_id>/<answer>")
@worker_required
def answer(membership_id: int, answer: str):
    if answer not in ("accept", "decline", "end"):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if answer == "end":
            roster.end_by_worker(actor=current_user, membership_id=membership_id)
        else:
            roster.answer_invitation(actor=current_user, membership_id=membership_id,
                                     accept=answer == "accept")
    except DomainError as error:
        _fail(error)
        return redirect(url_for("agency_worker.index"), 303)
    db.session.commit()
    flash({"accept": _("You joined the agency's roster. It can now put you forward for "
                       "shifts; you confirm each one here."),
           "decline": _("You declined the invitation."),
           "end": _("You are no longer with this agency.")}[answer], "success")
    return redirect(url_for("agency_worker.index"), 303)


@bp.post("/memberships/<int:membership_id>/consents")
@worker_required
def consents(membership_id: int):
    form = ConsentForm(prefix=f"m{membership_id}")
    localise_choices(form)
    if not form.validate_on_submit():
        flash(_("Choose from the listed categories."), "error")
        return redirect(url_for("agency_worker.index"), 303)
    try:
        roster.set_consents(actor=current_user, membership_id=membership_id,
                            categories=form.categories.data or [])
    except DomainError as error:
        _fail(error)
        return redirect(url_for("agency_worker.index"), 303)
    db.session.commit()
    flash(_("Saved. The agency applies for you without asking only for the categories you "
            "ticked.") if form.categories.data else
          _("Saved. The agency asks you before every application."), "success")
    return redirect(url_for("agency_worker.index"), 303)


@bp.post("/<int:agency_id>/join")
@worker_required
def join(agency_id: int):
    return button_action(
        ButtonForm(),
        lambda: roster.request_to_join(actor=current_user, agency_id=agency_id),
        back=url_for("agency_worker.index"),
        done=_("Request sent. The agency answers soon."),
        on_error=_fail,
    )
