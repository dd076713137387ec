"""The sharing exchange over /api/v1: the whole journey with bearer tokens, the guidance's rules
as JSON errors, privacy of the lender's staff, unknown fields refused, the OpenAPI document."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.shifts.models import Application
from tests.sharing.conftest import today

API = "/api/v1/sharing"


@pytest.fixture
def parties(make_firm, make_worker, api_token):
    lender = make_firm(name="威海海之韵水产食品有限公司")
    borrower = make_firm(name="威海顺达物流有限公司", industry="logistics")
    worker = make_worker(name="王秀英", skills=("sorting_parcels", "loading"))
    colleague = make_worker(name="刘建华", skills=("seafood_sorting",))
    return {"lender": lender, "borrower": borrower, "worker": worker, "colleague": colleague,
            "L": api_token(lender), "B": api_token(borrower), "W": api_token(worker),
            "C": api_token(colleague)}


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def error(response, status):
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]


def period(days: int = 3, start: int = 1) -> dict:
    first = today() + dt.timedelta(days=start)
    return {"start_date": first.isoformat(),
            "end_date": (first + dt.timedelta(days=days - 1)).isoformat()}


def staff_up(client, p) -> dict[str, int]:
    """The lender adds both employees; each confirms with their own token."""
    ids = {}
    for key in ("worker", "colleague"):
        added = ok(client.post(f"{API}/staff", json={"phone": p[key].phone,
                                                     "job_title": "分拣工"}, headers=p["L"]),
                   201)
        assert added["status"] == "invited"
        assert added["worker"]["name"] is None  # a phone number never reveals its owner
        assert "****" in added["worker"]["phone"]
        token = p["W"] if key == "worker" else p["C"]
        mine = ok(client.get(f"{API}/employers", headers=token))["items"]
        assert [m["firm"]["name"] for m in mine] == [p["lender"].firm.name]
        ok(client.post(f"{API}/staff/{added['id']}/accept", headers=token))
        ids[key] = added["id"]
    return ids


def test_the_whole_journey_over_the_api(client, parties):
    p = parties
    staff = staff_up(client, p)
    listed = ok(client.get(f"{API}/staff", headers=p["L"]))["items"]
    assert {s["worker"]["name"] for s in listed} == {"王秀英", "刘建华"}

    offer = ok(client.post(f"{API}/staff/list-idle", json={"staff_ids": [staff["worker"]]},
                           headers=p["L"]), 201)
    assert offer["kind"] == "offer" and offer["headcount"] == 1 and offer["own"]
    assert offer["staff_ids"] == [staff["worker"]]
    need = ok(client.post(f"{API}/listings", json={
        "kind": "need", "title": "电商包裹分拣", "headcount": 2, "district": "jingqu",
        "work_content": "双十一包裹分拣、装车", "daily_pay_fen": 23000,
        "skills": ["sorting_parcels"], **period(3)}, headers=p["B"]), 201)
    # The borrower sees the offer in the exchange, without staff.
    market = ok(client.get(f"{API}/listings?scope=exchange&kind=offer", headers=p["B"]))
    assert [i["id"] for i in market["items"]] == [offer["id"]]
    assert market["items"][0]["staff_ids"] is None

    suggestions = ok(client.get(f"{API}/listings/{need['id']}/suggestions",
                                headers=p["B"]))["items"]
    assert [s["listing"]["id"] for s in suggestions] == [offer["id"]]
    assert "overlap" in suggestions[0]["reasons"] and suggestions[0]["reason_text"]

    agreement = ok(client.post(f"{API}/agreements", json={
        "listing_id": need["id"], "counterpart_id": offer["id"]}, headers=p["B"]), 201)
    assert agreement["side"] == "borrower"
    assert (agreement["labor_relationship"], agreement["wage_payer"]) == ("lender", "lender")
    assert agreement["workers"] == []  # named but not consented: hidden from the borrower
    assert agreement["headcount"] == 1
    url = f"{API}/agreements/{agreement['id']}"
    version = agreement["terms_version"]

    # The rules, as JSON errors.
    markup = error(client.patch(url, json={"version": version, "daily_pay_fen": 25000,
                                           "worker_pay_fen": 20000}, headers=p["L"]), 422)
    assert markup["code"] == "lender_markup" and "worker_pay_fen" in markup["fields"]
    fixed = error(client.patch(url, json={"version": version, "labor_relationship": "borrower"},
                               headers=p["B"]), 422)
    assert fixed["code"] == "labor_relationship_fixed"
    stranger = error(client.patch(url, json={"version": version,
                                             "worker_ids": [p["borrower"].id]},
                                  headers=p["L"]), 422)
    assert stranger["code"] == "not_lender_staff"
    names = error(client.patch(url, json={"version": version, "worker_ids": [p["worker"].id]},
                               headers=p["B"]), 403)
    assert names["code"] == "lender_names_workers"

    changed = ok(client.patch(url, json={"version": version, "weekdays": "1234567",
                                         "worker_ids": [p["worker"].id, p["colleague"].id]},
                              headers=p["L"]))
    assert changed["terms_version"] == version + 1
    assert [w["name"] for w in changed["workers"]] == ["王秀英", "刘建华"]  # the lender sees all
    version += 1
    assert error(client.post(f"{url}/sign", json={"version": version - 1}, headers=p["L"]),
                 409)["code"] == "agreement_changed"
    signed = ok(client.post(f"{url}/sign", json={"version": version}, headers=p["L"]))
    assert signed["signatures"]["lender"]["by"] == p["lender"].name
    assert signed["signatures"]["lender"]["at"] and signed["status"] == "draft"
    signed = ok(client.post(f"{url}/sign", json={"version": version}, headers=p["B"]))
    assert signed["status"] == "signed"

    # The worker reads the terms and their rights, and consents on their phone.
    mine = ok(client.get(f"{API}/assignments", headers=p["W"]))["items"]
    assert [m["agreement_id"] for m in mine] == [agreement["id"]]
    assert mine[0]["consent"] == "pending" and len(mine[0]["rights"]) >= 6
    assert any("self-employed" in r for r in mine[0]["rights"])
    assert "daily_pay_fen" not in mine[0]  # what the firms pay each other is theirs
    consented = ok(client.post(f"{API}/assignments/{agreement['id']}/consent", headers=p["W"]))
    assert consented["consent"] == "consented"
    booked = db.session.scalars(select(Application).where(
        Application.worker_id == p["worker"].id)).all()
    assert len(booked) == 3 and {a.status for a in booked} == {"confirmed"}

    # The borrower now sees the worker who consented, with a masked phone; not the colleague.
    seen = ok(client.get(url, headers=p["B"]))
    assert [w["name"] for w in seen["workers"]] == ["王秀英"]
    assert "****" in seen["workers"][0]["phone"] and seen["workers"][0]["booked"] == 3
    assert "刘建华" not in str(seen)
    assert seen["status"] == "active"
    # Terms are locked once a worker consented.
    assert error(client.patch(url, json={"version": version, "address": "别处"},
                              headers=p["B"]), 409)["code"] == "terms_locked"
    # The colleague says no; the lender is told, nothing is booked for them.
    ok(client.post(f"{API}/assignments/{agreement['id']}/decline", headers=p["C"]))
    assert ok(client.get(url, headers=p["L"]))["workers"][1]["consent"] == "declined"
    assert error(client.post(f"{url}/confirm", json={"score": 5}, headers=p["L"]),
                 409)["code"] == "period_not_over"


def test_other_firms_and_workers_reach_nothing(client, parties, make_firm, make_worker,
                                               api_token):
    p = parties
    staff_up(client, p)
    offer = ok(client.post(f"{API}/staff/list-idle", json={}, headers=p["L"]), 201)
    need = ok(client.post(f"{API}/listings", json={
        "kind": "need", "title": "分拣", "headcount": 1, "district": "jingqu",
        "work_content": "分拣", "daily_pay_fen": 23000, **period(2, start=2)},
        headers=p["B"]), 201)
    agreement = ok(client.post(f"{API}/agreements", json={
        "listing_id": offer["id"], "counterpart_id": need["id"]}, headers=p["L"]), 201)
    other = api_token(make_firm(name="第三方企业"))
    outsider = api_token(make_worker(name="路人"))
    url = f"{API}/agreements/{agreement['id']}"
    assert error(client.get(url, headers=other), 404)["code"] == "not_found"
    assert error(client.post(f"{url}/cancel", json={}, headers=other), 404)
    assert error(client.patch(f"{API}/listings/{offer['id']}", json={"title": "x"},
                              headers=other), 404)
    # Another firm sees the open offer, never who is in it.
    seen = ok(client.get(f"{API}/listings/{offer['id']}", headers=other))
    assert seen["staff_ids"] is None and not seen["own"]
    assert error(client.get(f"{API}/listings/{offer['id']}/suggestions", headers=other), 404)
    assert error(client.get(f"{API}/assignments/{agreement['id']}", headers=outsider), 404)
    assert error(client.get(url, headers=outsider), 403)  # workers use /assignments
    assert error(client.get(f"{API}/staff", headers=outsider), 403)


PRIVILEGED = {"id": 999, "status": "completed", "firm_id": 1, "filled": 5, "verified": True,
              "role": "admin", "lender_firm_id": 1, "terms_version": 9, "consent": "consented",
              "lender_signed_at": "2026-01-01T00:00:00+08:00"}


@pytest.mark.parametrize("key", sorted(PRIVILEGED))
def test_bodies_with_privileged_fields_are_422_and_change_nothing(client, parties,
                                                                  make_agreement, key):
    from sqlalchemy import text

    p = parties
    staff = staff_up(client, p)
    agreement = make_agreement(p["lender"], p["borrower"], [p["worker"]], sign=False)
    version = agreement.terms_version
    tables = ("staff_members", "sharing_listings", "sharing_agreements",
              "sharing_agreement_workers", "applications")

    def snapshot() -> dict:
        db.session.rollback()
        return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in tables} | {"agreement": db.session.execute(text(
                    "SELECT status, terms_version, address, lender_signed_at "
                    "FROM sharing_agreements")).all()}

    calls = [
        (p["L"], "post", f"{API}/staff", {"phone": p["borrower"].phone}),
        (p["L"], "post", f"{API}/staff/list-idle", {}),
        (p["B"], "post", f"{API}/listings", {
            "kind": "need", "title": "分拣", "headcount": 1, "district": "jingqu",
            "work_content": "分拣", "daily_pay_fen": 23000, **period()}),
        (p["L"], "patch", f"{API}/listings/{agreement.offer_listing_id}", {"title": "新"}),
        (p["L"], "post", f"{API}/agreements", {"listing_id": agreement.offer_listing_id,
                                               "counterpart_id": agreement.need_listing_id}),
        (p["B"], "patch", f"{API}/agreements/{agreement.id}", {"version": version,
                                                               "address": "别处"}),
        (p["L"], "post", f"{API}/agreements/{agreement.id}/sign", {"version": version}),
        (p["L"], "post", f"{API}/agreements/{agreement.id}/cancel", {"reason": "x"}),
        (p["L"], "post", f"{API}/agreements/{agreement.id}/confirm", {"score": 5}),
        (p["W"], "post", f"{API}/assignments/{agreement.id}/consent", {}),
        (p["W"], "post", f"{API}/staff/{staff['worker']}/end", {}),
    ]
    before = snapshot()
    for headers, method, url, body in calls:
        response = getattr(client, method)(url, json={**body, key: PRIVILEGED[key]},
                                           headers=headers)
        assert response.status_code == 422, (url, response.get_json())
        assert key in response.get_json()["error"]["fields"], (url, response.get_json())
    assert snapshot() == before


def test_unverified_firms_are_refused(client, make_firm, api_token):
    waiting = api_token(make_firm(verified=False))
    response = client.post(f"{API}/listings", json={
        "kind": "need", "title": "分拣", "headcount": 1, "district": "jingqu",
        "work_content": "分拣", "daily_pay_fen": 23000, **period()}, headers=waiting)
    assert error(response, 403)["code"] == "firm_not_verified"


def test_sharing_paths_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/sharing/staff", "/sharing/staff/{staff_id}/{decision}",
                 "/sharing/staff/list-idle", "/sharing/employers", "/sharing/listings",
                 "/sharing/listings/{listing_id}", "/sharing/listings/{listing_id}/suggestions",
                 "/sharing/agreements", "/sharing/agreements/{agreement_id}",
                 "/sharing/agreements/{agreement_id}/sign",
                 "/sharing/agreements/{agreement_id}/cancel",
                 "/sharing/agreements/{agreement_id}/confirm", "/sharing/assignments",
                 "/sharing/assignments/{agreement_id}",
                 "/sharing/assignments/{agreement_id}/{decision}"):
        assert path in spec["paths"], path
    patch = spec["paths"]["/sharing/agreements/{agreement_id}"]["patch"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(patch["responses"])
    assert patch["requestBody"]["content"]["application/json"]["schema"]


def test_the_agreement_list_costs_the_same_queries_for_two_or_six(client, parties,
                                                                  make_agreement, make_staff):
    from sqlalchemy import event

    p = parties

    def queries() -> int:
        count = 0

        def seen(*_args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            body = ok(client.get(f"{API}/agreements", headers=p["L"]))
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return count, body["total"]

    for n in range(6):
        worker = make_staff(p["lender"], name=f"员工{n}")
        make_agreement(p["lender"], p["borrower"], [worker], days=2)
        if n == 1:
            two = queries()
    six = queries()
    assert (two[1], six[1]) == (2, 6)
    assert six[0] == two[0], (two, six)
