"""The fuzz runner's own logic: which operations each role's run covers, and how it reads
schemathesis's summary (the run itself is `make fuzz`, in CI)."""

from __future__ import annotations

import re

from tests.fuzz.run_schemathesis import ROLES, TOKEN_KILLERS, operations_for, summary_counts


def test_each_role_fuzzes_what_it_may_call(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    anonymous = operations_for(spec, "anonymous")
    assert anonymous == ["GET /shifts", "GET /shifts/{shift_id}", "POST /auth/register",
                         "POST /auth/token"]
    covered = set(anonymous)
    account = operations_for(spec, "account")
    assert account == ["DELETE /auth/token", "DELETE /auth/tokens/{token_id}",
                       "GET /auth/tokens", "POST /auth/password"]
    covered |= set(account)
    for role in ROLES:
        if role in ("anonymous", "account"):
            continue
        names = operations_for(spec, role)
        assert not any(" /auth/" in name for name in names)
        covered |= set(names)
        for name in names:
            method, path = name.split(" ", 1)
            roles = spec["paths"][path][method.lower()].get("x-roles")
            assert roles is None or role in roles, (role, name)
    assert "GET /me" in operations_for(spec, "partner")
    assert "POST /shifts" in operations_for(spec, "firm")
    assert "POST /shifts" not in operations_for(spec, "worker")
    every = {f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item
             if m != "parameters"}
    assert covered == every  # no operation is left out of every run


def test_token_killers_are_left_out():
    pattern = re.compile(TOKEN_KILLERS)
    for name in ("DELETE /auth/token", "DELETE /auth/tokens/{token_id}",
                 "POST /auth/password"):
        assert pattern.match(name), name
    for name in ("POST /auth/token", "GET /me", "PATCH /me"):
        assert not pattern.match(name), name


def test_summary_counts():
    assert summary_counts("Test cases:\n  1456 generated, 1 found 1 unique failure\n") == (1456, 1)
    assert summary_counts("Test cases:\n  1002 generated, 1002 passed\n") == (1002, 0)
    assert summary_counts("Test cases:\n  90 generated, 3 found 2 unique failures\n") == (90, 2)
    assert summary_counts("crashed") == (0, 0)
