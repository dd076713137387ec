"""Every agency, worker and administrator page of the agencies domain renders, in Chinese by
default, with realistic data; the API endpoints are in the OpenAPI document; input schemas
refuse extra keys."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.agencies import brokering, trust
from marketplace.extensions import db
from marketplace.shifts.models import Application
from tests.agencies.conftest import FIXED_50


@pytest.fixture
def scene(make_agency, make_worker, make_firm, make_shift, make_admin, enrol):
    agency = make_agency(name="威海诚信人力资源有限公司")
    firm = make_firm(name="荣成海之味食品有限公司")
    workers = [make_worker(name=f"名册{n}") for n in range(3)]
    for n, worker in enumerate(workers):
        enrol(agency, worker, consent=("food_processing",) if n == 0 else ())
    shift = make_shift(firm, title="鱿鱼分拣", headcount=3)
    for worker in workers[:2]:
        brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                               terms=brokering.make_terms(**FIXED_50))
    db.session.commit()
    complaint = trust.file_complaint(actor=firm, agency_id=agency.agency_id,
                                     category="conduct", description="临时换人未告知")
    db.session.commit()
    return {"agency": agency, "firm": firm, "workers": workers, "shift": shift,
            "admin": make_admin(), "complaint": complaint}


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    return html


def test_the_agencys_pages(client, login, scene):
    login(client, scene["agency"])
    shift = scene["shift"]
    pages = {
        "/agency/": "人员名册", "/agency/roster": "名册0", "/agency/shifts": "鱿鱼分拣",
        f"/agency/shifts/{shift.id}": "名册2", f"/agency/fill?shift_id={shift.id}": "名册2",
        "/agency/placements": "待本人确认", "/agency/settlement": "由用工企业支付",
        "/agency/scorecard": "评级规则", "/agency/notifications": "消息",
        f"/agency/roster/{scene['workers'][0].id}": "长期授权",
        f"/agencies/{scene['agency'].agency_id}": "信用等级",
    }
    for url, text in pages.items():
        assert text in get(client, url), url
    assert client.get("/").headers["Location"].endswith("/agency/")
    english = client.get("/agency/scorecard?lang=en").get_data(as_text=True)
    assert "How the grade is set" in english and "Fill rate" in english


def test_the_workers_page(client, login, scene):
    worker = scene["workers"][1]
    login(client, worker)
    html = get(client, "/me/agencies")
    assert "待你确认的报名" in html and "鱿鱼分拣" in html
    assert "威海诚信人力资源有限公司" in html and "你无需支付任何费用" in html


def test_the_administrators_pages(client, login, scene):
    login(client, scene["admin"])
    agency_id = scene["agency"].agency_id
    for url in ("/admin/agencies?status=verified", f"/admin/agencies/{agency_id}",
                "/admin/agencies/ranking", "/admin/agencies/complaints"):
        assert "威海诚信人力资源有限公司" in get(client, url), url
    assert "人力资源服务机构" in get(client, "/admin/")


def test_the_firm_sees_the_agency_profile_and_may_complain(client, login, scene):
    login(client, scene["firm"])
    html = get(client, f"/agencies/{scene['agency'].agency_id}")
    assert "投诉该机构" in html


def test_openapi_lists_the_agency_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/agency", "/agency/roster", "/agency/roster/invitations",
                 "/agency/roster/{worker_id}", "/agency/roster/{worker_id}/end",
                 "/agency/roster/requests/{membership_id}/{answer}", "/agency/applications",
                 "/agency/fill", "/agency/commissions",
                 "/agency/commissions/{commission_id}/settle", "/me/agencies",
                 "/me/agencies/memberships/{membership_id}/{answer}",
                 "/me/agencies/memberships/{membership_id}/consents", "/agencies",
                 "/agencies/{agency_id}", "/agencies/{agency_id}/join",
                 "/agencies/{agency_id}/complaints", "/admin/agencies/{agency_id}/verify",
                 "/admin/agencies/{agency_id}/brokering", "/admin/agencies/ranking",
                 "/admin/agencies/complaints/{complaint_id}/decide"):
        assert path in paths, path
    post = paths["/agency/applications"]["post"]
    assert "422" in post["responses"] and "worker_fee_forbidden" in post["summary"]
    register = paths["/auth/register"]["post"]
    assert register["summary"].startswith("Register a worker, firm or HR agency")


@pytest.mark.parametrize("extra", [{"status": "applied"}, {"agency_id": 1}, {"id": 3},
                                   {"agency_consent": "standing"}])
def test_extra_keys_are_refused(client, api_token, scene, extra):
    agency, shift, worker = scene["agency"], scene["shift"], scene["workers"][2]
    before = db.session.scalar(select(func.count()).select_from(Application))
    r = client.post("/api/v1/agency/applications", headers=api_token(agency), json={
        "shift_id": shift.id, "worker_id": worker.id,
        "commission": {"kind": "fixed", "fixed_fen": 100}, **extra})
    assert r.status_code == 422
    r = client.put("/api/v1/me/agencies/memberships/1/consents",
                   headers=api_token(worker), json={"categories": [], **extra})
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Application)) == before
