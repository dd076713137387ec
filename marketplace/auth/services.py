"""Accounts: registration, authentication, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.admin.services import record
from marketplace.auth.models import ApiToken, Role, User, UserStatus
from marketplace.auth.passwords import hash_password, needs_rehash, verify_password
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, Forbidden, Unauthorized, ValidationFailed
from marketplace.extensions import db
from marketplace.firms.models import Firm
from marketplace.taxonomy import FIRM_SIZE_CODES
from marketplace.validators import valid_credit_code, valid_phone
from marketplace.workers.models import WorkerProfile

MIN_PASSWORD_LENGTH = 8


def _check_account_fields(phone: str, password: str, name: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not valid_phone(phone):
        errors["phone"] = [N_("Enter an 11-digit mainland mobile number")]
    if len(password or "") < MIN_PASSWORD_LENGTH or len(password) > 128:
        errors["password"] = [N_("Use %(min)d to 128 characters", min=MIN_PASSWORD_LENGTH)]
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


def change_password(*, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(N_("Current password is wrong"),
                               fields={"current": [N_("Wrong password")]})
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(N_("Password too short"),
                               fields={"new": [N_("At least 8 characters")]})
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    revoke_all_tokens(user)
    record(actor=user, action="user.password_change", target_type="user", target_id=user.id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, user: User, ttl_days: int) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(token),
            expires_at=utcnow() + dt.timedelta(days=ttl_days),
        )
    )
    return token


def user_for_token(token: str) -> User | None:
    """The active user of a live token, in one query (it runs on every API request)."""
    return db.session.scalar(
        select(User).join(ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(), User.status == UserStatus.ACTIVE,
        )
    )


def revoke_all_tokens(user: User) -> None:
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def create_admin(*, phone: str, password: str, name: str) -> User:
    errors = _check_account_fields(phone, password, name)
    if errors:
        raise ValidationFailed(N_("Invalid admin details"), fields=errors)
    user = _new_user(phone=phone, password=password, name=name, role=Role.ADMIN)
    db.session.flush()
    record(actor=None, action="admin.create", target_type="user", target_id=user.id)
    return user
