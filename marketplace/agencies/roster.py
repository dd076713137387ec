"""An agency's roster: workers who agreed to be represented, and nobody else.

An agency invites a worker by mobile number, or a worker asks to join; the other side answers
(the worker always on their own phone); either side can end it. An agency sees a worker only
while they are on its roster: everyone else, past members included, is "not found". It never
sees a worker's priority-group status or ID number, and sees phone numbers masked.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.agencies.models import (
    LIVE_MEMBERSHIP,
    MembershipStatus,
    RosterMembership,
    StandingConsent,
)
from marketplace.agencies.services import agency_members, require_agency, require_verified
from marketplace.audit.services import record
from marketplace.auth.models import Role, User, UserStatus
from marketplace.db import utcnow
from marketplace.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.notifications.services import notify, notify_many
from marketplace.shifts.gate import move_many
from marketplace.shifts.models import Application
from marketplace.taxonomy import CATEGORY_CODES

ROSTER_SEARCH_MAX = 40


def on_roster(*, agency_id: int | None, worker_id: int) -> bool:
    if agency_id is None:
        return False
    return bool(db.session.scalar(select(exists().where(
        RosterMembership.agency_id == agency_id, RosterMembership.worker_id == worker_id,
        RosterMembership.status == MembershipStatus.ACTIVE))))


def roster_ids(agency_id: int) -> Select:
    """SELECT of the worker ids on the agency's roster now (for IN clauses)."""
    return select(RosterMembership.worker_id).where(
        RosterMembership.agency_id == agency_id,
        RosterMembership.status == MembershipStatus.ACTIVE)


def active_membership(agency_id: int, worker_id: int) -> RosterMembership | None:
    return db.session.scalar(select(RosterMembership).where(
        RosterMembership.agency_id == agency_id, RosterMembership.worker_id == worker_id,
        RosterMembership.status == MembershipStatus.ACTIVE))


def _flush_membership() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("This worker is already on the roster or has an open invitation"),
                       code="already_on_roster") from exc


def _live(agency_id: int, worker_id: int) -> RosterMembership | None:
    return db.session.scalar(select(RosterMembership).where(
        RosterMembership.agency_id == agency_id, RosterMembership.worker_id == worker_id,
        RosterMembership.status.in_(list(LIVE_MEMBERSHIP))))


# ----------------------------------------------------------------------- starting


def invite(*, actor: User, phone: str, note: str = "") -> RosterMembership:
    """Invite a worker by mobile number; they accept or decline on their phone."""
    agency = require_verified(actor)
    worker = db.session.scalar(select(User).where(User.phone == (phone or "").strip(),
                                                  User.role == Role.WORKER))
    if worker is None or worker.status != UserStatus.ACTIVE:
        raise ValidationFailed(
            N_("No worker is registered with this mobile number"), code="worker_not_found",
            fields={"phone": [N_("No worker is registered with this mobile number")]})
    if _live(agency.id, worker.id) is not None:
        raise Conflict(N_("This worker is already on the roster or has an open invitation"),
                       code="already_on_roster",
                       fields={"phone": [N_("Already on the roster or invited")]})
    membership = RosterMembership(agency_id=agency.id, worker_id=worker.id,
                                  status=MembershipStatus.INVITED, initiated_by="agency",
                                  invited_by_id=actor.id, note=(note or "").strip()[:200] or None)
    db.session.add(membership)
    _flush_membership()
    notify(user_id=worker.id, kind="agency_invitation",
           message=f"agency_invitation:{agency.name}", link="/me/agencies")
    record(actor=actor, action="agency.roster_invite", target_type="roster",
           target_id=membership.id, agency_id=agency.id, worker_id=worker.id)
    return membership


