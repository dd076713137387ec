"""Bad input on the HTML pages gets a form message or a 4xx page, never a 500 (issue 8, items
2 and 5), and a sweep over every route with ids beyond the columns, as every role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.agencies.models import AgencyComplaint
from marketplace.auth.models import User
from marketplace.auth.services import issue_token
from marketplace.extensions import db
from marketplace.security import safe_next
from tests.conftest import csrf_from
from tests.web.test_firm_pages import shift_form, submit
from tests.web.test_worker_pages import profile_data

LOOK_ALIKE_PHONES = ("1390000000３", "13900000٠03", "1390000000\u0663")
INT_SEGMENT = re.compile(r"<int:([a-z_]+)>")


# --- the redirect after a language switch -------------------------------------------------

@pytest.mark.parametrize("target", ["/shifts%0d%0aSet-Cookie:%20x=1", "/shifts%0aX:%20y",
                                    "/%00", "/shifts%09"])
def test_a_line_break_in_next_is_refused(client, target):
    response = client.get(f"/lang/en?next={target}")
    assert response.status_code in (302, 400), response.status_code
    assert "Set-Cookie" not in response.headers.get("Location", "")
    assert "x=1" not in str(response.headers)


def test_safe_next_drops_targets_with_control_characters():
    assert safe_next("/shifts\r\nSet-Cookie: a=b", "/") == "/"
    assert safe_next("/shifts\x00", "/home") == "/home"
    assert safe_next("/shifts?page=2", "/") == "/shifts?page=2"


# --- text in query strings and forms ------------------------------------------------------

@pytest.mark.parametrize("query", ["q=%00", "q=%01", "district=%00", "q=a%0db"])
def test_control_characters_in_a_query_give_a_400_page(client, query):
    response = client.get(f"/shifts?{query}")
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True).lower()


def test_a_nul_in_a_form_field_gives_a_400_page(client):
    token = csrf_from(client.get("/register/worker").get_data(as_text=True))
    response = client.post("/register/worker", data={
        "name": "张\x00三", "phone": "13912345670", "password": "long-enough-1",
        "csrf_token": token})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_multi_line_form_text_keeps_its_line_breaks(client, login, make_worker):
    worker = make_worker()
    login(client, worker)
    response = submit(client, "/me/profile", profile_data(bio="第一行\r\n第二行\t备注"))
    assert response.status_code in (200, 302, 303), response.status_code
    db.session.expire_all()
    assert db.session.get(User, worker.id).worker_profile.bio.replace("\r\n", "\n") \
        == "第一行\n第二行\t备注"


# --- numbers in forms -----------------------------------------------------------------------

@pytest.mark.parametrize("headcount", ["2147483648", "99999999999999999999", "１", "1.5",
                                       "1_0", "-2147483649"])
def test_form_integers_beyond_the_column_or_look_alike(client, login, make_firm, headcount):
    login(client, make_firm())
    response = submit(client, "/firm/shifts/new", shift_form(headcount=headcount))
    assert response.status_code == 422, response.status_code
    assert 'class="error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("pay", ["NaN", "Infinity", "-inf", "1e9", "99999999999", "２８"])
def test_form_amounts_that_are_not_plain_numbers(client, login, make_firm, make_worker, pay):
    login(client, make_firm())
    response = submit(client, "/firm/shifts/new", shift_form(pay=pay))
    assert response.status_code == 422, response.status_code
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/shifts").get_data(
        as_text=True))})
    login(client, make_worker())
    response = submit(client, "/me/profile", profile_data(min_daily_pay_yuan=pay))
    assert response.status_code == 422, response.status_code


def test_huge_page_numbers_on_pages(client, login, make_worker):
    for url in (f"/shifts?page={10**18}", "/shifts?page=-5", "/shifts?page=１"):
        assert client.get(url).status_code == 200, url
    login(client, make_worker())
    assert client.get(f"/me/notifications?page={10**18}").status_code == 200


def test_a_huge_form_body_answers_413(client):
    response = client.post("/login", data={"phone": "1" * (2 * 1024 * 1024)})
    assert response.status_code == 413


# --- look-alike phone numbers -------------------------------------------------------------

@pytest.mark.parametrize("phone", LOOK_ALIKE_PHONES)
def test_look_alike_phones_at_registration_and_login(client, make_worker, phone):
    make_worker(phone="13900000003")
    token = csrf_from(client.get("/register/worker").get_data(as_text=True))
    response = client.post("/register/worker", data={
        "name": "李四", "phone": phone, "password": "long-enough-1", "csrf_token": token})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"phone": phone, "password": "long-enough-1",
                                           "csrf_token": token})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


# --- complaints on the agency page -------------------------------------------------------

def test_a_second_open_complaint_is_explained_on_the_page(client, login, make_agency,
                                                         make_worker, make_firm, make_shift,
                                                         enrol):
    from marketplace.agencies import brokering

    agency, worker = make_agency(), make_worker()
    enrol(agency, worker)
    brokering.broker_apply(actor=agency, shift_id=make_shift(make_firm()).id,
                           worker_id=worker.id,
                           terms=brokering.make_terms(kind="fixed", fixed_fen=5000))
    db.session.commit()
    login(client, worker)
    url = f"/agencies/{agency.agency_id}"
    for expected in (303, 409):
        token = csrf_from(client.get(url).get_data(as_text=True))
        response = client.post(f"{url}/complaints", data={
            "category": "conduct", "description": "多次临时改期，态度恶劣", "csrf_token": token})
        assert response.status_code == expected
    assert db.session.scalar(select(func.count()).select_from(AgencyComplaint)) == 1


# --- the sweep ----------------------------------------------------------------------------

SWEEP_VALUES = (2**31, 2**63, 10**30, "-1", 2**31 - 1)


@pytest.fixture
def people(make_worker, make_firm, make_agency, make_admin):
    return {"anonymous": None, "worker": make_worker(), "firm": make_firm(),
            "agency": make_agency(), "admin": make_admin()}


def test_every_route_with_ids_beyond_the_columns(app, people):
    """Every `<int:...>` segment of every route, as every role: 2**31 and up, negative, and
    the largest int32 (which reaches the views and their queries): never a 5xx."""
    rules = [r for r in app.url_map.iter_rules() if INT_SEGMENT.search(r.rule)]
    assert len(rules) > 50
    failures = []
    for role, user in people.items():
        client = app.test_client()
        headers = {}
        if user is not None:
            with client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
            headers = {"Authorization": f"Bearer {issue_token(user=user, ttl_days=1)}"}
            db.session.commit()
        token = csrf_from(client.get("/login" if user is None else "/shifts")
                          .get_data(as_text=True))
        for rule in rules:
            for value in SWEEP_VALUES:
                url = INT_SEGMENT.sub(str(value), rule.rule)
                url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", url)
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    if url.startswith("/api/"):
                        response = client.open(url, method=method, headers=headers,
                                               json={} if method != "GET" else None)
                    else:
                        response = client.open(url, method=method,
                                               data={"csrf_token": token}
                                               if method != "GET" else None)
                    if response.status_code >= 500:
                        failures.append(f"{method} {url} as {role}: {response.status_code}")
                    if url.startswith("/api/") and response.status_code >= 400:
                        assert "error" in response.get_json(), (method, url)
    assert not failures, failures


def test_every_list_with_a_huge_page(app, people):
    rules = [r for r in app.url_map.iter_rules()
             if "GET" in (r.methods or ()) and "<" not in r.rule and not r.rule.startswith(
                 ("/static", "/api/v1/openapi"))]
    failures = []
    for role, user in people.items():
        client = app.test_client()
        headers = {}
        if user is not None:
            with client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
            headers = {"Authorization": f"Bearer {issue_token(user=user, ttl_days=1)}"}
            db.session.commit()
        for rule in rules:
            response = client.get(f"{rule.rule}?page={10**18}&per_page={10**18}",
                                  headers=headers)
            if response.status_code >= 500:
                failures.append(f"GET {rule.rule} as {role}: {response.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_dates_beyond_the_years_handled_on_pages(client, login, make_firm, day):
    assert client.get(f"/shifts?date={day}").status_code == 400
    login(client, make_firm())
    response = submit(client, "/firm/shifts/new", shift_form(starts_at=f"{day}T08:00",
                                                             ends_at=f"{day}T12:00"))
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", [str(2**31), str(2**40), "１", "-5"])
def test_ids_in_select_fields_beyond_the_column(client, login, make_firm, value):
    login(client, make_firm())
    token = csrf_from(client.get("/firm/favourites").get_data(as_text=True))
    response = client.post("/firm/favourites/invite", data={
        "shift_id": value, "worker_id": value, "csrf_token": token})
    assert response.status_code == 303
    response = client.post("/firm/staff/list-idle", data={"staff": [value, "1"],
                                                          "csrf_token": token})
    assert response.status_code in (303, 400)
