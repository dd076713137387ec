"""The matching API: a firm's candidates for a shift and the one-click match."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.shifts.applications import apply
from marketplace.shifts.models import Application
from tests.conftest import in_hours

NEAR = {"lat": 37.46, "lon": 122.17}


def test_candidates_for_the_firms_own_shift(client, api_token, make_firm, make_worker,
                                            make_shift):
    firm = make_firm()
    shift = make_shift(firm, certificates=["health_cert"])
    fits = make_worker(name="持证工人", certificates=["health_cert"], **NEAR)
    make_worker(name="无证工人", certificates=[], **NEAR)
    headers = api_token(firm)

    r = client.get(f"/api/v1/shifts/{shift.id}/candidates", headers=headers)

    assert r.status_code == 200, r.get_json()
    items = r.get_json()["items"]
    assert [i["worker"]["id"] for i in items] == [fits.id]
    item = items[0]
    assert item["worker"]["name"] == "持证工人"
    assert item["worker"]["phone"] == fits.phone[:3] + "****" + fits.phone[-4:]
    assert item["worker"]["reliability"] == 0.8 and item["worker"]["completed"] == 0
    assert item["reasons"] == ["skills", "distance", "reliability"]
    assert 0 < item["score"] <= 1.5 and item["distance_km"] < 10
    assert "80%" in item["reason_text"]  # the reliability reason, in the user's language
    assert "priority" not in str(item)

    assert client.get(f"/api/v1/shifts/{shift.id}/candidates?limit=0",
                      headers=headers).status_code == 422


def test_candidates_are_404_for_another_firm_and_403_for_workers(client, api_token, make_firm,
                                                                 make_worker, make_shift):
    owner, other = make_firm(), make_firm(name="别家公司")
    shift = make_shift(owner)
    worker = make_worker(**NEAR)
    r = client.get(f"/api/v1/shifts/{shift.id}/candidates", headers=api_token(other))
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/shifts/{shift.id}/candidates",
                      headers=api_token(worker)).status_code == 403
    assert client.get(f"/api/v1/shifts/{shift.id}/candidates").status_code == 401


def test_candidates_of_a_cancelled_shift_are_a_conflict(client, api_token, make_firm,
                                                        make_shift):
    firm = make_firm()
    shift = make_shift(firm)
    headers = api_token(firm)
    assert client.post(f"/api/v1/shifts/{shift.id}/cancel", json={},
                       headers=headers).status_code == 200
    r = client.get(f"/api/v1/shifts/{shift.id}/candidates", headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "shift_closed"


def test_match_plan_then_send(client, api_token, make_firm, make_worker, make_shift):
    firm = make_firm()
    start = in_hours(48)
    one_seat = make_shift(firm, title="单人班", starts_at=start, hours=6, headcount=1)
    overlapping = make_shift(firm, title="重叠班", starts_at=start + dt.timedelta(hours=2),
                             hours=6, headcount=1)
    workers = [make_worker(name=f"工人{n}") for n in range(3)]
    for worker in workers:
        for shift in (one_seat, overlapping):
            apply(actor=worker, shift_id=shift.id)
    db.session.commit()
    headers = api_token(firm)

    r = client.get("/api/v1/match", headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["summary"]["shifts"] == 2 and body["summary"]["applicants"] == 6
    assert body["summary"]["offers"] == len(body["items"]) == 2
    planned = [(i["shift"]["id"], i["worker"]["id"]) for i in body["items"]]
    assert sorted(s for s, _ in planned) == sorted([one_seat.id, overlapping.id])
    assert len({w for _, w in planned}) == 2  # nobody on both overlapping shifts
    first = body["items"][0]
    assert "****" in first["worker"]["phone"] and first["shift"]["title"] in ("单人班", "重叠班")
    assert first["application_id"] and first["score"] > 0

    r = client.post("/api/v1/match", headers=headers)
    assert r.status_code == 200 and r.get_json() == {"offers_sent": 2}
    db.session.expire_all()
    offered = db.session.execute(select(Application.shift_id, Application.worker_id).where(
        Application.status == "offered")).all()
    assert sorted(offered) == sorted(planned)
    # The outstanding offers hold the seats: a second send offers nobody.
    assert client.post("/api/v1/match", headers=headers).get_json() == {"offers_sent": 0}


def test_match_is_for_firms(client, api_token, make_worker):
    headers = api_token(make_worker())
    assert client.get("/api/v1/match", headers=headers).status_code == 403
    assert client.post("/api/v1/match", headers=headers).status_code == 403


def test_matching_routes_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    candidates = spec["paths"]["/shifts/{shift_id}/candidates"]["get"]
    assert candidates["tags"] == ["matching"] and "409" in candidates["responses"]
    schema_ref = candidates["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema_ref == {"$ref": "#/components/schemas/CandidateList"}
    assert set(spec["paths"]["/match"]) == {"get", "post"}
    schemas = spec["components"]["schemas"]
    assert {"worker", "score", "distance_km", "reasons", "reason_text"} <= set(
        schemas["Candidate"]["properties"])
    assert "offers_sent" in schemas["MatchSent"]["properties"]
    assert "summary" in schemas["MatchPlan"]["properties"]
