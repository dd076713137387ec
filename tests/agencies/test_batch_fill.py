"""Batch fill: the matching layer's assignment over the agency's roster only, reviewed, then
sent in one step; it never gives a shift more workers than the seats the agency may take on,
nor a worker two overlapping shifts."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from marketplace.agencies import brokering
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application
from tests.agencies.conftest import FIXED_50
from tests.conftest import csrf_from


@pytest.fixture
def market(make_agency, make_worker, make_firm, make_shift, enrol):
    """Three shifts (2 + 2 seats at the same time, 1 seat the next day), six roster workers
    (one already booked at that time) and one worker who is not on the roster."""
    agency = make_agency()
    firm = make_firm()
    morning = make_shift(firm, title="早班分拣", headcount=2, start_in_hours=30)
    same_time = make_shift(firm, title="同时段包装", headcount=2, start_in_hours=30)
    next_day = make_shift(firm, title="次日装车", headcount=1, start_in_hours=54)
    members = [make_worker(name=f"在册{n}") for n in range(6)]
    outsider = make_worker(name="不在册")
    for n, worker in enumerate(members):
        enrol(agency, worker, consent=("food_processing",) if n % 2 else ())
    busy = members[0]
    elsewhere = make_shift(make_firm(name="别家公司"), headcount=1, start_in_hours=31)
    booked = apps.apply(actor=busy, shift_id=elsewhere.id)
    apps.transition(actor=elsewhere_firm(elsewhere), application_id=booked.id, action="offer")
    apps.transition(actor=busy, application_id=booked.id, action="accept")
    db.session.commit()
    return agency, firm, (morning, same_time, next_day), members, outsider


def elsewhere_firm(shift):
    from marketplace.auth.models import User

    return db.session.scalar(select(User).where(User.firm_id == shift.firm_id))


def check_rows(pairs, shifts, seats):
    by_id = {s.id: s for s in shifts}
    per_shift = Counter(s for s, _w in pairs)
    assert all(per_shift[s] <= seats[s] for s in per_shift), (per_shift, seats)
    per_worker: dict[int, list] = {}
    for shift_id, worker_id in pairs:
        per_worker.setdefault(worker_id, []).append(by_id[shift_id])
    for taken in per_worker.values():
        for i, a in enumerate(taken):
            for b in taken[i + 1:]:
                assert a.ends_at <= b.starts_at or b.ends_at <= a.starts_at


def test_the_plan_uses_the_roster_and_respects_seats_and_overlaps(market):
    agency, _firm, shifts, members, outsider = market
    rows, summary = brokering.plan_fill(actor=agency, shift_ids=[s.id for s in shifts])
    pairs = [(r.shift.id, r.worker.id) for r in rows]
    assert len(rows) == 5 == summary["rows"] == summary["seats"]  # 2 + 2 + 1 seats, all filled
    assert outsider.id not in {w for _s, w in pairs}
    assert members[0].id not in {w for s, w in pairs if s != shifts[2].id}  # booked then
    check_rows(pairs, shifts, {s.id: s.headcount for s in shifts})
    assert {r.standing_consent for r in rows} == {True, False}


def test_send_creates_every_row_and_the_next_plan_knows(market):
    agency, _firm, shifts, _members, _outsider = market
    rows, _summary = brokering.plan_fill(actor=agency, shift_ids=[s.id for s in shifts])
    created = brokering.send_fill(actor=agency, pairs=[(r.shift.id, r.worker.id) for r in rows],
                                  terms=brokering.make_terms(**FIXED_50))
    db.session.commit()
    assert len(created) == 5
    assert {a.status for a in created} == {"proposed", "applied"}
    assert all(a.agency_id == agency.agency_id for a in created)
    again, summary = brokering.plan_fill(actor=agency, shift_ids=[s.id for s in shifts])
    assert again == [] and summary["seats"] == 0


def test_a_tampered_batch_is_refused_whole(market):
    agency, _firm, (morning, same_time, next_day), members, outsider = market
    terms = brokering.make_terms(**FIXED_50)
    too_many = [(morning.id, members[1].id), (morning.id, members[2].id),
                (morning.id, members[3].id)]
    with pytest.raises(Conflict) as error:
        brokering.send_fill(actor=agency, pairs=too_many, terms=terms)
    assert error.value.code == "seats_taken"
    db.session.rollback()
    overlap = [(morning.id, members[1].id), (same_time.id, members[1].id)]
    with pytest.raises(Conflict) as error:
        brokering.send_fill(actor=agency, pairs=overlap, terms=terms)
    assert error.value.code == "schedule_conflict"
    db.session.rollback()
    with pytest.raises(NotFound):
        brokering.send_fill(actor=agency, pairs=[(next_day.id, outsider.id)], terms=terms)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Application).where(
        Application.agency_id.is_not(None))) == 0


def test_review_on_the_page_drop_a_row_then_send(client, login, market):
    agency, _firm, shifts, _members, _outsider = market
    login(client, agency)
    query = "&".join(f"shift_id={s.id}" for s in shifts)
    page = client.get(f"/agency/fill?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('name="row"') == 5
    rows = [part.split('"')[0] for part in html.split('name="row" value="')[1:]]
    kept = rows[1:]  # the agency drops the first suggestion
    response = client.post("/agency/fill", data={
        "csrf_token": csrf_from(html), "row": kept, "kind": "percent", "percent": "8",
        "shift_id": [s.id for s in shifts]})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    sent = db.session.scalars(select(Application).where(
        Application.agency_id == agency.agency_id)).all()
    assert sorted(f"{a.shift_id}:{a.worker_id}" for a in sent) == sorted(kept)
    from marketplace.agencies.models import Commission

    rates = set(db.session.scalars(select(Commission.rate_bp)))
    assert rates == {800}


def test_fill_over_the_api(client, api_token, market):
    agency, firm, shifts, _members, _outsider = market
    headers = api_token(agency)
    r = client.get(f"/api/v1/agency/fill?firm_id={firm.firm_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    plan = r.get_json()
    assert plan["summary"]["rows"] == 5 and len(plan["items"]) == 5
    assert all("*" in item["worker"]["phone"] for item in plan["items"])
    rows = [{"shift_id": i["shift"]["id"], "worker_id": i["worker"]["id"]}
            for i in plan["items"]]
    r = client.post("/api/v1/agency/fill", headers=headers, json={
        "rows": rows, "commission": {"kind": "fixed", "fixed_fen": 8000}})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["sent"] == 5
    assert r.get_json()["proposals"] + r.get_json()["applications"] == 5
    r = client.post("/api/v1/agency/fill", headers=headers, json={
        "rows": rows[:1], "commission": {"kind": "fixed", "fixed_fen": 8000}})
    assert r.status_code == 409
    assert client.get("/api/v1/agency/fill", headers=headers).status_code == 422
    start = shifts[0].starts_at
    assert start > dt.datetime.now(dt.UTC)


def test_scoring_many_shifts_at_once_matches_one_at_a_time(market):
    from marketplace.matching.candidates import reciprocal, reciprocal_many

    _agency, _firm, shifts, members, outsider = market
    ids = [[m.id for m in members], [members[2].id, outsider.id], []]
    together = reciprocal_many(list(shifts), ids)
    for shift, workers, scores in zip(shifts, ids, together, strict=True):
        assert list(scores) == pytest.approx(list(reciprocal(shift, workers)))
