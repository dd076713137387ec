"""Shared employment in the browser: a lent worker reads the terms and their rights and
consents on a 390×844 phone; the borrower then sees them on the agreement (desktop); the
worker's sharing pages never scroll sideways at 360 px."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.sharing.models import AgreementStatus, SharingAgreement
from marketplace.shifts.models import Application
from tests.e2e.conftest import fresh, no_sideways_scroll, overflowing_elements, shot, sign_in

# The sharing builders (fixtures of tests/sharing), used here as fixtures too.
from tests.sharing.conftest import make_agreement, make_listing, make_staff  # noqa: F401

LENDER = "威海市环翠区海之韵海洋食品科技股份有限公司"
BORROWER = "威海顺达电子商务物流有限公司"


def test_a_worker_consents_to_a_sharing_assignment_on_a_phone(
        new_page, make_firm, make_staff, make_agreement):  # noqa: F811
    lender = make_firm(name=LENDER)
    borrower = make_firm(name=BORROWER, industry="logistics")
    worker = make_staff(lender, name="欧阳秀英", skills=("seafood_sorting", "sorting_parcels"))
    colleague = make_staff(lender, name="刘建华")
    agreement = make_agreement(
        lender, borrower, [worker, colleague], days=5, title="电商大促包裹分拣（白班）",
        work_content="双十一期间电商包裹扫码、分拣、装车；提供午餐和工作服。",
        address="经济技术开发区崮山镇海港路188号冷链物流园B区3号库")

    # 1. On the phone: the sharing page asks for an answer.
    page = new_page("phone")
    sign_in(page, worker)
    page.goto("/me/sharing")
    card = page.locator(f"#assignment-{agreement.id}")
    assert "需要您答复" in card.inner_text()
    assert BORROWER in card.inner_text()
    shot(page, "sharing_01_worker_waiting")

    # 2. The consent page: the terms, in plain words, and the worker's rights.
    with page.expect_navigation():
        card.locator("a.btn").click()
    assert page.locator("h1").inner_text() == "电商大促包裹分拣（白班）"
    rights = page.locator(".rights").inner_text()
    for words in ("劳动关系和劳动合同不变", "您有权拒绝", "个体工商户", "工伤保险关系保留在",
                  "随时撤回同意"):
        assert words in rights, words
    assert "每天 ¥220" in page.locator(".consent-terms").inner_text()
    assert "刘建华" not in page.content()  # a colleague's decision is their own
    width, inner = no_sideways_scroll(page)
    assert width <= inner, overflowing_elements(page)
    shot(page, "sharing_02_worker_consent_page")

    # 3. Consent: every working day is booked at the borrower, under My shifts.
    with page.expect_navigation():
        page.locator("form[action$='/consent'] button").click()
    assert page.locator(".flash-success").count() == 1
    assert page.locator(".consent-given").count() == 1
    assert page.locator(".my-days li").count() == 5
    shot(page, "sharing_03_worker_consented")
    page.goto("/me/applications")
    assert page.locator("article.application", has_text="【共享用工】").count() == 5
    width, inner = no_sideways_scroll(page)
    assert width <= inner, overflowing_elements(page)
    shot(page, "sharing_04_worker_my_shifts")
    assert page.js_errors == []

    fresh()
    booked = db.session.scalars(select(Application).where(
        Application.worker_id == worker.id)).all()
    assert len(booked) == 5 and {a.status for a in booked} == {"confirmed"}
    assert db.session.scalar(select(Application.id).where(
        Application.worker_id == colleague.id)) is None
    assert db.session.get(SharingAgreement, agreement.id).status == AgreementStatus.ACTIVE

    # 4. The borrower (desktop) now sees the consenting worker, not the colleague.
    desk = new_page("desktop")
    sign_in(desk, borrower)
    desk.goto(f"/firm/sharing/agreements/{agreement.id}")
    workers = desk.locator(".card", has_text="借调员工").first.inner_text()
    assert "欧阳秀英" in workers and "刘建华" not in desk.content()
    assert worker.phone not in desk.content()
    shot(desk, "sharing_05_borrower_agreement")
    desk.goto(f"/firm/sharing/agreements/{agreement.id}/print")
    assert "共享用工协议" in desk.locator("h1").inner_text()
    shot(desk, "sharing_06_printable_record")
    assert desk.js_errors == []

    # 5. The lender's staff page: who is lent where, and the exchange offered first.
    own = new_page("desktop")
    sign_in(own, lender)
    own.goto("/firm/staff")
    assert "裁员之前，先试试共享用工" in own.locator(".offer-exchange").inner_text()
    assert BORROWER in own.locator(".staff-list").inner_text()
    shot(own, "sharing_07_lender_staff")


def test_sharing_pages_fit_a_360_px_phone(
        new_page, make_firm, make_staff, make_agreement):  # noqa: F811
    lender = make_firm(name=LENDER)
    borrower = make_firm(name=BORROWER, industry="logistics")
    worker = make_staff(lender, name="欧阳秀英")
    agreement = make_agreement(lender, borrower, [worker], days=3,
                               title="冷库海产品（鲅鱼、鱿鱼、海参）分拣包装及装车，夜班前准备",
                               address="山东省威海市经济技术开发区崮山镇海港路188号冷链物流园B区3号库")
    page = new_page("narrow")
    sign_in(page, worker)
    for path, name in (("/me/sharing", "sharing_narrow_index"),
                       (f"/me/sharing/agreements/{agreement.id}", "sharing_narrow_consent")):
        page.goto(path)
        width, inner = no_sideways_scroll(page)
        assert width <= inner, (path, overflowing_elements(page))
        shot(page, name)
    # A firm's pages also work on a phone (desktop first, but never sideways).
    firm_page = new_page("narrow")
    sign_in(firm_page, lender)
    for path in ("/firm/staff", "/firm/sharing", f"/firm/sharing/agreements/{agreement.id}"):
        firm_page.goto(path)
        width, inner = no_sideways_scroll(firm_page)
        assert width <= inner, (path, overflowing_elements(firm_page))
    shot(firm_page, "sharing_narrow_firm_agreement")
