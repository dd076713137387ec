"""The firm's web pages through the real test client, CSRF tokens taken from the pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.firms.models import Favourite
from marketplace.notifications.models import Notification
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application, Attendance, Invitation, Rating, Shift
from marketplace.timeutil import LOCAL_TZ
from tests.conftest import csrf_from


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def submit(client, form_url: str, data: dict, post_url: str | None = None):
    """Load the page holding the form, take its CSRF token, post the form."""
    token = csrf_from(page(client, form_url))
    return client.post(post_url or form_url, data={**data, "csrf_token": token})


def local_input(days_ahead: int, hour: int, minute: int = 0) -> str:
    day = dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(hour, minute)).strftime("%Y-%m-%dT%H:%M")


def shift_form(**overrides) -> dict:
    data = {
        "title": "冷库搬运工", "category": "logistics", "description": "冷库装卸，需穿防寒服",
        "district": "huancui", "address": "海滨北路 18 号", "starts_at": local_input(3, 8),
        "ends_at": local_input(3, 17), "headcount": "4", "pay": "28.50", "pay_unit": "hour",
        "settlement": "weekly", "meals": "y", "skills": ["loading", "cold_storage"],
    }
    data.update(overrides)
    return data


def only_shift() -> Shift:
    db.session.expire_all()
    return db.session.scalars(select(Shift)).one()


def test_post_a_shift_converts_local_time_and_yuan(client, login, make_firm):
    firm = make_firm()
    login(client, firm)
    english = page(client, "/firm/shifts/new?lang=en")
    assert ">per hour</option>" in english and ">Paid weekly</option>" in english
    assert ">Logistics &amp; warehousing</option>" in english
    response = submit(client, "/firm/shifts/new", shift_form())
    assert response.status_code == 303
    shift = only_shift()
    assert response.headers["Location"].endswith(f"/firm/shifts/{shift.id}/applicants")
    assert shift.pay_amount_fen == 2850 and shift.pay_unit == "hour"
    assert shift.settlement == "weekly" and shift.meals and not shift.housing
    assert shift.skills == ["cold_storage", "loading"] and shift.headcount == 4
    # 08:00 in Weihai is 00:00 UTC
    assert shift.starts_at.tzinfo is not None
    assert shift.starts_at.astimezone(LOCAL_TZ).hour == 8
    assert shift.starts_at.hour == 0 and shift.ends_at.hour == 9
    html = page(client, "/firm/")
    assert "冷库搬运工" in html and "0/4" in html


def test_pay_with_three_decimals_is_refused(client, login, make_firm):
    login(client, make_firm())
    response = submit(client, "/firm/shifts/new", shift_form(pay="28.505"))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0


def test_unverified_firm_sees_banner_and_cannot_post_until_admin_verifies(
        client, app, login, make_firm, make_admin):
    firm_user = make_firm(verified=False)
    login(client, firm_user)
    html = page(client, "/firm/")
    assert "等待审核" in html
    assert 'class="banner banner-warn"' in html
    new_page = page(client, "/firm/shifts/new")
    assert 'class="banner banner-warn"' in new_page and 'name="title"' not in new_page
    refused = client.post("/firm/shifts/new",
                          data={**shift_form(), "csrf_token": csrf_from(new_page)})
    assert refused.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0

    admin_client = app.test_client()
    login(admin_client, make_admin())
    listing = page(admin_client, "/admin/firms?status=pending")
    assert firm_user.firm.credit_code in listing
    verified = admin_client.post(f"/admin/firms/{firm_user.firm_id}/verify",
                                 data={"csrf_token": csrf_from(listing), "note": ""})
    assert verified.status_code == 303

    html = page(client, "/firm/")
    assert "banner-warn" not in html
    assert submit(client, "/firm/shifts/new", shift_form()).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == firm_user.id, Notification.kind == "firm_verified")) == 1


def test_rejected_firm_sees_the_note(client, app, login, make_firm, make_admin):
    firm_user = make_firm(verified=False)
    admin_client = app.test_client()
    login(admin_client, make_admin())
    listing = page(admin_client, "/admin/firms")
    no_note = admin_client.post(f"/admin/firms/{firm_user.firm_id}/reject",
                                data={"csrf_token": csrf_from(listing), "note": "  "})
    assert no_note.status_code == 422
    assert 'class="error"' in no_note.get_data(as_text=True)
    response = admin_client.post(f"/admin/firms/{firm_user.firm_id}/reject",
                                 data={"csrf_token": csrf_from(listing),
                                       "note": "营业执照照片不清晰"})
    assert response.status_code == 303
    login(client, firm_user)
    html = page(client, "/firm/")
    assert "banner-bad" in html and "营业执照照片不清晰" in html


def test_end_before_start_is_422_beside_the_field(client, login, make_firm):
    login(client, make_firm())
    response = submit(client, "/firm/shifts/new",
                      shift_form(starts_at=local_input(3, 17), ends_at=local_input(3, 8)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "结束时间必须晚于开始时间" in html
    assert 'value="冷库搬运工"' in html  # the form keeps what was typed
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0


def test_pay_below_minimum_wage_and_zero_headcount_are_refused(client, app, login, make_firm):
    login(client, make_firm())
    low = app.config["MIN_HOURLY_WAGE_FEN"] - 1
    response = submit(client, "/firm/shifts/new",
                      shift_form(pay=f"{low // 100}.{low % 100:02d}", headcount="0"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "工资低于最低工资标准" in html
    assert "招聘人数至少为 1 人" in html
    assert db.session.scalar(select(func.count()).select_from(Shift)) == 0
    # a day rate over 9 hours that works out below the minimum per hour is refused too
    response = submit(client, "/firm/shifts/new", shift_form(pay="150", pay_unit="day"))
    assert response.status_code == 422 and "最低工资标准" in response.get_data(as_text=True)


def test_edit_shift_then_locked_fields_after_a_confirmation(client, login, make_firm,
                                                            make_worker, make_shift):
    firm = make_firm()
    shift = make_shift(firm, headcount=3, pay_fen=3000)
    login(client, firm)
    form_html = page(client, f"/firm/shifts/{shift.id}/edit")
    assert 'value="30.00"' in form_html or 'value="30"' in form_html
    response = submit(client, f"/firm/shifts/{shift.id}/edit",
                      shift_form(title="海产品分拣（夜班）", category="food_processing",
                                 district="jingqu", headcount="6", pay="31"))
    assert response.status_code == 303
    edited = only_shift()
    assert edited.title == "海产品分拣（夜班）" and edited.headcount == 6
    assert edited.pay_amount_fen == 3100

    worker = make_worker()
    application = apps.apply(actor=worker, shift_id=shift.id)
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    db.session.commit()
    current = page(client, f"/firm/shifts/{shift.id}/edit")
    token = csrf_from(current)
    same_times = {"starts_at": edited.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
                  "ends_at": edited.ends_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")}
    locked = client.post(f"/firm/shifts/{shift.id}/edit", data={
        **shift_form(title="海产品分拣（夜班）", category="food_processing", district="jingqu",
                     address=edited.address, headcount="6", pay="35", **same_times),
        "csrf_token": token})
    assert locked.status_code == 409
    assert "已有零工确认，不能修改" in locked.get_data(as_text=True)
    assert only_shift().pay_amount_fen == 3100
    # a change that leaves time, place and pay alone still goes through
    ok = client.post(f"/firm/shifts/{shift.id}/edit", data={
        **shift_form(title="海产品分拣（夜班）", category="food_processing", district="jingqu",
                     address=edited.address, headcount="8", pay="31", **same_times),
        "csrf_token": token})
    assert ok.status_code == 303 and only_shift().headcount == 8


def test_cancel_shift_notifies_confirmed_worker(client, login, make_firm, make_worker,
                                                make_shift):
    firm = make_firm()
    shift = make_shift(firm)
    worker = make_worker()
    application = apps.apply(actor=worker, shift_id=shift.id)
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    db.session.commit()
    login(client, firm)
    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    assert "data-confirm=" in html and f"/firm/shifts/{shift.id}/cancel" in html
    response = client.post(f"/firm/shifts/{shift.id}/cancel",
                           data={"csrf_token": csrf_from(html), "reason": "订单取消"})
    assert response.status_code == 303
    cancelled = only_shift()
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "订单取消"
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == worker.id, Notification.kind == "shift_cancelled")).all()
    assert len(notes) == 1 and shift.title in notes[0].message
    assert db.session.get(Application, application.id).status == "cancelled"
    # the edit page of a cancelled shift refuses changes
    again = submit(client, f"/firm/shifts/{shift.id}/edit", shift_form())
    assert again.status_code == 409


def test_applicants_offer_complete_rate_and_favourite(client, login, make_firm, make_worker,
                                                      make_shift):
    firm = make_firm()
    # starts in 30 minutes: inside the check-in window
    shift = make_shift(firm, start_in_hours=0.5, hours=4, pay_fen=3000, headcount=2)
    worker = make_worker(name="刘师傅")
    other = make_worker(name="孙师傅")
    application = apps.apply(actor=worker, shift_id=shift.id, note="有冷库经验")
    apps.apply(actor=other, shift_id=shift.id)
    db.session.commit()

    login(client, firm)
    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    assert "刘师傅" in html and "孙师傅" in html and "有冷库经验" in html
    for person in (worker, other):
        assert person.phone not in html
        assert f"{person.phone[:3]}****{person.phone[-4:]}" in html
    assert f"/firm/applications/{application.id}/offer" in html

    offered = client.post(f"/firm/applications/{application.id}/offer",
                          data={"csrf_token": csrf_from(html),
                                "next": f"/firm/shifts/{shift.id}/applicants"})
    assert offered.status_code == 303
    assert offered.headers["Location"].endswith(f"/firm/shifts/{shift.id}/applicants")
    assert db.session.get(Application, application.id).status == "offered"

    apps.transition(actor=worker, application_id=application.id, action="accept")
    apps.transition(actor=worker, application_id=application.id, action="check-in")
    db.session.commit()
    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    assert f"/firm/applications/{application.id}/complete" in html
    assert 'name="minutes_worked"' in html
    done = client.post(f"/firm/applications/{application.id}/complete",
                       data={"csrf_token": csrf_from(html), "minutes_worked": "210"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "completed"
    attendance = db.session.get(Attendance, application.id)
    assert attendance.minutes_worked == 210 and attendance.pay_due_fen == 3000 * 210 // 60

    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    assert f"/firm/applications/{application.id}/rate" in html
    bad = client.post(f"/firm/applications/{application.id}/rate",
                      data={"csrf_token": csrf_from(html)})
    assert bad.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
    rated = client.post(f"/firm/applications/{application.id}/rate",
                        data={"csrf_token": csrf_from(html), "score": "5", "comment": "踏实"})
    assert rated.status_code == 303
    rating = db.session.scalars(select(Rating)).one()
    assert (rating.rater, rating.score, rating.comment) == ("firm", 5, "踏实")
    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    assert "5.0 ★" in html and "完工 1 次" in html

    # favourite the worker, then find them on the favourites page and invite them
    fav = client.post(f"/firm/workers/{worker.id}/favourite",
                      data={"csrf_token": csrf_from(html), "favourite": "1"})
    assert fav.status_code == 303
    assert db.session.get(Favourite, (firm.firm_id, worker.id)) is not None
    next_shift = Shift(firm_id=firm.firm_id, title="x", category="logistics",
                       district="huancui", lat=37.5, lon=122.1, starts_at=shift.starts_at,
                       ends_at=shift.ends_at, headcount=1, pay_amount_fen=3000,
                       pay_unit="hour", daily_pay_fen=12000, settlement="daily")
    db.session.add(next_shift)
    db.session.commit()
    fav_page = page(client, "/firm/favourites")
    assert "刘师傅" in fav_page and worker.phone not in fav_page
    invited = client.post("/firm/favourites/invite",
                          data={"csrf_token": csrf_from(fav_page), "worker_id": worker.id,
                                "shift_id": next_shift.id})
    assert invited.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == worker.id, Notification.kind == "invitation")) == 1
    # un-favourite
    client.post(f"/firm/workers/{worker.id}/favourite",
                data={"csrf_token": csrf_from(fav_page), "favourite": "0"})
    db.session.expire_all()
    assert db.session.get(Favourite, (firm.firm_id, worker.id)) is None


def test_complete_with_bad_minutes_is_refused(client, login, make_firm, make_worker,
                                              make_shift):
    firm = make_firm()
    shift = make_shift(firm, start_in_hours=0.5, hours=4)
    worker = make_worker()
    application = apps.apply(actor=worker, shift_id=shift.id)
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    apps.transition(actor=worker, application_id=application.id, action="check-in")
    db.session.commit()
    login(client, firm)
    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    response = client.post(f"/firm/applications/{application.id}/complete",
                           data={"csrf_token": csrf_from(html), "minutes_worked": "-5"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "checked_in"
    unknown = client.post(f"/firm/applications/{application.id}/accept",
                          data={"csrf_token": csrf_from(html)})
    assert unknown.status_code == 404


def test_applicants_page_uses_a_fixed_number_of_queries(client, login, make_firm,
                                                        make_worker, make_shift):
    from sqlalchemy import event

    firm = make_firm()
    shift = make_shift(firm, headcount=20)
    login(client, firm)

    def count_queries(n_workers: int) -> int:
        for _ in range(n_workers):
            apps.apply(actor=make_worker(), shift_id=shift.id)
        db.session.commit()
        statements = []

        def seen(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            page(client, f"/firm/shifts/{shift.id}/applicants")
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return len(statements)

    few = count_queries(2)
    many = count_queries(8)
    assert few > 3  # the listener saw the page's queries
    assert many == few


def test_other_firm_gets_404_and_others_too(client, app, login, make_firm, make_worker,
                                            make_admin, make_shift):
    owner = make_firm()
    shift = make_shift(owner)
    worker = make_worker()
    application = apps.apply(actor=worker, shift_id=shift.id)
    db.session.commit()
    intruder = make_firm(name="荣成远洋渔业有限公司")
    login(client, intruder)
    page(client, f"/firm/shifts/{shift.id}/applicants", 404)
    page(client, f"/firm/shifts/{shift.id}/edit", 404)
    token = csrf_from(page(client, "/firm/"))
    assert client.post(f"/firm/shifts/{shift.id}/cancel",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/firm/applications/{application.id}/offer",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/firm/shifts/{shift.id}/edit",
                       data={**shift_form(), "csrf_token": token}).status_code == 404
    assert client.post(f"/firm/workers/{worker.id}/favourite",
                       data={"csrf_token": token, "favourite": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).status == "open"
    assert db.session.get(Application, application.id).status == "applied"

    for user in (worker, make_admin()):
        other = app.test_client()
        login(other, user)
        for url in ("/firm/", "/firm/shifts/new", "/firm/favourites", "/firm/notifications",
                    f"/firm/shifts/{shift.id}/applicants"):
            page(other, url, 404)
    anonymous = app.test_client().get("/firm/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_notifications_page_marks_all_read(client, login, make_firm, make_worker, make_shift):
    firm = make_firm()
    shift = make_shift(firm)
    worker = make_worker()
    application = apps.apply(actor=worker, shift_id=shift.id)
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    db.session.commit()
    login(client, firm)
    assert 'class="badge"' in page(client, "/firm/")
    html = page(client, "/firm/notifications")
    assert "tag-warn" in html and shift.title in html
    assert 'class="badge"' not in page(client, "/firm/")


def test_firm_post_without_csrf_is_400(client, login, make_firm, make_shift):
    firm = make_firm()
    shift = make_shift(firm)
    login(client, firm)
    assert client.post("/firm/shifts/new", data=shift_form()).status_code == 400
    assert client.post(f"/firm/shifts/{shift.id}/cancel", data={}).status_code == 400
    assert only_shift().status == "open"


def test_no_cancel_button_once_the_shift_has_started(client, login, make_firm, make_shift):
    from sqlalchemy import update

    from marketplace.shifts.models import Shift
    from tests.conftest import in_hours

    firm = make_firm()
    shift = make_shift(firm)
    login(client, firm)
    cancel_url = f"/firm/shifts/{shift.id}/cancel"
    assert cancel_url in page(client, f"/firm/shifts/{shift.id}/applicants")
    db.session.execute(update(Shift).where(Shift.id == shift.id).values(
        starts_at=in_hours(-1), ends_at=in_hours(7)))
    db.session.commit()
    html = page(client, f"/firm/shifts/{shift.id}/applicants")
    assert cancel_url not in html
    refused = client.post(cancel_url, data={"csrf_token": csrf_from(html)},
                          follow_redirects=True)
    assert "班次已开始" in refused.get_data(as_text=True)  # said plainly, in Chinese
    assert only_shift().status == "open"
