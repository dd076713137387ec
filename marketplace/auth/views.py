from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.auth import services
from marketplace.auth.forms import (
    FirmRegisterForm,
    LoginForm,
    PasswordChangeForm,
    WorkerRegisterForm,
)
from marketplace.auth.limits import login_limits, password_change_limits, register_limits
from marketplace.errors import DomainError, translate
from marketplace.extensions import db
from marketplace.forms import apply_field_errors, localise_choices
from marketplace.security import safe_next

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    endpoint = {"worker": "workers.feed", "firm": "firms.dashboard",
                "admin": "admin.dashboard", "agency": "agencies.dashboard",
                "partner": "laborbases.partner_home"}.get(user.role, "main.index")
    return url_for(endpoint)  # only the one needed: each is built by its own blueprint


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(phone=form.phone.data, password=form.password.data)
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(translate(error.message))
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        session.clear()  # fresh session on sign-in: no fixation
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next"), home_for(user)))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@password_change_limits
def change_password():
    """Change the password; every other session and every API token is signed out, this
    session stays signed in."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user=user, current=form.current_password.data,
                                     new=form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return render_template("auth/password.html", form=form), error.status
        db.session.commit()
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        login_user(user, remember=remembered in request.cookies)  # the new session version
        flash(_("Your password is changed. Every other device and app has been signed out."),
              "success")
        return redirect(url_for("auth.change_password"), 303)
    return render_template("auth/password.html", form=form), (
        422 if form.is_submitted() else 200)


@bp.get("/register")
def register_choice():
    return render_template("auth/register_choice.html")


@bp.route("/register/worker", methods=["GET", "POST"])
@register_limits
def register_worker():
    form = WorkerRegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_worker(phone=form.phone.data, password=form.password.data,
                                            name=form.name.data)
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return render_template("auth/register_worker.html", form=form), error.status
        db.session.commit()
        login_user(user)
        flash(_("Welcome! Tell us your skills so we can find shifts for you."), "success")
        return redirect(url_for("workers.profile"))
    return render_template("auth/register_worker.html", form=form), (
        422 if form.is_submitted() else 200)


@bp.route("/register/firm", methods=["GET", "POST"])
@register_limits
def register_firm():
    form = FirmRegisterForm()
    localise_choices(form)
    if form.validate_on_submit():
        try:
            user = services.register_firm(
                phone=form.phone.data, password=form.password.data, name=form.name.data,
                firm_name=form.firm_name.data, credit_code=form.credit_code.data,
                size=form.size.data, industry=form.industry.data, district=form.district.data,
                address=form.address.data,
            )
        except DomainError as error:
            db.session.rollback()
            apply_field_errors(form, error)
            return render_template("auth/register_firm.html", form=form), error.status
        db.session.commit()
        login_user(user)
        flash(_("Registered. The city will verify your firm before you can post shifts."),
              "success")
        return redirect(url_for("firms.dashboard"))
    return render_template("auth/register_firm.html", form=form), (
        422 if form.is_submitted() else 200)


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.args.get("next"), url_for("main.index")))
