"""Random sequences of marketplace moves across two firms never break the rules.

Hypothesis drives create / apply / offer / accept / decline / withdraw / reject / check-in /
check-out / complete / no-show / cancel through the real services and database; after every
step: headcount holds, filled equals the seats held, no worker is double-booked, and every
successful transition left an audit entry.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from marketplace.admin.models import AuditLog
from marketplace.auth.models import Role, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.firms.models import Firm
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application, Shift
from marketplace.shifts.services import cancel_shift, post_shift
from marketplace.shifts.states import SEAT_HOLDING
from marketplace.workers.models import WorkerProfile, WorkerSkill
from tests.conftest import _HASH, empty_tables, new_credit_code, new_phone
from tests.services.test_concurrency import overlapping_bookings

WORKER_ACTIONS = ["accept", "decline", "withdraw", "check-in", "check-out"]
FIRM_ACTIONS = ["offer", "reject", "complete", "no-show"]


class Marketplace(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        db.session.rollback()
        empty_tables()
        self.firms = [self._firm(n) for n in range(2)]
        self.workers = [self._worker(n) for n in range(4)]
        self.shifts: list[int] = []
        self.transitions = 0
        db.session.commit()

    def _firm(self, n: int) -> User:
        firm = Firm(name=f"firm{n}", credit_code=new_credit_code(), size="small",
                    industry="logistics", verification_status="verified")
        user = User(phone=new_phone(), password_hash=_HASH, name=f"f{n}", role=Role.FIRM,
                    firm=firm)
        db.session.add(user)
        return user

    def _worker(self, n: int) -> User:
        user = User(phone=new_phone(), password_hash=_HASH, name=f"w{n}", role=Role.WORKER)
        user.worker_profile = WorkerProfile(skill_rows=[WorkerSkill(code="loading")])
        db.session.add(user)
        return user

    def _attempt(self, fn, **kwargs) -> bool:
        try:
            fn(**kwargs)
            db.session.commit()
            return True
        except DomainError:
            db.session.rollback()
            return False

    @rule(firm=st.integers(0, 1), start_slot=st.integers(0, 5), hours=st.integers(1, 6),
          headcount=st.integers(1, 3))
    def create_shift(self, firm, start_slot, hours, headcount):
        # Slot 0 starts within the check-in window; the others later, some overlapping.
        starts = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30 + 150 * start_slot)
                  ).replace(microsecond=0)
        shift = post_shift(actor=self.firms[firm], data={
            "title": "装卸", "category": "logistics", "district": "huancui",
            "starts_at": starts, "ends_at": starts + dt.timedelta(hours=hours),
            "headcount": headcount, "pay_amount_fen": 3000, "pay_unit": "hour",
            "settlement": "daily"})
        db.session.commit()
        self.shifts.append(shift.id)

    @rule(worker=st.integers(0, 3), pick=st.integers(0, 50))
    def apply(self, worker, pick):
        if self.shifts:
            shift_id = self.shifts[pick % len(self.shifts)]
            if self._attempt(apps.apply, actor=self.workers[worker], shift_id=shift_id):
                self.transitions += 1

    def _application(self, pick: int) -> Application | None:
        ids = db.session.scalars(select(Application.id).order_by(Application.id)).all()
        return db.session.get(Application, ids[pick % len(ids)]) if ids else None

    @rule(pick=st.integers(0, 50), action=st.sampled_from(WORKER_ACTIONS + FIRM_ACTIONS),
          wrong_party=st.booleans())
    def act(self, pick, action, wrong_party):
        application = self._application(pick)
        if application is None:
            return
        if action in WORKER_ACTIONS:
            actor = application.worker
        else:
            actor = next(f for f in self.firms if f.firm_id == application.shift.firm_id)
        if wrong_party:  # another tenant trying the same move must never succeed
            actor = next(w for w in self.workers if w.id != application.worker_id) \
                if action in WORKER_ACTIONS else \
                next(f for f in self.firms if f.firm_id != application.shift.firm_id)
        ok = self._attempt(apps.transition, actor=actor, application_id=application.id,
                           action=action, params={})
        assert not (ok and wrong_party), f"{action} by another tenant succeeded"
        self.transitions += ok

    @rule(firm=st.integers(0, 1), pick=st.integers(0, 50))
    def cancel(self, firm, pick):
        if self.shifts:
            shift_id = self.shifts[pick % len(self.shifts)]
            self._attempt(cancel_shift, actor=self.firms[firm], shift_id=shift_id)

    @invariant()
    def seats_match_headcount(self):
        held = dict(db.session.execute(
            select(Application.shift_id, func.count()).where(
                Application.status.in_(list(SEAT_HOLDING))).group_by(Application.shift_id)
        ).all())
        for shift in db.session.scalars(select(Shift)):
            assert 0 <= shift.filled <= shift.headcount
            if shift.status != "cancelled":
                assert shift.filled == held.get(shift.id, 0)

    @invariant()
    def nobody_double_booked(self):
        assert overlapping_bookings() == 0

    @invariant()
    def every_transition_audited(self):
        audited = db.session.scalar(
            select(func.count()).select_from(AuditLog).where(
                AuditLog.action.like("application.%"),
                AuditLog.action != "application.rate",
                AuditLog.action != "application.late_withdrawal"))
        assert audited == self.transitions


def test_random_marketplace_histories_keep_the_rules(app):
    run_state_machine_as_test(
        Marketplace,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
