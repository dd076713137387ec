"""OpenAPI 3 document built from the registered operations and their marshmallow schemas.

The document is the contract schemathesis checks (tests/fuzz/run_schemathesis.py): every status
code an operation can answer is listed with its body, path ids carry the bounds their URL
converter enforces, and `x-roles` names the account roles an operation is for.
"""

from __future__ import annotations

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from marshmallow import Schema
from marshmallow import fields as ma_fields
from werkzeug.routing import Rule

from marketplace.api.core import OPERATIONS, Operation

ERROR_TEXT = {
    400: "Bad request",
    401: "Not signed in: no bearer token, or one that is invalid, expired or revoked",
    403: "Not allowed for this account",
    404: "Not found, or not visible to this account",
    409: "Conflict with the current state",
    413: "The request body is too large",
    422: "Invalid input: unknown or invalid fields, a body that is not a JSON object, or text "
         "with control characters",
    429: "Too many requests: wait for Retry-After seconds",
    503: "Temporarily unavailable (the database is restarting): retry after Retry-After "
         "seconds",
}
# Operations open without a token: a 401 is about the credentials or a token sent anyway.
PUBLIC_ERROR_TEXT = {
    401: "Wrong credentials, or a bearer token that is invalid, expired or revoked",
    403: "This account may not sign in (suspended)",
}
# Every operation: any request may carry input the API refuses (text with control characters
# in the query string, a body that is not a JSON object), and any may meet a database restart.
ALWAYS = frozenset({422, 503})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 0}}}
ERROR_ENVELOPE = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "fields"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "stable machine-readable code"},
            "message": {"type": "string", "description": "what went wrong"},
            "fields": {"type": "object", "description": "per-field messages (may nest)"},
        },
    }},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a retried POST harmless: the first answer is stored for 24 h and "
                   "replayed (Idempotent-Replayed: true); the same key on another request is "
                   "422 idempotency_key_reused; a repeat while the first runs waits, then "
                   "409 idempotency_in_progress",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x21-\\x7e]+$"},
}
ID_FIELD = re.compile(r"(^|_)ids?$")
PARAM = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")


def _path_of(rule: str) -> str:
    return PARAM.sub(r"{\2}", rule)


def _parameters(rule: Rule, op: Operation) -> list[dict]:
    params = []
    for converter, name in PARAM.findall(rule.rule):
        if converter == "int":
            schema: dict = {"type": "integer"}
            bounds = rule._converters.get(name)  # the converter the route matches with
            for key, attr in (("minimum", "min"), ("maximum", "max")):
                value = getattr(bounds, attr, None)
                if value is not None:
                    schema[key] = value
        else:
            schema = {"type": "string"}
        values = op.path_values.get(name)
        if name == "action" and values is None:
            from marketplace.shifts.states import ACTIONS

            values = tuple(ACTIONS)
        if values:
            schema = {"type": "string", "enum": sorted(values)}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def build_spec() -> dict:
    return _cached_spec(current_app.name)


@cache
def _cached_spec(_app_name: str) -> dict:
    spec = APISpec(
        title="Weihai Gig & Shared-Labor Exchange API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "JSON API of the Weihai gig-labor market. Money is integer fen; "
                             "times are ISO 8601 with offset. Every error answers the "
                             "envelope `Error`."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR_ENVELOPE)
    paths: dict[str, dict[str, tuple[Rule, Operation]]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = OPERATIONS.get(f"{rule.endpoint.removeprefix('api.')}:{method}")
            if op is not None:
                paths.setdefault(rule.rule, {})[method] = (rule, op)
    for path, methods in sorted(paths.items()):
        operations = {method.lower(): _operation(rule, method, op)
                      for method, (rule, op) in methods.items()}
        parameters = {method.lower(): _parameters(rule, op)
                      for method, (rule, op) in methods.items()}
        shared = next(iter(parameters.values()))
        if all(p == shared for p in parameters.values()):
            spec.path(path=_path_of(path).removeprefix("/api/v1"), operations=operations,
                      parameters=shared)
        else:  # the same path, different path values per method
            for method, operation in operations.items():
                operation.setdefault("parameters", []).extend(parameters[method])
            spec.path(path=_path_of(path).removeprefix("/api/v1"), operations=operations)
    document = spec.to_dict()
    document["servers"] = [{"url": "/api/v1"}]
    return document


def _operation(rule: Rule, method: str, op: Operation) -> dict:
    operation: dict = {"summary": op.summary, "tags": op.tags, "responses": {}}
    if op.auth:
        operation["security"] = [{"bearer": []}]
    if op.roles:
        operation["x-roles"] = list(op.roles)
    if op.query is not None:
        operation["parameters"] = [{"in": "query", "schema": op.query}]
    if _idempotent(rule, method):
        operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
    if op.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": op.body}}}
    success: dict = {"description": "Success"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response}}
    operation["responses"][str(op.status)] = success
    for code in sorted(error_codes(rule, method, op)):
        text = (ERROR_TEXT if op.auth else {**ERROR_TEXT, **PUBLIC_ERROR_TEXT}).get(code, "Error")
        response: dict = {"description": text,
                          "content": {"application/json": {"schema": "Error"}}}
        if code in (409, 429, 503):
            response["headers"] = dict(RETRY_AFTER)
        operation["responses"][str(code)] = response
    return operation


def error_codes(rule: Rule, method: str, op: Operation) -> set[int]:
    """The error statuses an operation can answer, besides those it names in `errors`."""
    codes = set(op.errors) | ALWAYS
    if op.auth:
        codes |= {401, 403}
    if rule.arguments or _names_other_objects(op):
        codes.add(404)
    if method in WRITE_METHODS:
        codes.add(413)
    if _idempotent(rule, method):
        codes.add(409)  # idempotency_in_progress
    return codes


def _idempotent(rule: Rule, method: str) -> bool:
    """Whether the operation takes an Idempotency-Key (every POST but the exempt ones)."""
    from marketplace.idempotency import EXEMPT_ENDPOINTS

    return method == "POST" and rule.endpoint not in EXEMPT_ENDPOINTS


def _names_other_objects(op: Operation) -> bool:
    """Whether the body or query refers to other objects by id (which may not exist)."""
    return any(_has_id_field(schema) for schema in (op.body, op.query) if schema is not None)


def _has_id_field(schema: type[Schema] | Schema) -> bool:
    """An `id`, `*_id` or `*_ids` field, at any depth of nested schemas and lists."""
    instance = schema() if isinstance(schema, type) else schema
    for name, field in instance.fields.items():
        if ID_FIELD.search(field.data_key or name):
            return True
        inner = field.inner if isinstance(field, ma_fields.List) else field
        if isinstance(inner, ma_fields.Nested) and _has_id_field(inner.schema):
            return True
    return False
