"""The one gate every change of an application's status goes through.

The moves themselves are data in `states.py`; this module is the only code that writes
`applications.status`: a single move (`claim`, `system_transition`), a move of many rows at
once (`move_many`), the reopening of a withdrawn application (`reopen`) and the creation of a
new row (`new_application`). Each is a conditional statement whose `WHERE` names the sources
the table lists, so a row in any other status is left alone. `tests/services/
test_status_gate.py` fails on any other write of the column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.db import utcnow
from marketplace.errors import N_, InvalidTransition, Text
from marketplace.extensions import db
from marketplace.shifts.models import Application
from marketplace.shifts.states import (
    NEW_STATUSES,
    Actor,
    AppStatus,
    Transition,
    find_transition,
    sources_of,
    target_of,
)


def claim(application: Application, step: Transition, **values: Any) -> None:
    """Move the application from the step's source to its target with one conditional
    UPDATE, row count checked: of two identical requests racing, only one gets past here,
    so the seat and pay changes that follow (in the same transaction) happen once."""
    now = utcnow()
    moved = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == step.source)
        .values(status=step.target, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise InvalidTransition(Text(
            f"Cannot {step.action}: the application changed meanwhile",
            N_("This is not possible at the application's current stage"),
        ))
    for name, value in {"status": step.target, "updated_at": now, **values}.items():
        set_committed_value(application, name, value)


def system_transition(*, application: Application, action: str, **values: Any) -> None:
    """A move the system makes on its own (listed with the SYSTEM actor in states.py)."""
    step = find_transition(action, application.status)
    if step is None or step.actor != Actor.SYSTEM:
        raise InvalidTransition(N_("This is not possible at the application's current stage"))
    claim(application, step, **values)


def move_many(*, action: str, where: list[ColumnElement[bool]],
              values: dict[str, Any] | None = None,
              synchronize_session: str | bool = False) -> int:
    """Move every application matching `where` that stands in one of the action's sources
    to its single target, in one UPDATE; returns the number of rows moved. Rows in any other
    status are left as they are. Refuses an action that is unknown or has several targets."""
    if values and "status" in values:
        raise ValueError("move_many sets the status itself, from the action")
    target = target_of(action)
    sources = sorted(sources_of(action))
    return db.session.execute(
        update(Application)
        .where(*where, Application.status.in_(sources))
        .values({"updated_at": utcnow(), **(values or {}), "status": target})
        .execution_options(synchronize_session=synchronize_session)
    ).rowcount


def reopen(application: Application, *, action: str, values: dict[str, Any]) -> bool:
    """Reopen a withdrawn application ("reapply" or "repropose"): one conditional UPDATE,
    so of two racing requests only one moves the row. Returns whether it moved; the caller
    refreshes the row."""
    return move_many(action=action, where=[Application.id == application.id],
                     values=values) == 1


def new_application(*, entry: str, **fields: Any) -> Application:
    """A new application row, in the status its entry (listed in states.py) starts it in."""
    if entry not in NEW_STATUSES:
        raise InvalidTransition(Text(
            f"Unknown entry into the state machine: {entry}",
            N_("This is not possible at the application's current stage"),
        ))
    application = Application(status=NEW_STATUSES[entry], **fields)
    db.session.add(application)
    return application


__all__ = ["AppStatus", "claim", "move_many", "new_application", "reopen", "system_transition"]
