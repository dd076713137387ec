"""HR agencies: registration, what an agency may do, verification and brokering suspension.

Services flush, never commit; they raise DomainErrors. Roster consent lives in `roster`,
brokered placements and commissions in `brokering`, scorecards and complaints in `trust`.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update

from marketplace.admin.services import require_admin, set_verification
from marketplace.agencies.models import Agency
from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.auth.services import _check_account_fields, _flush_or_conflict, _new_user
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.firms.models import Verification
from marketplace.notifications.services import notify_many
from marketplace.taxonomy import DISTRICTS_BY_CODE
from marketplace.validators import valid_credit_code

# 人力资源服务许可证 numbers as printed, old style "(鲁)人服证字〔2021〕第1002000123号" or a
# plain code: letters, digits, CJK and the brackets they use, 6 to 40 characters.
LICENCE_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff()（）〔〕\[\]【】\-]{6,40}$")


def normalise_licence(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "")


def valid_licence_no(value: str) -> bool:
    return bool(LICENCE_RE.match(value)) and any(ch.isdigit() for ch in value)


def register_agency(
    *,
    phone: str,
    password: str,
    name: str,
    agency_name: str,
    credit_code: str,
    licence_no: str,
    district: str | None = None,
    address: str | None = None,
) -> User:
    """A new agency (pending verification) and its first staff account."""
    errors = _check_account_fields(phone, password, name)
    credit_code = (credit_code or "").strip().upper()
    licence_no = normalise_licence(licence_no)
    if not valid_credit_code(credit_code):
        errors["credit_code"] = [N_("Enter a valid 18-character unified social credit code")]
    if not valid_licence_no(licence_no):
        errors["licence_no"] = [N_("Enter the number on your HR service licence")]
    if not (agency_name or "").strip() or len(agency_name.strip()) > 120:
        errors["agency_name"] = [N_("Enter the agency's registered name")]
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    taken = db.session.execute(
        select(Agency.credit_code, Agency.licence_no).where(
            (Agency.credit_code == credit_code) | (Agency.licence_no == licence_no))).all()
    if taken:
        field = "credit_code" if any(row[0] == credit_code for row in taken) else "licence_no"
        message = N_("An agency with this credit code or licence is already registered")
        raise Conflict(message, code="agency_taken", fields={field: [message]})
    agency = Agency(
        name=agency_name.strip(), credit_code=credit_code, licence_no=licence_no,
        district=district if district in DISTRICTS_BY_CODE else None,
        address=(address or "").strip() or None,
    )
    db.session.add(agency)
    user = _new_user(phone=phone, password=password, name=name, role=Role.AGENCY)
    user.agency = agency
    _flush_or_conflict(N_("This phone number, credit code or licence is already registered"),
                       "taken", "phone")
    record(actor=user, action="agency.register", target_type="agency", target_id=agency.id)
    return user


# ----------------------------------------------------------------------- what an agency may do


def require_agency(actor: User) -> Agency:
    if actor.role != Role.AGENCY or actor.agency is None:
        raise Forbidden(N_("Only HR agency accounts can do this"))
    return actor.agency


def require_verified(actor: User) -> Agency:
    """The actor's agency, verified by the city: before that it can look, not act."""
    agency = require_agency(actor)
    if agency.verification_status == Verification.REJECTED:
        raise Forbidden(N_("The city rejected your agency's registration, so it cannot act. "
                           "See the note on your agency's page."), code="agency_rejected")
    if not agency.is_verified:
        raise Forbidden(N_("Your agency is waiting for verification by the city. It can invite "
                           "workers and fill shifts once verified."), code="agency_not_verified")
    return agency


def require_broker(actor: User) -> Agency:
    """A verified agency whose brokering is not suspended (a D trust grade suspends it)."""
    agency = require_verified(actor)
    if agency.brokering_suspended:
        raise Forbidden(N_("Brokering is suspended because of your agency's trust grade. "
                           "The city restores it after a review."), code="brokering_suspended")
    return agency


def agency_members(agency_id: int) -> list[int]:
    return list(db.session.scalars(select(User.id).where(User.agency_id == agency_id)))


# ----------------------------------------------------------------------- administrators


def decide_agency(*, actor: User, agency_id: int, approve: bool, note: str = "") -> Agency:
    require_admin(actor)
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Agency not found"))
    if not set_verification(agency, approve=approve, note=note):
        return agency
    record(actor=actor, action="agency.verify" if approve else "agency.reject",
           target_type="agency", target_id=agency.id, note=note.strip())
    kind = "agency_verified" if approve else "agency_rejected"
    notify_many(user_ids=agency_members(agency.id), kind=kind, message=kind, link="/agency/")
    return agency


def set_brokering(*, actor: User | None, agency_id: int, suspended: bool, reason: str = "",
                  automatic: bool = False) -> Agency:
    """Suspend or restore an agency's brokering; every change is audited. Administrators do
    both; the trust grade suspends automatically (actor None, automatic=True)."""
    if not automatic:
        if actor is None:
            raise Forbidden(N_("Only administrators can do this"))
        require_admin(actor)
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Agency not found"))
    changed = db.session.execute(
        update(Agency).where(Agency.id == agency.id,
                             Agency.brokering_suspended == (not suspended))
        .values(brokering_suspended=suspended,
                **({} if suspended else {"brokering_restored_at": utcnow()}))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(agency)
    if changed != 1:
        raise Conflict(N_("Brokering is already suspended") if suspended
                       else N_("Brokering is not suspended"), code="invalid_transition")
    record(actor=actor, action="agency.brokering_suspend" if suspended
           else "agency.brokering_restore", target_type="agency", target_id=agency.id,
           reason=reason.strip()[:300], automatic=automatic)
    kind = "agency_suspended" if suspended else "agency_restored"
    notify_many(user_ids=agency_members(agency.id), kind=kind, message=kind,
                link="/agency/scorecard")
    return agency


def list_agencies(*, actor: User, status: str | None, page: int, per_page: int):
    require_admin(actor)
    query = select(Agency).order_by(Agency.created_at.desc(), Agency.id.desc())
    if status:
        query = query.where(Agency.verification_status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def get_agency_for_admin(*, actor: User, agency_id: int) -> Agency:
    require_admin(actor)
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Agency not found"))
    return agency


def get_public_agency(*, actor: User, agency_id: int) -> Agency:
    """An agency's profile: verified agencies for every signed-in user (firms compare them,
    workers choose one); a pending or rejected one only for its staff and administrators."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Agency not found"))
    if agency.is_verified or actor.role == Role.ADMIN or actor.agency_id == agency.id:
        return agency
    raise NotFound(N_("Agency not found"))


def verified_agencies(*, page: int, per_page: int):
    query = (select(Agency).where(Agency.verification_status == Verification.VERIFIED)
             .order_by(Agency.name, Agency.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def pending_agency_count() -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(Agency).where(
        Agency.verification_status == Verification.PENDING)) or 0


def agencies_by_id(agency_ids) -> dict[int, Agency]:
    ids = sorted({a for a in agency_ids if a is not None})
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(ids)))}
