"""Sharing exchange: a firm's staff list, listings of idle staff and of needs, suggestions.

Services flush, never commit; they raise DomainErrors and take an explicit actor.
Agreements, consent and execution live in `marketplace.sharing.agreements`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.audit.services import record
from marketplace.auth.models import Role, User, UserStatus
from marketplace.db import utcnow
from marketplace.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.firms.models import Firm, Verification
from marketplace.notifications.services import notify, notify_many
from marketplace.sharing.models import (
    AgreementStatus,
    AgreementWorker,
    Consent,
    ListingKind,
    ListingSkill,
    ListingStaff,
    ListingStatus,
    SharingAgreement,
    SharingListing,
    StaffMember,
    StaffStatus,
)
from marketplace.taxonomy import DISTRICT_CODES, DISTRICTS, DISTRICTS_BY_CODE, SKILL_CODES
from marketplace.timeutil import LOCAL_TZ
from marketplace.validators import valid_phone

MAX_PERIOD_DAYS = 183  # about six months: a season of idle capacity
MAX_HEADCOUNT = 500
MAX_SKILLS = 10
ONE_CLICK_DAYS = 30  # the one-click listing offers staff for the next 30 days
SUGGESTION_POOL = 500
# Words that push a worker to register as self-employed or to sign a contract for services
# in place of employment: lending never changes the labor relationship (no disguised
# dispatch, no 假外包), so the exchange refuses them in listings and agreements.
SELF_EMPLOYMENT_TERMS = (
    "个体工商户", "个体户", "注册个体", "注册为个体", "自雇", "承揽协议", "劳务承包", "外包协议",
    "self-employed", "self employed", "sole proprietor", "independent contractor",
)
# While a worker is lent under these statuses they are not idle.
LENDING = (AgreementStatus.SIGNED, AgreementStatus.ACTIVE)


def local_today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


# --------------------------------------------------------------------------- actors


def require_firm(actor: User) -> Firm:
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise Forbidden(N_("Only firm accounts can do this"))
    return actor.firm


def require_exchange_firm(actor: User) -> Firm:
    """A firm verified by the city: only those list, match and sign in the exchange."""
    firm = require_firm(actor)
    if not firm.is_verified:
        raise Forbidden(
            N_("Your firm is waiting for verification by the city before it can use the "
               "sharing exchange"),
            code="firm_not_verified",
        )
    return firm


def require_worker(actor: User) -> User:
    if actor.role != Role.WORKER:
        raise Forbidden(N_("Only workers can do this"))
    return actor


def firm_member_ids(firm_ids: list[int]) -> list[int]:
    return list(db.session.scalars(select(User.id).where(User.firm_id.in_(firm_ids))))


def self_employment_pressure(*texts: str | None) -> bool:
    joined = " ".join(t for t in texts if t).lower()
    return any(term.lower() in joined for term in SELF_EMPLOYMENT_TERMS)


# --------------------------------------------------------------------------- staff


def add_staff(*, actor: User, phone: str, since: dt.date | None = None,
              job_title: str = "") -> StaffMember:
    """Add an employee by the phone number of their worker account; they confirm on their
    phone before they count as staff."""
    firm = require_firm(actor)
    phone = (phone or "").strip()
    if not valid_phone(phone):
        raise ValidationFailed(N_("Enter an 11-digit mobile number"),
                               fields={"phone": [N_("Enter an 11-digit mobile number")]})
    if since is not None and since > local_today():
        raise ValidationFailed(N_("The employment start cannot be in the future"),
                               fields={"since": [N_("Not in the future")]})
    worker = db.session.scalar(select(User).where(User.phone == phone))
    if worker is None or worker.role != Role.WORKER or worker.status != UserStatus.ACTIVE:
        raise NotFound(
            N_("No worker account uses this number. Ask your employee to register as a worker "
               "first."),
            code="worker_not_found", fields={"phone": [N_("No worker account")]},
        )
    open_link = db.session.scalar(select(StaffMember).where(
        StaffMember.firm_id == firm.id, StaffMember.worker_id == worker.id,
        StaffMember.status.in_([StaffStatus.INVITED, StaffStatus.ACTIVE])))
    if open_link is not None:
        raise Conflict(N_("This worker is already on your staff list"), code="already_staff")
    member = StaffMember(firm_id=firm.id, worker_id=worker.id, status=StaffStatus.INVITED,
                         since=since, job_title=(job_title or "").strip()[:40] or None,
                         invited_by_id=actor.id)
    db.session.add(member)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("This worker is already on your staff list"),
                       code="already_staff") from exc
    notify(user_id=worker.id, kind="sharing_staff_invite",
           message=f"sharing_staff_invite:{firm.name}", link="/me/sharing")
    record(actor=actor, action="sharing.staff_add", target_type="staff", target_id=member.id,
           worker_id=worker.id)
    return member


def _own_staff(actor: User, staff_id: int) -> StaffMember:
    firm = require_firm(actor)
    member = db.session.get(StaffMember, staff_id)
    if member is None or member.firm_id != firm.id:
        raise NotFound(N_("Staff member not found"))
    return member


def _worker_link(actor: User, staff_id: int) -> StaffMember:
    require_worker(actor)
    member = db.session.get(StaffMember, staff_id)
    if member is None or member.worker_id != actor.id:
        raise NotFound(N_("Staff member not found"))
    return member


def respond_staff(*, actor: User, staff_id: int, accept: bool) -> StaffMember:
    """The worker confirms (or denies) on their phone that they are this firm's employee."""
    member = _worker_link(actor, staff_id)
    if member.status != StaffStatus.INVITED:
        raise Conflict(N_("This request was already answered"), code="invalid_transition")
    now = utcnow()
    target = StaffStatus.ACTIVE if accept else StaffStatus.DECLINED
    try:
        with db.session.begin_nested():
            changed = db.session.execute(
                update(StaffMember)
                .where(StaffMember.id == member.id, StaffMember.status == StaffStatus.INVITED)
                .values(status=target, responded_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError as exc:
        raise Conflict(
            N_("You are on another firm's staff list. Leave it there first (an employee "
               "has one employer here)."),
            code="employed_elsewhere",
        ) from exc
    if changed != 1:
        raise Conflict(N_("This request was already answered"), code="invalid_transition")
    db.session.refresh(member)
    notify_many(user_ids=firm_member_ids([member.firm_id]),
                kind="sharing_staff_" + ("accepted" if accept else "declined"),
                message=f"sharing_staff_{'accepted' if accept else 'declined'}:{actor.name}",
                link="/firm/staff")
    record(actor=actor, action="sharing.staff_" + ("accept" if accept else "decline"),
           target_type="staff", target_id=member.id)
    return member


def lent_now(worker_ids: list[int]) -> dict[int, SharingAgreement]:
    """The signed or running agreement each worker consented to, if any (one query)."""
    if not worker_ids:
        return {}
    rows = db.session.execute(
        select(AgreementWorker.worker_id, SharingAgreement)
        .join(SharingAgreement, SharingAgreement.id == AgreementWorker.agreement_id)
        .where(AgreementWorker.worker_id.in_(worker_ids),
               AgreementWorker.consent == Consent.CONSENTED,
               SharingAgreement.status.in_(list(LENDING)),
               SharingAgreement.end_date >= local_today())
        .order_by(SharingAgreement.start_date)
    ).all()
    result: dict[int, SharingAgreement] = {}
    for worker_id, agreement in rows:
        result.setdefault(worker_id, agreement)
    return result


def end_staff(*, actor: User, staff_id: int) -> StaffMember:
    """The firm takes an employee off its list, or the worker leaves the firm's list."""
    member = (_worker_link(actor, staff_id) if actor.role == Role.WORKER
              else _own_staff(actor, staff_id))
    if member.status not in (StaffStatus.INVITED, StaffStatus.ACTIVE):
        raise Conflict(N_("This staff link has already ended"), code="invalid_transition")
    if member.status == StaffStatus.ACTIVE and lent_now([member.worker_id]):
        raise Conflict(
            N_("This worker is lent under a sharing agreement. Finish or cancel it first."),
            code="currently_lent",
        )
    member.status = StaffStatus.ENDED
    member.ended_at = utcnow()
    db.session.flush()
    if actor.role == Role.WORKER:
        notify_many(user_ids=firm_member_ids([member.firm_id]), kind="sharing_staff_left",
                    message=f"sharing_staff_left:{actor.name}", link="/firm/staff")
    record(actor=actor, action="sharing.staff_end", target_type="staff", target_id=member.id)
    return member


def list_staff(*, actor: User, page: int, per_page: int, current_only: bool = True):
    firm = require_firm(actor)
    query = (select(StaffMember)
             .options(selectinload(StaffMember.worker).selectinload(User.worker_profile))
             .where(StaffMember.firm_id == firm.id))
    if current_only:
        query = query.where(StaffMember.status.in_([StaffStatus.INVITED, StaffStatus.ACTIVE]))
    query = query.order_by(StaffMember.status, StaffMember.created_at.desc(),
                           StaffMember.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def staff_for_worker(*, actor: User) -> list[StaffMember]:
    """The worker's own links to employers (invitations first)."""
    require_worker(actor)
    return list(db.session.scalars(
        select(StaffMember).where(StaffMember.worker_id == actor.id,
                                  StaffMember.status.in_([StaffStatus.INVITED,
                                                          StaffStatus.ACTIVE]))
        .order_by(StaffMember.status.desc(), StaffMember.created_at.desc())))


def idle_staff(firm_id: int) -> list[StaffMember]:
    """Active staff not lent at the moment (candidates for the exchange)."""
    members = list(db.session.scalars(
        select(StaffMember)
        .options(selectinload(StaffMember.worker).selectinload(User.worker_profile))
        .where(StaffMember.firm_id == firm_id, StaffMember.status == StaffStatus.ACTIVE)
        .order_by(StaffMember.id)))
    lent = lent_now([m.worker_id for m in members])
    return [m for m in members if m.worker_id not in lent]


def active_staff_ids(firm_id: int, worker_ids: list[int]) -> dict[int, int]:
    """worker id -> staff id, for those of `worker_ids` on the firm's active staff."""
    if not worker_ids:
        return {}
    return dict(db.session.execute(
        select(StaffMember.worker_id, StaffMember.id).where(
            StaffMember.firm_id == firm_id, StaffMember.status == StaffStatus.ACTIVE,
            StaffMember.worker_id.in_(worker_ids))).all())


# --------------------------------------------------------------------------- listings

LISTING_FIELDS = ("title", "headcount", "start_date", "end_date", "district", "work_content",
                  "daily_pay_fen", "skills", "staff_ids")


def validate_period(start: Any, end: Any, *, today: dt.date,
                    check_start: bool = True) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(start, dt.date):
        errors["start_date"] = [N_("Enter the first day")]
    if not isinstance(end, dt.date):
        errors["end_date"] = [N_("Enter the last day")]
    if errors:
        return errors
    if check_start and start < today:
        errors["start_date"] = [N_("The first day cannot be in the past")]
    if end < start:
        errors["end_date"] = [N_("The last day must not be before the first")]
    elif (end - start).days + 1 > MAX_PERIOD_DAYS:
        errors["end_date"] = [N_("A period may last at most %(days)d days",
                                 days=MAX_PERIOD_DAYS)]
    return errors


def validate_listing(data: dict[str, Any], *, kind: str, today: dt.date,
                     check_start: bool = True) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    title = str(data.get("title") or "").strip()
    if not title:
        fail("title", N_("Enter a title"))
    elif len(title) > 80:
        fail("title", N_("Use at most 80 characters"))
    headcount = data.get("headcount")
    if not isinstance(headcount, int) or headcount < 1:
        fail("headcount", N_("Headcount must be at least 1"))
    elif headcount > MAX_HEADCOUNT:
        fail("headcount", N_("Headcount may be at most %(max)d", max=MAX_HEADCOUNT))
    for field, messages in validate_period(data.get("start_date"), data.get("end_date"),
                                           today=today, check_start=check_start).items():
        errors.setdefault(field, []).extend(messages)
    if data.get("district") not in DISTRICT_CODES:
        fail("district", N_("Choose a district"))
    skills = data.get("skills") or []
    unknown = set(skills) - SKILL_CODES
    if unknown:
        fail("skills", N_("Unknown skill: %(codes)s", codes=", ".join(sorted(unknown))))
    elif len(set(skills)) > MAX_SKILLS:
        fail("skills", N_("Choose at most %(max)d skills", max=MAX_SKILLS))
    content = str(data.get("work_content") or "")
    if len(content) > 2000:
        fail("work_content", N_("Use at most 2000 characters"))
    pay = data.get("daily_pay_fen")
    if kind == ListingKind.NEED:
        if not content.strip():
            fail("work_content", N_("Describe the work"))
        if not isinstance(pay, int) or pay <= 0:
            fail("daily_pay_fen", N_("Enter the daily pay per worker"))
    elif pay is not None:
        fail("daily_pay_fen", N_("An offer of staff has no pay of its own: the borrower "
                                 "states the pay"))
    if self_employment_pressure(title, content):
        fail("work_content", N_("Lent workers stay employees of their firm: do not ask them "
                                "to register as self-employed or to sign a service contract"))
    staff_ids = data.get("staff_ids") or []
    if staff_ids and kind != ListingKind.OFFER:
        fail("staff_ids", N_("Only an offer of idle staff names staff"))
    elif staff_ids and isinstance(headcount, int) and headcount < len(set(staff_ids)):
        fail("headcount", N_("Headcount cannot be lower than the staff you selected"))
    return errors


def _check_listing_staff(firm_id: int, staff_ids: list[int]) -> None:
    if not staff_ids:
        return
    found = set(db.session.scalars(select(StaffMember.id).where(
        StaffMember.id.in_(staff_ids), StaffMember.firm_id == firm_id,
        StaffMember.status == StaffStatus.ACTIVE)))
    if found != set(staff_ids):
        raise ValidationFailed(
            N_("Only your own staff who confirmed on their phone can be listed"),
            code="not_lender_staff",
            fields={"staff_ids": [N_("Only your own confirmed staff")]},
        )


def _apply_listing(listing: SharingListing, data: dict[str, Any]) -> None:
    for field in ("title", "headcount", "start_date", "end_date", "district", "daily_pay_fen"):
        if field in data:
            setattr(listing, field, data[field])
    if "title" in data:
        listing.title = str(data["title"]).strip()
    if "work_content" in data:
        listing.work_content = str(data["work_content"] or "").strip()
    if "skills" in data:
        listing.skill_rows = [ListingSkill(code=c) for c in sorted(set(data["skills"] or []))]
    if "staff_ids" in data:
        listing.staff_rows = [ListingStaff(staff_id=s)
                              for s in sorted(set(data["staff_ids"] or []))]


def create_listing(*, actor: User, kind: str, data: dict[str, Any]) -> SharingListing:
    firm = require_exchange_firm(actor)
    if kind not in set(ListingKind):
        raise ValidationFailed(N_("Choose offer or need"), fields={"kind": [N_("Invalid")]})
    data = {**{"work_content": "", "skills": [], "staff_ids": [],
               "district": firm.district if firm.district in DISTRICT_CODES else None},
            **{k: v for k, v in data.items() if k in LISTING_FIELDS}}
    errors = validate_listing(data, kind=kind, today=local_today())
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    _check_listing_staff(firm.id, list(data.get("staff_ids") or []))
    listing = SharingListing(firm_id=firm.id, kind=kind, status=ListingStatus.OPEN,
                             created_by_id=actor.id)
    _apply_listing(listing, data)
    db.session.add(listing)
    db.session.flush()
    record(actor=actor, action=f"sharing.listing_{kind}", target_type="sharing_listing",
           target_id=listing.id, headcount=listing.headcount)
    return listing


def list_idle_staff(*, actor: User, staff_ids: list[int] | None = None) -> SharingListing:
    """One click from the staff page: offer idle staff (the selected ones, or all idle) in the
    exchange for the next 30 days, with their skills; the firm can adjust it afterwards."""
    firm = require_exchange_firm(actor)
    idle = idle_staff(firm.id)
    if staff_ids:
        wanted = set(staff_ids)
        chosen = [m for m in idle if m.id in wanted]
        if len(chosen) != len(wanted):
            raise Conflict(
                N_("Some of the selected staff are not idle confirmed staff of your firm"),
                code="not_idle_staff",
            )
    else:
        chosen = idle
    if not chosen:
        raise Conflict(
            N_("You have no idle confirmed staff to list. Add your employees on the staff page "
               "first; each confirms on their phone."),
            code="no_idle_staff",
        )
    counts = Counter(code for m in chosen if m.worker.worker_profile
                     for code in m.worker.worker_profile.skills)
    skills = [code for code, _n in counts.most_common(MAX_SKILLS)]
    today = local_today()
    district = firm.district if firm.district in DISTRICT_CODES else DISTRICTS[0].code
    return create_listing(actor=actor, kind=ListingKind.OFFER, data={
        "title": f"{firm.name}"[:80],
        "headcount": len(chosen), "start_date": today + dt.timedelta(days=1),
        "end_date": today + dt.timedelta(days=ONE_CLICK_DAYS), "district": district,
        "skills": skills, "staff_ids": [m.id for m in chosen], "work_content": "",
    })


def get_listing(*, actor: User, listing_id: int) -> SharingListing:
    """The firm's own listing, or another verified firm's open one; else not found."""
    listing = db.session.get(SharingListing, listing_id)
    if listing is None:
        raise NotFound(N_("Listing not found"))
    if actor.role == Role.ADMIN:
        return listing
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise NotFound(N_("Listing not found"))
    if listing.firm_id == actor.firm_id:
        return listing
    if (listing.status == ListingStatus.OPEN and listing.firm.is_verified
            and actor.firm.is_verified):
        return listing
    raise NotFound(N_("Listing not found"))


def get_own_listing(*, actor: User, listing_id: int) -> SharingListing:
    listing = db.session.get(SharingListing, listing_id)
    if listing is None or actor.role != Role.FIRM or listing.firm_id != actor.firm_id:
        raise NotFound(N_("Listing not found"))
    return listing


def update_listing(*, actor: User, listing_id: int, changes: dict[str, Any]) -> SharingListing:
    require_exchange_firm(actor)
    listing = get_own_listing(actor=actor, listing_id=listing_id)
    if listing.status != ListingStatus.OPEN:
        raise Conflict(N_("Only open listings can be changed"), code="listing_closed")
    changes = {k: v for k, v in changes.items() if k in LISTING_FIELDS}
    merged: dict[str, Any] = {f: getattr(listing, f) for f in LISTING_FIELDS
                              if f not in ("skills", "staff_ids")}
    merged["skills"], merged["staff_ids"] = listing.skills, listing.staff_ids
    merged.update(changes)
    errors = validate_listing(merged, kind=listing.kind, today=local_today(),
                              check_start="start_date" in changes)
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    if "staff_ids" in changes:
        _check_listing_staff(listing.firm_id, list(changes["staff_ids"] or []))
    _apply_listing(listing, changes)
    db.session.flush()
    record(actor=actor, action="sharing.listing_update", target_type="sharing_listing",
           target_id=listing.id, fields=sorted(changes))
    return listing


def close_listing(*, actor: User, listing_id: int) -> SharingListing:
    listing = get_own_listing(actor=actor, listing_id=listing_id)
    if listing.status != ListingStatus.OPEN:
        raise Conflict(N_("This listing is already closed"), code="listing_closed")
    listing.status = ListingStatus.CLOSED
    listing.closed_at = utcnow()
    db.session.flush()
    record(actor=actor, action="sharing.listing_close", target_type="sharing_listing",
           target_id=listing.id)
    return listing


def list_own_listings(*, actor: User, page: int, per_page: int, status: str | None = "open"):
    firm = require_firm(actor)
    query = select(SharingListing).where(SharingListing.firm_id == firm.id)
    if status:
        query = query.where(SharingListing.status == status)
    query = query.order_by(SharingListing.created_at.desc(), SharingListing.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def _exchange_query(*, exclude_firm_id: int, kind: str | None, today: dt.date):
    query = (select(SharingListing)
             .join(Firm, Firm.id == SharingListing.firm_id)
             .where(SharingListing.status == ListingStatus.OPEN,
                    SharingListing.firm_id != exclude_firm_id,
                    SharingListing.end_date >= today,
                    Firm.verification_status == Verification.VERIFIED))
    if kind:
        query = query.where(SharingListing.kind == kind)
    return query


def list_exchange(*, actor: User, kind: str | None, district: str | None, skill: str | None,
                  page: int, per_page: int):
    """Other verified firms' open listings (the market): counts, skills, period, district."""
    firm = require_exchange_firm(actor)
    query = _exchange_query(exclude_firm_id=firm.id, kind=kind, today=local_today())
    if district:
        query = query.where(SharingListing.district == district)
    if skill:
        query = query.where(exists().where(ListingSkill.listing_id == SharingListing.id,
                                           ListingSkill.code == skill))
    query = query.order_by(SharingListing.start_date, SharingListing.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


# --------------------------------------------------------------------------- suggestions


@dataclass
class Suggestion:
    listing: SharingListing
    score: float
    reasons: list[tuple[str, dict]]


def _view(listing: SharingListing):
    from marketplace.matching.sharing import ListingView

    centre = DISTRICTS_BY_CODE[listing.district]
    return ListingView(id=listing.id, kind=listing.kind, headcount=listing.headcount,
                       start=listing.start_date, end=listing.end_date, lat=centre.lat,
                       lon=centre.lon, skills=frozenset(listing.skills))


def suggestions(*, actor: User, listing_id: int, limit: int = 10) -> list[Suggestion]:
    """Listings of the opposite kind that fit this one, best first, with reasons (skills,
    distance between the districts, overlapping days, workers covered)."""
    from marketplace.matching.sharing import score_listing_pairs

    require_exchange_firm(actor)
    listing = get_own_listing(actor=actor, listing_id=listing_id)
    if listing.status != ListingStatus.OPEN:
        return []
    other_kind = ListingKind.NEED if listing.kind == ListingKind.OFFER else ListingKind.OFFER
    pool = list(db.session.scalars(
        _exchange_query(exclude_firm_id=listing.firm_id, kind=other_kind, today=local_today())
        .where(SharingListing.start_date <= listing.end_date,
               SharingListing.end_date >= listing.start_date)
        .order_by(SharingListing.id).limit(SUGGESTION_POOL)))
    if not pool:
        return []
    by_id = {other.id: other for other in pool}
    scored = score_listing_pairs(_view(listing), [_view(other) for other in pool])
    return [Suggestion(by_id[s.listing_id], s.score, s.reasons()) for s in scored[:limit]]


def pending_staff_invitations(worker_id: int) -> int:
    return len(db.session.scalars(select(StaffMember.id).where(
        StaffMember.worker_id == worker_id, StaffMember.status == StaffStatus.INVITED)).all())



def staff_names(listing: SharingListing) -> list[str]:
    """Names of the staff a lender selected for its offer (for the lender's own pages)."""
    if not listing.staff_ids:
        return []
    return list(db.session.scalars(
        select(User.name).join(StaffMember, StaffMember.worker_id == User.id)
        .where(StaffMember.id.in_(listing.staff_ids), StaffMember.firm_id == listing.firm_id)
        .order_by(StaffMember.id)))
