"""JSON API for partner systems, under /api/v1, documented at /api/v1/openapi.json."""

from __future__ import annotations

from flask import jsonify

# Importing the domain modules registers their routes on the blueprint.
from marketplace.admin import api as _admin_api  # noqa: F401
from marketplace.agencies import api as _agencies_api  # noqa: F401
from marketplace.api.core import bp
from marketplace.api.openapi import build_spec
from marketplace.auth import api as _auth_api  # noqa: F401
from marketplace.laborbases import api as _laborbases_api  # noqa: F401
from marketplace.matching import api as _matching_api  # noqa: F401
from marketplace.sharing import api as _sharing_api  # noqa: F401
from marketplace.shifts import api as _shifts_api  # noqa: F401
from marketplace.workers import api as _workers_api  # noqa: F401


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_spec())


__all__ = ["bp"]
