"""An agency registers (web and API), is verified or rejected by an administrator (audited),
and cannot act before it is verified."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.admin.models import AuditLog
from marketplace.agencies.models import Agency, RosterMembership
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.validators import make_credit_code
from tests.conftest import TEST_PASSWORD, csrf_from, new_credit_code, new_phone


def register_form(client, **overrides):
    page = client.get("/register/agency")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)),
            "agency_name": "威海海川人力资源服务有限公司", "credit_code": new_credit_code(),
            "licence_no": "(鲁)人服证字〔2024〕第1002000123号", "district": "huancui",
            "address": "环翠区青岛北路 8 号", "name": "孙主任", "phone": new_phone(),
            "password": "agency-pass-1", **overrides}
    return client.post("/register/agency", data=data), data


def test_register_on_the_web_page_then_pending(client):
    assert "/register/agency" in client.get("/register").get_data(as_text=True)
    response, data = register_form(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/agency/")
    agency = db.session.scalar(select(Agency).where(Agency.credit_code == data["credit_code"]))
    assert agency.verification_status == "pending"
    assert agency.licence_no == "(鲁)人服证字〔2024〕第1002000123号"
    user = db.session.scalar(select(User).where(User.phone == data["phone"]))
    assert user.role == "agency" and user.agency_id == agency.id
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "agency.register",
                                                    AuditLog.target_id == agency.id))
    html = client.get("/agency/").get_data(as_text=True)
    assert "等待审核" in html or "Waiting for verification" in html


def test_register_refuses_a_bad_check_digit_and_a_taken_licence(client):
    good = new_credit_code()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response, _data = register_form(client, credit_code=bad)
    assert response.status_code == 422
    assert "统一社会信用代码" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 0

    first, data = register_form(client)
    assert first.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(
        client.get("/agency/").get_data(as_text=True))})
    again, _ = register_form(client, licence_no=data["licence_no"])
    assert again.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 1


def test_register_over_the_api(client):
    body = {"phone": new_phone(), "password": "agency-pass-1", "role": "agency",
            "name": "孙主任", "agency_name": "荣成众联劳务", "credit_code": new_credit_code(),
            "licence_no": "371082202400017"}
    r = client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["role"] == "agency"
    assert r.get_json()["agency"]["verification_status"] == "pending"
    assert r.get_json()["agency"]["name"] == "荣成众联劳务"

    wrong = make_credit_code("91371082MA3C00001")
    wrong = wrong[:17] + ("X" if wrong[17] != "X" else "Y")
    r = client.post("/api/v1/auth/register", json={**body, "phone": new_phone(),
                                                    "credit_code": wrong,
                                                    "licence_no": "371082202400018"})
    assert r.status_code == 422 and "credit_code" in r.get_json()["error"]["fields"]
    missing = {k: v for k, v in body.items() if k != "licence_no"}
    r = client.post("/api/v1/auth/register", json={**missing, "phone": new_phone()})
    assert r.status_code == 422 and "licence_no" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/auth/register", json={**body, "phone": new_phone(),
                                                    "credit_code": new_credit_code()})
    assert r.status_code == 409  # the licence is taken


def test_an_unverified_agency_cannot_act(client, login, api_token, make_agency, make_worker,
                                         make_firm, make_shift):
    agency = make_agency(verified=False)
    worker = make_worker()
    shift = make_shift(make_firm())
    login(client, agency)
    page = client.get("/agency/roster").get_data(as_text=True)
    response = client.post("/agency/roster/invite", data={
        "csrf_token": csrf_from(page), "phone": worker.phone}, follow_redirects=True)
    assert "等待市人社部门审核" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RosterMembership)) == 0

    headers = api_token(agency)
    r = client.post("/api/v1/agency/roster/invitations", json={"phone": worker.phone},
                    headers=headers)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "agency_not_verified"
    r = client.post("/api/v1/agency/applications", headers=headers, json={
        "shift_id": shift.id, "worker_id": worker.id,
        "commission": {"kind": "fixed", "fixed_fen": 3000}})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "agency_not_verified"
    r = client.get(f"/api/v1/agency/fill?shift_ids={shift.id}", headers=headers)
    assert r.status_code == 403


def test_admin_verifies_and_rejects_on_the_page_and_over_the_api(
        client, login, api_token, make_admin, make_agency, make_worker):
    one = make_agency(name="甲人力", verified=False)
    two = make_agency(name="乙人力", verified=False)
    admin = make_admin()
    login(client, admin)
    html = client.get("/admin/agencies").get_data(as_text=True)
    assert "甲人力" in html and one.agency.licence_no in html
    token = csrf_from(html)
    assert client.post(f"/admin/agencies/{one.agency_id}/verify",
                       data={"csrf_token": token}).status_code == 303
    refused = client.post(f"/admin/agencies/{two.agency_id}/reject",
                          data={"csrf_token": token})
    assert refused.status_code == 422
    assert client.post(f"/admin/agencies/{two.agency_id}/reject",
                       data={"csrf_token": token, "note": "许可证已过期"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Agency, one.agency_id).verification_status == "verified"
    rejected = db.session.get(Agency, two.agency_id)
    assert (rejected.verification_status, rejected.verification_note) == ("rejected",
                                                                            "许可证已过期")
    actions = dict(db.session.execute(
        select(AuditLog.target_id, AuditLog.action).where(
            AuditLog.action.in_(["agency.verify", "agency.reject"]))).all())
    assert actions == {one.agency_id: "agency.verify", two.agency_id: "agency.reject"}
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == one.id, Notification.kind == "agency_verified"))

    # the verified agency can act now
    from marketplace.agencies import roster

    roster.invite(actor=db.session.get(User, one.id), phone=make_worker().phone)

    three = make_agency(name="丙人力", verified=False)
    headers = api_token(admin)
    r = client.post(f"/api/v1/admin/agencies/{three.agency_id}/verify", json={},
                    headers=headers)
    assert r.status_code == 200 and r.get_json()["verification_status"] == "verified"
    assert r.get_json()["may_broker"] is True
    r = client.post(f"/api/v1/admin/agencies/{three.agency_id}/verify",
                    json={"approve": False}, headers=headers)
    assert r.status_code == 422
    r = client.post("/api/v1/admin/agencies/99999/verify", json={}, headers=headers)
    assert r.status_code == 404
    r = client.post(f"/api/v1/admin/agencies/{three.agency_id}/verify", json={},
                    headers=api_token(three, TEST_PASSWORD))
    assert r.status_code == 403
