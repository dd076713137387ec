"""The /api/v1 blueprint: bearer-token auth, schema loading and self-documenting routes."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, g, request
from marshmallow import Schema, ValidationError

from marketplace.auth.models import User
from marketplace.errors import Forbidden, Unauthorized, ValidationFailed
from marketplace.validators import EARLIEST_DATE, LATEST_DATE, date_in_range

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass
class Operation:
    summary: str
    tags: list[str]
    body: type[Schema] | Schema | None = None
    query: type[Schema] | None = None
    response: type[Schema] | Schema | None = None
    status: int = 200
    auth: bool = True
    roles: tuple[str, ...] = ()
    errors: tuple[int, ...] = field(default_factory=tuple)
    # the values a string path parameter takes (documented as an enum; others answer 404)
    path_values: dict[str, tuple[str, ...]] = field(default_factory=dict)


OPERATIONS: dict[str, Operation] = {}


def current_api_user() -> User:
    user = g.get("api_user")
    if user is None:
        raise Unauthorized("Send a bearer token: Authorization: Bearer <token>")
    return user


def _authenticate() -> User | None:
    from marketplace.auth import services

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = services.authenticate_token(token.strip())
    if found is None:
        raise Unauthorized("The token is invalid, expired or revoked", code="invalid_token")
    user, api_token = found
    g.api_token_id = api_token.id  # the token this request came with (logout, listing)
    if services.token_needs_touch(api_token):
        _touch_token(api_token.id)
    return user


def _touch_token(token_id: int) -> None:
    """Record the token's use (at most once a minute) in a short transaction of its own, before
    the request's work: the lookup's read transaction ends first, so on SQLite the write never
    upgrades a stale snapshot."""
    from marketplace.auth.services import touch_token
    from marketplace.extensions import db

    try:
        db.session.commit()
        touch_token(token_id)
        db.session.commit()
    except Exception:  # "last used" is a convenience: never fail a request for it
        db.session.rollback()
        current_app.logger.warning("could not record the use of API token %s", token_id)


def operation(rule: str, *, methods: list[str], **doc: Any) -> Callable:
    """Register an API route and describe it for the OpenAPI document."""
    op = Operation(**doc)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if op.auth:
                g.api_user = _authenticate()
                user = current_api_user()
                if op.roles and user.role not in op.roles:
                    raise Forbidden(f"This operation is for {' or '.join(op.roles)} accounts")
            return view(*args, **kwargs)

        endpoint = view.__name__
        for method in methods:
            OPERATIONS[f"{endpoint}:{method}"] = op
        bp.add_url_rule(rule, endpoint=endpoint, view_func=wrapped, methods=methods)
        return wrapped

    return decorator


def load_body(schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        if request.content_length:
            raise ValidationFailed("The body must be a JSON object", code="invalid_json")
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object", code="invalid_json")
    return load_data(schema, data, partial=partial)


def load_query(schema: Schema) -> dict[str, Any]:
    return load_data(schema, request.args.to_dict())


def load_data(schema: Schema, data: dict, *, partial: bool = False) -> dict[str, Any]:
    try:
        loaded = schema.load(data, partial=partial)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed("The request has invalid or unknown fields",
                               fields=messages) from exc
    refuse_dates_out_of_range(loaded)
    return loaded


def refuse_dates_out_of_range(loaded: Any) -> None:
    """Every date and datetime of every schema, nested ones too, within the years the product
    handles (year 9999 overflows when a day is added, year 1 when converted to UTC)."""
    stack: list[tuple[str, Any]] = [("", loaded)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}.{i}", v) for i, v in enumerate(value))
        elif isinstance(value, dt.date) and not date_in_range(value):
            message = (f"Use a date between {EARLIEST_DATE.isoformat()} and "
                       f"{LATEST_DATE.isoformat()}")
            raise ValidationFailed("The request has invalid or unknown fields",
                                   fields={where or "_schema": [message]})


def page_body(pagination, items: list[dict]) -> dict[str, Any]:
    return {"items": items, "page": pagination.page, "per_page": pagination.per_page,
            "total": pagination.total}
