"""The application factory: `create_app()` and the `register_*` steps it reads as.

Kept out of `marketplace/__init__.py` so that importing any part of the package (the ranker
above all) does not import Flask.
"""

from __future__ import annotations

import os

from flask import Flask, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import ROOT
from marketplace.config import load_config


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "marketplace",  # the package's name: the app's name, logger and root path stay as they were
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path, config))
    os.makedirs(app.instance_path, exist_ok=True)
    register_logging(app)
    register_extensions(app)
    register_input_checks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def register_logging(app: Flask) -> None:
    """Redact phone and ID numbers, password hashes, tokens and cookies from every log line."""
    from marketplace.logredact import install

    install(app.logger)


def register_extensions(app: Flask) -> None:
    from marketplace import models  # noqa: F401  (complete the metadata)
    from marketplace.auth.limits import init_limits
    from marketplace.auth.sessions import load_user_from_session
    from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate
    from marketplace.i18n import select_locale, select_timezone
    from marketplace.sqlite import configure_sqlite

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.user_loader(load_user_from_session)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    limiter.init_app(app)
    init_limits(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    with app.app_context():
        configure_sqlite(db.engine)


def register_input_checks(app: Flask) -> None:
    from marketplace.inputs import install

    install(app)


def register_blueprints(app: Flask) -> None:
    from marketplace.admin.views import bp as admin_bp
    from marketplace.agencies.admin_views import bp as agency_admin_bp
    from marketplace.agencies.views import bp as agencies_bp
    from marketplace.agencies.worker_views import bp as agency_worker_bp
    from marketplace.api import bp as api_bp
    from marketplace.auth.views import bp as auth_bp
    from marketplace.extensions import csrf
    from marketplace.firms.views import bp as firms_bp
    from marketplace.laborbases.views import bp as laborbases_bp
    from marketplace.main import bp as main_bp
    from marketplace.sharing.views import bp as sharing_bp
    from marketplace.sharing.views import worker_bp as sharing_worker_bp
    from marketplace.shifts.views import bp as shifts_bp
    from marketplace.workers.views import bp as workers_bp

    for blueprint in (main_bp, auth_bp, workers_bp, firms_bp, shifts_bp, admin_bp, agencies_bp,
                      agency_admin_bp, agency_worker_bp, sharing_bp, sharing_worker_bp,
                      laborbases_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)


def register_errorhandlers(app: Flask) -> None:
    from marketplace import dbfaults
    from marketplace.errors import register_errorhandlers as register

    register(app)
    dbfaults.register(app)


def register_request_hooks(app: Flask) -> None:
    from marketplace import idempotency
    from marketplace.security import apply_security_headers

    idempotency.register(app)

    @app.before_request
    def remember_locale_choice() -> None:
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
        g.setdefault("request_started", True)

    app.after_request(apply_security_headers)


def register_template_helpers(app: Flask) -> None:
    from marketplace.templating import install

    install(app)


def register_commands(app: Flask) -> None:
    from marketplace.cli import register

    register(app)
