"""API tokens (logout, list, revoke), password changes that sign out every other session and
token, and the password policy (length, common passwords, the phone number)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.admin.models import AuditLog
from marketplace.auth.models import ApiToken, User
from marketplace.auth.passwords import common_passwords, password_problems, verify_password
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_from, new_phone

NEW_PASSWORD = "tide-harbour-lantern-5"


def _token(client, user, password: str = TEST_PASSWORD, **extra) -> str:
    response = client.post("/api/v1/auth/token",
                           json={"phone": user.phone, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(client, token: str) -> int:
    return client.get("/api/v1/me", headers=_bearer(token)).status_code


# --- tokens ----------------------------------------------------------------------------------

def test_api_logout_revokes_the_token_sent_and_only_it(client, make_worker):
    worker = make_worker()
    first, second = _token(client, worker), _token(client, worker)
    assert client.delete("/api/v1/auth/token", headers=_bearer(first)).status_code == 204
    response = client.get("/api/v1/me", headers=_bearer(first))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    assert client.delete("/api/v1/auth/token", headers=_bearer(first)).status_code == 401
    assert _me(client, second) == 200
    assert client.delete("/api/v1/auth/token").status_code == 401  # no token at all


def test_the_token_list_shows_the_accounts_live_tokens_never_the_tokens(client, make_worker):
    worker, other = make_worker(), make_worker()
    phone_app = _token(client, worker, label="张师傅的手机")
    browser = client.post("/api/v1/auth/token", headers={"User-Agent": "Feed reader/2.1"},
                          json={"phone": worker.phone, "password": TEST_PASSWORD})
    browser = browser.get_json()["token"]
    revoked = _token(client, worker)
    client.delete("/api/v1/auth/token", headers=_bearer(revoked))
    others = _token(client, other)

    response = client.get("/api/v1/auth/tokens", headers=_bearer(phone_app))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    items = response.get_json()["items"]
    assert [item["label"] for item in items] == ["Feed reader/2.1", "张师傅的手机"]  # newest first
    assert [item["current"] for item in items] == [False, True]
    assert [item["prefix"] for item in items] == [browser[:6], phone_app[:6]]
    assert set(items[0]) == {"id", "prefix", "label", "created_at", "last_used_at",
                             "expires_at", "current"}
    for token in (phone_app, browser, revoked, others):
        assert token not in body and token[6:20] not in body
    own_ids = set(db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == worker.id)))
    assert {item["id"] for item in items} < own_ids
    # issuing a token is its first use; later uses are recorded at most once a minute
    assert all(item["last_used_at"] == item["created_at"] for item in items)


def test_a_tokens_use_is_recorded_at_most_once_a_minute(client, make_worker):
    import datetime as dt

    worker = make_worker()
    token = _token(client, worker)
    row = db.session.get(ApiToken, _token_id(token))
    issued = row.last_used_at
    assert _me(client, token) == 200
    db.session.refresh(row)
    assert row.last_used_at == issued  # used again within the minute: no write
    row.last_used_at = issued - dt.timedelta(minutes=5)
    db.session.commit()
    assert _me(client, token) == 200
    db.session.refresh(row)
    assert row.last_used_at > issued - dt.timedelta(minutes=5)


def test_revoking_a_token_by_id_works_on_own_tokens_only(client, make_worker, make_admin):
    worker, other, admin = make_worker(), make_worker(), make_admin()
    current, spare = _token(client, worker), _token(client, worker)
    others, admins = _token(client, other), _token(client, admin)
    spare_id = _token_id(spare)

    # another account's token, even an administrator's request: 404, and it keeps working
    for token in (others, admins):
        response = client.delete(f"/api/v1/auth/tokens/{spare_id}", headers=_bearer(token))
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert _me(client, spare) == 200
    for missing in (999_999, 2**40):
        assert client.delete(f"/api/v1/auth/tokens/{missing}",
                             headers=_bearer(current)).status_code == 404

    assert client.delete(f"/api/v1/auth/tokens/{spare_id}",
                         headers=_bearer(current)).status_code == 204
    assert _me(client, spare) == 401
    assert _me(client, current) == 200
    # again: nothing more to do, still not an error
    assert client.delete(f"/api/v1/auth/tokens/{spare_id}",
                         headers=_bearer(current)).status_code == 204
    listed = client.get("/api/v1/auth/tokens", headers=_bearer(current)).get_json()["items"]
    assert [item["id"] for item in listed] == [_token_id(current)]
    assert db.session.scalar(select(AuditLog.id).where(
        AuditLog.action == "user.token_revoke")) is not None


def _token_id(token: str) -> int:
    import hashlib

    digest = hashlib.sha256(token.encode()).hexdigest()
    return db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest))


# --- password changes ------------------------------------------------------------------------

def _signed_in_copy(app, cookie):
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def test_a_password_change_on_the_page_signs_out_every_other_session_and_token(
        app, client, make_worker, login):
    worker = make_worker()
    token = _token(client, worker)
    second = app.test_client()
    login(second, worker)
    assert second.get("/me/feed").status_code == 200
    stolen = second.get_cookie("session")

    login(client, worker)
    page = client.get("/account/password")
    assert page.status_code == 200
    response = client.post("/account/password", data={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert client.get("/me/feed").status_code == 200  # this session stays signed in

    for signed_out in (second, _signed_in_copy(app, stolen)):
        response = signed_out.get("/me/feed")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _me(client, token) == 401
    db.session.expire_all()
    assert verify_password(db.session.get(User, worker.id).password_hash, NEW_PASSWORD)
    fresh = app.test_client()
    assert fresh.post("/api/v1/auth/token", json={"phone": worker.phone,
                                                  "password": TEST_PASSWORD}).status_code == 401
    assert _token(fresh, worker, NEW_PASSWORD)


def test_a_password_change_through_the_api_keeps_only_the_token_it_came_with(
        app, client, make_worker, login):
    worker = make_worker()
    current, other = _token(client, worker), _token(client, worker)
    browser = app.test_client()
    login(browser, worker)
    response = client.post("/api/v1/auth/password", headers=_bearer(current),
                           json={"current_password": TEST_PASSWORD,
                                 "new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.get_json()
    assert _me(client, current) == 200
    assert _me(client, other) == 401
    assert browser.get("/me/feed").status_code == 302
    assert db.session.scalar(select(AuditLog.id).where(
        AuditLog.action == "user.password_change")) is not None


def test_a_wrong_current_password_is_refused_and_counts_as_a_failed_sign_in(client,
                                                                            make_worker):
    worker = make_worker()
    token = _token(client, worker)
    codes = []
    for _ in range(20):
        response = client.post("/api/v1/auth/password", headers=_bearer(token),
                               json={"current_password": "not-my-password-1",
                                     "new_password": NEW_PASSWORD})
        codes.append(response.status_code)
    assert codes == [422] * 20
    error = response.get_json()["error"]
    assert error["code"] == "wrong_password" and "current_password" in error["fields"]
    # 20 wrong guesses: the account is locked on every route, the password did not change
    assert client.post("/api/v1/auth/password", headers=_bearer(token), json={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}).status_code == 429
    assert client.post("/api/v1/auth/token", json={
        "phone": worker.phone, "password": TEST_PASSWORD}).status_code == 429
    db.session.expire_all()
    assert verify_password(db.session.get(User, worker.id).password_hash, TEST_PASSWORD)


def test_the_password_page_explains_refusals_in_chinese(client, make_worker, login):
    worker = make_worker()
    login(client, worker)

    def change(current: str, new: str, confirm: str | None = None):
        page = client.get("/account/password").get_data(as_text=True)
        return client.post("/account/password", data={
            "current_password": current, "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "csrf_token": csrf_from(page)})

    response = change("not-my-password-1", NEW_PASSWORD)
    assert response.status_code == 422 and "当前密码错误" in response.get_data(as_text=True)
    response = change(TEST_PASSWORD, "Password123")
    assert response.status_code == 422
    assert "该密码过于常见" in response.get_data(as_text=True)
    response = change(TEST_PASSWORD, worker.phone)
    assert response.status_code == 422
    assert "请不要用手机号作密码" in response.get_data(as_text=True)
    response = change(TEST_PASSWORD, NEW_PASSWORD, confirm="tide-harbour-lantern-6")
    assert response.status_code == 422
    assert "两次输入的新密码不一致" in response.get_data(as_text=True)
    assert client.get("/me/feed").status_code == 200  # refusals do not sign anyone out


def test_the_password_page_needs_a_signed_in_user(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the password policy ---------------------------------------------------------------------

def test_the_shipped_list_holds_thousands_of_common_passwords():
    words = common_passwords()
    assert len(words) > 5000
    assert {"password", "12345678", "qwertyuiop", "1qaz2wsx", "woaini1314", "password123",
            "88888888", "a123456789"} <= words
    assert all(len(word) >= 8 and word == word.lower() for word in words)
    from marketplace.auth.passwords import COMMON_PASSWORDS_FILE

    header = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()[2]
    assert header == f"# {len(words)} entries, all 8+ printable ASCII characters (shorter ones " \
                     "are refused by length):"


@pytest.mark.parametrize("password", ["password", "PASSWORD1", "Woaini1314", "qwerty123",
                                      "1q2w3e4r5t", "11111111", "87654321", "zxcvbnm123"])
def test_common_passwords_are_refused(password):
    assert password_problems(password, phone="13800000000")


def test_short_passwords_and_the_phone_number_are_refused_good_ones_pass():
    assert password_problems("a-B-3", phone="13800000000")
    assert password_problems("13800000000", phone="13800000000")
    assert password_problems("13800000000a", phone="13800000000")
    assert password_problems("x" * 129)
    assert password_problems(NEW_PASSWORD, phone="13800000000") == []
    assert password_problems(TEST_PASSWORD, phone="13800000000") == []


def test_registration_refuses_common_passwords_with_a_clear_message(client):
    response = client.post("/api/v1/auth/register", json={
        "phone": new_phone(), "password": "password123", "role": "worker", "name": "刘师傅"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "most common" in error["fields"]["password"][0]
    phone = new_phone()
    response = client.post("/api/v1/auth/register", json={
        "phone": phone, "password": phone, "role": "worker", "name": "刘师傅"})
    assert response.status_code == 422 and "phone number" in response.get_json()[
        "error"]["fields"]["password"][0]

    page = client.get("/register/worker").get_data(as_text=True)
    response = client.post("/register/worker", data={
        "name": "刘师傅", "phone": new_phone(), "password": "woaini1314",
        "csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert "该密码过于常见，容易被猜到，请换一个。" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.name == "刘师傅")) is None


def test_partner_accounts_and_administrators_follow_the_policy(make_admin):
    from marketplace.auth.services import create_admin
    from marketplace.laborbases import services as bases

    admin = make_admin()
    base = bases.create_base(actor=admin, data={
        "name": "甲劳务基地", "province": "甘肃", "city": "定西市", "partner_org": "定西市人社局"})
    with pytest.raises(ValidationFailed) as refused:
        bases.create_partner(actor=admin, base_id=base.id, phone=new_phone(), name="联络员",
                             password="iloveyou1")
    assert "password" in refused.value.fields
    with pytest.raises(ValidationFailed):
        create_admin(phone=new_phone(), password="admin123456", name="管理员")


def test_the_openapi_document_lists_the_new_routes_and_their_codes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    def codes(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"204", "401", "403"} <= codes("/auth/token", "delete")
    assert {"200", "401", "403"} <= codes("/auth/tokens", "get")
    assert {"204", "401", "403", "404"} <= codes("/auth/tokens/{token_id}", "delete")
    assert {"204", "401", "403", "409", "422", "429"} <= codes("/auth/password", "post")
    assert {"409", "422", "429"} <= codes("/auth/register", "post")
    assert {"401", "422", "429"} <= codes("/auth/token", "post")
    item = paths["/auth/tokens"]["get"]["responses"]["200"]["content"]["application/json"]
    assert item["schema"]


def test_passwords_with_unusable_characters_are_refused_not_a_500(client, make_worker):
    worker = make_worker()
    for password in ("sea-breeze\ud800-7", "sea-breeze\u0000-7"):
        response = client.post("/api/v1/auth/token",
                               json={"phone": worker.phone, "password": password})
        assert response.status_code in (401, 422), response.status_code
        response = client.post("/api/v1/auth/register", json={
            "phone": new_phone(), "password": password, "role": "worker", "name": "刘师傅"})
        assert response.status_code == 422, response.status_code
        # refused by the central text check before the password policy sees it
        assert response.get_json()["error"]["fields"]["password"]
