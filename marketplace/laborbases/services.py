"""Labor bases: the registry, partner accounts, arriving cohorts and the workers' base tags.

Who may do what:
- administrators keep the registry (create, edit), create partner accounts and see every
  base and cohort;
- a partner (a user of a base's partner organisation) sees and manages only its own base's
  cohorts; another base's cohort is "not found";
- an HR agency (once verified) registers cohorts for any base and manages the ones it
  registered;
- a worker sees the cohorts they were attached to and accepts or declines the tag;
- firms see upcoming cohorts (counts, skills, needs; never the members).

Services flush, never commit; they raise DomainError subclasses.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import case, exists, func, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.admin.services import require_admin
from marketplace.audit.services import record
from marketplace.auth.models import Role, User, UserStatus
from marketplace.auth.passwords import hash_password, password_problems
from marketplace.db import utcnow
from marketplace.errors import (
    N_,
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.laborbases.models import (
    BaseKind,
    Cohort,
    CohortMember,
    CohortSkill,
    CohortStatus,
    LaborBase,
    MemberStatus,
)
from marketplace.notifications.services import notify
from marketplace.shifts.models import Shift, ShiftStatus
from marketplace.taxonomy import DISTRICT_CODES, HOME_PROVINCE, PROVINCES, SKILL_CODES
from marketplace.timeutil import LOCAL_TZ
from marketplace.validators import valid_phone

BASE_FIELDS = ("name", "kind", "province", "city", "partner_org", "contact_name",
               "contact_phone")
BASE_KINDS = tuple(k.value for k in BaseKind)
# Out-of-province: the registry is for bases and regions that send workers to Shandong.
BASE_PROVINCES = tuple(p for p in PROVINCES if p != HOME_PROVINCE)
CONTACT_PHONE_RE = re.compile(r"^[0-9][0-9 \-]{5,18}[0-9]$")
MAX_COHORT_HEADCOUNT = 2000
COHORT_DAYS_BACK = 366  # a cohort may be recorded up to a year after it arrived
COHORT_DAYS_AHEAD = 366
UPCOMING_DAYS_BACK = 7  # firms' list: cohorts arriving from a week ago on ("just arrived")


def today_local() -> dt.date:
    return utcnow().astimezone(LOCAL_TZ).date()


# --------------------------------------------------------------------------- registry


def _clean(value: Any) -> str:
    return str(value or "").strip()


def validate_base(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, limit in (("name", 120), ("city", 40), ("partner_org", 120)):
        if field in data and not 1 <= len(_clean(data[field])) <= limit:
            errors[field] = [N_("Enter up to %(n)d characters", n=limit)]
    if "province" in data and data["province"] not in BASE_PROVINCES:
        errors["province"] = [N_("Choose a province outside Shandong")]
    if "kind" in data and data["kind"] not in BASE_KINDS:
        errors["kind"] = [N_("Choose labor base or labor-cooperation region")]
    if "contact_name" in data and len(_clean(data["contact_name"])) > 40:
        errors["contact_name"] = [N_("Enter up to %(n)d characters", n=40)]
    phone = _clean(data.get("contact_phone"))
    if phone and not CONTACT_PHONE_RE.match(phone):
        errors["contact_phone"] = [N_("Enter a telephone number (digits, spaces or dashes)")]
    return errors


def _apply_base(base: LaborBase, data: dict[str, Any]) -> list[str]:
    changed = []
    for field in BASE_FIELDS:
        if field not in data:
            continue
        value = _clean(data[field]) or None
        if field in ("name", "city", "partner_org", "province", "kind"):
            value = value or ""
        if getattr(base, field) != value:
            setattr(base, field, value)
            changed.append(field)
    return changed


def _insert(obj, error: DomainError) -> None:
    """Add and insert `obj` in a savepoint (begin_nested flushes what is pending first, so the
    object is added inside it); a constraint violation (a concurrent request won) rolls back
    only the savepoint, forgets `obj` and raises `error`."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError as exc:
        if obj in db.session:
            db.session.expunge(obj)
        raise error from exc


def _name_taken() -> Conflict:
    message = N_("A labor base with this name is already registered")
    return Conflict(message, code="name_taken", fields={"name": [message]})


def _check_name_free(name: str, base_id: int | None = None) -> None:
    query = select(LaborBase.id).where(LaborBase.name == name)
    if base_id is not None:
        query = query.where(LaborBase.id != base_id)
    if db.session.scalar(query) is not None:
        raise _name_taken()


