"""An HR agency fills a firm's shifts from its roster on a desktop browser (pick shifts,
review the suggested fill, drop a row, send), and the worker confirms the agency's
application on a 390×844 phone; the firm then sees the applicant with the agency's grade."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.shifts.models import Application
from tests.e2e.conftest import fresh, no_sideways_scroll, overflowing_elements, shot, sign_in


def test_agency_fills_from_its_roster_and_the_worker_confirms_on_a_phone(
        new_page, make_firm, make_shift, make_worker, make_agency, enrol):
    firm = make_firm(name="威海海之韵水产食品有限公司")
    morning = make_shift(firm, title="鱿鱼分拣早班", start_in_hours=30, hours=8, headcount=2)
    packing = make_shift(firm, title="海参包装早班", start_in_hours=30, hours=8, headcount=2)
    agency = make_agency(name="威海众诚人力资源服务有限公司")
    phone_worker = make_worker(name="陈海军", origin="重庆")
    others = [make_worker(name=n, origin="河南") for n in ("李建国", "王秀英")]
    enrol(agency, phone_worker)  # asks to be asked each time
    for worker in others:
        enrol(agency, worker, consent=("food_processing",))

    # 1. The agency picks the firm's two shifts and asks for a suggestion.
    page = new_page("desktop")
    sign_in(page, agency)
    assert page.url.rstrip("/").endswith("/agency")
    shot(page, "agency_01_dashboard")
    page.goto("/agency/shifts")
    page.check(f"#shift-{morning.id} input[name=shift_id]")
    page.check(f"#shift-{packing.id} input[name=shift_id]")
    shot(page, "agency_02_open_shifts")
    with page.expect_navigation():
        page.locator("#pick-shifts button[type=submit]").click()
    assert "/agency/fill" in page.url
    rows = page.locator("tr.fill-row")
    assert rows.count() == 3  # three roster workers, four seats at the same time
    assert page.locator("tr.fill-row .phone").first.inner_text().count("*") == 4
    shot(page, "agency_03_fill_suggested")

    # 2. Review: drop one of the standing-consent rows, set the commission, send.
    dropped = page.locator("tr.fill-row", has_text="王秀英")
    dropped.locator("input[name=row]").uncheck()
    page.fill("input[name=amount]", "60")
    assert "不得向劳动者收取任何费用或押金" in page.locator("form.fill-form").inner_text()
    shot(page, "agency_04_fill_reviewed")
    with page.expect_navigation():
        page.locator("form.fill-form button[type=submit]").click()
    assert page.url.endswith("/agency/placements"), page.url
    assert page.locator(".flash-success").count() == 1
    assert page.locator("tr", has_text="陈海军").locator(".status-proposed").count() == 1
    assert page.locator("tr", has_text="王秀英").count() == 0
    assert page.js_errors == []
    shot(page, "agency_05_placements")

    fresh()
    sent = db.session.scalars(select(Application).where(
        Application.agency_id == agency.agency_id)).all()
    assert sorted((a.worker.name, a.status) for a in sent) == [("李建国", "applied"),
                                                              ("陈海军", "proposed")]
    proposal = next(a for a in sent if a.worker_id == phone_worker.id)

    # 3. The worker confirms on their phone.
    phone = new_page("phone")
    sign_in(phone, phone_worker)
    phone.goto("/me/agencies")
    card = phone.locator(f"#proposal-{proposal.id}")
    assert "威海众诚人力资源服务有限公司" in card.inner_text()
    assert "无需支付任何费用" in card.inner_text()
    width, inner = no_sideways_scroll(phone)
    assert width <= inner, overflowing_elements(phone)
    shot(phone, "agency_06_worker_proposal_phone")
    with phone.expect_navigation():
        card.locator("form[action$='/confirm'] button").click()
    assert phone.locator(".flash-success").count() == 1
    assert phone.locator(f"#proposal-{proposal.id}").count() == 0
    width, inner = no_sideways_scroll(phone)
    assert width <= inner, overflowing_elements(phone)
    shot(phone, "agency_07_worker_confirmed_phone")
    assert phone.js_errors == []

    fresh()
    confirmed = db.session.get(Application, proposal.id)
    assert (confirmed.status, confirmed.agency_consent) == ("applied", "confirmed")

    # 4. The firm sees both brokered applicants with the agency and its grade.
    desk = new_page("desktop")
    sign_in(desk, firm)
    desk.goto(f"/firm/shifts/{proposal.shift_id}/applicants")
    applicant = desk.locator(f"#application-{proposal.id}")
    assert "威海众诚人力资源服务有限公司" in applicant.inner_text()
    assert applicant.locator(".grade-B").count() == 1
    shot(desk, "agency_08_firm_sees_agency")


def test_agency_and_worker_pages_fit_a_narrow_phone(new_page, make_firm, make_shift,
                                                    make_worker, make_agency, enrol):
    """Agency pages are desktop first but must not scroll sideways at 360 px; the worker's
    agency page is a phone page."""
    from marketplace.agencies import brokering

    firm = make_firm(name="威海市环翠区海之韵海洋食品科技股份有限公司第二分拣中心")
    shift = make_shift(firm, title="冷库海产品（鲅鱼、鱿鱼、海参）分拣包装及装车临时工，夜班",
                       headcount=3)
    agency = make_agency(name="威海市众诚人力资源服务有限公司环翠区第一分公司")
    worker = make_worker(name="欧阳建国", origin="河南")
    enrol(agency, worker)
    brokering.broker_apply(actor=agency, shift_id=shift.id, worker_id=worker.id,
                           terms=brokering.make_terms(kind="percent", rate_bp=850))
    db.session.commit()
    page = new_page("narrow")
    sign_in(page, agency)
    problems = []
    for path in ("/agency/", "/agency/roster", "/agency/shifts", f"/agency/shifts/{shift.id}",
                 f"/agency/fill?shift_id={shift.id}", "/agency/placements",
                 "/agency/settlement", "/agency/scorecard", f"/agency/roster/{worker.id}",
                 f"/agencies/{agency.agency_id}"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        width, inner = no_sideways_scroll(page)
        if width > inner:
            problems.append(f"{path}: {width} > {inner} {overflowing_elements(page)}")
        shot(page, f"layout_agency_{path.strip('/').replace('/', '_').split('?')[0]}")
    phone = new_page("narrow")
    sign_in(phone, worker)
    phone.goto("/me/agencies")
    width, inner = no_sideways_scroll(phone)
    if width > inner:
        problems.append(f"/me/agencies: {width} > {inner} {overflowing_elements(phone)}")
    shot(phone, "layout_worker_me_agencies")
    assert not problems, problems
