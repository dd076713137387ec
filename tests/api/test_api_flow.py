"""The whole worker and firm journey through the JSON API."""

from __future__ import annotations

import datetime as dt

from tests.conftest import in_hours, new_credit_code, new_phone


def test_register_token_post_apply_offer_accept_checkin_complete_rate(client, make_admin,
                                                                       api_token):
    firm_phone, worker_phone = new_phone(), new_phone()
    r = client.post("/api/v1/auth/register", json={
        "phone": firm_phone, "password": "firm-pass-123", "role": "firm", "name": "威海某食品厂",
        "credit_code": new_credit_code(), "size": "small", "industry": "food_processing"})
    assert r.status_code == 201, r.get_json()
    firm_id = r.get_json()["firm"]["id"]
    assert r.get_json()["firm"]["verification_status"] == "pending"

    r = client.post("/api/v1/auth/register", json={
        "phone": worker_phone, "password": "worker-pass-123", "role": "worker", "name": "李四"})
    assert r.status_code == 201

    firm = client.post("/api/v1/auth/token", json={"phone": firm_phone,
                                                   "password": "firm-pass-123"}).get_json()
    firm_h = {"Authorization": f"Bearer {firm['token']}"}
    worker = client.post("/api/v1/auth/token", json={"phone": worker_phone,
                                                     "password": "worker-pass-123"}).get_json()
    worker_h = {"Authorization": f"Bearer {worker['token']}"}

    starts = in_hours(0.5)
    shift_body = {
        "title": "冷库分拣", "category": "food_processing", "district": "jingqu",
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=8)).isoformat(),
        "headcount": 2, "pay_amount_fen": 2500, "pay_unit": "hour", "settlement": "daily",
        "skills": ["seafood_sorting"], "meals": True,
    }
    r = client.post("/api/v1/shifts", json=shift_body, headers=firm_h)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "firm_not_verified"

    admin_h = api_token(make_admin())
    r = client.post(f"/api/v1/admin/firms/{firm_id}/verify", json={}, headers=admin_h)
    assert r.status_code == 200 and r.get_json()["verification_status"] == "verified"

    r = client.post("/api/v1/shifts", json=shift_body, headers=firm_h)
    assert r.status_code == 201, r.get_json()
    shift_id = r.get_json()["id"]
    assert r.get_json()["daily_pay_fen"] == 20000

    r = client.patch("/api/v1/me", json={"skills": ["seafood_sorting"], "district": "jingqu",
                                         "commute_radius_km": 20}, headers=worker_h)
    assert r.status_code == 200, r.get_json()
    feed = client.get("/api/v1/feed", headers=worker_h).get_json()
    assert [item["shift"]["id"] for item in feed["items"]] == [shift_id]
    assert "1/1" in feed["items"][0]["reason_text"]

    r = client.post(f"/api/v1/shifts/{shift_id}/applications", json={}, headers=worker_h)
    assert r.status_code == 201
    app_id = r.get_json()["id"]
    listed = client.get(f"/api/v1/shifts/{shift_id}/applications", headers=firm_h).get_json()
    assert listed["total"] == 1
    assert "****" in listed["items"][0]["worker"]["phone"]
    assert worker_phone not in str(listed)

    for action, headers, status in (("offer", firm_h, "offered"), ("accept", worker_h,
                                     "confirmed"), ("check-in", worker_h, "checked_in"),
                                    ("check-out", worker_h, "checked_in"),
                                    ("complete", firm_h, "completed")):
        r = client.post(f"/api/v1/applications/{app_id}/{action}", json={}, headers=headers)
        assert r.status_code == 200, (action, r.get_json())
        assert r.get_json()["status"] == status
    body = client.get(f"/api/v1/applications/{app_id}", headers=worker_h).get_json()
    assert body["attendance"]["pay_due_fen"] is not None

    r = client.post(f"/api/v1/applications/{app_id}/rating", json={"score": 5},
                    headers=worker_h)
    assert r.status_code == 201
    r = client.post(f"/api/v1/applications/{app_id}/rating", json={"score": 4},
                    headers=worker_h)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_rated"


def test_wrong_state_is_409_invalid_transition(client, make_firm, make_worker, make_shift,
                                              api_token):
    firm = make_firm()
    shift = make_shift(firm)
    worker = make_worker()
    worker_h = api_token(worker)
    app_id = client.post(f"/api/v1/shifts/{shift.id}/applications", json={},
                         headers=worker_h).get_json()["id"]
    r = client.post(f"/api/v1/applications/{app_id}/accept", json={}, headers=worker_h)
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "invalid_transition" and error["message"]


