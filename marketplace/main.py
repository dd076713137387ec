from __future__ import annotations

from flask import Blueprint, redirect, render_template
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        from marketplace.auth.views import home_for

        return redirect(home_for(current_user))
    from marketplace.shifts.services import ShiftFilters, search_shifts

    latest = search_shifts(ShiftFilters(), page=1, per_page=6)
    return render_template("main/index.html", shifts=latest.items)


@bp.get("/healthz")
def health():
    from sqlalchemy import text

    from marketplace.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
