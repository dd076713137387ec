"""A verified firm on a desktop browser: posting a shift to confirming attendance and rating."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.shifts import applications
from marketplace.shifts.models import Application, Rating, Shift
from marketplace.timeutil import LOCAL_TZ
from tests.e2e.conftest import fresh, no_sideways_scroll, shot, sign_in

TITLE = "码头冷链装卸工"


def local_input(value: dt.datetime) -> str:
    """A datetime-local input value (Beijing wall time)."""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def test_firm_posts_offers_confirms_attendance_and_rates(new_page, make_firm, make_worker):
    page = new_page("desktop")
    firm = make_firm(name="荣成港口物流有限公司", industry="logistics")
    worker = make_worker(name="赵师傅", skills=("loading",), district="jingqu",
                         lat=37.4578, lon=122.1773)

    # 1. Sign in and post a shift that starts within the check-in window.
    sign_in(page, firm)
    assert page.url.rstrip("/").endswith("/firm")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    shot(page, "firm_01_dashboard_empty")
    page.goto("/firm/shifts/new")
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)).replace(second=0,
                                                                         microsecond=0)
    ends = starts + dt.timedelta(hours=6)
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=category]", "logistics")
    page.fill("textarea[name=description]", "协助冷链车辆装卸，需能搬运 25 公斤货物。")
    page.select_option("select[name=district]", "jingqu")
    page.fill("input[name=address]", "威海经区海港路 1 号")
    page.fill("input[name=starts_at]", local_input(starts))
    page.fill("input[name=ends_at]", local_input(ends))
    page.fill("input[name=headcount]", "2")
    page.fill("input[name=pay]", "28.50")
    page.select_option("select[name=pay_unit]", "hour")
    page.select_option("select[name=settlement]", "daily")
    page.check("input[name=meals]")
    page.select_option("select[name=skills]", ["loading"])
    shot(page, "firm_02_post_form")
    with page.expect_navigation():
        page.locator("form.shift-form button[type=submit]").click()
    assert "/applicants" in page.url, page.locator("body").inner_text()[:1000]
    assert page.locator(".flash-success").count() == 1
    assert page.locator("h1").inner_text() == TITLE
    shot(page, "firm_03_posted")

    fresh()
    shift = db.session.scalar(select(Shift).where(Shift.title == TITLE))
    assert shift is not None and shift.firm_id == firm.firm_id
    assert shift.starts_at == starts and shift.ends_at == ends
    assert (shift.headcount, shift.pay_amount_fen, shift.pay_unit) == (2, 2850, "hour")
    assert shift.meals is True and shift.skills == ["loading"]

    # 2. A worker applies (service layer).
    application = applications.apply(actor=worker, shift_id=shift.id, note="会开叉车")
    db.session.commit()
    application_id = application.id

    # 3. The firm sees the applicant and offers.
    page.reload()
    card = page.locator(f"#application-{application_id}")
    assert card.locator(".worker-name").inner_text() == "赵师傅"
    assert card.locator(".status-applied").count() == 1
    phone_shown = card.locator(".phone").inner_text()
    assert worker.phone not in phone_shown and "*" in phone_shown  # masked
    shot(page, "firm_04_applicant")
    with page.expect_navigation():
        card.locator(f"form[action$='/{application_id}/offer'] button").click()
    card = page.locator(f"#application-{application_id}")
    assert card.locator(".status-offered").count() == 1
    assert page.locator(".flash-success").count() == 1
    shot(page, "firm_05_offered")
    fresh()
    assert db.session.get(Application, application_id).status == "offered"

    # 4. The worker accepts and checks in (service layer).
    applications.transition(actor=worker, application_id=application_id, action="accept")
    db.session.commit()
    applications.transition(actor=worker, application_id=application_id, action="check-in")
    db.session.commit()

    # 5. The firm confirms attendance with the minutes worked.
    page.reload()
    card = page.locator(f"#application-{application_id}")
    assert card.locator(".status-checked_in").count() == 1
    filled = page.locator("p > strong").first.inner_text()
    assert re.search(r"\b1\D{1,6}2\b", filled), filled  # "已确认 1/2 人"
    form = card.locator("form.complete-form")
    form.locator("input[name=minutes_worked]").fill("360")
    shot(page, "firm_06_checked_in")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    card = page.locator(f"#application-{application_id}")
    assert card.locator(".status-completed").count() == 1
    assert "360" in card.inner_text() and "171" in card.inner_text()
    shot(page, "firm_07_completed")

    fresh()
    application = db.session.get(Application, application_id)
    assert application.status == "completed"
    assert application.attendance.minutes_worked == 360
    assert application.attendance.pay_due_fen == 17100  # 6 h × 28.50 yuan
    assert application.attendance.confirmed_at is not None

    # 6. Rate the worker.
    rate = card.locator("form.rate-form")
    rate.locator("input[name=score][value='5']").check()
    rate.locator("textarea[name=comment]").fill("准时，干活利索")
    with page.expect_navigation():
        rate.locator("button[type=submit]").click()
    card = page.locator(f"#application-{application_id}")
    assert card.locator("form.rate-form").count() == 0
    assert "5 ★" in card.inner_text()
    shot(page, "firm_08_rated")

    fresh()
    rating = db.session.scalar(select(Rating).where(Rating.application_id == application_id))
    assert (rating.rater, rating.score, rating.comment) == ("firm", 5, "准时，干活利索")

    # The dashboard lists the shift with its seat count.
    page.goto("/firm/")
    row = page.locator(f"#shift-{shift.id}")
    assert TITLE in row.inner_text() and "1/2" in row.inner_text()
    assert page.js_errors == []

    # One check on a phone: the applicants page stays within a narrow screen.
    phone = new_page("phone")
    sign_in(phone, firm)
    phone.goto(f"/firm/shifts/{shift.id}/applicants")
    assert phone.locator(f"#application-{application_id} .status-completed").count() == 1
    width, inner = no_sideways_scroll(phone)
    assert width <= inner, f"sideways scroll on a phone: {width} > {inner}"
    shot(phone, "firm_09_applicants_phone")
