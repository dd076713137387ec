from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if request else None
    if chosen in supported:
        return chosen
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in supported:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"
