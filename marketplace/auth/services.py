"""Accounts: registration, authentication, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.audit.services import record
from marketplace.auth.limits import note_failed_guess
from marketplace.auth.models import ApiToken, Role, User, UserStatus
from marketplace.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from marketplace.extensions import db
from marketplace.firms.models import Firm
from marketplace.taxonomy import FIRM_SIZE_CODES
from marketplace.validators import valid_credit_code, valid_phone
from marketplace.workers.models import WorkerProfile

TOKEN_PREFIX_CHARS = 6  # shown to the owner in the list of tokens; the rest is never stored
TOKEN_TOUCH_SECONDS = 60  # how stale a token's last_used_at may get before it is rewritten
MAX_ID = 2**31 - 1


def _check_account_fields(phone: str, password: str, name: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not valid_phone(phone):
        errors["phone"] = [N_("Enter an 11-digit mainland mobile number")]
    problems = password_problems(password, phone=(phone or "").strip())
    if problems:
        errors["password"] = problems
    if not (name or "").strip() or len(name.strip()) > 80:
        errors["name"] = [N_("Enter a name of up to 80 characters")]
    return errors


def _new_user(*, phone: str, password: str, name: str, role: Role) -> User:
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise Conflict(
            N_("This phone number is already registered"),
            code="phone_taken",
            fields={"phone": [N_("This phone number is already registered")]},
        )
    user = User(phone=phone, password_hash=hash_password(password), name=name.strip(), role=role)
    db.session.add(user)
    return user


def _flush_or_conflict(message: str, code: str, field: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code=code, fields={field: [message]}) from exc


def register_worker(*, phone: str, password: str, name: str) -> User:
    errors = _check_account_fields(phone, password, name)
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    user = _new_user(phone=phone, password=password, name=name, role=Role.WORKER)
    user.worker_profile = WorkerProfile()
    _flush_or_conflict(N_("This phone number is already registered"), "phone_taken", "phone")
    record(actor=user, action="user.register", target_type="user", target_id=user.id, role="worker")
    return user


def register_firm(
    *,
    phone: str,
    password: str,
    name: str,
    firm_name: str,
    credit_code: str,
    size: str,
    industry: str,
    district: str | None = None,
    address: str | None = None,
) -> User:
    errors = _check_account_fields(phone, password, name)
    credit_code = (credit_code or "").strip().upper()
    if not valid_credit_code(credit_code):
        errors["credit_code"] = [N_("Enter a valid 18-character unified social credit code")]
    if size not in FIRM_SIZE_CODES:
        errors["size"] = [N_("Choose the firm's size")]
    if not (industry or "").strip():
        errors["industry"] = [N_("Choose the firm's industry")]
    if not (firm_name or "").strip():
        errors["firm_name"] = [N_("Enter the firm's registered name")]
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    if db.session.scalar(select(Firm.id).where(Firm.credit_code == credit_code)) is not None:
        raise Conflict(
            N_("A firm with this credit code is already registered"),
            code="credit_code_taken",
            fields={"credit_code": [N_("A firm with this credit code is already registered")]},
        )
    from marketplace.taxonomy import DISTRICTS_BY_CODE

    centre = DISTRICTS_BY_CODE.get(district or "")
    firm = Firm(
        name=firm_name.strip(),
        credit_code=credit_code,
        size=size,
        industry=industry.strip(),
        district=district if centre else None,
        address=(address or "").strip() or None,
        lat=centre.lat if centre else None,
        lon=centre.lon if centre else None,
    )
    db.session.add(firm)
    user = _new_user(phone=phone, password=password, name=name, role=Role.FIRM)
    user.firm = firm
    _flush_or_conflict(N_("This phone number or credit code is already registered"), "taken",
                       "phone")
    record(actor=user, action="firm.register", target_type="firm", target_id=firm.id)
    return user


def authenticate(*, phone: str, password: str) -> User:
    """Return the user for these credentials, or raise Unauthorized / Forbidden."""
    user = db.session.scalar(select(User).where(User.phone == (phone or "").strip()))
    if not verify_password(user.password_hash if user else None, password or ""):
        raise Unauthorized(N_("Wrong phone number or password"), code="invalid_credentials")
    assert user is not None
    if user.status == UserStatus.SUSPENDED:
        raise Forbidden(N_("This account is suspended. Contact the city's service desk."),
                        code="account_suspended")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie and remember-me cookie issued to this user."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.refresh(user)


def change_password(*, user: User, current: str, new: str,
                    keep_token_id: int | None = None) -> None:
    """Set a new password; every other session and token of the account stops working.

    The session version is bumped (the caller signs its own session in again) and every token
    but `keep_token_id` (the one a change through the API came with) is revoked. The write is
    conditional on the hash the current password was checked against, so two concurrent
    changes cannot both succeed.
    """
    checked_hash = user.password_hash
    if not verify_password(checked_hash, current or ""):
        note_failed_guess()
        wrong = N_("Your current password is wrong")
        raise ValidationFailed(wrong, code="wrong_password", fields={"current_password": [wrong]})
    problems = password_problems(new, phone=user.phone)
    if problems:
        raise ValidationFailed(problems[0], code="weak_password",
                               fields={"new_password": problems})
    changed = db.session.execute(
        update(User).where(User.id == user.id, User.password_hash == checked_hash)
        .values(password_hash=hash_password(new), session_version=User.session_version + 1)
    ).rowcount
    if changed != 1:
        raise Conflict(N_("The password was changed at the same time. Please try again."),
                       code="password_changed")
    db.session.refresh(user)
    revoke_all_tokens(user, except_id=keep_token_id)
    record(actor=user, action="user.password_change", target_type="user", target_id=user.id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_label(label: str | None) -> str | None:
    text = "".join(ch for ch in (label or "") if ch.isprintable()).strip()
    return text[:80] or None


def issue_token(*, user: User, ttl_days: int, label: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            last_used_at=now,  # issuing it is its first use (and spares a write on the next)
            expires_at=now + dt.timedelta(days=ttl_days),
            prefix=token[:TOKEN_PREFIX_CHARS],
            label=_clean_label(label),
        )
    )
    return token


def _live_token_clauses() -> tuple:
    return ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()


def authenticate_token(token: str) -> tuple[User, ApiToken] | None:
    """The active user of a live token and the token, in one query (it runs on every API
    request)."""
    row = db.session.execute(
        select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.token_hash == _digest(token), *_live_token_clauses(),
            User.status == UserStatus.ACTIVE,
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def user_for_token(token: str) -> User | None:
    found = authenticate_token(token)
    return found[0] if found is not None else None


def token_needs_touch(api_token: ApiToken) -> bool:
    last = api_token.last_used_at
    return last is None or utcnow() - last > dt.timedelta(seconds=TOKEN_TOUCH_SECONDS)


def touch_token(token_id: int) -> None:
    """Record that a token was used (unless that was recorded less than a minute ago)."""
    now = utcnow()
    db.session.execute(
        update(ApiToken).where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None))
            | (ApiToken.last_used_at < now - dt.timedelta(seconds=TOKEN_TOUCH_SECONDS)),
        ).values(last_used_at=now)
    )


def active_tokens(user: User) -> list[ApiToken]:
    """The account's tokens that still work, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, *_live_token_clauses())
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke_token(*, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens (another account's token: 404, as if absent).
    Revoking a token that is already revoked or expired changes nothing."""
    if not 1 <= token_id <= MAX_ID:
        raise NotFound(N_("Token not found"))
    revoked = db.session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id,
                               ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    ).rowcount
    if revoked:
        record(actor=user, action="user.token_revoke", target_type="user", target_id=user.id,
               token_id=token_id)
        return
    owned = db.session.scalar(select(ApiToken.id).where(ApiToken.id == token_id,
                                                        ApiToken.user_id == user.id))
    if owned is None:
        raise NotFound(N_("Token not found"))


def revoke_all_tokens(user: User, *, except_id: int | None = None) -> None:
    clauses = [ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)]
    if except_id is not None:
        clauses.append(ApiToken.id != except_id)
    db.session.execute(update(ApiToken).where(*clauses).values(revoked_at=utcnow()))


def create_admin(*, phone: str, password: str, name: str) -> User:
    errors = _check_account_fields(phone, password, name)
    if errors:
        raise ValidationFailed(N_("Invalid admin details"), fields=errors)
    user = _new_user(phone=phone, password=password, name=name, role=Role.ADMIN)
    db.session.flush()
    record(actor=None, action="admin.create", target_type="user", target_id=user.id)
    return user
