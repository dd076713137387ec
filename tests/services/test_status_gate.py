"""Every change of an application's status goes through one gate (marketplace/shifts/gate.py).

The source of `marketplace/` is read (ast) and any write of an application's status outside
the gate fails: an `update(Application)` / `Application.__table__.update()` whose values name
`status`, SQL text that updates `applications ... status`, an `Application(...)` built with a
status (outside the gate and the listed demo seeders), and `X.status = ...` or
`setattr(X, "status", ...)` on a variable that names an application. The gate itself refuses
what the state machine does not list.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.shifts import gate, states
from marketplace.shifts.models import Application
from marketplace.shifts.states import AppStatus, Transition

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketplace"
GATE = "marketplace/shifts/gate.py"
# Demo seeders write history directly (rows in any status, with past dates); they are listed
# here by name so a new one is a decision, not an accident.
SEEDERS = frozenset({"marketplace/agencies/demo.py"})
APPLICATION_NAME = re.compile(r"app", re.IGNORECASE)
SQL_STATUS_UPDATE = re.compile(r"\bupdate\s+applications\b.*\bstatus\b",
                               re.IGNORECASE | re.DOTALL)


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=name)


def _is_application(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "Application"


def _updates_applications(node: ast.expr) -> bool:
    """True if the call chain starts from `update(Application)` or
    `Application.__table__.update()`."""
    while True:
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "update" and node.args \
                    and _is_application(node.args[0]):
                return True
            if isinstance(func, ast.Attribute) and func.attr == "update" \
                    and isinstance(func.value, ast.Attribute) \
                    and func.value.attr == "__table__" and _is_application(func.value.value):
                return True
            node = func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False


def _names_status(call: ast.Call) -> bool:
    """Whether a `.values(...)` call may set `status` (a keyword, a dict key, or `**`)."""
    for keyword in call.keywords:
        if keyword.arg in (None, "status"):
            return True
    for arg in call.args:
        if isinstance(arg, ast.Dict):
            if any(key is None or (isinstance(key, ast.Constant) and key.value == "status")
                   for key in arg.keys):
                return True
        else:
            return True  # a dict built elsewhere: cannot tell, so not allowed
    return False


def _target_name(node: ast.expr) -> str:
    """The name an attribute hangs from: `application` for `application.status`,
    `apps[0]` → `apps`, `self.application` → `application`."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def status_writes(name: str, tree: ast.Module) -> list[str]:
    found: list[str] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{name}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if name != GATE and isinstance(func, ast.Attribute) and func.attr == "values" \
                    and _updates_applications(func.value) and _names_status(node):
                report(node, "status written by an UPDATE of applications outside the gate")
            if name != GATE and name not in SEEDERS and _is_application(func) \
                    and any(k.arg in (None, "status") for k in node.keywords):
                report(node, "Application(...) built with a status outside the gate")
            if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "status" \
                    and APPLICATION_NAME.search(_target_name(node.args[0])):
                report(node, "setattr(<application>, 'status', ...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and name != GATE and SQL_STATUS_UPDATE.search(node.value):
            report(node, "SQL text updating applications.status outside the gate")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and part.attr == "status" \
                            and (_is_application(part.value)
                                 or APPLICATION_NAME.search(_target_name(part.value))):
                        report(node, "<application>.status assigned")
    return found


def test_no_status_write_outside_the_gate() -> None:
    found = [line for name, tree in _modules() for line in status_writes(name, tree)]
    assert found == [], "application status written outside marketplace/shifts/gate.py:\n" \
        + "\n".join(found)


def test_the_listed_seeders_and_the_gate_exist() -> None:
    for name in SEEDERS | {GATE}:
        assert (ROOT / name).is_file(), name


@pytest.mark.parametrize("source, expected", [
    ("from sqlalchemy import update\n"
     "update(Application).where(Application.id == 1).values(status='withdrawn')\n", 1),
    ("Application.__table__.update().values({'status': 'cancelled'})\n", 1),
    ("update(Application).values(**changes)\n", 1),
    ("update(Application).values(starts_at=1, ends_at=2)\n", 0),
    ("update(Shift).values(status='cancelled')\n", 0),
    ("db.session.execute(text('UPDATE applications SET status = :s WHERE id = :i'))\n", 1),
    ("Application(shift_id=1, worker_id=2, status='applied')\n", 1),
    ("Application(shift_id=1, worker_id=2)\n", 0),
    ("application.status = 'withdrawn'\n", 1),
    ("apps[0].status = 'cancelled'\n", 1),
    ("self.application.status = 'offered'\n", 1),
    ("setattr(app, 'status', 'offered')\n", 1),
    ("shift.status = 'cancelled'\nmember.status = 'ended'\nmembership.status = 'ended'\n", 0),
])
def test_the_scan_recognises_status_writes(source: str, expected: int) -> None:
    assert len(status_writes("marketplace/x.py", ast.parse(source))) == expected
    # The gate itself may update and build rows, but never assign the attribute by hand.
    if "application.status =" in source:
        assert len(status_writes(GATE, ast.parse(source))) == expected


# ------------------------------------------------------------------ the gate refuses


def test_a_bulk_move_needs_an_action_with_a_single_target(monkeypatch) -> None:
    forked = (*states.TRANSITIONS,
              Transition("fork", AppStatus.APPLIED, AppStatus.OFFERED, states.Actor.SYSTEM),
              Transition("fork", AppStatus.OFFERED, AppStatus.REJECTED, states.Actor.SYSTEM))
    monkeypatch.setattr(states, "TRANSITIONS", forked)
    with pytest.raises(ValueError, match="2 targets"):
        gate.move_many(action="fork", where=[Application.shift_id == 1])
    with pytest.raises(ValueError, match="0 targets"):
        gate.move_many(action="teleport", where=[Application.shift_id == 1])
    with pytest.raises(ValueError, match="status"):
        gate.move_many(action="cancel", where=[Application.shift_id == 1],
                       values={"status": AppStatus.COMPLETED})


def test_every_bulk_action_of_the_code_has_one_target() -> None:
    for action in ("cancel", "lapse", "reapply", "repropose"):
        states.target_of(action)
    assert states.target_of("lapse") == AppStatus.WITHDRAWN
    assert states.sources_of("lapse") == {AppStatus.PROPOSED}
    assert states.target_of("reapply") == AppStatus.APPLIED
    assert states.target_of("repropose") == AppStatus.PROPOSED


def test_a_system_move_from_a_source_not_listed_is_refused() -> None:
    from marketplace.errors import InvalidTransition

    # "reoffer" starts only from withdrawn or declined; "offer" is the firm's, not the system's.
    for status, action in ((AppStatus.APPLIED, "reoffer"), (AppStatus.APPLIED, "offer"),
                           (AppStatus.COMPLETED, "cancel"), (AppStatus.WITHDRAWN, "lapse")):
        with pytest.raises(InvalidTransition):
            gate.system_transition(application=Application(status=status), action=action)


def test_a_new_row_starts_only_in_a_listed_status() -> None:
    from marketplace.errors import InvalidTransition

    assert set(states.NEW_STATUSES.values()) == {AppStatus.APPLIED, AppStatus.PROPOSED,
                                                 AppStatus.OFFERED}
    with pytest.raises(InvalidTransition):
        gate.new_application(entry="hire", shift_id=1, worker_id=1)


def test_a_bulk_move_touches_only_rows_in_the_action_sources(make_firm, make_worker,
                                                             make_shift) -> None:
    from marketplace.extensions import db
    from marketplace.shifts import applications as apps

    firm = make_firm()
    shift = make_shift(firm)
    workers = [make_worker() for _ in range(3)]
    rows = [apps.apply(actor=w, shift_id=shift.id) for w in workers]
    db.session.commit()
    apps.transition(actor=workers[0], application_id=rows[0].id, action="withdraw")
    db.session.commit()
    # Applying again after withdrawing reopens the row through the gate ("reapply").
    again = apps.apply(actor=workers[0], shift_id=shift.id)
    assert again.id == rows[0].id and again.status == AppStatus.APPLIED
    apps.transition(actor=workers[1], application_id=rows[1].id, action="withdraw")
    db.session.commit()

    moved = gate.move_many(action="cancel", where=[Application.shift_id == shift.id])
    db.session.commit()
    assert moved == 2
    statuses = {a.worker_id: a.status for a in db.session.scalars(
        db.select(Application).where(Application.shift_id == shift.id))}
    assert statuses == {workers[0].id: AppStatus.CANCELLED, workers[1].id: AppStatus.WITHDRAWN,
                        workers[2].id: AppStatus.CANCELLED}
    # Nothing is left in a source of "cancel", so a second run moves nothing.
    assert gate.move_many(action="cancel", where=[Application.shift_id == shift.id]) == 0
