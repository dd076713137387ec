"""Administration: audit log page, firm verification, account suspension."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from marketplace.audit.models import AuditLog
from marketplace.audit.services import record
from marketplace.auth.models import Role, User, UserStatus
from marketplace.db import utcnow
from marketplace.errors import N_, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.firms.models import Firm, Verification
from marketplace.notifications.services import notify


def require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise NotFound(N_("Not found"))


def set_verification(row: Any, *, approve: bool, note: str) -> bool:
    """Record the city's decision on a firm or an agency (rows with `verification_status`,
    `verification_note`, `verified_at`) by a conditional UPDATE. False when that decision
    was already in force, perhaps made by a request racing this one: it is made once."""
    if not approve and not note.strip():
        raise ValidationFailed(
            N_("Give a reason for rejecting"), fields={"note": [N_("Give a reason for rejecting")]}
        )
    model = type(row)
    target = Verification.VERIFIED if approve else Verification.REJECTED
    decided = db.session.execute(
        update(model).where(model.id == row.id, model.verification_status != target)
        .values(verification_status=target, verification_note=note.strip() or None,
                verified_at=utcnow() if approve else None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    return decided == 1


def decide_firm(*, actor: User, firm_id: int, approve: bool, note: str = "") -> Firm:
    require_admin(actor)
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise NotFound(N_("Firm not found"))
    if not set_verification(firm, approve=approve, note=note):
        return firm
    record(
        actor=actor,
        action="firm.verify" if approve else "firm.reject",
        target_type="firm",
        target_id=firm.id,
        note=note.strip(),
    )
    members = db.session.scalars(select(User).where(User.firm_id == firm.id)).all()
    for member in members:
        notify(
            user_id=member.id,
            kind="firm_verified" if approve else "firm_rejected",
            message=("firm_verified" if approve else "firm_rejected"),
            link="/firm/",
        )
    return firm


def set_user_status(*, actor: User, user_id: int, suspended: bool, reason: str = "") -> User:
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found"))
    if user.id == actor.id:
        raise Forbidden(N_("You cannot suspend your own account"))
    target = UserStatus.SUSPENDED if suspended else UserStatus.ACTIVE
    changes = {"status": target}
    if suspended:  # every cookie and remember-me token stops working
        changes["session_version"] = User.session_version + 1
    moved = db.session.execute(
        update(User).where(User.id == user.id, User.status != target).values(**changes)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(user)
    if moved != 1:  # already so, perhaps by a request racing this one: done once
        return user
    if suspended:
        from marketplace.auth.services import revoke_all_tokens

        revoke_all_tokens(user)
    record(
        actor=actor,
        action="user.suspend" if suspended else "user.restore",
        target_type="user",
        target_id=user.id,
        reason=reason.strip(),
    )
    return user


def list_firms(*, actor: User, status: str | None, page: int, per_page: int):
    require_admin(actor)
    query = select(Firm).order_by(Firm.created_at.desc(), Firm.id.desc())
    if status:
        query = query.where(Firm.verification_status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def list_users(*, actor: User, role: str | None, q: str | None, page: int, per_page: int):
    require_admin(actor)
    query = (select(User).options(selectinload(User.firm), selectinload(User.labor_base))
             .order_by(User.id.desc()))
    if role:
        query = query.where(User.role == role)
    if q:
        like = f"%{q.strip()}%"
        query = query.where((User.name.ilike(like)) | (User.phone.like(like)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def list_audit(*, actor: User, page: int, per_page: int, action: str | None = None):
    require_admin(actor)
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        query = query.where(AuditLog.action == action)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def pending_firm_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Firm).where(
            Firm.verification_status == Verification.PENDING
        )
    ) or 0


def dashboard_counts(*, actor: User) -> dict[str, int]:
    """The admin start page's numbers: each one a single COUNT query."""
    from marketplace.shifts.models import Application, Shift, ShiftStatus
    from marketplace.timeutil import local_day_bounds, to_local

    require_admin(actor)
    now = utcnow()
    day_start, day_end = local_day_bounds(to_local(now).date())

    def count(query) -> int:
        return db.session.scalar(query) or 0

    return {
        "pending_firms": pending_firm_count(),
        "open_shifts": count(select(func.count()).select_from(Shift).where(
            Shift.status == ShiftStatus.OPEN, Shift.starts_at > now)),
        "workers": count(select(func.count()).select_from(User).where(
            User.role == Role.WORKER, User.status == UserStatus.ACTIVE)),
        "applications_today": count(select(func.count()).select_from(Application).where(
            Application.created_at >= day_start, Application.created_at < day_end)),
        "suspended_users": count(select(func.count()).select_from(User).where(
            User.status == UserStatus.SUSPENDED)),
    }


def actor_names(actor_ids: list[int]) -> dict[int, User]:
    """The users who acted in a page of the audit log, in one query."""
    ids = sorted({i for i in actor_ids if i is not None})
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


PRIORITY_BOOST = "priority_boost"
MAX_PRIORITY_BOOST = 0.2  # the boost may raise a score by at most 20 %


def priority_boost() -> float:
    """The boost for verified priority-group workers in firms' candidate lists (0 = off)."""
    from marketplace.admin.models import Setting

    setting = db.session.get(Setting, PRIORITY_BOOST)
    if setting is None or not setting.value.get("enabled"):
        return 0.0
    return min(float(setting.value.get("weight", 0.0)), MAX_PRIORITY_BOOST)


def priority_boost_setting() -> dict:
    """The stored boost setting as the administrator sees it: switched on, and its weight."""
    from marketplace.admin.models import Setting

    setting = db.session.get(Setting, PRIORITY_BOOST)
    value = (setting.value if setting is not None else None) or {}
    return {"enabled": bool(value.get("enabled")), "weight": float(value.get("weight", 0.0)),
            "effective": priority_boost(), "max": MAX_PRIORITY_BOOST,
            "updated_at": setting.updated_at if setting is not None else None}


def set_priority_boost(*, actor: User, enabled: bool, weight: float) -> dict:
    from marketplace.admin.models import Setting

    require_admin(actor)
    if not 0.0 <= weight <= MAX_PRIORITY_BOOST:
        raise ValidationFailed(
            N_("The boost must be between 0 and %(max)s", max=format(MAX_PRIORITY_BOOST, ".0%")),
            fields={"weight": [N_("Between 0 and %(max)s", max=format(MAX_PRIORITY_BOOST, ".0%"))]})
    setting = db.session.get(Setting, PRIORITY_BOOST) or Setting(key=PRIORITY_BOOST)
    previous = dict(setting.value or {})
    setting.value = {"enabled": bool(enabled), "weight": round(weight, 3)}
    setting.updated_by_id = actor.id
    db.session.add(setting)
    record(actor=actor, action="policy.priority_boost", target_type="setting", target_id=None,
           previous=previous, current=setting.value)
    return setting.value
