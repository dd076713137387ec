"""OpenAPI 3 document built from the registered operations and their marshmallow schemas."""

from __future__ import annotations

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from marketplace.api.core import OPERATIONS
from marketplace.api.schemas import ErrorSchema

ERROR_TEXT = {
    400: "Bad request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
    409: "Conflict with the current state", 422: "Invalid input", 429: "Too many requests",
}


def _path_of(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _parameters(rule: str) -> list[dict]:
    params = []
    for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        if name == "action":
            from marketplace.shifts.states import ACTIONS

            schema = {"type": "string", "enum": sorted(ACTIONS)}
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
                             "times are ISO 8601 with offset."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = OPERATIONS.get(f"{rule.endpoint.removeprefix('api.')}:{method}")
            if op is None:
                continue
            paths.setdefault(rule.rule, {})[method.lower()] = _operation(rule.rule, op)
    for rule, operations in sorted(paths.items()):
        spec.path(path=_path_of(rule).removeprefix("/api/v1"), operations=operations,
                  parameters=_parameters(rule))
    document = spec.to_dict()
    document["servers"] = [{"url": "/api/v1"}]
    return document


def _operation(rule: str, op) -> dict:
    operation: dict = {"summary": op.summary, "tags": op.tags, "responses": {}}
    if op.auth:
        operation["security"] = [{"bearer": []}]
    if op.roles:
        operation["x-roles"] = list(op.roles)
    if op.query is not None:
        operation["parameters"] = [{"in": "query", "schema": op.query}]
    if op.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": op.body}}}
    success: dict = {"description": "Success"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response}}
    operation["responses"][str(op.status)] = success
    codes = set(op.errors) | ({401, 403} if op.auth else set())
    if op.body is not None or op.query is not None:
        codes.add(422)
    if "<" in rule:
        codes.add(404)
    for code in sorted(codes):
        operation["responses"][str(code)] = {
            "description": ERROR_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": "Error"}},
        }
    return operation
