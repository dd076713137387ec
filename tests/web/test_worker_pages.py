"""The worker's web journey through the real test client, CSRF tokens taken from the pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.matching.models import MatchEvent
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application, Rating, Shift
from marketplace.timeutil import LOCAL_TZ
from marketplace.workers.models import WeeklyAvailability
from tests.conftest import TEST_PASSWORD, csrf_from, new_phone


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def submit(client, form_url: str, data: dict, post_url: str | None = None):
    """Load the page holding the form, take its CSRF token, post the form."""
    token = csrf_from(page(client, form_url))
    return client.post(post_url or form_url, data={**data, "csrf_token": token})


def local_shift_times(days_ahead: int, start_hour: int, hours: int) -> tuple[dt.datetime, ...]:
    day = dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=days_ahead)
    starts = dt.datetime.combine(day, dt.time(start_hour), tzinfo=LOCAL_TZ)
    return starts.astimezone(dt.UTC), (starts + dt.timedelta(hours=hours)).astimezone(dt.UTC)


def profile_data(**overrides) -> dict:
    data = {"name": "李师傅", "district": "jingqu", "commute_radius_km": "40",
            "min_daily_pay_yuan": "150.5", "origin_province": "河南", "labor_base": "云阳劳务基地",
            "bio": "三年海产品分拣经验", "skills": ["seafood_sorting", "loading"],
            "priority_group": "", "id_number": ""}
    data.update(overrides)
    return data


def availability_data(weekly: dict[int, tuple[str, str]], dates=()) -> dict:
    data = {}
    for n in range(7):
        start, end = weekly.get(n, ("", ""))
        data[f"days-{n}-start"], data[f"days-{n}-end"] = start, end
    for n, (day, kind, start, end) in enumerate(dates):
        data.update({f"dates-{n}-day": day, f"dates-{n}-kind": kind,
                     f"dates-{n}-start": start, f"dates-{n}-end": end})
    return data


def test_register_worker_through_the_form(client):
    phone = new_phone()
    response = submit(client, "/register/worker",
                      {"name": "赵师傅", "phone": phone, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/profile")
    user = db.session.scalar(select(User).where(User.phone == phone))
    assert user is not None and user.role == "worker" and user.worker_profile is not None
    html = page(client, "/me/profile")
    assert phone not in html  # only the masked number is shown, even to the owner
    assert f"{phone[:3]}****{phone[-4:]}" in html
    assert page(client, "/me/feed")


def test_register_worker_bad_input_shows_errors(client):
    response = submit(client, "/register/worker",
                      {"name": "", "phone": "12345", "password": "short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('class="error"') >= 3
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_login_page_wrong_password_is_401_not_500(client, make_worker):
    worker = make_worker()
    response = submit(client, "/login", {"phone": worker.phone, "password": "wrong-password"})
    assert response.status_code == 401
    assert 'class="error"' in response.get_data(as_text=True)


def test_post_without_csrf_token_is_400(client, login, make_worker):
    worker = make_worker()
    login(client, worker)
    response = client.post("/me/profile", data=profile_data(name="无令牌"))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, worker.id).name != "无令牌"


def test_anonymous_is_sent_to_login_and_firm_gets_404(client, login, make_firm, make_admin,
                                                       make_shift):
    assert client.get("/me/feed").status_code == 302
    assert "/login" in client.get("/me/applications").headers["Location"]
    firm = make_firm()
    login(client, firm)
    for url in ("/me/feed", "/me/applications", "/me/profile", "/me/pay", "/me/calendar.ics",
                "/me/notifications", "/me/availability"):
        assert client.get(url).status_code == 404, url
    shift = make_shift(firm)
    response = submit(client, f"/shifts/{shift.id}", {}, post_url=f"/shifts/{shift.id}/apply")
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    admin_client = client.application.test_client()
    login(admin_client, make_admin())
    assert admin_client.get("/me/feed").status_code == 404


def test_profile_edit_converts_yuan_and_never_shows_the_id_number(client, login, make_worker):
    worker = make_worker()
    login(client, worker)
    id_number = "11010519491231002X"
    response = submit(client, "/me/profile", profile_data(
        certificates=["health_cert"], priority_group="veteran", id_number=id_number))
    assert response.status_code == 303
    db.session.expire_all()
    profile = db.session.get(User, worker.id).worker_profile
    assert profile.min_daily_pay_fen == 15050
    assert profile.commute_radius_km == 40
    assert profile.skills == ["loading", "seafood_sorting"]
    assert profile.certificates == ["health_cert"]
    assert profile.priority_group == "veteran" and profile.priority_verified is False
    assert profile.id_number_masked and profile.id_number_masked != id_number
    html = page(client, "/me/profile")
    assert id_number not in html
    assert profile.id_number_masked in html
    assert 'value="150.50"' in html or 'value="150.5"' in html
    assert 'value="loading" checked' in html


def test_profile_bad_input_is_422_with_messages(client, login, make_worker):
    worker = make_worker()
    login(client, worker)
    for bad in (profile_data(commute_radius_km="0"), profile_data(min_daily_pay_yuan="abc"),
                profile_data(skills=["not_a_skill"]), profile_data(id_number="123456789012345678"),
                profile_data(name="")):
        response = submit(client, "/me/profile", bad)
        assert response.status_code == 422, bad
        html = response.get_data(as_text=True)
        assert 'class="error"' in html, bad
        assert "123456789012345678" not in html
    db.session.expire_all()
    assert db.session.get(User, worker.id).worker_profile.commute_radius_km == 30


def test_availability_and_certificates_shape_the_feed(client, login, make_worker, make_firm,
                                                      make_shift):
    firm = make_firm()
    worker = make_worker(radius=60)
    a_start, a_end = local_shift_times(2, 9, 8)
    b_start, b_end = local_shift_times(3, 9, 8)
    make_shift(firm, title="周一分拣工甲", starts_at=a_start, ends_at=a_end)
    make_shift(firm, title="周二分拣工乙", starts_at=b_start, ends_at=b_end)
    make_shift(firm, title="叉车司机丙", starts_at=a_start, ends_at=a_end,
               certificates=["forklift_licence"])
    login(client, worker)

    html = page(client, "/me/feed")
    assert "周一分拣工甲" in html and "周二分拣工乙" in html
    assert "叉车司机丙" not in html  # needs a licence the worker lacks

    weekday_a = a_start.astimezone(LOCAL_TZ).weekday()
    response = submit(client, "/me/availability",
                      availability_data({weekday_a: ("08:00", "18:00")}))
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(WeeklyAvailability)) == 1
    html = page(client, "/me/feed")
    assert "周一分拣工甲" in html
    assert "周二分拣工乙" not in html  # outside the worker's availability now
    assert page(client, "/me/availability").count('value="08:00"') == 1

    # A day off on shift A's date removes it too.
    day_a = a_start.astimezone(LOCAL_TZ).date().isoformat()
    response = submit(client, "/me/availability", availability_data(
        {weekday_a: ("08:00", "18:00")}, dates=[(day_a, "off", "", "")]))
    assert response.status_code == 303
    assert "周一分拣工甲" not in page(client, "/me/feed")

    # Back to no restrictions, and with the licence the forklift shift appears.
    assert submit(client, "/me/availability", availability_data({})).status_code == 303
    assert submit(client, "/me/profile", profile_data(
        certificates=["forklift_licence"], skills=["seafood_sorting"])).status_code == 303
    html = page(client, "/me/feed")
    assert "叉车司机丙" in html and "周一分拣工甲" in html and "周二分拣工乙" in html
    assert 'class="reasons"' in html  # every card explains itself


def test_availability_bad_input_is_422(client, login, make_worker):
    worker = make_worker()
    login(client, worker)
    for data in (availability_data({0: ("18:00", "08:00")}),  # ends before it starts
                 availability_data({1: ("08:00", "")}),  # half a window
                 availability_data({2: ("8 am", "17:00")})):
        response = submit(client, "/me/availability", data)
        assert response.status_code == 422, data
        assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WeeklyAvailability)) == 0


def test_feed_filters_and_bad_filter(client, login, make_worker, make_firm, make_shift):
    firm = make_firm()
    make_shift(firm, title="包吃住的班", meals=True, housing=True)
    make_shift(firm, title="普通的班")
    login(client, make_worker())
    html = page(client, "/me/feed?meals=y")
    assert "包吃住的班" in html and "普通的班" not in html
    response = client.get("/me/feed?min_pay=lots&date=yesterday")
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)


def test_public_search_and_detail(client, make_firm, make_shift):
    firm = make_firm()
    shift = make_shift(firm, title="景区检票员", category="tourism", district="rongcheng",
                       skills=["ticketing"], certificates=["health_cert"])
    make_shift(firm, title="冷库搬运")
    assert "景区检票员" in page(client, "/")
    html = page(client, "/shifts?category=tourism")
    assert "景区检票员" in html and "冷库搬运" not in html
    assert "冷库搬运" in page(client, "/shifts?q=冷库")
    html = page(client, f"/shifts/{shift.id}")
    assert "景区检票员" in html and firm.firm.name in html
    assert firm.phone not in html
    assert "/login" in html  # the anonymous visitor is invited to sign in
    assert client.get("/shifts/999999").status_code == 404
    assert client.get("/shifts?category=nonsense").status_code == 400


def _apply(client, shift_id: int):
    return submit(client, f"/shifts/{shift_id}", {"note": "明早能到"},
                  post_url=f"/shifts/{shift_id}/apply")


def _act(client, application_id: int, action: str):
    return submit(client, "/me/applications?tab=all", {},
                  post_url=f"/me/applications/{application_id}/{action}")


def test_apply_from_detail_page_then_withdraw(client, login, make_worker, make_firm, make_shift):
    firm = make_firm()
    shift = make_shift(firm)
    worker = make_worker()
    login(client, worker)
    page(client, f"/shifts/{shift.id}?src=feed&pos=3")
    view = db.session.scalar(select(MatchEvent).where(MatchEvent.kind == "view"))
    assert view is not None and view.worker_id == worker.id and view.position == 3

    response = _apply(client, shift.id)
    assert response.status_code == 303
    application = db.session.scalar(select(Application))
    assert application.status == "applied" and application.source == "web"
    html = page(client, f"/shifts/{shift.id}")
    assert "status-applied" in html
    assert f"/me/applications/{application.id}/withdraw" in html

    again = _apply(client, shift.id)  # a second application is refused politely
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1

    assert _act(client, application.id, "withdraw").status_code == 303
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "withdrawn"
    html = page(client, "/me/applications?tab=closed")
    assert "status-withdrawn" in html

    # Actions not open to a worker, or to this application now, never give a 500.
    assert _act(client, application.id, "offer").status_code == 404
    assert _act(client, application.id, "accept").status_code == 303
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "withdrawn"


def test_apply_with_too_long_note_is_422(client, login, make_worker, make_firm, make_shift):
    shift = make_shift(make_firm())
    login(client, make_worker())
    response = submit(client, f"/shifts/{shift.id}", {"note": "长" * 400},
                      post_url=f"/shifts/{shift.id}/apply")
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_another_workers_application_is_404(client, login, make_worker, make_firm, make_shift):
    shift = make_shift(make_firm())
    owner = make_worker()
    application = apps.apply(actor=owner, shift_id=shift.id)
    db.session.commit()
    login(client, make_worker())
    assert _act(client, application.id, "withdraw").status_code == 404
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "applied"


def test_offer_accept_check_in_out_rate_pay_and_calendar(client, login, make_worker, make_firm,
                                                         make_shift):
    firm = make_firm(name="荣成鑫海水产")
    other_worker = make_worker(name="旁人")
    shift = make_shift(firm, title="夜班冷库装卸", start_in_hours=1, hours=8, unit="day",
                       pay_fen=30000)
    worker = make_worker()
    login(client, worker)
    assert _apply(client, shift.id).status_code == 303
    application = db.session.scalar(select(Application))

    apps.transition(actor=firm, application_id=application.id, action="offer")
    db.session.commit()
    html = page(client, "/me/applications")
    assert "status-offered" in html and f"/me/applications/{application.id}/accept" in html
    assert _act(client, application.id, "accept").status_code == 303
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "confirmed"
    assert db.session.get(Shift, shift.id).filled == 1

    ics = client.get("/me/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    unfolded = ics.get_data(as_text=True).replace("\r\n ", "")
    assert "SUMMARY:夜班冷库装卸 · 荣成鑫海水产" in unfolded

    assert _act(client, application.id, "check-in").status_code == 303
    assert _act(client, application.id, "check-out").status_code == 303
    db.session.expire_all()
    done = db.session.get(Application, application.id)
    assert done.status == "checked_in" and done.attendance.checked_out_at is not None

    apps.transition(actor=firm, application_id=application.id, action="complete")
    db.session.commit()

    html = page(client, "/me/applications?tab=done")
    assert f"/me/applications/{application.id}/rate" in html
    bad = submit(client, "/me/applications?tab=done", {"comment": "没打分"},
                 post_url=f"/me/applications/{application.id}/rate?tab=done")
    assert bad.status_code == 422
    assert 'class="error"' in bad.get_data(as_text=True)
    good = submit(client, "/me/applications?tab=done", {"score": "5", "comment": "准时结算"},
                  post_url=f"/me/applications/{application.id}/rate?tab=done")
    assert good.status_code == 303
    rating = db.session.scalar(select(Rating))
    assert rating.score == 5 and rating.rater == "worker"
    assert f"/me/applications/{application.id}/rate" not in page(client,
                                                                 "/me/applications?tab=done")

    html = page(client, "/me/pay")
    assert "夜班冷库装卸" in html
    assert html.count("¥300") >= 2  # the row and the earned total

    # Messages: the offer reached the worker, and opening the page marks it read.
    html = page(client, "/me/notifications")
    assert "夜班冷库装卸" in html and "unread" in html
    assert "unread" not in page(client, "/me/notifications").split("<main", 1)[1]

    # No page shows another user's full phone number.
    for url in ("/me/feed", "/me/applications?tab=all", "/me/pay", "/me/notifications",
                "/me/profile", "/me/availability", f"/shifts/{shift.id}", "/shifts", "/"):
        response = client.get(url, follow_redirects=True)
        html = response.get_data(as_text=True)
        for phone in (firm.phone, other_worker.phone):
            assert phone not in html, url