def test_unknown_fields_and_bad_values_are_422(client, make_firm, api_token):
    firm_h = api_token(make_firm())
    r = client.post("/api/v1/shifts", json={"title": "x", "filled": 3, "id": 9}, headers=firm_h)
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert "filled" in fields and "id" in fields and "starts_at" in fields


def test_pay_below_minimum_wage_is_refused(client, make_firm, api_token):
    firm_h = api_token(make_firm())
    starts = in_hours(24)
    r = client.post("/api/v1/shifts", headers=firm_h, json={
        "title": "装卸", "category": "logistics", "district": "huancui",
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=10)).isoformat(),
        "headcount": 1, "pay_amount_fen": 15000, "pay_unit": "day", "settlement": "daily"})
    assert r.status_code == 422
    assert "pay_amount_fen" in r.get_json()["error"]["fields"]


def test_openapi_document_lists_the_contract_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/auth/register", "/auth/token", "/me", "/me/availability", "/shifts",
                 "/shifts/{shift_id}", "/shifts/{shift_id}/cancel", "/feed",
                 "/shifts/{shift_id}/applications", "/applications/{application_id}",
                 "/applications/{application_id}/{action}",
                 "/applications/{application_id}/rating", "/admin/firms/{firm_id}/verify"):
        assert path in spec["paths"], path
    assert "ShiftIn" in str(spec["components"]["schemas"])


def test_public_shift_list_is_served_from_a_short_cache(app, client, make_firm, make_shift):
    app.config["PUBLIC_LIST_CACHE_SECONDS"] = 30
    try:
        firm = make_firm()
        make_shift(firm)
        first = client.get("/api/v1/shifts").get_json()
        make_shift(firm, title="刚发布")
        assert client.get("/api/v1/shifts").get_json() == first  # cached
        assert client.get("/api/v1/shifts?per_page=50").get_json()["total"] == 2  # other key
    finally:
        app.config["PUBLIC_LIST_CACHE_SECONDS"] = 0


def test_feed_shares_shift_cards_but_shows_seats_and_edits_at_once(
        app, client, api_token, make_firm, make_worker, make_shift):
    from marketplace import cache
    from marketplace.extensions import db
    from marketplace.shifts import applications as apps

    app.config.update(PUBLIC_LIST_CACHE_SECONDS=30, FEED_CACHE_SECONDS=30)
    cache.clear_local()
    try:
        firm = make_firm()
        shift = make_shift(firm, headcount=2)
        reader, taker = make_worker(), make_worker()
        headers = api_token(reader)
        card = client.get("/api/v1/feed", headers=headers).get_json()["items"][0]["shift"]
        assert (card["id"], card["title"], card["seats_left"]) == (shift.id, "海产品分拣工", 2)

        application = apps.apply(actor=taker, shift_id=shift.id)
        apps.transition(actor=firm, application_id=application.id, action="offer")
        db.session.commit()
        apps.transition(actor=taker, application_id=application.id, action="accept")
        db.session.commit()
        card = client.get("/api/v1/feed", headers=headers).get_json()["items"][0]["shift"]
        assert (card["filled"], card["seats_left"]) == (1, 1)  # fresh despite the cached card

        edited = client.patch(f"/api/v1/shifts/{shift.id}", headers=api_token(firm),
                              json={"title": "冷库分拣工"})
        assert edited.status_code == 200, edited.get_json()
        card = client.get("/api/v1/feed", headers=headers).get_json()["items"][0]["shift"]
        assert card["title"] == "冷库分拣工"  # the edit dropped the shared copy

        apps.apply(actor=make_worker(), shift_id=shift.id)
        second = apps.apply(actor=make_worker(), shift_id=shift.id)
        apps.transition(actor=firm, application_id=second.id, action="offer")
        db.session.commit()
        apps.transition(actor=second.worker, application_id=second.id, action="accept")
        db.session.commit()
        assert client.get("/api/v1/feed", headers=headers).get_json()["items"] == []  # full
    finally:
        app.config.update(PUBLIC_LIST_CACHE_SECONDS=0, FEED_CACHE_SECONDS=0)
        cache.clear_local()
