"""No page scrolls sideways on a 360 px phone, for every role, with realistic data present.

Each role signs in once through the login form in its own browser context; every main page is
then loaded, checked for a 200, the Chinese UI (lang="zh-CN" and Chinese text in the heading)
and `scrollWidth <= innerWidth`, and screenshotted as layout_<role>_<page>.png.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from marketplace.admin import services as admin_services
from marketplace.extensions import db
from marketplace.firms import services as firm_services
from marketplace.shifts import applications
from marketplace.shifts import services as shift_services
from marketplace.workers import services as worker_services
from tests.e2e.conftest import no_sideways_scroll, overflowing_elements, shot, sign_in

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LONG_FIRM = "威海市环翠区海之韵海洋食品科技股份有限公司第二分拣中心"
LONG_TITLE = "冷库海产品（鲅鱼、鱿鱼、海参）分拣包装及装车临时工，夜班，需健康证"
LONG_ADDRESS = "山东省威海市经济技术开发区崮山镇海港路188号冷链物流园B区3号库"


@dataclass
class Market:
    worker: object
    firm: object
    admin: object
    open_shift: int
    started_shift: int
    cancelled_shift: int
    partner: object = None
    base_id: int = 0
    cohort_id: int = 0


def _app(actor, shift_id: int, note: str = "") -> int:
    application = applications.apply(actor=actor, shift_id=shift_id, note=note)
    db.session.commit()
    return application.id


def _move(actor, application_id: int, *actions: str, **params) -> None:
    for action in actions:
        applications.transition(actor=actor, application_id=application_id, action=action,
                                params=params if action == "complete" else None)
        db.session.commit()


@pytest.fixture
def market(make_worker, make_firm, make_admin, make_shift) -> Market:
    """A small market in every state a page shows: open, started, cancelled, completed."""
    admin = make_admin()
    firm = make_firm(name=LONG_FIRM)
    make_firm(name="文登区家纺服装有限公司", verified=False, industry="textiles")  # to verify
    worker = make_worker(name="欧阳建国", skills=("seafood_sorting", "loading"),
                         certificates=("health_cert",), origin="河南省")
    others = [make_worker(name=name) for name in ("张伟", "王芳", "李娜", "刘洋")]

    open_shift = make_shift(firm, start_in_hours=50, hours=9, headcount=4, title=LONG_TITLE,
                            address=LONG_ADDRESS, meals=True, housing=True,
                            description="负责海产品分拣、称重、装箱。" * 12)
    soon = make_shift(firm, start_in_hours=1, hours=5, headcount=3, title="码头装卸工",
                      pay_fen=25000, unit="day")
    doomed = make_shift(firm, start_in_hours=80, hours=4, headcount=2, title="展会布展临时工")
    extra = [  # more open shifts for the lists and the feed
        make_shift(firm, start_in_hours=26 + 24 * n, hours=8, title=f"鱿鱼加工普工 {n + 1} 号线",
                   district=("huancui", "wendeng", "rongcheng")[n % 3])
        for n in range(6)
    ]

    # The worker: applied, offered, confirmed, checked in and completed, and a closed one.
    _app(worker, open_shift.id, note="有三年冷库分拣经验，能上夜班，自带工作服和胶鞋。")
    done = _app(worker, soon.id)
    _move(firm, done, "offer")
    _move(worker, done, "accept", "check-in", "check-out")
    _move(firm, done, "complete", minutes_worked=300)
    applications.rate(actor=worker, application_id=done, score=5, comment="管理规范，按时结算")
    applications.rate(actor=firm, application_id=done, score=4, comment="手脚麻利")
    doomed_app = _app(worker, doomed.id)
    _move(firm, doomed_app, "offer")
    _move(worker, doomed_app, "accept")
    # Other applicants in each state on the open shift.
    states = (("offer",), ("reject",), (), ())
    for other, moves in zip(others, states, strict=True):
        application_id = _app(other, open_shift.id, note="能吃苦")
        if moves:
            _move(firm, application_id, *moves)
    firm_services.add_favourite(actor=firm, worker_id=worker.id)
    db.session.commit()
    firm_services.invite(actor=firm, shift_id=extra[2].id, worker_id=worker.id)
    shift_services.cancel_shift(actor=firm, shift_id=doomed.id, reason="展会延期，十分抱歉")
    db.session.commit()

    worker_services.set_availability(
        actor=worker,
        weekly=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
        dates=[{"date": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
                "available": False}],
    )
    admin_services.decide_firm(actor=admin, firm_id=firm.firm_id, approve=True, note="材料齐全")
    admin_services.set_user_status(actor=admin, user_id=others[-1].id, suspended=True,
                                   reason="多次爽约")
    db.session.commit()
    partner, base, cohort = _labor_base(admin, worker, others)
    return Market(worker=worker, firm=firm, admin=admin, open_shift=open_shift.id,
                  started_shift=soon.id, cancelled_shift=doomed.id, partner=partner,
                  base_id=base.id, cohort_id=cohort.id)


def _labor_base(admin, worker, others):
    """A labor base with a long name, its partner, an arrived cohort the worker accepted and
    an upcoming one the worker is invited to."""
    from marketplace.auth.models import Role, User
    from marketplace.laborbases import services as bases
    from tests.conftest import _HASH, new_phone

    base = bases.create_base(actor=admin, data={
        "name": "黑龙江齐齐哈尔市劳务输出工作站暨东西部劳务协作基地", "province": "黑龙江",
        "city": "齐齐哈尔市", "partner_org": "齐齐哈尔市人力资源和社会保障局劳务输出服务中心",
        "contact_name": "王科长", "contact_phone": "0452-2400000"})
    bases.create_base(actor=admin, data={"name": "重庆云阳劳务协作基地", "province": "重庆",
                                         "city": "云阳县", "partner_org": "云阳县人社局",
                                         "kind": "cooperation_region"})
    partner = User(phone=new_phone(), password_hash=_HASH, name="齐齐哈尔联络员",
                   role=Role.PARTNER, labor_base_id=base.id)
    db.session.add(partner)
    db.session.flush()
    today = bases.today_local()
    arrived = bases.create_cohort(actor=partner, data={
        "arrival_date": today - dt.timedelta(days=3), "headcount": 40,
        "skills": ["seafood_sorting", "loading", "cold_storage", "food_packing"],
        "housing_needed": True, "meals_needed": True, "district": "rongcheng",
        "note": "多数有冷库海产品分拣经验，部分人员持健康证，带队人随行，希望集中安排住宿。"})
    member = bases.add_member(actor=partner, cohort_id=arrived.id, phone=worker.phone)
    bases.answer_invitation(actor=worker, member_id=member.id, accept=True)
    for other in others[:2]:
        bases.add_member(actor=partner, cohort_id=arrived.id, phone=other.phone)
    upcoming = bases.create_cohort(actor=partner, data={
        "arrival_date": today + dt.timedelta(days=12), "headcount": 25, "housing_needed": True})
    bases.add_member(actor=partner, cohort_id=upcoming.id, phone=worker.phone)
    db.session.commit()
    return partner, base, arrived


def check_pages(page, role: str, paths: list[str]) -> None:
    problems = []
    for path in paths:
        response = page.goto(path)
        name = f"layout_{role}_{path.strip('/') or 'home'}"
        shot(page, name)
        if response is None or response.status != 200:
            problems.append(f"{path}: HTTP {response.status if response else 'none'}")
            continue
        if page.locator("html").get_attribute("lang") != "zh-CN":
            problems.append(f"{path}: lang is not zh-CN")
        heading = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
        if not CHINESE.search(heading + page.locator(".topbar").inner_text()):
            problems.append(f"{path}: no Chinese text in the heading or the top bar")
        width, inner = no_sideways_scroll(page)
        if width > inner:
            problems.append(f"{path}: scrolls sideways ({width} > {inner}): "
                            f"{overflowing_elements(page)}")
    assert page.js_errors == [], page.js_errors
    assert not problems, "\n".join(problems)


def test_anonymous_pages_fit_a_360px_phone(new_page, market):
    page = new_page("narrow")
    check_pages(page, "anon", [
        "/", "/shifts", f"/shifts/{market.open_shift}", "/shifts?meals=y&district=jingqu",
        "/login", "/register", "/register/worker", "/register/firm",
    ])


def test_worker_pages_fit_a_360px_phone(new_page, market):
    page = new_page("narrow")
    sign_in(page, market.worker)
    check_pages(page, "worker", [
        "/me/feed", "/me/applications", "/me/applications?tab=done",
        "/me/applications?tab=closed", "/me/profile", "/me/availability", "/me/pay",
        "/me/notifications", "/me/base", f"/shifts/{market.open_shift}",
        f"/shifts/{market.cancelled_shift}", f"/shifts/{market.started_shift}",
    ])


def test_firm_pages_fit_a_360px_phone(new_page, market):
    page = new_page("narrow")
    sign_in(page, market.firm)
    check_pages(page, "firm", [
        "/firm/", "/firm/?status=all", "/firm/shifts/new",
        f"/firm/shifts/{market.open_shift}/edit",
        f"/firm/shifts/{market.open_shift}/applicants",
        f"/firm/shifts/{market.started_shift}/applicants",
        f"/firm/shifts/{market.open_shift}/candidates",
        "/firm/favourites", "/firm/match", "/firm/notifications", "/firm/cohorts",
    ])


def test_admin_pages_fit_a_360px_phone(new_page, market):
    page = new_page("narrow")
    sign_in(page, market.admin)
    check_pages(page, "admin", [
        "/admin/", "/admin/firms", "/admin/users", "/admin/audit", "/admin/ranker",
        "/admin/bases", f"/admin/bases/{market.base_id}", "/admin/bases/figures",
        f"/cohorts/{market.cohort_id}",
    ])


def test_partner_pages_fit_a_360px_phone(new_page, market):
    page = new_page("narrow")
    sign_in(page, market.partner)
    check_pages(page, "partner", [
        "/base/", "/base/figures", "/base/figures?granularity=week", "/cohorts/",
        "/cohorts/new", f"/cohorts/{market.cohort_id}",
    ])


def test_the_check_sees_a_page_that_scrolls_sideways(new_page, market):
    """The measurement itself: a too-wide element on a phone is caught, not zoomed away."""
    page = new_page("narrow")
    page.goto("/shifts")
    width, inner = no_sideways_scroll(page)
    assert width <= inner == 360
    page.evaluate("""() => {
      const wide = document.createElement('div');
      wide.style.width = '600px';
      wide.textContent = '很宽的内容';
      document.querySelector('main, body').appendChild(wide);
    }""")
    width, inner = no_sideways_scroll(page)
    assert inner == 360 and width > inner
    assert overflowing_elements(page)


@pytest.mark.parametrize("role", ["anon", "worker", "firm", "admin", "partner"])
def test_english_pages_fit_a_360px_phone(new_page, market, role):
    """English words are longer than Chinese ones: the same pages, switched to English."""
    page = new_page("narrow")
    if role != "anon":
        sign_in(page, getattr(market, role))
    page.goto("/lang/en")
    paths = {
        "anon": ["/", "/shifts", f"/shifts/{market.open_shift}", "/login", "/register/firm"],
        "worker": ["/me/feed", "/me/applications", "/me/applications?tab=done",
                   "/me/profile", "/me/availability", "/me/pay", "/me/notifications",
                   "/me/base"],
        "firm": ["/firm/", "/firm/shifts/new", f"/firm/shifts/{market.open_shift}/applicants",
                 f"/firm/shifts/{market.started_shift}/applicants", "/firm/favourites",
                 "/firm/match", "/firm/cohorts"],
        "admin": ["/admin/", "/admin/firms", "/admin/users", "/admin/audit", "/admin/ranker",
                  "/admin/bases", "/admin/bases/figures"],
        "partner": ["/base/", "/base/figures", "/cohorts/new", f"/cohorts/{market.cohort_id}"],
    }[role]
    problems = []
    for path in paths:
        response = page.goto(path)
        shot(page, f"layout_en_{role}_{path.strip('/') or 'home'}")
        if response is None or response.status != 200:
            problems.append(f"{path}: HTTP {response.status if response else 'none'}")
            continue
        if page.locator("html").get_attribute("lang") != "en":
            problems.append(f"{path}: lang is not en")
        width, inner = no_sideways_scroll(page)
        if width > inner:
            problems.append(f"{path}: scrolls sideways ({width} > {inner}): "
                            f"{overflowing_elements(page)}")
    assert not problems, "\n".join(problems)
