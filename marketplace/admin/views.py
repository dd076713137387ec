"""The city administrator's pages under /admin: counts, firm verification, accounts, audit log."""

from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.admin import services
from marketplace.admin.forms import (
    DecideFirmForm,
    PriorityBoostForm,
    PromoteModelForm,
    UserFilterForm,
    UserStatusForm,
)
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.firms.models import Verification
from marketplace.matching import registry
from marketplace.security import safe_next
from marketplace.web import fail_on_page as _fail
from marketplace.web import page_arg as _page_arg
from marketplace.web import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_required = role_required(lambda user: user.is_admin, "Only for administrators.")

LIST_PER_PAGE = 30
AUDIT_PER_PAGE = 50
FIRM_TABS = ("pending", "verified", "rejected", "all")
FAIRNESS_SHIFTS = 20


@bp.get("/")
@admin_required
def dashboard():
    return render_template("admin/dashboard.html",
                           counts=services.dashboard_counts(actor=current_user))


def _firm_tab() -> str:
    tab = request.args.get("status", "pending")
    return tab if tab in FIRM_TABS else "pending"


@bp.get("/firms")
@admin_required
def firms():
    return _render_firms()


def _render_firms(errors: dict[int, list[str]] | None = None, status: int = 200):
    tab = _firm_tab()
    page = services.list_firms(actor=current_user, status=None if tab == "all" else tab,
                               page=_page_arg(), per_page=LIST_PER_PAGE)
    return render_template(
        "admin/firms.html", page=page, tab=tab, tabs=FIRM_TABS, errors=errors or {},
        here=url_for("admin.firms", status=tab, page=page.page if page.page > 1 else None),
    ), status


@bp.post("/firms/<int:firm_id>/<decision>")
@admin_required
def decide_firm(firm_id: int, decision: str):
    if decision not in ("verify", "reject"):
        abort(404)
    form = DecideFirmForm()
    if not form.validate_on_submit():
        return _render_firms({firm_id: [str(m) for m in form.note.errors]}, 422)
    try:
        firm = services.decide_firm(actor=current_user, firm_id=firm_id,
                                    approve=decision == "verify", note=form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        messages = error.fields.get("note") or [error.message]
        return _render_firms({firm_id: [translate(m) for m in messages]}, error.status)
    db.session.commit()
    if firm.verification_status == Verification.VERIFIED:
        flash(_("%(name)s is verified and can post shifts.", name=firm.name), "success")
    else:
        flash(_("%(name)s was rejected; the firm sees your note.", name=firm.name), "success")
    return redirect(safe_next(request.form.get("next"), url_for("admin.firms")), 303)


@bp.get("/users")
@admin_required
def users():
    form = UserFilterForm(formdata=request.args)
    valid = form.validate()
    role = (form.role.data or None) if valid else None
    q = ((form.q.data or "").strip() or None) if valid else None
    page = services.list_users(actor=current_user, role=role, q=q, page=_page_arg(),
                               per_page=LIST_PER_PAGE)
    return render_template("admin/users.html", page=page, form=form,
                           here=request.full_path.rstrip("?")), 200 if valid else 400


@bp.post("/users/<int:user_id>/<change>")
@admin_required
def set_user_status(user_id: int, change: str):
    if change not in ("suspend", "restore"):
        abort(404)
    form = UserStatusForm()
    back = safe_next(request.form.get("next"), url_for("admin.users"))
    if not form.validate_on_submit():
        flash(_("The reason is too long (at most 300 characters)."), "error")
        return redirect(back, 303)
    try:
        user = services.set_user_status(actor=current_user, user_id=user_id,
                                        suspended=change == "suspend",
                                        reason=form.reason.data or "")
    except DomainError as error:
        _fail(error)
        return redirect(back, 303)
    db.session.commit()
    if change == "suspend":
        flash(_("%(name)s is suspended and signed out everywhere.", name=user.name), "success")
    else:
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(back, 303)


@bp.get("/audit")
@admin_required
def audit():
    action = (request.args.get("action") or "").strip()[:60] or None
    page = services.list_audit(actor=current_user, page=_page_arg(), per_page=AUDIT_PER_PAGE,
                               action=action)
    return render_template("admin/audit.html", page=page, action=action,
                           actors=services.actor_names([e.actor_id for e in page.items]))


def _when(value: str | None) -> dt.datetime | None:
    """An ISO time from a model's metadata, for the local_time filter."""
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _figure(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _model_row(meta: dict) -> dict:
    validation = meta.get("validation") or {}
    return {
        "version": meta.get("version"), "trained_at": _when(meta.get("trained_at")),
        "train_from": _when(meta.get("train_from")), "train_to": _when(meta.get("train_to")),
        "apply_model": meta.get("apply_model"), "score": _figure(meta.get("score")),
        "ndcg": {name: _figure(v) for name, v in (validation.get("apply_ndcg10") or {}).items()},
        "auc": {stage: _figure(validation.get(f"{stage}_auc")) for stage in ("hire", "complete")
                if f"{stage}_auc" in validation},
        "rows": meta.get("rows") or {}, "features": len(meta.get("feature_names") or []),
        "fit_seconds": meta.get("fit_seconds"),
    }


def _render_ranker(boost_form: PriorityBoostForm | None = None, status: int = 200):
    from marketplace.matching.fairness import exposure_report

    state = registry.status()
    models = [_model_row(m) for m in state["models"]]
    promoted = next((m for m in models if m["version"] == state["promoted"]), None)
    boost = services.priority_boost_setting()
    if boost_form is None:
        boost_form = PriorityBoostForm(formdata=None, enabled=boost["enabled"],
                                       weight=round(boost["weight"] * 100, 1))
    fairness = None
    if request.args.get("fairness"):
        fairness = exposure_report(max_shifts=FAIRNESS_SHIFTS)
    return render_template(
        "admin/ranker.html", promoted_version=state["promoted"], promoted=promoted,
        models=models, boost=boost, boost_form=boost_form, fairness=fairness,
        fairness_shifts=FAIRNESS_SHIFTS, promote_form=PromoteModelForm(formdata=None),
    ), status


@bp.get("/ranker")
@admin_required
def ranker():
    return _render_ranker()


@bp.post("/ranker/promote")
@admin_required
def promote_model():
    form = PromoteModelForm()
    if not form.validate_on_submit():
        flash(_("Choose a stored model to promote."), "error")
        return redirect(url_for("admin.ranker"), 303)
    try:
        registry.promote(form.version.data.strip(), force=bool(form.force.data),
                         actor=current_user)
    except (registry.PromotionRefused, registry.UnknownModel) as error:
        db.session.rollback()
        flash(_("Not promoted: %(reason)s", reason=translate(error.message)), "error")
        return redirect(url_for("admin.ranker"), 303)
    db.session.commit()
    flash(_("Model %(version)s now ranks the feeds and candidate lists.",
            version=form.version.data.strip()), "success")
    return redirect(url_for("admin.ranker"), 303)


@bp.post("/ranker/boost")
@admin_required
def priority_boost():
    form = PriorityBoostForm()
    if not form.validate_on_submit():
        return _render_ranker(form, 422)
    try:
        services.set_priority_boost(actor=current_user, enabled=bool(form.enabled.data),
                                    weight=form.weight_fraction())
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        messages = error.fields.get("weight") or [error.message]
        form.weight.errors = [translate(m) for m in messages]
        return _render_ranker(form, error.status)
    db.session.commit()
    flash(_("The priority boost setting is saved."), "success")
    return redirect(url_for("admin.ranker"), 303)