def request_to_join(*, actor: User, agency_id: int) -> RosterMembership:
    """A worker asks a verified agency to represent them; the agency answers."""
    from marketplace.agencies.models import Agency

    if actor.role != Role.WORKER:
        raise Forbidden(N_("Only workers can join an agency's roster"))
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.is_verified:
        raise NotFound(N_("Agency not found"))
    if _live(agency.id, actor.id) is not None:
        raise Conflict(N_("You are already on this agency's roster or have an open request"),
                       code="already_on_roster")
    membership = RosterMembership(agency_id=agency.id, worker_id=actor.id,
                                  status=MembershipStatus.REQUESTED, initiated_by="worker")
    db.session.add(membership)
    _flush_membership()
    notify_many(user_ids=agency_members(agency.id), kind="agency_join_request",
                message=f"agency_join_request:{actor.name}", link="/agency/roster")
    record(actor=actor, action="agency.roster_request", target_type="roster",
           target_id=membership.id, agency_id=agency.id, worker_id=actor.id)
    return membership


def _move(membership: RosterMembership, source: tuple[str, ...], target: str,
          **values) -> None:
    """Conditional UPDATE: the membership moves only from `source` (two answers at once
    cannot both win)."""
    moved = db.session.execute(
        update(RosterMembership)
        .where(RosterMembership.id == membership.id, RosterMembership.status.in_(source))
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise InvalidTransition(N_("This is no longer possible: the membership has changed"))
    db.session.refresh(membership)


def answer_invitation(*, actor: User, membership_id: int, accept: bool) -> RosterMembership:
    """The worker accepts or declines an agency's invitation, on their phone."""
    membership = _own_membership(actor, membership_id)
    if membership.status != MembershipStatus.INVITED:
        raise InvalidTransition(N_("There is no open invitation to answer"))
    if accept:
        _move(membership, (MembershipStatus.INVITED,), MembershipStatus.ACTIVE,
              joined_at=utcnow())
    else:
        _move(membership, (MembershipStatus.INVITED,), MembershipStatus.DECLINED,
              ended_at=utcnow(), ended_by="worker")
    kind = "agency_invitation_accepted" if accept else "agency_invitation_declined"
    notify_many(user_ids=agency_members(membership.agency_id), kind=kind,
                message=f"{kind}:{actor.name}", link="/agency/roster")
    record(actor=actor, action="agency.roster_accept" if accept else "agency.roster_decline",
           target_type="roster", target_id=membership.id, agency_id=membership.agency_id)
    return membership


def answer_request(*, actor: User, membership_id: int, accept: bool) -> RosterMembership:
    """The agency accepts or declines a worker's request to join."""
    agency = require_verified(actor) if accept else require_agency(actor)
    membership = db.session.get(RosterMembership, membership_id)
    if membership is None or membership.agency_id != agency.id or membership.status not in (
            MembershipStatus.REQUESTED, MembershipStatus.ACTIVE, MembershipStatus.INVITED):
        raise NotFound(N_("Request not found"))
    if membership.status != MembershipStatus.REQUESTED:
        raise InvalidTransition(N_("There is no open request to answer"))
    if accept:
        _move(membership, (MembershipStatus.REQUESTED,), MembershipStatus.ACTIVE,
              joined_at=utcnow())
    else:
        _move(membership, (MembershipStatus.REQUESTED,), MembershipStatus.DECLINED,
              ended_at=utcnow(), ended_by="agency")
    kind = "agency_request_accepted" if accept else "agency_request_declined"
    notify(user_id=membership.worker_id, kind=kind, message=f"{kind}:{agency.name}",
           link="/me/agencies")
    record(actor=actor, action="agency.roster_accept" if accept else "agency.roster_decline",
           target_type="roster", target_id=membership.id, agency_id=agency.id)
    return membership


# ----------------------------------------------------------------------- ending


def end_by_worker(*, actor: User, membership_id: int) -> RosterMembership:
    """The worker leaves the roster (or withdraws a request, or turns down an invitation)."""
    membership = _own_membership(actor, membership_id)
    return _end(actor, membership, by="worker")


def end_by_agency(*, actor: User, worker_id: int) -> RosterMembership:
    """The agency takes a worker off its roster (or withdraws its invitation)."""
    agency = require_agency(actor)
    membership = _live(agency.id, worker_id)
    if membership is None or membership.status == MembershipStatus.REQUESTED:
        raise NotFound(N_("Worker not found on your roster"))
    return _end(actor, membership, by="agency")


def _end(actor: User, membership: RosterMembership, *, by: str) -> RosterMembership:
    if membership.status not in LIVE_MEMBERSHIP:
        raise InvalidTransition(N_("This membership has already ended"))
    now = utcnow()
    _move(membership, tuple(LIVE_MEMBERSHIP), MembershipStatus.ENDED, ended_at=now,
          ended_by=by)
    db.session.execute(StandingConsent.__table__.delete().where(
        StandingConsent.membership_id == membership.id))
    db.session.expire(membership, ["consents"])
    # Proposals the worker has not confirmed lapse with the membership: the agency no longer
    # acts for them. Applications the worker confirmed stay theirs.
    lapsed = move_many(action="lapse", where=[Application.agency_id == membership.agency_id,
                                              Application.worker_id == membership.worker_id],
                       values={"updated_at": now}, synchronize_session="fetch")
    if by == "worker":
        notify_many(user_ids=agency_members(membership.agency_id), kind="agency_member_left",
                    message=f"agency_member_left:{membership.worker.name}",
                    link="/agency/roster")
    else:
        notify(user_id=membership.worker_id, kind="agency_membership_ended",
               message=f"agency_membership_ended:{membership.agency.name}", link="/me/agencies")
    record(actor=actor, action="agency.roster_end", target_type="roster",
           target_id=membership.id, agency_id=membership.agency_id, by=by,
           lapsed_proposals=lapsed)
    return membership


# ----------------------------------------------------------------------- standing consent


def set_consents(*, actor: User, membership_id: int, categories: list[str]) -> RosterMembership:
    """The worker's standing consent: the agency may apply for them to shifts of these
    categories without asking each time. An empty list revokes it all."""
    membership = _own_membership(actor, membership_id)
    if membership.status != MembershipStatus.ACTIVE:
        raise InvalidTransition(N_("Standing consent needs an active membership"))
    wanted = set(categories or [])
    unknown = wanted - CATEGORY_CODES
    if unknown:
        raise ValidationFailed(N_("Unknown category"),
                               fields={"categories": [N_("Unknown category")]})
    current = set(membership.consent_categories)
    for row in list(membership.consents):
        if row.category not in wanted:
            membership.consents.remove(row)
    for category in sorted(wanted - current):
        membership.consents.append(StandingConsent(category=category))
    db.session.flush()
    if wanted != current:
        record(actor=actor, action="agency.consent", target_type="roster",
               target_id=membership.id, agency_id=membership.agency_id,
               granted=sorted(wanted - current), revoked=sorted(current - wanted))
    return membership


def has_standing_consent(membership: RosterMembership, category: str) -> bool:
    return category in membership.consent_categories


# ----------------------------------------------------------------------- reading


def _own_membership(actor: User, membership_id: int) -> RosterMembership:
    if actor.role != Role.WORKER:
        raise NotFound(N_("Membership not found"))
    membership = db.session.get(RosterMembership, membership_id)
    if membership is None or membership.worker_id != actor.id:
        raise NotFound(N_("Membership not found"))
    return membership


def worker_memberships(*, actor: User) -> list[RosterMembership]:
    """The worker's own memberships: live ones first, then the last few ended ones."""
    if actor.role != Role.WORKER:
        raise Forbidden(N_("Only workers have agency memberships"))
    rows = list(db.session.scalars(
        select(RosterMembership).where(RosterMembership.worker_id == actor.id)
        .order_by(RosterMembership.created_at.desc(), RosterMembership.id.desc()).limit(50)))
    order = {MembershipStatus.INVITED: 0, MembershipStatus.ACTIVE: 1,
             MembershipStatus.REQUESTED: 2}
    return sorted(rows, key=lambda m: order.get(m.status, 3))


def list_roster(*, actor: User, page: int, per_page: int, q: str | None = None):
    """Workers on the agency's roster now (paginated)."""
    agency = require_agency(actor)
    query = (select(RosterMembership).join(User, User.id == RosterMembership.worker_id)
             .where(RosterMembership.agency_id == agency.id,
                    RosterMembership.status == MembershipStatus.ACTIVE)
             .order_by(RosterMembership.joined_at.desc(), RosterMembership.id.desc()))
    if q:
        query = query.where(User.name.ilike(f"%{q.strip()[:ROSTER_SEARCH_MAX]}%"))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def pending_for_agency(*, actor: User) -> dict[str, list[RosterMembership]]:
    """Open invitations the agency sent and requests it has to answer."""
    agency = require_agency(actor)
    rows = list(db.session.scalars(
        select(RosterMembership).where(
            RosterMembership.agency_id == agency.id,
            RosterMembership.status.in_([MembershipStatus.INVITED,
                                         MembershipStatus.REQUESTED]))
        .order_by(RosterMembership.created_at.desc()).limit(200)))
    return {"invited": [m for m in rows if m.status == MembershipStatus.INVITED],
            "requested": [m for m in rows if m.status == MembershipStatus.REQUESTED]}


def roster_member(*, actor: User, worker_id: int) -> RosterMembership:
    """A worker on the agency's roster now; anyone else (past members too) is not found."""
    agency = require_agency(actor)
    membership = active_membership(agency.id, worker_id)
    if membership is None:
        raise NotFound(N_("Worker not found on your roster"))
    return membership


def roster_size(agency_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(RosterMembership).where(
        RosterMembership.agency_id == agency_id,
        RosterMembership.status == MembershipStatus.ACTIVE)) or 0


def worker_profile_for_agency(membership: RosterMembership) -> dict:
    """What an agency may know of a roster worker: no priority-group status, no ID number,
    the phone masked."""
    from marketplace.shifts.applications import worker_records

    worker = membership.worker
    profile = worker.worker_profile
    record_ = worker_records([worker.id])[worker.id]
    return {
        "id": worker.id, "name": worker.name, "phone": worker.masked_phone,
        "district": profile.district if profile else None,
        "origin_province": profile.origin_province if profile else None,
        "labor_base": profile.labor_base if profile else None,
        "skills": profile.skills if profile else [],
        "certificates": profile.certificates if profile else [],
        "joined_at": membership.joined_at,
        "consent_categories": membership.consent_categories,
        **{k: record_[k] for k in ("completed", "no_show", "rating", "ratings",
                                   "reliability")},
    }


def memberships_of_workers(agency_id: int, worker_ids: list[int]) -> dict[int, RosterMembership]:
    """Active memberships of the given workers with the agency, in one query."""
    if not worker_ids:
        return {}
    rows = db.session.scalars(select(RosterMembership).where(
        RosterMembership.agency_id == agency_id,
        RosterMembership.worker_id.in_(sorted(set(worker_ids))),
        RosterMembership.status == MembershipStatus.ACTIVE))
    return {m.worker_id: m for m in rows}


def dealt_with(*, agency_id: int, worker_id: int) -> bool:
    """The worker has (or had) a membership with the agency or was put forward by it."""
    membership = exists().where(RosterMembership.agency_id == agency_id,
                                RosterMembership.worker_id == worker_id,
                                RosterMembership.status.in_([MembershipStatus.ACTIVE,
                                                             MembershipStatus.ENDED,
                                                             MembershipStatus.INVITED]))
    brokered = exists().where(and_(Application.agency_id == agency_id,
                                   Application.worker_id == worker_id))
    return bool(db.session.scalar(select(membership | brokered)))