def create_base(*, actor: User, data: dict[str, Any]) -> LaborBase:
    require_admin(actor)
    data = {k: v for k, v in data.items() if k in BASE_FIELDS}
    data.setdefault("kind", BaseKind.LABOR_BASE.value)
    errors = validate_base(data)
    for field in ("name", "province", "city", "partner_org"):
        if not _clean(data.get(field)) and field not in errors:
            errors[field] = [N_("Required")]
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    base = LaborBase()
    _apply_base(base, data)
    _check_name_free(base.name)
    _insert(base, _name_taken())
    record(actor=actor, action="labor_base.create", target_type="labor_base",
           target_id=base.id, name=base.name, province=base.province, kind=base.kind)
    return base


def update_base(*, actor: User, base_id: int, changes: dict[str, Any]) -> LaborBase:
    require_admin(actor)
    base = db.session.get(LaborBase, base_id)
    if base is None:
        raise NotFound(N_("Labor base not found"))
    changes = {k: v for k, v in changes.items() if k in BASE_FIELDS}
    errors = validate_base(changes)
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    if "name" in changes:
        _check_name_free(_clean(changes["name"]), base.id)
    changed = _apply_base(base, changes)
    db.session.flush()
    if changed:
        record(actor=actor, action="labor_base.update", target_type="labor_base",
               target_id=base.id, fields=changed)
    return base


def get_base(*, actor: User, base_id: int) -> LaborBase:
    """Administrators see any base; a partner only its own; anyone else: not found."""
    base = db.session.get(LaborBase, base_id)
    if base is None or not (actor.role == Role.ADMIN or (
            actor.role == Role.PARTNER and actor.labor_base_id == base.id)):
        raise NotFound(N_("Labor base not found"))
    return base


def list_bases(*, actor: User, province: str | None = None, kind: str | None = None,
               q: str | None = None, page: int = 1, per_page: int = 50):
    require_admin(actor)
    query = select(LaborBase).order_by(LaborBase.kind, LaborBase.province, LaborBase.name)
    if province:
        query = query.where(LaborBase.province == province)
    if kind:
        query = query.where(LaborBase.kind == kind)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(LaborBase.name.like(like), LaborBase.city.like(like),
                                LaborBase.partner_org.like(like)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def registry() -> list[LaborBase]:
    """Every registry entry, for pickers (names, provinces and partner organisations are
    public information)."""
    return list(db.session.scalars(
        select(LaborBase).order_by(LaborBase.province, LaborBase.name)))


def base_counts(base_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per base: partner accounts, registered cohorts and workers tagged (grouped queries)."""
    result = {b: {"partners": 0, "cohorts": 0, "workers": 0} for b in base_ids}
    if not base_ids:
        return result
    from marketplace.workers.models import WorkerProfile

    for key, column, model, extra in (
            ("partners", User.labor_base_id, User, User.role == Role.PARTNER),
            ("cohorts", Cohort.labor_base_id, Cohort, Cohort.status == CohortStatus.REGISTERED),
            ("workers", WorkerProfile.labor_base_id, WorkerProfile, true())):
        rows = db.session.execute(
            select(column, func.count()).select_from(model)
            .where(column.in_(base_ids), extra).group_by(column))
        for base_id, n in rows:
            result[base_id][key] = n
    return result


# --------------------------------------------------------------------------- partners


def create_partner(*, actor: User, base_id: int, phone: str, name: str,
                   password: str) -> User:
    """An account of the base's partner organisation (role partner, linked to the base)."""
    require_admin(actor)
    base = db.session.get(LaborBase, base_id)
    if base is None:
        raise NotFound(N_("Labor base not found"))
    phone, name = _clean(phone), _clean(name)
    errors: dict[str, list[str]] = {}
    if not valid_phone(phone):
        errors["phone"] = [N_("Enter an 11-digit mainland mobile number")]
    if not 1 <= len(name) <= 80:
        errors["name"] = [N_("Enter a name of up to 80 characters")]
    problems = password_problems(password, phone=phone)
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    taken = N_("This phone number is already registered")
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise Conflict(taken, code="phone_taken", fields={"phone": [taken]})
    user = User(phone=phone, password_hash=hash_password(password), name=name,
                role=Role.PARTNER, labor_base_id=base.id)
    _insert(user, Conflict(taken, code="phone_taken", fields={"phone": [taken]}))
    record(actor=actor, action="labor_base.partner_create", target_type="labor_base",
           target_id=base.id, user_id=user.id)
    return user


def partners_of(base_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.labor_base_id == base_id, User.role == Role.PARTNER)
        .order_by(User.id)))


