"""The application state machine: every allowed transition, as data, in one place."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AppStatus(enum.StrEnum):
    # Put forward by an HR agency; waits for the worker to confirm on their phone. The firm
    # does not see it until then (a worker's standing consent skips this step).
    PROPOSED = "proposed"
    APPLIED = "applied"
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Actor(enum.StrEnum):
    WORKER = "worker"
    FIRM = "firm"
    AGENCY = "agency"
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    source: AppStatus
    target: AppStatus
    actor: Actor


TRANSITIONS: tuple[Transition, ...] = (
    # An agency's proposal counts only once the worker confirms it (or consented beforehand).
    Transition("confirm", AppStatus.PROPOSED, AppStatus.APPLIED, Actor.WORKER),
    Transition("decline", AppStatus.PROPOSED, AppStatus.DECLINED, Actor.WORKER),
    Transition("retract", AppStatus.PROPOSED, AppStatus.WITHDRAWN, Actor.AGENCY),
    Transition("retract", AppStatus.APPLIED, AppStatus.WITHDRAWN, Actor.AGENCY),
    Transition("offer", AppStatus.APPLIED, AppStatus.OFFERED, Actor.FIRM),
    Transition("reject", AppStatus.APPLIED, AppStatus.REJECTED, Actor.FIRM),
    Transition("reject", AppStatus.OFFERED, AppStatus.REJECTED, Actor.FIRM),
    Transition("withdraw", AppStatus.APPLIED, AppStatus.WITHDRAWN, Actor.WORKER),
    Transition("withdraw", AppStatus.OFFERED, AppStatus.WITHDRAWN, Actor.WORKER),
    Transition("withdraw", AppStatus.CONFIRMED, AppStatus.WITHDRAWN, Actor.WORKER),
    Transition("accept", AppStatus.OFFERED, AppStatus.CONFIRMED, Actor.WORKER),
    Transition("decline", AppStatus.OFFERED, AppStatus.DECLINED, Actor.WORKER),
    Transition("check-in", AppStatus.CONFIRMED, AppStatus.CHECKED_IN, Actor.WORKER),
    # Check-out records the time worked; the firm's "complete" confirms attendance and hours.
    Transition("check-out", AppStatus.CHECKED_IN, AppStatus.CHECKED_IN, Actor.WORKER),
    Transition("complete", AppStatus.CHECKED_IN, AppStatus.COMPLETED, Actor.FIRM),
    Transition("no-show", AppStatus.CONFIRMED, AppStatus.NO_SHOW, Actor.FIRM),
    Transition("cancel", AppStatus.PROPOSED, AppStatus.CANCELLED, Actor.SYSTEM),
    Transition("cancel", AppStatus.APPLIED, AppStatus.CANCELLED, Actor.SYSTEM),
    Transition("cancel", AppStatus.OFFERED, AppStatus.CANCELLED, Actor.SYSTEM),
    Transition("cancel", AppStatus.CONFIRMED, AppStatus.CANCELLED, Actor.SYSTEM),
    # A lent worker who consents to a sharing agreement again is offered its days again.
    Transition("reoffer", AppStatus.WITHDRAWN, AppStatus.OFFERED, Actor.SYSTEM),
    Transition("reoffer", AppStatus.DECLINED, AppStatus.OFFERED, Actor.SYSTEM),
    # Proposals the worker has not confirmed lapse when their agency membership ends.
    Transition("lapse", AppStatus.PROPOSED, AppStatus.WITHDRAWN, Actor.SYSTEM),
    # Applying again after withdrawing reopens the same row: by the worker themself (or an
    # agency with the worker's standing consent), or as an agency's proposal.
    Transition("reapply", AppStatus.WITHDRAWN, AppStatus.APPLIED, Actor.SYSTEM),
    Transition("repropose", AppStatus.WITHDRAWN, AppStatus.PROPOSED, Actor.SYSTEM),
)

# The status a new application row starts in, by how it comes into being.
NEW_STATUSES: dict[str, AppStatus] = {
    "apply": AppStatus.APPLIED,  # the worker, or an agency with the worker's standing consent
    "propose": AppStatus.PROPOSED,  # an agency's proposal, waiting for the worker
    "lend": AppStatus.OFFERED,  # a lent worker's day under a sharing agreement
}

ACTIONS: frozenset[str] = frozenset(t.action for t in TRANSITIONS if t.actor != Actor.SYSTEM)
WORKER_ACTIONS = frozenset(t.action for t in TRANSITIONS if t.actor == Actor.WORKER)
FIRM_ACTIONS = frozenset(t.action for t in TRANSITIONS if t.actor == Actor.FIRM)
AGENCY_ACTIONS = frozenset(t.action for t in TRANSITIONS if t.actor == Actor.AGENCY)
# Each action belongs to exactly one party (checked below), so the action names the party.
ACTOR_OF_ACTION: dict[str, Actor] = {t.action: t.actor for t in TRANSITIONS}
if len({(t.action, t.actor) for t in TRANSITIONS}) != len(ACTOR_OF_ACTION):
    raise RuntimeError("an action of the state machine belongs to more than one party")

# Statuses that hold one of the shift's seats (counted in Shift.filled).
SEAT_HOLDING: frozenset[AppStatus] = frozenset(
    {AppStatus.CONFIRMED, AppStatus.CHECKED_IN, AppStatus.COMPLETED, AppStatus.NO_SHOW}
)
# Statuses that occupy the worker's time (no two may overlap).
BOOKED: frozenset[AppStatus] = frozenset(
    {AppStatus.CONFIRMED, AppStatus.CHECKED_IN, AppStatus.COMPLETED}
)
ACTIVE: frozenset[AppStatus] = frozenset(
    {AppStatus.PROPOSED, AppStatus.APPLIED, AppStatus.OFFERED, AppStatus.CONFIRMED,
     AppStatus.CHECKED_IN}
)

_BY_KEY = {(t.action, t.source): t for t in TRANSITIONS}


def find_transition(action: str, source: str) -> Transition | None:
    return _BY_KEY.get((action, AppStatus(source)))


def sources_of(action: str) -> frozenset[AppStatus]:
    """Every status the action can start from (a bulk change moves only these rows)."""
    return frozenset(t.source for t in TRANSITIONS if t.action == action)


def target_of(action: str) -> AppStatus:
    """The one status the action leads to; refused for an unknown action or one whose
    sources lead to different statuses (a bulk move must know where every row goes)."""
    targets = {t.target for t in TRANSITIONS if t.action == action}
    if len(targets) != 1:
        raise ValueError(f"action {action!r} has {len(targets)} targets in the state machine")
    return next(iter(targets))


def actions_for(status: str, actor: Actor) -> list[str]:
    """Actions the given actor may take from this status, in the order listed above."""
    seen: list[str] = []
    for t in TRANSITIONS:
        if t.source == status and t.actor == actor and t.action not in seen:
            seen.append(t.action)
    return seen


def sql_in(statuses: frozenset[AppStatus]) -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(statuses))
