"""The UI speaks Simplified Chinese by default and English on request; the catalog is complete."""

from __future__ import annotations

import datetime as dt
import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask_babel import force_locale

from marketplace.auth.models import User
from marketplace.errors import N_, Text, translate
from marketplace.extensions import db
from marketplace.shifts import applications as apps
from marketplace.timeutil import LOCAL_TZ
from tests.conftest import TRANSLATIONS, csrf_from, in_hours

ROOT = TRANSLATIONS.parent.parent
PO_PATH = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?[sdifr%]")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, "no <html lang> attribute"
    return match.group(1)


def test_landing_and_login_pages_are_chinese_by_default(client):
    html = page(client, "/")
    assert lang_of(html) == "zh-CN"
    assert "登录" in html and "威海零工市场" in html and "我要找活" in html
    assert "Sign in" not in html and "Find a shift near you" not in html

    login_page = page(client, "/login")
    assert lang_of(login_page) == "zh-CN"
    assert "手机号" in login_page and "密码" in login_page and "登录" in login_page
    assert "Mobile number" not in login_page


def test_switch_to_english_and_back_with_the_language_links(client):
    assert client.get("/lang/en?next=/login").headers["Location"].endswith("/login")
    english = page(client, "/login")
    assert lang_of(english) == "en"
    assert "Sign in" in english and "Mobile number" in english and "登录" not in english
    assert lang_of(page(client, "/")) == "en"  # the choice sticks for the session

    client.get("/lang/zh_CN")
    chinese = page(client, "/login")
    assert lang_of(chinese) == "zh-CN" and "手机号" in chinese

    client.get("/lang/xx")  # an unknown language changes nothing
    assert lang_of(page(client, "/")) == "zh-CN"


def test_lang_query_parameter_switches_and_sticks(client):
    assert lang_of(page(client, "/?lang=en")) == "en"
    assert "Sign in" in page(client, "/login")
    assert lang_of(page(client, "/login?lang=zh_CN")) == "zh-CN"
    assert "登录" in page(client, "/")


def test_worker_feed_in_chinese_and_english(client, login, make_worker, make_firm, make_shift):
    make_shift(make_firm(), title="夜班冷库装卸")
    worker = make_worker()
    login(client, worker)
    html = page(client, "/me/feed")
    assert lang_of(html) == "zh-CN"
    assert "为您推荐的班次" in html and "退出登录" in html and "夜班冷库装卸" in html
    assert "Shifts for you" not in html

    client.get("/lang/en")
    english = page(client, "/me/feed")
    assert "Shifts for you" in english and "Sign out" in english and "夜班冷库装卸" in english
    db.session.expire_all()
    assert db.session.get(User, worker.id).locale == "en"  # remembered on the account


def test_a_signed_in_users_saved_language_applies_in_a_new_session(app, login, make_worker):
    worker = make_worker()
    worker.locale = "en"
    db.session.commit()
    other_device = app.test_client()
    login(other_device, worker)
    assert "Shifts for you" in page(other_device, "/me/feed")


def shift_form(pay: str, **overrides) -> dict:
    day = dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=3)
    data = {
        "title": "冷库搬运工", "category": "logistics", "district": "huancui",
        "starts_at": f"{day}T08:00", "ends_at": f"{day}T17:00", "headcount": "2",
        "pay": pay, "pay_unit": "hour", "settlement": "daily", "skills": ["loading"],
    }
    data.update(overrides)
    return data


