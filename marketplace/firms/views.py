from __future__ import annotations

from flask import Blueprint

bp = Blueprint("firms", __name__)