def partner_base(actor: User) -> LaborBase:
    if actor.role != Role.PARTNER or actor.labor_base_id is None:
        raise NotFound(N_("Not found"))
    if actor.labor_base is None:
        raise NotFound(N_("Labor base not found"))
    return actor.labor_base


# --------------------------------------------------------------------------- cohorts


def _organiser(actor: User) -> str:
    """'partner' or 'agency' for those who register cohorts; anyone else: not found."""
    if actor.role == Role.PARTNER and actor.labor_base_id is not None:
        return "partner"
    if actor.role == Role.AGENCY and actor.agency_id is not None:
        return "agency"
    raise NotFound(N_("Not found"))


def _require_verified_agency(actor: User) -> None:
    if actor.role == Role.AGENCY and not (actor.agency and actor.agency.is_verified):
        raise Forbidden(N_("Your agency is waiting for verification by the city"),
                        code="agency_not_verified")


def may_see(actor: User, cohort: Cohort) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return may_manage(actor, cohort)


def may_manage(actor: User, cohort: Cohort) -> bool:
    """The base's own partner organisation, or the agency that registered the cohort."""
    if actor.role == Role.PARTNER:
        return actor.labor_base_id is not None and cohort.labor_base_id == actor.labor_base_id
    if actor.role == Role.AGENCY:
        return actor.agency_id is not None and cohort.agency_id == actor.agency_id
    return False


