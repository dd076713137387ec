"""Bad input answers a 4xx with the error envelope, never a 500 (issue 8, items 2, 5 and 8):
ids beyond the columns, NUL and other control characters, lone surrogates, deep JSON, a body
that is not an object, overflowing money, huge page numbers, decimals in integer fields,
look-alike digits in phone numbers, oversized bodies; and the loose checks of item 8."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.agencies.models import AgencyComplaint
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.shifts import applications as apps
from tests.conftest import in_hours

BIG_IDS = (2**31, 2**63, 10**30)
LOOK_ALIKE_PHONES = ("1390000000３", "13900000٠03", "１３９０００００００３", "1390000000\u0663")


def envelope(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "fields"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def shift_body(**changes) -> dict:
    starts = in_hours(48)
    return {"title": "海产品分拣工", "category": "food_processing", "district": "jingqu",
            "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=8))
            .isoformat(), "headcount": 3, "pay_amount_fen": 3000, "pay_unit": "hour",
            "settlement": "daily", **changes}


# --- ids beyond the columns --------------------------------------------------------------

@pytest.mark.parametrize("value", [*BIG_IDS, "-1", "0", "３", "1٠"])
def test_ids_out_of_range_in_the_path_are_not_found(client, api_token, make_firm, value):
    headers = api_token(make_firm())
    for path in (f"/api/v1/shifts/{value}", f"/api/v1/applications/{value}",
                 f"/api/v1/shifts/{value}/applications", f"/api/v1/agencies/{value}"):
        # Routing refuses the segment: 404, or 405 where another method's rule has the same
        # shape (werkzeug checks methods before converters); the same for every such id.
        envelope(client.get(path, headers=headers), (404, 405))
    envelope(client.patch(f"/api/v1/shifts/{value}", headers=headers, json={"title": "x"}),
             (404, 405))


@pytest.mark.parametrize("value", BIG_IDS)
def test_ids_out_of_range_in_a_body_or_query_are_refused(client, api_token, make_agency, value):
    headers = api_token(make_agency())
    body = {"shift_id": value, "worker_id": 1, "commission": {"kind": "fixed", "fixed_fen": 0}}
    error = envelope(client.post("/api/v1/agency/applications", headers=headers, json=body),
                     422, "validation_failed")
    assert "shift_id" in error["fields"]
    envelope(client.get(f"/api/v1/agency/fill?firm_id={value}", headers=headers), 422)
    r = client.get(f"/api/v1/agency/fill?shift_ids={2**31},{value % 10**10}", headers=headers)
    assert r.status_code in (200, 422), r.get_json()  # no such shift: an empty plan at most
    if r.status_code == 200:
        assert r.get_json()["items"] == []


def test_huge_page_numbers(client):
    envelope(client.get(f"/api/v1/shifts?page={10**18}"), 422)
    envelope(client.get(f"/api/v1/shifts?per_page={10**18}"), 422)
    envelope(client.get("/api/v1/shifts?page=1.5"), 422)
    assert client.get("/api/v1/shifts?page=100000").get_json()["items"] == []


# --- text: NUL, control characters, lone surrogates ----------------------------------------

@pytest.mark.parametrize("query", ["q=%00", "q=a%01b", "q=%0d%0a", "category=%00",
                                   "%00=1", "q=%7f"])
def test_control_characters_in_the_query_string(client, query):
    error = envelope(client.get(f"/api/v1/shifts?{query}"), 422, "invalid_text")
    assert error["fields"]


def test_a_nul_in_the_path(client):
    for path in ("/api/v1/shifts/%00", "/api/v1/shifts/1%00", "/api/v1/applications/1/%00"):
        envelope(client.get(path), 422, "invalid_text")


@pytest.mark.parametrize("name", ["x\u0000", "x\ud800", "\udfffx", "a\u001bb", "x\u007f"])
def test_control_characters_and_lone_surrogates_in_json(client, name):
    body = {"phone": "13912340001", "password": "long-enough-1", "role": "worker", "name": name}
    error = envelope(client.post("/api/v1/auth/register", json=body), 422, "invalid_text")
    assert error["fields"] == {"name": [error["message"]]}
    assert client.post("/api/v1/auth/token",
                       json={"phone": "13912340001", "password": "long-enough-1"}
                       ).status_code == 401  # nothing was registered


def test_control_characters_nested_in_json_and_in_keys(client, api_token, make_agency):
    headers = api_token(make_agency())
    body = {"shift_id": 1, "worker_id": 1, "commission": {"kind": "fixed\u0000"}}
    error = envelope(client.post("/api/v1/agency/applications", headers=headers, json=body),
                     422, "invalid_text")
    assert "commission.kind" in error["fields"]
    envelope(client.post("/api/v1/agency/applications", headers=headers,
                         json={"a\u0000": 1}), 422, "invalid_text")


def test_multi_line_text_keeps_its_line_breaks(client, api_token, make_firm):
    headers = api_token(make_firm())
    r = client.post("/api/v1/shifts", headers=headers,
                    json=shift_body(description="第一行\n第二行\r\n\t缩进"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["description"] == "第一行\n第二行\r\n\t缩进"


def test_a_lone_surrogate_sent_raw(client):
    raw = b'{"phone": "13912340002", "password": "long-enough-1", "role": "worker", ' \
          b'"name": "\\ud800"}'
    envelope(client.post("/api/v1/auth/register", data=raw, content_type="application/json"),
             422, "invalid_text")


# --- JSON shape and size ---------------------------------------------------------------------

@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_json_nested_too_deep(client, depth):
    for raw in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        envelope(client.post("/api/v1/auth/token", data=raw, content_type="application/json"),
                 422, "invalid_json")


def test_json_nested_within_the_limit_is_read(client):
    nested = '{"a":' * 31 + "1" + "}" * 31
    r = client.post("/api/v1/auth/token", data=nested, content_type="application/json")
    envelope(r, 422, "validation_failed")  # read, then refused by the schema (unknown field)


@pytest.mark.parametrize("raw", ["[null, null]", "[]", "5", '"text"', "null", "true", "{",
                                 '{"phone": }'])
def test_a_body_that_is_not_a_json_object(client, raw):
    for path in ("/api/v1/auth/token", "/api/v1/auth/register"):
        envelope(client.post(path, data=raw, content_type="application/json"), 422,
                 "invalid_json")


def test_a_body_over_the_limit_answers_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    raw = b'{"phone": "' + b"1" * limit + b'"}'
    r = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
    envelope(r, 413)
    r = client.post("/login", data={"phone": "1" * limit, "password": "x"})
    assert r.status_code == 413


# --- integers: decimals, booleans, strings ----------------------------------------------------

@pytest.mark.parametrize("headcount", [1.5, 2.0, True, "1.5", "1_0", "２", 2**31, -2**31 - 1])
def test_integer_fields_refuse_decimals_and_look_alikes(client, api_token, make_firm,
                                                        headcount):
    headers = api_token(make_firm())
    error = envelope(client.post("/api/v1/shifts", headers=headers,
                                 json=shift_body(headcount=headcount)), 422)
    assert "headcount" in error["fields"]


def test_integer_fields_still_take_integers(client, api_token, make_firm):
    headers = api_token(make_firm())
    for value in (2, "3"):
        r = client.post("/api/v1/shifts", headers=headers, json=shift_body(headcount=value))
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["headcount"] == int(value)


# --- PATCH lon null -----------------------------------------------------------------------

def test_patch_a_shift_with_a_null_coordinate(client, api_token, make_firm, make_shift):
    firm = make_firm()
    shift = make_shift(firm, lat=37.5, lon=122.1)
    headers = api_token(firm)
    for body in ({"lon": None}, {"lat": None}, {"lat": None, "lon": None}):
        r = client.patch(f"/api/v1/shifts/{shift.id}", headers=headers, json=body)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["lat"] is not None and r.get_json()["lon"] is not None


# --- money that would overflow ---------------------------------------------------------------

def test_hourly_pay_times_hours_overflowing_is_refused(client, api_token, make_firm):
    headers = api_token(make_firm())
    starts = in_hours(48)
    body = shift_body(pay_amount_fen=100_000_000, ends_at=(starts + dt.timedelta(hours=22))
                      .isoformat(), starts_at=starts.isoformat())
    error = envelope(client.post("/api/v1/shifts", headers=headers, json=body), 422)
    assert "pay_amount_fen" in error["fields"]


def confirmed(firm, worker, shift):
    application = apps.apply(actor=worker, shift_id=shift.id)
    db.session.flush()
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    apps.transition(actor=worker, application_id=application.id, action="check-in")
    db.session.commit()
    return application


@pytest.mark.parametrize("unit,params,field", [
    ("piece", {"pieces": 1_000_000}, "pieces"),
    ("hour", {"minutes_worked": 14 * 24 * 60}, "minutes_worked")])
def test_pay_due_overflowing_is_refused(client, api_token, make_firm, make_worker, make_shift,
                                        unit, params, field):
    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, start_in_hours=1, hours=8, unit=unit, pay_fen=100_000_000)
    application = confirmed(firm, worker, shift)
    r = client.post(f"/api/v1/applications/{application.id}/complete",
                    headers=api_token(firm), json=params)
    error = envelope(r, 422, "pay_too_large")
    assert field in error["fields"]
    db.session.expire_all()
    assert application.status == "checked_in"


# --- look-alike digits in phone numbers ---------------------------------------------------

@pytest.mark.parametrize("phone", LOOK_ALIKE_PHONES)
def test_look_alike_phone_numbers_are_refused(client, make_worker, phone):
    make_worker(phone="13900000003")
    body = {"phone": phone, "password": "long-enough-1", "role": "worker", "name": "李四"}
    error = envelope(client.post("/api/v1/auth/register", json=body), 422)
    assert "phone" in error["fields"]
    error = envelope(client.post("/api/v1/auth/token",
                                 json={"phone": phone, "password": "long-enough-1"}), 422)
    assert "phone" in error["fields"]


def test_look_alike_phone_numbers_in_the_roster_invitation(client, api_token, make_agency,
                                                           make_worker):
    make_worker(phone="13900000003")
    headers = api_token(make_agency())
    for phone in LOOK_ALIKE_PHONES:
        error = envelope(client.post("/api/v1/agency/roster/invitations", headers=headers,
                                     json={"phone": phone}), 422)
        assert "phone" in error["fields"]


# --- item 8: leaks and loose checks ------------------------------------------------------------

def test_the_agency_fill_shows_only_listed_open_shifts(client, api_token, make_agency,
                                                       make_firm, make_worker, make_shift,
                                                       enrol):
    agency = make_agency()
    for n in range(3):
        enrol(agency, make_worker(name=f"在册{n}"), consent=("food_processing",))
    listed = make_shift(make_firm(), title="公开班次", headcount=2)
    hidden = make_shift(make_firm(name="别家公司"), title="共享用工专用班次", headcount=2)
    hidden.listed = False
    db.session.commit()
    headers = api_token(agency)
    r = client.get(f"/api/v1/agency/fill?shift_ids={listed.id},{hidden.id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    shown = {item["shift"]["id"] for item in r.get_json()["items"]}
    assert shown == {listed.id}
    assert "共享用工专用班次" not in r.get_data(as_text=True)
    assert r.get_json()["summary"]["shifts"] == 1
    r = client.get(f"/api/v1/agency/fill?firm_id={hidden.firm_id}", headers=headers)
    assert r.get_json()["items"] == [] and "共享用工专用班次" not in r.get_data(as_text=True)
    worker_id = r.get_json()["summary"] and next(iter(
        item["worker"]["id"] for item in client.get(
            f"/api/v1/agency/fill?shift_ids={listed.id}", headers=headers).get_json()["items"]))
    for path, body in (
            ("/api/v1/agency/applications",
             {"shift_id": hidden.id, "worker_id": worker_id,
              "commission": {"kind": "fixed", "fixed_fen": 0}}),
            ("/api/v1/agency/fill",
             {"rows": [{"shift_id": hidden.id, "worker_id": worker_id}],
              "commission": {"kind": "fixed", "fixed_fen": 0}})):
        envelope(client.post(path, headers=headers, json=body), 404)
    envelope(client.get(f"/api/v1/shifts/{hidden.id}/candidates", headers=headers), (403, 404))


@pytest.mark.parametrize("top,nested", [(500, -500), (-500, 500), (0, 1), (1, 0), (-1, 0)])
def test_worker_fees_are_refused_wherever_they_appear(client, api_token, make_agency,
                                                      make_firm, make_worker, make_shift,
                                                      enrol, top, nested):
    agency, worker = make_agency(), make_worker()
    enrol(agency, worker)
    shift = make_shift(make_firm())
    for fee in ("worker_fee_fen", "deposit_fen"):
        body = {"shift_id": shift.id, "worker_id": worker.id, fee: top,
                "commission": {"kind": "fixed", "fixed_fen": 5000, fee: nested}}
        error = envelope(client.post("/api/v1/agency/applications",
                                     headers=api_token(agency), json=body),
                         422, "worker_fee_forbidden")
        assert fee in error["fields"]
    fill = {"rows": [{"shift_id": shift.id, "worker_id": worker.id}], "worker_fee_fen": top,
            "commission": {"kind": "fixed", "fixed_fen": 5000, "worker_fee_fen": nested}}
    envelope(client.post("/api/v1/agency/fill", headers=api_token(agency), json=fill), 422,
             "worker_fee_forbidden")


@pytest.fixture
def complaint_scene(make_agency, make_firm, make_worker, make_shift, make_admin, enrol):
    from marketplace.agencies import brokering

    agencies = [make_agency(name=f"第{n}人力资源公司") for n in range(7)]
    worker, firm = make_worker(), make_firm()
    for agency in agencies:
        enrol(agency, worker)
        shift = make_shift(firm)
        brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                               terms=brokering.make_terms(kind="fixed", fixed_fen=5000))
    db.session.commit()
    admins = [make_admin(), make_admin()]
    return agencies, worker, admins


def test_complaints_are_deduplicated_and_limited(client, api_token, app, complaint_scene):
    agencies, worker, admins = complaint_scene
    headers = api_token(worker)

    def complain(agency, text="收取了押金两百元"):
        return client.post(f"/api/v1/agencies/{agency.agency_id}/complaints", headers=headers,
                           json={"category": "worker_fee", "description": text})

    assert complain(agencies[0]).status_code == 201
    for _ in range(3):  # the same complaint again, while the first is open
        envelope(complain(agencies[0], "又一次投诉同一家"), 409, "complaint_open")
    limit = app.config["COMPLAINTS_PER_DAY"]
    for agency in agencies[1:limit]:
        assert complain(agency).status_code == 201
    envelope(complain(agencies[limit]), 429, "too_many_complaints")
    filed = db.session.scalar(select(func.count()).select_from(AgencyComplaint).where(
        AgencyComplaint.filed_by_id == worker.id))
    assert filed == limit
    # Each administrator has one unread notice pointing to the queue, not one per complaint.
    for admin in admins:
        notices = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == admin.id, Notification.kind == "agency_complaint"))
        assert notices == 1


def test_a_read_notice_lets_the_next_complaint_notify_again(client, api_token, complaint_scene):
    from marketplace.notifications.services import mark_all_read

    agencies, worker, admins = complaint_scene
    headers = api_token(worker)
    for agency in agencies[:2]:
        r = client.post(f"/api/v1/agencies/{agency.agency_id}/complaints", headers=headers,
                        json={"category": "conduct", "description": "态度恶劣，多次改期"})
        assert r.status_code == 201
        mark_all_read(admins[0].id)
        db.session.commit()
    counts = [db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == admin.id)) for admin in admins]
    assert counts == [2, 1]


# --- dates at the ends of the calendar ------------------------------------------------------

@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_dates_beyond_the_years_handled(client, api_token, make_firm, make_worker, make_admin,
                                        day):
    firm, worker = api_token(make_firm()), api_token(make_worker())
    envelope(client.get(f"/api/v1/shifts?date={day}"), 422)
    envelope(client.get(f"/api/v1/feed?date={day}", headers=worker), 422)
    envelope(client.get(f"/api/v1/labor-bases/figures?start=2026-01-01&end={day}",
                        headers=api_token(make_admin())), 422)
    error = envelope(client.put("/api/v1/me/availability", headers=worker, json={
        "weekly": [], "dates": [{"date": day, "available": False}]}), 422)
    assert "dates.0.date" in error["fields"]
    for offset in ("-10:00", "+14:00"):
        error = envelope(client.post("/api/v1/shifts", headers=firm, json=shift_body(
            starts_at=f"{day}T08:00:00{offset}", ends_at=f"{day}T12:00:00{offset}")), 422)
        assert {"starts_at", "ends_at"} & set(error["fields"])
    envelope(client.post("/api/v1/sharing/listings", headers=firm, json={
        "kind": "need", "title": "装卸工", "headcount": 1, "start_date": day, "end_date": day,
        "district": "jingqu", "daily_pay_fen": 23000, "work_content": "装卸"}), 422)
