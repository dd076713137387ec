"""Firm-side services: favourites, invitations, the firm's workers."""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.errors import N_, Conflict, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.firms.models import Favourite, Firm
from marketplace.notifications.services import notify
from marketplace.shifts.models import Application, Invitation, ShiftStatus
from marketplace.shifts.services import get_own_shift


def require_firm(actor: User) -> Firm:
    if actor.role != Role.FIRM or actor.firm is None:
        raise Forbidden(N_("Only firm accounts can do this"))
    return actor.firm


def _has_worked_for(firm_id: int, worker_id: int) -> bool:
    """A firm may only favourite workers who have applied to one of its shifts."""
    from marketplace.shifts.models import Shift

    return bool(db.session.scalar(select(exists().where(
        Application.worker_id == worker_id, Application.shift_id == Shift.id,
        Shift.firm_id == firm_id,
    ))))


def add_favourite(*, actor: User, worker_id: int) -> Favourite:
    firm = require_firm(actor)
    if not _has_worked_for(firm.id, worker_id):
        raise NotFound(N_("Worker not found"))
    favourite = db.session.get(Favourite, (firm.id, worker_id))
    if favourite is None:
        favourite = Favourite(firm_id=firm.id, worker_id=worker_id)
        db.session.add(favourite)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            favourite = db.session.get(Favourite, (firm.id, worker_id))
        record(actor=actor, action="firm.favourite_add", target_type="user", target_id=worker_id)
    return favourite


def remove_favourite(*, actor: User, worker_id: int) -> None:
    firm = require_firm(actor)
    db.session.execute(
        delete(Favourite).where(Favourite.firm_id == firm.id, Favourite.worker_id == worker_id)
    )
    record(actor=actor, action="firm.favourite_remove", target_type="user", target_id=worker_id)


def favourite_ids(firm_id: int) -> set[int]:
    return set(db.session.scalars(select(Favourite.worker_id).where(Favourite.firm_id == firm_id)))


def list_favourites(*, actor: User, page: int, per_page: int):
    firm = require_firm(actor)
    query = (
        select(User).join(Favourite, Favourite.worker_id == User.id)
        .where(Favourite.firm_id == firm.id).order_by(Favourite.created_at.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def invite(*, actor: User, shift_id: int, worker_id: int) -> Invitation:
    """Invite a favourite worker to an open shift: they get a message and apply in one tap."""
    firm = require_firm(actor)
    shift = _open_own_shift(actor, shift_id)
    if db.session.get(Favourite, (firm.id, worker_id)) is None:
        raise NotFound(N_("Worker not found among your favourites"))
    return _send_invitation(actor, shift, worker_id, via="favourites")


def invite_candidate(*, actor: User, shift_id: int, worker_id: int) -> Invitation:
    """Invite one of the shift's suggested candidates (an eligible worker who has not applied).

    Any worker who passes the shift's hard constraints may be invited, favourite or not;
    anyone else is "not found", so the route cannot be used to probe for workers.
    """
    from marketplace.matching.candidates import eligible_workers

    require_firm(actor)
    shift = _open_own_shift(actor, shift_id)
    if worker_id not in set(eligible_workers(shift)):
        raise NotFound(N_("Worker not found among the candidates"))
    return _send_invitation(actor, shift, worker_id, via="candidates")


def invited_ids(shift_id: int) -> set[int]:
    """The workers already invited to a shift, in one query."""
    return set(db.session.scalars(
        select(Invitation.worker_id).where(Invitation.shift_id == shift_id)))


def users_by_id(user_ids) -> dict[int, User]:
    """Users for a page of rows (names, masked phones), in one query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _open_own_shift(actor: User, shift_id: int):
    shift = get_own_shift(actor=actor, shift_id=shift_id)
    if shift.status != ShiftStatus.OPEN or not shift.listed:
        raise Conflict(N_("Only open shifts can be offered"), code="shift_closed")
    return shift


def _send_invitation(actor: User, shift, worker_id: int, *, via: str) -> Invitation:
    existing = db.session.scalar(select(Invitation).where(
        Invitation.shift_id == shift.id, Invitation.worker_id == worker_id))
    if existing is not None:
        raise Conflict(N_("This worker was already invited to this shift"), code="already_invited")
    invitation = Invitation(shift_id=shift.id, worker_id=worker_id, invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    notify(user_id=worker_id, kind="invitation", message=f"invitation:{shift.title}",
           link=f"/shifts/{shift.id}")
    record(actor=actor, action="firm.invite", target_type="shift", target_id=shift.id,
           worker_id=worker_id, via=via)
    return invitation


def invitations_for_worker(worker_id: int) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).join(Invitation.shift)
        .where(Invitation.worker_id == worker_id)
        .order_by(Invitation.created_at.desc()).limit(50)
    ))
