"""A labor base's partner registers a cohort on a desktop and attaches a worker; the worker
confirms the tag on a phone; a firm offering housing sees the cohort first and the worker
lifted in a shift's candidates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.laborbases import services as bases
from marketplace.laborbases.models import Cohort, CohortMember
from tests.conftest import _HASH, new_phone
from tests.e2e.conftest import fresh, no_sideways_scroll, shot, sign_in


def test_partner_registers_a_cohort_worker_confirms_on_a_phone(new_page, make_admin,
                                                               make_worker, make_firm,
                                                               make_shift):
    admin = make_admin()
    base = bases.create_base(actor=admin, data={
        "name": "甘肃定西劳务基地", "province": "甘肃", "city": "定西市",
        "partner_org": "定西市人力资源和社会保障局", "contact_name": "杨科长"})
    partner = User(phone=new_phone(), password_hash=_HASH, name="定西联络员", role=Role.PARTNER,
                   labor_base_id=base.id)
    db.session.add(partner)
    db.session.commit()
    worker = make_worker(name="马建军", origin=None, lat=37.4578, lon=122.1773)

    # 1. The partner, on a desktop: register the cohort and attach the worker by phone.
    desk = new_page("desktop")
    sign_in(desk, partner)
    assert desk.url.endswith("/base/")
    desk.goto("/cohorts/new")
    arrival = (bases.today_local() - dt.timedelta(days=1)).isoformat()
    desk.fill("input[name=arrival_date]", arrival)
    desk.fill("input[name=headcount]", "30")
    desk.check("input[name=skills][value=seafood_sorting]")
    desk.check("input[name=housing_needed]")
    desk.select_option("select[name=district]", "jingqu")
    desk.fill("textarea[name=note]", "多数有冷库经验，带队人随行。")
    shot(desk, "bases_01_cohort_form")
    with desk.expect_navigation():
        desk.locator("form.card button[type=submit]").click()
    assert "/cohorts/" in desk.url and desk.locator(".flash-success").count() == 1
    desk.fill("input[name=phone]", worker.phone)
    with desk.expect_navigation():
        desk.locator("form:has(input[name=phone]) button[type=submit]").click()
    assert desk.locator(".flash-success").count() == 1
    assert "马建军" not in desk.locator("main").inner_text()  # not before they confirm
    shot(desk, "bases_02_cohort_attached")

    # 2. The worker, on a phone: the message, the invitation, yes.
    phone = new_page("narrow")
    sign_in(phone, worker)
    phone.goto("/me/notifications")
    assert "甘肃定西劳务基地" in phone.locator("main").inner_text()
    phone.goto("/me/base")
    shot(phone, "bases_03_worker_invitation")
    width, inner = no_sideways_scroll(phone)
    assert width <= inner
    with phone.expect_navigation():
        phone.get_by_role("button", name="是的，请标记我").click()
    assert phone.locator(".flash-success").count() == 1
    shot(phone, "bases_04_worker_tagged")
    fresh()
    member = db.session.scalar(select(CohortMember))
    assert member.status == "accepted"
    assert db.session.get(User, worker.id).worker_profile.labor_base_id == base.id

    # 3. The partner sees the name now.
    desk.reload()
    assert "马建军" in desk.locator("main").inner_text()

    # 4. A firm offering housing: the cohort on its list, the worker lifted on its shift.
    firm = make_firm()
    shift = make_shift(firm, housing=True, start_in_hours=30)
    make_worker(name="本地工人", origin="山东", lat=37.4578, lon=122.1773)
    firm_page = new_page("desktop")
    sign_in(firm_page, firm)
    firm_page.goto("/firm/cohorts")
    card = firm_page.locator("article.cohort").first
    assert "甘肃定西劳务基地" in card.inner_text() and "cohort-fit" in card.get_attribute("class")
    shot(firm_page, "bases_05_firm_cohorts")
    firm_page.goto(f"/firm/shifts/{shift.id}/candidates")
    first = firm_page.locator("article.candidate").first
    assert "马建军" in first.inner_text() and "随劳务基地批次来威" in first.inner_text()
    shot(firm_page, "bases_06_candidates")
    assert db.session.scalar(select(Cohort.members)) == 1
