"""Roster with consent: the worker accepts on their phone, either side ends it, and an agency
sees a worker only while they are on its roster (404 otherwise, past members included),
never their sensitive status, and their phone masked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.admin.models import AuditLog
from marketplace.agencies import brokering, roster
from marketplace.agencies.models import RosterMembership
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.shifts.models import Application
from tests.agencies.conftest import FIXED_50
from tests.conftest import csrf_from


def test_invite_accept_on_the_phone_then_on_the_roster(client, login, make_agency,
                                                      make_worker):
    agency = make_agency()
    worker = make_worker(name="马建军", priority_group="veteran", origin="甘肃")
    login(client, agency)
    page = client.get("/agency/roster").get_data(as_text=True)
    response = client.post("/agency/roster/invite", data={
        "csrf_token": csrf_from(page), "phone": worker.phone, "note": "欢迎加入"})
    assert response.status_code == 303
    # Not on the roster until the worker says yes.
    assert client.get(f"/agency/roster/{worker.id}").status_code == 404
    assert "马建军" not in client.get("/agency/roster").get_data(as_text=True)

    phone = client.application.test_client()
    login(phone, worker)
    html = phone.get("/me/agencies").get_data(as_text=True)
    assert agency.agency.name in html and "欢迎加入" in html
    membership = db.session.scalar(select(RosterMembership))
    response = phone.post(f"/me/agencies/memberships/{membership.id}/accept",
                          data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    db.session.expire_all()
    assert membership.status == "active" and membership.joined_at is not None

    listed = client.get("/agency/roster").get_data(as_text=True)
    detail = client.get(f"/agency/roster/{worker.id}")
    assert detail.status_code == 200
    for html in (listed, detail.get_data(as_text=True)):
        assert "马建军" in html and "甘肃" in html
        assert worker.phone not in html and worker.masked_phone in html
        assert "退役军人" not in html and "veteran" not in html  # never the sensitive status
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"agency.roster_invite", "agency.roster_accept"} <= actions


def test_the_agency_cannot_see_a_worker_off_its_roster(client, login, api_token, make_agency,
                                                      make_worker, make_firm, make_shift,
                                                      enrol):
    mine, other = make_agency(name="甲人力"), make_agency(name="乙人力")
    member, stranger, invited = make_worker(name="在册"), make_worker(name="陌生"), make_worker()
    enrol(mine, member)
    enrol(other, stranger)
    roster.invite(actor=mine, phone=invited.phone)
    db.session.commit()
    login(client, mine)
    headers = api_token(mine)
    assert client.get(f"/agency/roster/{member.id}").status_code == 200
    for worker in (stranger, invited):
        assert client.get(f"/agency/roster/{worker.id}").status_code == 404
        r = client.get(f"/api/v1/agency/roster/{worker.id}", headers=headers)
        assert r.status_code == 404
    assert client.post(f"/api/v1/agency/roster/{stranger.id}/end",
                       headers=headers).status_code == 404
    # ending an open invitation withdraws it
    r = client.post(f"/api/v1/agency/roster/{invited.id}/end", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "ended"
    listed = client.get("/api/v1/agency/roster", headers=headers).get_json()
    assert [w["id"] for w in listed["items"]] == [member.id]
    assert listed["items"][0]["phone"] == member.masked_phone
    assert "priority_group" not in listed["items"][0]
    # nor apply for them
    shift = make_shift(make_firm())
    with pytest.raises(NotFound):
        brokering.broker_apply(actor=mine, shift_id=shift.id, worker_id=stranger.id,
                               terms=brokering.make_terms(**FIXED_50))


@pytest.mark.parametrize("ender", ["worker", "agency"])
def test_past_members_are_not_found_and_their_proposals_lapse(
        client, login, api_token, make_agency, make_worker, make_firm, make_shift, enrol,
        ender):
    agency = make_agency()
    worker = make_worker(name="离开的工人")
    membership = enrol(agency, worker)
    shift = make_shift(make_firm())
    proposal = brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                                      terms=brokering.make_terms(**FIXED_50))
    db.session.commit()
    headers = api_token(agency)
    assert client.get(f"/api/v1/applications/{proposal.id}", headers=headers).status_code == 200
    if ender == "worker":
        roster.end_by_worker(actor=worker, membership_id=membership.id)
    else:
        roster.end_by_agency(actor=agency, worker_id=worker.id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Application, proposal.id).status == "withdrawn"
    assert db.session.get(RosterMembership, membership.id).ended_by == ender
    login(client, agency)
    assert client.get(f"/agency/roster/{worker.id}").status_code == 404
    assert client.get(f"/api/v1/agency/roster/{worker.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/applications/{proposal.id}", headers=headers).status_code == 404
    placements = client.get("/api/v1/agency/applications", headers=headers).get_json()
    assert placements["items"] == []
    assert "离开的工人" not in client.get("/agency/placements").get_data(as_text=True)
    with pytest.raises(InvalidTransition):
        roster.end_by_worker(actor=worker, membership_id=membership.id)


def test_a_worker_asks_to_join_and_the_agency_answers(client, api_token, make_agency,
                                                     make_worker):
    agency = make_agency()
    yes, no = make_worker(name="想加入"), make_worker(name="被婉拒")
    worker_h = api_token(yes)
    r = client.post(f"/api/v1/agencies/{agency.agency_id}/join", headers=worker_h)
    assert r.status_code == 201 and r.get_json()["status"] == "requested"
    assert client.post(f"/api/v1/agencies/{agency.agency_id}/join",
                       headers=worker_h).status_code == 409
    second = roster.request_to_join(actor=no, agency_id=agency.agency_id)
    db.session.commit()
    agency_h = api_token(agency)
    assert client.get(f"/api/v1/agency/roster/{yes.id}", headers=agency_h).status_code == 404
    first_id = r.get_json()["id"]
    r = client.post(f"/api/v1/agency/roster/requests/{first_id}/accept", headers=agency_h)
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    r = client.post(f"/api/v1/agency/roster/requests/{second.id}/decline", headers=agency_h)
    assert r.status_code == 200 and r.get_json()["status"] == "declined"
    assert client.get(f"/api/v1/agency/roster/{yes.id}", headers=agency_h).status_code == 200
    assert client.get(f"/api/v1/agency/roster/{no.id}", headers=agency_h).status_code == 404
    mine = client.get("/api/v1/me/agencies", headers=worker_h).get_json()["items"]
    assert [(m["status"], m["agency"]["name"]) for m in mine] == [
        ("active", agency.agency.name)]


def test_invitations_are_checked(make_agency, make_worker, enrol):
    agency = make_agency()
    worker = make_worker()
    with pytest.raises(ValidationFailed) as error:
        roster.invite(actor=agency, phone="13999999999")
    assert error.value.code == "worker_not_found"
    with pytest.raises(ValidationFailed):
        roster.invite(actor=agency, phone=agency.phone)  # not a worker account
    enrol(agency, worker)
    with pytest.raises(Conflict):
        roster.invite(actor=agency, phone=worker.phone)
    other = make_worker()
    membership = roster.invite(actor=agency, phone=other.phone)
    with pytest.raises(NotFound):  # someone else's membership
        roster.answer_invitation(actor=worker, membership_id=membership.id, accept=True)
    roster.answer_invitation(actor=other, membership_id=membership.id, accept=False)
    with pytest.raises(InvalidTransition):
        roster.answer_invitation(actor=other, membership_id=membership.id, accept=True)
