"""The labor-base API: registry, partner accounts, cohorts, members and tags, figures."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.laborbases import services
from marketplace.laborbases.models import Cohort, LaborBase
from tests.laborbases.conftest import local_today

BASE = {"name": "河南周口劳务基地", "province": "河南", "city": "周口市",
        "partner_org": "周口市人力资源和社会保障局", "contact_name": "张科长",
        "contact_phone": "0394-8000000"}


def test_administrators_keep_the_registry_over_the_api(client, api_token, admin, make_worker):
    headers = api_token(admin)
    created = client.post("/api/v1/labor-bases", json=BASE, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["kind"] == "labor_base" and body["contact_phone"] == "0394-8000000"
    assert client.post("/api/v1/labor-bases", json=BASE, headers=headers).status_code == 409
    for extra in ({"id": 5}, {"created_at": "2020-01-01T00:00:00+08:00"}, {"province": "山东"}):
        refused = client.post("/api/v1/labor-bases", json={**BASE, "name": "x", **extra},
                              headers=headers)
        assert refused.status_code == 422, extra
    patched = client.patch(f"/api/v1/labor-bases/{body['id']}",
                           json={"kind": "cooperation_region"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["kind"] == "cooperation_region"
    assert client.patch("/api/v1/labor-bases/99999", json={"city": "x"},
                        headers=headers).status_code == 404

    listed = client.get("/api/v1/labor-bases?province=河南", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["contact_name"] == "张科长"
    # workers pick a base from the same list, without the contacts
    worker_list = client.get("/api/v1/labor-bases", headers=api_token(make_worker())).get_json()
    assert worker_list["items"][0]["name"] == "河南周口劳务基地"
    assert "contact_phone" not in worker_list["items"][0]
    assert client.post("/api/v1/labor-bases", json=BASE,
                       headers=api_token(make_worker())).status_code == 403


def test_partner_accounts_over_the_api(client, api_token, admin, make_base):
    base = make_base()
    headers = api_token(admin)
    url = f"/api/v1/labor-bases/{base.id}/partners"
    created = client.post(url, json={"phone": "13912340005", "name": "联络员",
                                     "password": "partner-pass-1"}, headers=headers)
    assert created.status_code == 201
    assert created.get_json() == {"id": created.get_json()["id"], "name": "联络员",
                                  "phone": "139****0005", "role": "partner",
                                  "labor_base_id": base.id}
    again = client.post(url, json={"phone": "13912340005", "name": "x",
                                   "password": "partner-pass-1"}, headers=headers)
    assert again.status_code == 409
    assert client.post(url, json={"phone": "13912340006", "name": "x", "password": "p",
                                  "role": "admin"}, headers=headers).status_code == 422


def test_partner_registers_and_fills_a_cohort_worker_accepts(client, api_token, make_base,
                                                             make_partner, make_worker):
    base = make_base()
    partner = make_partner(base)
    worker = make_worker(name="随队工人")
    headers = api_token(partner)
    arrival = (local_today() + dt.timedelta(days=3)).isoformat()
    created = client.post("/api/v1/cohorts", json={
        "arrival_date": arrival, "headcount": 15, "skills": ["loading"],
        "housing_needed": True, "district": "lingang", "note": "带队人：王"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    cohort = created.get_json()
    assert cohort["labor_base"]["name"] == "甘肃定西劳务基地" and cohort["members"] == 0
    assert cohort["counted_only"] == 15 and cohort["status"] == "registered"
    assert "contact_phone" not in cohort["labor_base"]

    added = client.post(f"/api/v1/cohorts/{cohort['id']}/members", json={"phone": worker.phone},
                        headers=headers)
    assert added.status_code == 201
    member = added.get_json()
    assert member["status"] == "invited" and member["name"] is None
    assert member["phone"] == worker.phone[:3] + "****" + worker.phone[-4:]
    assert client.post(f"/api/v1/cohorts/{cohort['id']}/members", json={"phone": worker.phone},
                       headers=headers).status_code == 409

    worker_headers = api_token(worker)
    mine = client.get("/api/v1/me/cohorts", headers=worker_headers).get_json()["items"]
    assert [m["id"] for m in mine] == [member["id"]] and mine[0]["status"] == "invited"
    accepted = client.post(f"/api/v1/me/cohorts/{member['id']}/accept", headers=worker_headers)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert client.post(f"/api/v1/me/cohorts/{member['id']}/decline",
                       headers=worker_headers).status_code == 409
    me = client.get("/api/v1/me", headers=worker_headers).get_json()
    assert me["profile"]["labor_base_id"] == base.id
    assert me["profile"]["labor_base"] == "甘肃定西劳务基地"

    detail = client.get(f"/api/v1/cohorts/{cohort['id']}", headers=headers).get_json()
    assert detail["member_list"][0]["name"] == "随队工人" and detail["members"] == 1
    listed = client.get("/api/v1/cohorts", headers=headers).get_json()
    assert listed["total"] == 1
    cancelled = client.post(f"/api/v1/cohorts/{cohort['id']}/cancel", json={}, headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/cohorts/{cohort['id']}/cancel", json={},
                       headers=headers).status_code == 409


@pytest.mark.parametrize("extra", [{"status": "cancelled"}, {"members": 5}, {"id": 1},
                                   {"agency_id": 1}, {"headcount": "10"}])
def test_cohort_input_refuses_privileged_and_loose_keys(client, api_token, make_base,
                                                        make_partner, extra):
    headers = api_token(make_partner(make_base()))
    body = {"arrival_date": local_today().isoformat(), "headcount": 10, **extra}
    response = client.post("/api/v1/cohorts", json=body, headers=headers)
    assert response.status_code == 422
    assert next(iter(extra)) in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_bad_cohort_values_are_422_with_fields(client, api_token, make_base, make_partner,
                                               make_worker):
    headers = api_token(make_partner(make_base()))
    far = (local_today() + dt.timedelta(days=800)).isoformat()
    response = client.post("/api/v1/cohorts", json={"arrival_date": far, "headcount": 3},
                           headers=headers)
    assert response.status_code == 422
    assert "arrival_date" in response.get_json()["error"]["fields"]
    cohort = services.create_cohort(actor=make_partner(make_base(
        name="云南昭通劳务基地", province="云南", city="昭通市")),
        data={"arrival_date": local_today(), "headcount": 2})
    db.session.commit()
    unknown = client.post(f"/api/v1/cohorts/{cohort.id}/members", json={"phone": "13700000002"},
                          headers=headers)
    assert unknown.status_code == 404  # another base's cohort: not found, whatever the phone


def test_partner_b_never_reads_base_a(client, api_token, make_base, make_partner, make_cohort):
    base_a = make_base()
    base_b = make_base(name="贵州毕节劳务基地", province="贵州", city="毕节市")
    partner_a, partner_b = make_partner(base_a), make_partner(base_b)
    cohort_a = make_cohort(partner_a, note="A的备注")
    headers = api_token(partner_b)
    for url in (f"/api/v1/cohorts/{cohort_a.id}", f"/api/v1/labor-bases/{base_a.id}",
                f"/api/v1/labor-bases/figures?base_id={base_a.id}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/cohorts/{cohort_a.id}/cancel", json={},
                       headers=headers).status_code == 404
    listed = client.get("/api/v1/cohorts", headers=headers).get_json()
    assert listed["items"] == []
    own = client.get("/api/v1/labor-bases/figures", headers=headers).get_json()
    assert [b["labor_base"]["name"] for b in own["bases"]] == ["贵州毕节劳务基地"]
    assert own["total"]["arrivals"] == 0 and "A的备注" not in str(own)
    assert client.get(f"/api/v1/labor-bases/{base_b.id}", headers=headers).status_code == 200


def test_figures_over_the_api(client, api_token, admin, make_base, make_partner, make_cohort):
    base = make_base()
    make_cohort(make_partner(base), arrival=local_today(), headcount=9)
    headers = api_token(admin)
    body = client.get("/api/v1/labor-bases/figures?granularity=week", headers=headers).get_json()
    assert body["granularity"] == "week" and body["total"]["arrivals"] == 9
    assert body["provinces"][0] == {"province": "甘肃", "cohorts": 1, "arrivals": 9,
                                    "placements": 0, "retention_eligible": 0,
                                    "retained_30d": 0, "retention_30d": None,
                                    "second_shift": 0, "second_shift_rate": None}
    assert "retention_30d" in body["definitions"]
    assert any(p["arrivals"] == 9 for p in body["periods"])
    for query in ("granularity=day", "start=2026-13-01", "base_id=x", "province=山东",
                  "start=2026-05-01&end=2026-01-01", "extra=1"):
        response = client.get(f"/api/v1/labor-bases/figures?{query}", headers=headers)
        assert response.status_code == 422, query
    assert client.get("/api/v1/labor-bases/figures?base_id=99999",
                      headers=headers).status_code == 404


def test_firms_get_upcoming_cohorts_matching_their_provisions_first(
        client, api_token, make_base, make_partner, make_cohort, make_firm, make_shift):
    partner = make_partner(make_base())
    today = local_today()
    first = make_cohort(partner, arrival=today + dt.timedelta(days=1))
    meals = make_cohort(partner, arrival=today + dt.timedelta(days=5), meals=True)
    firm = make_firm()
    make_shift(firm, meals=True)
    body = client.get("/api/v1/cohorts/upcoming", headers=api_token(firm)).get_json()
    assert [c["id"] for c in body["items"]] == [meals.id, first.id]
    assert body["items"][0]["fits"] == ["meals"] and body["items"][1]["fits"] == []
    assert body["provisions"] == {"housing": False, "meals": True}
    assert "member_list" not in body["items"][0]


def test_agency_cohorts_over_the_api(client, api_token, make_base, make_agency_user):
    base = make_base()
    agency_user = make_agency_user()
    headers = api_token(agency_user)
    body = {"arrival_date": local_today().isoformat(), "headcount": 6}
    missing = client.post("/api/v1/cohorts", json=body, headers=headers)
    assert missing.status_code == 422 and "labor_base_id" in missing.get_json()["error"]["fields"]
    created = client.post("/api/v1/cohorts", json={**body, "labor_base_id": base.id},
                          headers=headers)
    assert created.status_code == 201 and created.get_json()["agency_id"] == agency_user.agency_id
    pending = make_agency_user(verified=False, name="待审核机构")
    refused = client.post("/api/v1/cohorts", json={**body, "labor_base_id": base.id},
                          headers=api_token(pending))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "agency_not_verified"


def test_worker_profile_api_keeps_the_free_text_and_adds_the_registry_id(client, api_token,
                                                                         make_base, make_worker):
    base = make_base()
    headers = api_token(make_worker())
    free = client.patch("/api/v1/me", json={"labor_base": "云阳劳务基地"}, headers=headers)
    assert free.status_code == 200
    profile = free.get_json()["profile"]
    assert profile["labor_base"] == "云阳劳务基地" and profile["labor_base_id"] is None
    picked = client.patch("/api/v1/me", json={"labor_base_id": base.id}, headers=headers)
    profile = picked.get_json()["profile"]
    assert profile["labor_base_id"] == base.id and profile["labor_base"] == base.name
    for bad in (99999, "1", True):
        response = client.patch("/api/v1/me", json={"labor_base_id": bad}, headers=headers)
        assert response.status_code == 422, bad
        assert "labor_base_id" in response.get_json()["error"]["fields"]
    cleared = client.patch("/api/v1/me", json={"labor_base_id": None}, headers=headers)
    assert cleared.get_json()["profile"]["labor_base_id"] is None


def test_labor_base_operations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in (("/labor-bases", "get"), ("/labor-bases", "post"),
                         ("/labor-bases/{base_id}", "patch"),
                         ("/labor-bases/{base_id}/partners", "post"),
                         ("/labor-bases/figures", "get"), ("/cohorts", "post"),
                         ("/cohorts", "get"), ("/cohorts/upcoming", "get"),
                         ("/cohorts/{cohort_id}", "get"), ("/cohorts/{cohort_id}/members", "post"),
                         ("/cohorts/{cohort_id}/cancel", "post"), ("/me/cohorts", "get"),
                         ("/me/cohorts/{member_id}/accept", "post"),
                         ("/me/cohorts/{member_id}/decline", "post")):
        assert method in spec["paths"][path], (path, method)
    assert "labor_base_id" in spec["components"]["schemas"]["WorkerProfile"]["properties"]
    assert db.session.scalar(select(func.count()).select_from(LaborBase)) == 0
