"""A worker on a 390×844 phone: registration to a confirmed shift and check-in."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.shifts.models import Application
from tests.conftest import in_hours
from tests.e2e.conftest import fresh, no_sideways_scroll, shot, sign_in

PHONE_NUMBER = "13912345678"


def test_worker_registers_applies_accepts_and_checks_in(new_page, make_firm, make_shift):
    page = new_page("phone")
    firm = make_firm(name="威海海洋食品有限公司")
    # Starts within the check-in window (120 minutes early) but not yet: accepting needs a
    # shift that has not started, checking in needs one that starts soon.
    shift = make_shift(firm, start_in_hours=1, hours=6, headcount=3, pay_fen=3000,
                       title="冷库海产品分拣", district="huancui",
                       skills=["seafood_sorting"], meals=True)

    # 1. Register through the form, in Chinese by default.
    page.goto("/register/worker")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "注册" in page.locator("h1").inner_text()
    page.fill("input[name=name]", "李师傅")
    page.fill("input[name=phone]", PHONE_NUMBER)
    page.fill("input[name=password]", "haichan-2025")
    shot(page, "worker_01_register")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert page.url.endswith("/me/profile"), page.url
    assert page.locator(".flash").count() >= 1
    shot(page, "worker_02_profile_empty")

    # 2. Profile: skills and home district.
    page.check("input[name=skills][value=seafood_sorting]")
    page.select_option("select[name=district]", "huancui")
    page.fill("input[name=commute_radius_km]", "30")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert page.url.endswith("/me/profile")
    assert page.locator("input[name=skills][value=seafood_sorting]").is_checked()
    assert page.locator("select[name=district]").input_value() == "huancui"
    shot(page, "worker_03_profile_saved")

    fresh()
    worker = db.session.scalar(select(User).where(User.phone == PHONE_NUMBER))
    assert worker is not None and worker.is_worker
    assert worker.worker_profile.district == "huancui"
    assert worker.worker_profile.skills == ["seafood_sorting"]

    # 3. The feed shows the shift with its reasons.
    page.goto("/me/feed")
    card = page.locator("article.shift-card", has_text="冷库海产品分拣")
    card.wait_for()
    reasons = card.locator(".reasons").inner_text()
    assert reasons.strip(), "the feed card gives no reason"
    assert re.search(r"[\u4e00-\u9fff]", reasons), reasons  # explained in Chinese
    width, inner = no_sideways_scroll(page)
    assert width <= inner
    shot(page, "worker_04_feed")

    # 4. Open it and apply.
    with page.expect_navigation():
        card.locator("h3 a").click()
    assert f"/shifts/{shift.id}" in page.url
    assert page.locator("h1").inner_text() == "冷库海产品分拣"
    shot(page, "worker_05_shift_detail")
    page.fill("textarea[name=note]", "有冷库分拣经验")
    with page.expect_navigation():
        page.locator(".apply-box button[type=submit]").click()
    assert page.locator(".apply-box .status-applied").count() == 1
    shot(page, "worker_06_applied")

    fresh()
    application = db.session.scalar(select(Application).where(
        Application.shift_id == shift.id, Application.worker_id == worker.id))
    assert application.status == "applied"
    assert application.note == "有冷库分拣经验"

    # 5. The firm offers on its applicants page, in a second browser (a desktop).
    firm_page = new_page("desktop")
    sign_in(firm_page, firm)
    firm_page.goto(f"/firm/shifts/{shift.id}/applicants")
    applicant = firm_page.locator(f"#application-{application.id}")
    assert applicant.locator(".worker-name").inner_text() == "李师傅"
    assert PHONE_NUMBER not in applicant.inner_text()  # masked for the firm
    with firm_page.expect_navigation():
        applicant.locator(f"form[action$='/{application.id}/offer'] button").click()
    assert firm_page.locator(f"#application-{application.id} .status-offered").count() == 1
    shot(firm_page, "worker_07a_firm_offers")

    # 6. "My shifts" shows the offer; accept it.
    page.goto("/me/applications")
    article = page.locator(f"#application-{application.id}")
    assert article.locator(".status-offered").count() == 1
    shot(page, "worker_07_offer")
    with page.expect_navigation():
        article.locator(f"form[action$='/{application.id}/accept'] button").click()
    article = page.locator(f"#application-{application.id}")
    assert article.locator(".status-confirmed").count() == 1
    assert page.locator(".flash-success").count() == 1
    shot(page, "worker_08_confirmed")

    fresh()
    assert db.session.get(Application, application.id).status == "confirmed"
    assert db.session.get(type(shift), shift.id).filled == 1

    # 7. Check in (the shift starts within the hour).
    with page.expect_navigation():
        article.locator(f"form[action$='/{application.id}/check-in'] button").click()
    article = page.locator(f"#application-{application.id}")
    assert article.locator(".status-checked_in").count() == 1
    assert "签到" in article.inner_text()
    shot(page, "worker_09_checked_in")

    fresh()
    application = db.session.get(Application, application.id)
    assert application.status == "checked_in"
    assert application.attendance is not None
    assert application.attendance.checked_in_at is not None
    assert application.attendance.checked_in_at >= in_hours(-1)
    width, inner = no_sideways_scroll(page)
    assert width <= inner
    assert page.js_errors == []
