from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shifts", __name__)
