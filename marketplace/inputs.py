"""Bad input stopped at the door, before any view runs.

- `<int:...>` in every route accepts ASCII digits for a row id (1 .. 2**31-1) only: anything
  else (2**31, full-width digits) is a 404, never an integer overflow in the database.
- JSON bodies nested deeper than `MAX_JSON_DEPTH` are not JSON the API accepts (a deep body
  must never raise RecursionError).
- Text with control characters (tab, newline and carriage return aside, and those not in the
  path or query string) or unpaired surrogates, in the path, the query string, a form or a
  JSON body, is refused: 422 with the error envelope for the API, a 400 page for the web.
- An API body that is not a JSON object (`[null, null]`, `5`, invalid JSON) answers 422
  `invalid_json` before any other hook runs.
- Bodies above `MAX_CONTENT_LENGTH` answer 413 (the error handlers give the envelope).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Flask, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from marketplace.errors import N_, error_body, render_error_page, wants_json
from marketplace.validators import INT32_MAX, bad_text

MAX_JSON_DEPTH = 32


class IdConverter(IntegerConverter):
    """`<int:...>` for row ids: ASCII digits only (`\\d` would take full-width ３), 1 .. int32."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = INT32_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays and objects nest deeper than `limit` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing documents nested too deep (as invalid JSON: a ValueError)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deep") from exc
        if json_depth_exceeds(value):
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def _json_strings(value: Any, path: str = "") -> Iterator[tuple[str, str, bool]]:
    """(location, text, multiline) for every key and string in a parsed JSON document."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield where or "_body", item, True
        elif isinstance(item, dict):
            for key, child in item.items():
                yield where or "_body", str(key), False
                stack.append((child, f"{where}.{key}" if where else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{where}.{i}") for i, child in enumerate(item))


def find_bad_text() -> str | None:
    """The first place in the request holding text we refuse, or None."""
    if bad_text(request.path, multiline=False):
        return "_path"
    for key, values in request.args.lists():
        if bad_text(key, multiline=False) or any(bad_text(v, multiline=False) for v in values):
            return key if not bad_text(key, multiline=False) else "_query"
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.form.lists():
            if bad_text(key, multiline=False) or any(bad_text(v) for v in values):
                return key if not bad_text(key, multiline=False) else "_form"
    if request.is_json:
        data = request.get_json(silent=True)
        for where, text, multiline in _json_strings(data):
            if bad_text(text, multiline=multiline):
                return where
    return None


def api_body_is_not_an_object() -> bool:
    """An API request whose JSON body is not a JSON object (an array, a scalar, invalid or
    nested too deep): every API operation takes an object."""
    if not request.path.startswith("/api/") or not request.is_json:
        return False
    if not request.content_length and not request.get_data(cache=True):
        return False
    return not isinstance(request.get_json(silent=True), dict)


def refuse_bad_input():
    """Before any other hook (the rate limiter's key functions read the body too)."""
    if api_body_is_not_an_object():
        message = N_("The body must be a JSON object")
        return jsonify(error_body("invalid_json", message)), 422
    where = find_bad_text()
    if where is None:
        return None
    if wants_json(request):
        message = N_("Text may not contain control characters or invalid Unicode")
        body = error_body("invalid_text", message, {where: [message]})
        return jsonify(body), 422
    return render_error_page(
        400, _("Text may not contain control characters or invalid Unicode")
    )


def install(app: Flask) -> None:
    """Call before the blueprints are registered: their routes pick up the converter."""
    app.url_map.converters["int"] = IdConverter
    app.json = BoundedJSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_input)
