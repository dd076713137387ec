"""The OpenAPI document as a contract: what it promises for every operation, real answers
checked against the documented schemas, and the server errors the fuzz run found."""

from __future__ import annotations

import copy
import re

import jsonschema_rs
import pytest

from marketplace.api.core import OPERATIONS
from marketplace.extensions import db

WRITE = {"post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation, shared + operation.get("parameters", [])


def as_json_schema(schema):
    """OpenAPI 3.0 `nullable` spelled the JSON Schema way (what schemathesis does too)."""
    if isinstance(schema, list):
        return [as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: as_json_schema(value) for key, value in schema.items()}
    if schema.pop("nullable", False):
        if "type" in schema:
            schema["type"] = [schema["type"], "null"]
        elif "$ref" in schema or "allOf" in schema:
            schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def assert_documented(spec: dict, path: str, method: str, response) -> None:
    """The status is documented for the operation and the body matches its schema."""
    answers = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method.upper()} {path} answered undocumented {status}"
    schema = answers[status]["content"]["application/json"]["schema"]
    root = {**as_json_schema(copy.deepcopy(schema)),
            "components": as_json_schema(copy.deepcopy(spec["components"]))}
    errors = [error.message for error in
              jsonschema_rs.Draft4Validator(root).iter_errors(response.get_json())]
    assert not errors, f"{method.upper()} {path} {status}: {errors[:3]}"


# ----------------------------------------------------------------------- the document


