from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workers", __name__)
