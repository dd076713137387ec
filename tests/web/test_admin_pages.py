"""The city administrator's web pages through the real test client."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.admin.models import AuditLog
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.firms.models import Firm
from marketplace.shifts import applications as apps
from tests.conftest import csrf_from


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_dashboard_counts(client, login, make_admin, make_firm, make_worker, make_shift):
    firm = make_firm()
    make_firm(name="乳山服装厂", verified=False)
    make_firm(name="文登建筑公司", verified=False)
    shift = make_shift(firm)
    make_shift(firm, start_in_hours=72)
    worker = make_worker()
    make_worker()
    apps.apply(actor=worker, shift_id=shift.id)
    db.session.commit()
    login(client, make_admin())
    html = page(client, "/admin/")
    kpi = html.split('class="kpi"')[1].split("</div>\n</div>")[0]
    numbers = [int(part.split("</strong>")[0]) for part in kpi.split("<strong>")[1:]]
    assert numbers == [2, 2, 2, 1]  # pending firms, open shifts, workers, applications today
    assert "/admin/firms?status=pending" in html


def test_firms_list_filters_and_shows_registration_facts(client, login, make_admin, make_firm):
    pending = make_firm(name="乳山服装厂", verified=False, size="micro", industry="textiles")
    make_firm(name="威海港物流", verified=True)
    login(client, make_admin())
    html = page(client, "/admin/firms?status=pending")
    assert "乳山服装厂" in html and pending.firm.credit_code in html
    assert "威海港物流" not in html
    assert "纺织服装" in html or "Textiles" in html
    assert "威海港物流" in page(client, "/admin/firms?status=verified")
    everything = page(client, "/admin/firms?status=all")
    assert "乳山服装厂" in everything and "威海港物流" in everything


def test_verify_and_reject_through_the_page(client, login, make_admin, make_firm):
    one = make_firm(name="乳山服装厂", verified=False)
    two = make_firm(name="文登建筑公司", verified=False)
    login(client, make_admin())
    html = page(client, "/admin/firms")
    token = csrf_from(html)
    assert client.post(f"/admin/firms/{one.firm_id}/verify",
                       data={"csrf_token": token}).status_code == 303
    refused = client.post(f"/admin/firms/{two.firm_id}/reject", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "请填写驳回原因" in refused.get_data(as_text=True)
    assert client.post(f"/admin/firms/{two.firm_id}/reject",
                       data={"csrf_token": token, "note": "信用代码与名称不符"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Firm, one.firm_id).verification_status == "verified"
    rejected = db.session.get(Firm, two.firm_id)
    assert rejected.verification_status == "rejected"
    assert rejected.verification_note == "信用代码与名称不符"
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"firm.verify", "firm.reject"} <= actions
    assert client.post("/admin/firms/99999/verify",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/admin/firms/{one.firm_id}/approve",
                       data={"csrf_token": token}).status_code == 404


def test_users_list_masks_phones_and_filters(client, login, make_admin, make_worker, make_firm):
    worker = make_worker(name="张师傅")
    firm = make_firm()
    login(client, make_admin())
    html = page(client, "/admin/users")
    for user in (worker, firm):
        assert user.phone not in html
        assert f"{user.phone[:3]}****{user.phone[-4:]}" in html
    only_workers = page(client, "/admin/users?role=worker")
    assert "张师傅" in only_workers and "王经理" not in only_workers
    by_name = page(client, "/admin/users?q=王经理")
    assert "王经理" in by_name and "张师傅" not in by_name
    assert client.get("/admin/users?role=boss").status_code == 400


def test_suspension_ends_the_session_and_is_audited(client, app, login, make_admin,
                                                    make_worker):
    worker = make_worker(name="赵师傅")
    worker_client = app.test_client()
    login(worker_client, worker)
    assert worker_client.get("/me/feed").status_code == 200

    admin = make_admin()
    login(client, admin)
    html = page(client, "/admin/users")
    assert f"/admin/users/{worker.id}/suspend" in html and "data-confirm=" in html
    response = client.post(f"/admin/users/{worker.id}/suspend",
                           data={"csrf_token": csrf_from(html), "reason": "冒用他人身份"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, worker.id).status == "suspended"

    signed_out = worker_client.get("/me/feed")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    again = worker_client.get("/login")  # the login page no longer sees them signed in
    assert again.status_code == 200

    audit = page(client, "/admin/audit")
    assert "user.suspend" in audit and "冒用他人身份" in audit
    assert admin.name in audit
    filtered = page(client, "/admin/audit?action=user.suspend")
    assert "user.suspend" in filtered and "user.restore" not in filtered

    html = page(client, "/admin/users")
    assert f"/admin/users/{worker.id}/restore" in html
    assert client.post(f"/admin/users/{worker.id}/restore",
                       data={"csrf_token": csrf_from(html), "reason": "核实无误"}
                       ).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, worker.id).status == "active"
    login(worker_client, worker)
    assert worker_client.get("/me/feed").status_code == 200


def test_admin_cannot_suspend_themselves(client, login, make_admin):
    admin = make_admin()
    login(client, admin)
    html = page(client, "/admin/users")
    assert f"/admin/users/{admin.id}/suspend" not in html
    response = client.post(f"/admin/users/{admin.id}/suspend",
                           data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, admin.id).status == "active"


def test_audit_log_is_paginated(client, login, make_admin, make_firm):
    from marketplace.admin.services import record

    admin = make_admin()
    for n in range(60):
        record(actor=admin, action="test.entry", target_type="firm", target_id=n)
    db.session.commit()
    login(client, admin)
    first = page(client, "/admin/audit")
    assert first.count("test.entry") == 50 and "page=2" in first
    second = page(client, "/admin/audit?page=2")
    assert second.count("test.entry") >= 10


def test_admin_pages_are_404_for_others_and_need_sign_in(client, app, login, make_worker,
                                                          make_firm):
    for user in (make_worker(), make_firm()):
        other = app.test_client()
        login(other, user)
        for url in ("/admin/", "/admin/firms", "/admin/users", "/admin/audit"):
            page(other, url, 404)
        token = csrf_from(page(other, "/shifts"))
        assert other.post(f"/admin/users/{user.id}/suspend",
                          data={"csrf_token": token}).status_code == 404
    anonymous = client.get("/admin/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_admin_post_without_csrf_is_400(client, login, make_admin, make_worker, make_firm):
    worker = make_worker()
    firm = make_firm(verified=False)
    login(client, make_admin())
    assert client.post(f"/admin/users/{worker.id}/suspend", data={}).status_code == 400
    assert client.post(f"/admin/firms/{firm.firm_id}/verify", data={}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, worker.id).status == "active"
    assert db.session.get(Firm, firm.firm_id).verification_status == "pending"