def test_service_error_shows_in_chinese_on_the_shift_form(app, client, login, make_firm):
    login(client, make_firm())
    minimum = app.config["MIN_HOURLY_WAGE_FEN"]
    low = f"{(minimum - 100) / 100:.2f}"
    token = csrf_from(page(client, "/firm/shifts/new"))
    response = client.post("/firm/shifts/new",
                           data={**shift_form(low, headcount="0"), "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"工资低于最低工资标准（每小时 {minimum / 100:.2f} 元）" in html
    assert "招聘人数至少为 1 人" in html
    assert "minimum wage" not in html

    token = csrf_from(page(client, "/firm/shifts/new?lang=en"))
    response = client.post("/firm/shifts/new", data={**shift_form(low), "csrf_token": token})
    assert response.status_code == 422
    assert (f"Pay is below the minimum wage of {minimum / 100:.2f} yuan per hour"
            in response.get_data(as_text=True))


def test_the_api_keeps_english_messages(app, client, make_firm, api_token):
    headers = api_token(make_firm())
    starts = in_hours(24)
    response = client.post("/api/v1/shifts", headers=headers, json={
        "title": "装卸", "category": "logistics", "district": "huancui",
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=8)).isoformat(),
        "headcount": 1, "pay_amount_fen": 100, "pay_unit": "hour", "settlement": "daily"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == "Please correct the highlighted fields"
    minimum = app.config["MIN_HOURLY_WAGE_FEN"] / 100
    assert error["fields"]["pay_amount_fen"] == [
        f"Pay is below the minimum wage of {minimum:.2f} yuan per hour"]


def test_a_detailed_error_shows_a_chinese_summary_on_the_web_and_details_in_the_api(
        client, login, make_worker, make_firm, make_shift, api_token):
    shift = make_shift(make_firm())
    worker = make_worker()
    application = apps.apply(actor=worker, shift_id=shift.id)
    apps.transition(actor=worker, application_id=application.id, action="withdraw")
    db.session.commit()

    api = client.post(f"/api/v1/applications/{application.id}/withdraw",
                      headers=api_token(worker))
    assert api.status_code == 409
    assert api.get_json()["error"]["message"].startswith(
        "Cannot withdraw an application that is withdrawn")

    login(client, worker)
    token = csrf_from(page(client, "/me/applications?tab=all"))
    response = client.post(f"/me/applications/{application.id}/withdraw",
                           data={"csrf_token": token}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "该报名当前所处阶段不能进行此操作" in html
    assert "Cannot withdraw" not in html


def test_n_and_text_keep_english_for_the_api_and_translate_on_the_web(app):
    assert N_("Shift not found") == "Shift not found"
    assert type(N_("Shift not found")) is str
    message = N_("Headcount may be at most %(max)d", max=1000)
    assert message == "Headcount may be at most 1000"
    detailed = Text("Cannot accept an application that is withdrawn", N_("Unknown action"))
    with app.test_request_context("/"):
        assert translate("Shift not found") == "未找到该班次"
        assert translate(message) == "招聘人数最多 1000 人"
        assert translate(detailed) == "未知操作"
        assert translate("A message nobody translated") == "A message nobody translated"
        with force_locale("en"):
            assert translate(message) == "Headcount may be at most 1000"


def extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message[0] if isinstance(message, tuple | list) else message)
    return found


def test_the_chinese_catalog_is_complete_and_consistent():
    with PO_PATH.open("rb") as po_file:
        catalog = read_po(po_file)
    assert catalog.plural_forms.startswith("nplurals=1")
    untranslated, fuzzy, broken = [], [], []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(key)
        if message.fuzzy:
            fuzzy.append(key)
        wanted = sorted(PLACEHOLDER.findall(key))
        if any(sorted(PLACEHOLDER.findall(s)) != wanted for s in strings if s):
            broken.append(key)
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    not_in_catalog = sorted(extracted_msgids() - translated)
    how = ("run `pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o "
           "marketplace/translations/messages.pot .` and `pybabel update -i "
           "marketplace/translations/messages.pot -d marketplace/translations`, then translate")
    assert not not_in_catalog, f"strings missing from the catalog ({how}): {not_in_catalog}"
    assert not untranslated, f"untranslated msgids: {untranslated}"
    assert not fuzzy, f"fuzzy entries (check and remove the flag): {fuzzy}"
    assert not broken, f"placeholders differ between msgid and msgstr: {broken}"