def test_every_operation_documents_the_errors_it_can_answer(spec):
    seen = 0
    for path, method, operation, parameters in operations(spec):
        codes = set(operation["responses"])
        label = f"{method.upper()} {path}"
        assert {"422", "503"} <= codes, label
        if "security" in operation:
            assert {"401", "403"} <= codes, label
        if any(p["in"] == "path" for p in parameters):
            assert "404" in codes, label
        if method in WRITE:
            assert "413" in codes, label
        if method == "post" and path != "/auth/token":  # Idempotency-Key: 409 in progress
            assert "409" in codes, label
            assert any(p["name"] == "Idempotency-Key" and p["in"] == "header"
                       for p in parameters), label
        for code, answer in operation["responses"].items():
            if code.startswith(("4", "5")):
                assert answer["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (label, code)
        seen += 1
    assert seen == len(OPERATIONS)


def test_roles_and_path_values_are_documented(spec, app):
    by_label = {}
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            op = OPERATIONS.get(f"{rule.endpoint.removeprefix('api.')}:{method}")
            if op is not None:
                path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
                by_label[(path.removeprefix("/api/v1"), method.lower())] = (rule, op)
    for path, method, operation, parameters in operations(spec):
        rule, op = by_label[(path, method)]
        assert operation.get("x-roles", []) == list(op.roles), (method, path)
        for parameter in parameters:
            schema = parameter["schema"]
            if parameter["in"] != "path":
                continue
            if schema["type"] == "string":  # every string path value is a closed set
                assert schema["enum"], (method, path, parameter["name"])
            else:  # ids carry what the route's converter enforces
                converter = rule._converters[parameter["name"]]
                assert schema.get("minimum") == getattr(converter, "min", None)
                assert schema.get("maximum") == getattr(converter, "max", None)
    staff = spec["paths"]["/sharing/staff/{staff_id}/{decision}"]["parameters"]
    assert staff[1]["schema"]["enum"] == ["accept", "decline", "end"]


def test_error_answers_match_the_envelope(client, spec, make_worker, make_firm, api_token):
    worker = api_token(make_worker())
    assert_documented(spec, "/me", "get", client.get("/api/v1/me"))  # 401
    assert_documented(spec, "/match", "get",
                      client.get("/api/v1/match", headers=worker))  # 403
    assert_documented(spec, "/applications/{application_id}", "get",
                      client.get("/api/v1/applications/999999", headers=worker))  # 404
    assert_documented(spec, "/shifts", "get", client.get("/api/v1/shifts?per_page=0"))  # 422
    assert_documented(spec, "/auth/token", "post", client.post(
        "/api/v1/auth/token", json={"phone": "13999999999", "password": "wrong-pass-1"}))
    firm = make_firm()
    r = client.post("/api/v1/sharing/staff", json={"phone": "13999999998"},
                    headers=api_token(firm))
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "worker_not_found"
    assert_documented(spec, "/sharing/staff", "post", r)
    assert_documented(spec, "/shifts/{shift_id}", "get", client.get(
        "/api/v1/shifts/1", headers={"Authorization": "Bearer not-a-token"}))  # 401


# ----------------------------------------------------------------------- found by fuzzing


def test_a_verified_agency_reads_its_profile_and_the_ranking_lists_it(
        client, spec, make_agency, make_admin, api_token):
    """GET /agency and GET /admin/agencies/ranking answered 500 once an agency had a
    verification time: the agency was dumped twice, the second time from a string."""
    from marketplace.agencies.services import decide_agency

    agency_user, admin = make_agency(verified=False), make_admin()
    decide_agency(actor=admin, agency_id=agency_user.agency_id, approve=True)
    db.session.commit()

    r = client.get("/api/v1/agency", headers=api_token(agency_user))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["agency"]["verified_at"].endswith("+00:00")
    assert_documented(spec, "/agency", "get", r)

    r = client.get("/api/v1/admin/agencies/ranking", headers=api_token(admin))
    assert r.status_code == 200, r.get_json()
    assert_documented(spec, "/admin/agencies/ranking", "get", r)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_filter_at_the_limits_of_the_calendar_is_refused_not_a_500(client, spec,
                                                                         make_firm, make_shift,
                                                                         day):
    """GET /shifts?date=0001-01-01 overflowed converting local midnight to UTC (500); dates
    outside 1900-2200 are now refused with the field named."""
    make_shift(make_firm())
    r = client.get(f"/api/v1/shifts?date={day}")
    assert r.status_code == 422, r.get_json()
    assert "date" in r.get_json()["error"]["fields"]
    assert_documented(spec, "/shifts", "get", r)


def test_local_day_bounds_hold_at_the_limits_of_the_calendar():
    """The conversion itself no longer overflows, for callers that bypass the API's check."""
    import datetime as dt

    from marketplace.timeutil import local_day_bounds

    for day in (dt.date.min, dt.date.max):
        start, end = local_day_bounds(day)
        assert start <= end


def test_shift_and_application_answers_match_their_schemas(client, spec, make_worker,
                                                           make_firm, make_shift, api_token):
    firm = make_firm()
    shift = make_shift(firm)
    worker = api_token(make_worker())
    assert_documented(spec, "/shifts", "get", client.get("/api/v1/shifts"))
    assert_documented(spec, "/shifts/{shift_id}", "get",
                      client.get(f"/api/v1/shifts/{shift.id}"))
    r = client.post(f"/api/v1/shifts/{shift.id}/applications", json={}, headers=worker)
    assert r.status_code == 201, r.get_json()
    assert_documented(spec, "/shifts/{shift_id}/applications", "post", r)
    assert_documented(spec, "/shifts/{shift_id}/applications", "get", client.get(
        f"/api/v1/shifts/{shift.id}/applications", headers=api_token(firm)))
    assert_documented(spec, "/me", "get", client.get("/api/v1/me", headers=worker))


def test_a_method_on_an_id_the_converter_refuses_answers_404_not_405(tmp_path):
    """Werkzeug tries a rule's methods before its converters, so with bounded ids
    `PATCH /labor-bases/0` answered 405 (GET fits the pattern) instead of 404."""
    from marketplace.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
                      "WTF_CSRF_ENABLED": False})  # the probe routes are outside the API
    rule = "/api/v1/probe/<int(min=1, max=9):n>"
    app.add_url_rule(rule, "probe_get", lambda n: {"n": n}, methods=["GET"])
    app.add_url_rule(rule, "probe_patch", lambda n: {"n": n}, methods=["PATCH"])
    client = app.test_client()
    assert client.patch("/api/v1/probe/5").get_json() == {"n": 5}
    for method in ("PATCH", "GET"):
        r = client.open("/api/v1/probe/10", method=method)
        assert r.status_code == 404, (method, r.status_code)
        assert r.get_json()["error"]["code"] == "not_found"
    assert client.delete("/api/v1/probe/5").status_code == 405  # a real 405 stays one
    assert client.patch("/probe-page/0").status_code == 404