def get_cohort(*, actor: User, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not may_see(actor, cohort):
        raise NotFound(N_("Cohort not found"))
    return cohort


def _own_cohort(actor: User, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not may_manage(actor, cohort):
        raise NotFound(N_("Cohort not found"))
    _require_verified_agency(actor)
    return cohort


def validate_cohort(data: dict[str, Any], *, today: dt.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    arrival = data.get("arrival_date")
    if not isinstance(arrival, dt.date):
        errors["arrival_date"] = [N_("Enter the arrival date")]
    elif not (today - dt.timedelta(days=COHORT_DAYS_BACK) <= arrival
              <= today + dt.timedelta(days=COHORT_DAYS_AHEAD)):
        errors["arrival_date"] = [N_("Within a year of today")]
    headcount = data.get("headcount")
    if not (isinstance(headcount, int) and not isinstance(headcount, bool)
            and 1 <= headcount <= MAX_COHORT_HEADCOUNT):
        errors["headcount"] = [N_("Between 1 and %(max)d people", max=MAX_COHORT_HEADCOUNT)]
    if set(data.get("skills") or []) - SKILL_CODES:
        errors["skills"] = [N_("Unknown skill")]
    if data.get("district") and data["district"] not in DISTRICT_CODES:
        errors["district"] = [N_("Choose a district")]
    if len(_clean(data.get("note"))) > 500:
        errors["note"] = [N_("Enter up to %(n)d characters", n=500)]
    return errors


def create_cohort(*, actor: User, data: dict[str, Any]) -> Cohort:
    """Register a group arriving together. A partner registers for its own base; an agency
    names the base the group comes from (and is recorded on the cohort)."""
    role = _organiser(actor)
    _require_verified_agency(actor)
    errors = validate_cohort(data, today=today_local())
    base_id = data.get("labor_base_id")
    if role == "partner":
        if base_id not in (None, actor.labor_base_id):
            errors["labor_base_id"] = [N_("A partner registers cohorts of its own base only")]
        base_id = actor.labor_base_id
    elif not isinstance(base_id, int) or db.session.get(LaborBase, base_id) is None:
        errors["labor_base_id"] = [N_("Choose a labor base from the registry")]
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    cohort = Cohort(
        labor_base_id=base_id, agency_id=actor.agency_id if role == "agency" else None,
        registered_by_id=actor.id, arrival_date=data["arrival_date"],
        headcount=data["headcount"], district=data.get("district") or None,
        housing_needed=bool(data.get("housing_needed")),
        meals_needed=bool(data.get("meals_needed")), note=_clean(data.get("note")) or None,
        skill_rows=[CohortSkill(code=c) for c in sorted(set(data.get("skills") or []))],
    )
    db.session.add(cohort)
    db.session.flush()
    record(actor=actor, action="cohort.create", target_type="cohort", target_id=cohort.id,
           labor_base_id=base_id, headcount=cohort.headcount,
           arrival_date=cohort.arrival_date.isoformat())
    return cohort


def cancel_cohort(*, actor: User, cohort_id: int) -> Cohort:
    cohort = _own_cohort(actor, cohort_id)
    done = db.session.execute(
        update(Cohort).where(Cohort.id == cohort.id, Cohort.status == CohortStatus.REGISTERED)
        .values(status=CohortStatus.CANCELLED, cancelled_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise InvalidTransition(N_("This cohort is already cancelled"))
    db.session.refresh(cohort)
    record(actor=actor, action="cohort.cancel", target_type="cohort", target_id=cohort.id)
    return cohort


def list_cohorts(*, actor: User, page: int = 1, per_page: int = 20,
                 base_id: int | None = None):
    """The cohorts the actor may see, latest arrival first."""
    if actor.role == Role.ADMIN:
        scope = true()
    elif _organiser(actor) == "partner":
        scope = Cohort.labor_base_id == actor.labor_base_id
    else:
        scope = Cohort.agency_id == actor.agency_id
    query = select(Cohort).where(scope).order_by(Cohort.arrival_date.desc(), Cohort.id.desc())
    if base_id is not None:
        query = query.where(Cohort.labor_base_id == base_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def members_of(*, actor: User, cohort_id: int) -> list[CohortMember]:
    cohort = get_cohort(actor=actor, cohort_id=cohort_id)
    return list(db.session.scalars(
        select(CohortMember).options(selectinload(CohortMember.worker))
        .where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.id)))


def add_member(*, actor: User, cohort_id: int, phone: str) -> CohortMember:
    """Attach an existing worker account by mobile number. It holds one of the cohort's places
    at once; the worker sees the invitation on their phone and accepts or declines the tag."""
    cohort = _own_cohort(actor, cohort_id)
    if cohort.is_cancelled:
        raise InvalidTransition(N_("This cohort is cancelled"))
    phone = _clean(phone)
    if not valid_phone(phone):
        message = N_("Enter an 11-digit mainland mobile number")
        raise ValidationFailed(message, fields={"phone": [message]})
    worker = db.session.scalar(select(User).where(
        User.phone == phone, User.role == Role.WORKER, User.status == UserStatus.ACTIVE))
    if worker is None:
        message = N_("No worker account has this mobile number")
        raise ValidationFailed(message, code="no_such_worker", fields={"phone": [message]})
    member = CohortMember(cohort_id=cohort.id, worker_id=worker.id, invited_by_id=actor.id)
    message = N_("This worker is already attached to the cohort")
    _insert(member, Conflict(message, code="already_member", fields={"phone": [message]}))
    taken = db.session.execute(
        update(Cohort).where(Cohort.id == cohort.id, Cohort.members < Cohort.headcount,
                             Cohort.status == CohortStatus.REGISTERED)
        .values(members=Cohort.members + 1)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise Conflict(N_("Every place in this cohort already has a worker attached"),
                       code="cohort_full")
    db.session.refresh(cohort, attribute_names=["members"])
    notify(user_id=worker.id, kind="cohort_invite",
           message=f"cohort_invite:{cohort.labor_base.name}", link="/me/base")
    record(actor=actor, action="cohort.member_add", target_type="cohort", target_id=cohort.id,
           member_id=member.id, worker_id=worker.id)
    return member


def _release_place(cohort_id: int) -> None:
    db.session.execute(
        update(Cohort).where(Cohort.id == cohort_id, Cohort.members > 0)
        .values(members=Cohort.members - 1).execution_options(synchronize_session=False))


def withdraw_member(*, actor: User, cohort_id: int, member_id: int) -> None:
    """Take back an invitation the worker has not answered (accepted tags stay on record)."""
    cohort = _own_cohort(actor, cohort_id)
    member = db.session.get(CohortMember, member_id)
    if member is None or member.cohort_id != cohort.id:
        raise NotFound(N_("Member not found"))
    done = db.session.execute(
        CohortMember.__table__.delete().where(
            CohortMember.id == member.id, CohortMember.status == MemberStatus.INVITED)
    ).rowcount
    if done != 1:
        raise InvalidTransition(N_("Only an unanswered invitation can be withdrawn"))
    db.session.expunge(member)
    _release_place(cohort.id)
    db.session.refresh(cohort, attribute_names=["members"])
    record(actor=actor, action="cohort.member_withdraw", target_type="cohort",
           target_id=cohort.id, member_id=member_id)


# --------------------------------------------------------------------------- workers


def _require_worker(actor: User) -> None:
    if actor.role != Role.WORKER or actor.worker_profile is None:
        raise Forbidden(N_("Only workers have a worker profile"))


def memberships_for_worker(*, actor: User) -> list[CohortMember]:
    """The worker's cohort invitations and tags, unanswered first, then latest arrival."""
    _require_worker(actor)
    rows = db.session.scalars(
        select(CohortMember).join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.worker_id == actor.id)
        .order_by(case((CohortMember.status == MemberStatus.INVITED, 0), else_=1),
                  Cohort.arrival_date.desc(), CohortMember.id.desc()))
    return list(rows)


def pending_invitations(worker_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CohortMember)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.worker_id == worker_id, CohortMember.status == MemberStatus.INVITED,
               Cohort.status == CohortStatus.REGISTERED)) or 0


def answer_invitation(*, actor: User, member_id: int, accept: bool) -> CohortMember:
    """The worker's answer on their phone. Accepting tags their profile with the base (and
    fills in their home province if it was empty); declining frees the place."""
    _require_worker(actor)
    member = db.session.get(CohortMember, member_id)
    if member is None or member.worker_id != actor.id:
        raise NotFound(N_("Invitation not found"))
    cohort = member.cohort
    if cohort.is_cancelled:
        raise InvalidTransition(N_("This cohort is cancelled"))
    target = MemberStatus.ACCEPTED if accept else MemberStatus.DECLINED
    done = db.session.execute(
        update(CohortMember).where(CohortMember.id == member.id,
                                   CohortMember.worker_id == actor.id,
                                   CohortMember.status == MemberStatus.INVITED)
        .values(status=target, responded_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise InvalidTransition(N_("You have already answered this invitation"))
    db.session.refresh(member)
    if accept:
        profile = actor.worker_profile
        base = cohort.labor_base
        profile.registered_base = base
        profile.labor_base = base.name[:80]
        if not profile.origin_province and base.province in PROVINCES:
            profile.origin_province = base.province
    else:
        _release_place(cohort.id)
    record(actor=actor, action="cohort.member_accept" if accept else "cohort.member_decline",
           target_type="cohort", target_id=cohort.id, member_id=member.id)
    return member


# --------------------------------------------------------------------------- firms


def firm_provisions(firm_id: int) -> dict[str, bool]:
    """Whether the firm's open, upcoming shifts offer housing and meals."""
    now = utcnow()
    open_shift = (Shift.firm_id == firm_id, Shift.status == ShiftStatus.OPEN,
                  Shift.starts_at > now)
    return {
        "housing": bool(db.session.scalar(select(exists().where(*open_shift,
                                                                Shift.housing.is_(True))))),
        "meals": bool(db.session.scalar(select(exists().where(*open_shift,
                                                              Shift.meals.is_(True))))),
    }


def upcoming_for_firm(*, actor: User, page: int = 1, per_page: int = 20):
    """Cohorts arriving from a week ago on, for a firm. A firm whose open shifts offer housing
    sees the cohorts that need housing first (meals likewise; both count twice); then by
    arrival date. Returns the page and the firm's provisions."""
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise Forbidden(N_("Only firm accounts can do this"))
    provisions = firm_provisions(actor.firm_id)
    fit = literal(0)
    if provisions["housing"]:
        fit = fit + case((Cohort.housing_needed.is_(True), 1), else_=0)
    if provisions["meals"]:
        fit = fit + case((Cohort.meals_needed.is_(True), 1), else_=0)
    since = today_local() - dt.timedelta(days=UPCOMING_DAYS_BACK)
    query = (select(Cohort).where(Cohort.status == CohortStatus.REGISTERED,
                                  Cohort.arrival_date >= since)
             .order_by(fit.desc(), Cohort.arrival_date, Cohort.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False,
                       max_per_page=100), provisions


def provision_fit(cohort: Cohort, provisions: dict[str, bool]) -> list[str]:
    """Which of the cohort's needs the firm's open shifts meet ('housing', 'meals')."""
    return [need for need, wanted in (("housing", cohort.housing_needed),
                                      ("meals", cohort.meals_needed))
            if wanted and provisions.get(need)]
