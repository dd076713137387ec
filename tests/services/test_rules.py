"""Business rules of the core services, through the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from marketplace.admin.models import AuditLog
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.matching.feed import build_feed
from marketplace.matching.models import MatchEvent
from marketplace.notifications.models import Notification
from marketplace.shifts import applications as apps
from marketplace.shifts.services import cancel_shift, update_shift
from marketplace.timeutil import LOCAL_TZ
from marketplace.validators import make_credit_code, valid_credit_code
from marketplace.workers.availability import build_availability, fits
from marketplace.workers.services import set_availability, update_profile
from tests.conftest import in_hours


def confirmed(firm, worker, shift):
    application = apps.apply(actor=worker, shift_id=shift.id)
    db.session.flush()
    apps.transition(actor=firm, application_id=application.id, action="offer")
    apps.transition(actor=worker, application_id=application.id, action="accept")
    db.session.commit()
    return application


def test_credit_code_check_digit():
    code = make_credit_code("91371000MA3C5HTX1")
    assert valid_credit_code(code)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not valid_credit_code(wrong)
    assert not valid_credit_code("91371000MA3C5HTXI1")  # I is not in the alphabet
    assert valid_credit_code("91110000802100433B")  # a real, published code (Bank of China)


def local(y, m, d, h, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=LOCAL_TZ)


def test_availability_fit_weekly_and_date_exceptions():
    # Mondays 08:00-18:00; 2030-01-07 is a Monday; 2030-01-14 marked unavailable.
    availability = build_availability([(0, 480, 1080)],
                                      [(dt.date(2030, 1, 14), False, None, None)])
    assert fits(availability, local(2030, 1, 7, 9), local(2030, 1, 7, 17))
    assert not fits(availability, local(2030, 1, 7, 7), local(2030, 1, 7, 12))
    assert not fits(availability, local(2030, 1, 8, 9), local(2030, 1, 8, 12))  # Tuesday
    assert not fits(availability, local(2030, 1, 14, 9), local(2030, 1, 14, 12))
    overnight = build_availability([(0, 1200, 1440), (1, 0, 360)], [])
    assert fits(overnight, local(2030, 1, 7, 22), local(2030, 1, 8, 6))
    assert build_availability([], []).unrestricted


def test_withdrawing_a_confirmed_place_frees_the_seat_and_late_ones_are_recorded(
        make_firm, make_worker, make_shift):
    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, start_in_hours=5, headcount=1)
    application = confirmed(firm, worker, shift)
    assert shift.filled == 1
    apps.transition(actor=worker, application_id=application.id, action="withdraw")
    db.session.commit()
    db.session.refresh(shift)
    assert shift.filled == 0
    late = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "application.late_withdrawal"))
    assert late is not None and late.target_id == application.id


def test_wrong_party_and_other_tenant(make_firm, make_worker, make_shift):
    firm, other_firm = make_firm(), make_firm(name="另一家公司")
    worker, other_worker = make_worker(), make_worker()
    shift = make_shift(firm)
    application = apps.apply(actor=worker, shift_id=shift.id)
    db.session.commit()
    with pytest.raises(NotFound):
        apps.transition(actor=other_firm, application_id=application.id, action="offer")
    with pytest.raises(NotFound):
        apps.transition(actor=other_worker, application_id=application.id, action="withdraw")
    with pytest.raises(Forbidden):
        apps.transition(actor=worker, application_id=application.id, action="offer")
    with pytest.raises(InvalidTransition):
        apps.transition(actor=firm, application_id=application.id, action="complete")


def test_cancelling_a_shift_notifies_and_records(make_firm, make_worker, make_shift):
    firm = make_firm()
    shift = make_shift(firm, headcount=3)
    booked = make_worker()
    applied = make_worker()
    confirmed(firm, booked, shift)
    apps.apply(actor=applied, shift_id=shift.id)
    db.session.commit()
    cancel_shift(actor=firm, shift_id=shift.id, reason="订单取消")
    db.session.commit()
    assert shift.status == "cancelled" and shift.filled == 0
    notified = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "shift_cancelled")))
    assert notified == {booked.id, applied.id}
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "shift.cancel"))
    assert entry.details["confirmed_workers"] == 1 and entry.details["reason"] == "订单取消"


def test_time_and_pay_lock_once_workers_are_confirmed(make_firm, make_worker, make_shift):
    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, headcount=2)
    confirmed(firm, worker, shift)
    with pytest.raises(Conflict) as error:
        update_shift(actor=firm, shift_id=shift.id,
                     changes={"starts_at": shift.starts_at + dt.timedelta(hours=1)})
    assert error.value.code == "shift_has_confirmed_workers"
    with pytest.raises(ValidationFailed):
        update_shift(actor=firm, shift_id=shift.id, changes={"headcount": 0})
    updated = update_shift(actor=firm, shift_id=shift.id, changes={"title": "新标题"})
    assert updated.title == "新标题"


def test_unverified_firm_cannot_post(make_firm, make_shift):
    with pytest.raises(Forbidden) as error:
        make_shift(make_firm(verified=False))
    assert error.value.code == "firm_not_verified"


@pytest.mark.parametrize("unit,amount,minutes,pieces,expected", [
    ("hour", 3000, 450, None, 22500), ("day", 20000, 60, None, 20000),
    ("piece", 50, None, 120, 6000)])
def test_pay_due(make_firm, make_worker, make_shift, unit, amount, minutes, pieces, expected):
    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, start_in_hours=1, unit=unit, pay_fen=amount)
    application = confirmed(firm, worker, shift)
    apps.transition(actor=worker, application_id=application.id, action="check-in")
    params = {k: v for k, v in (("minutes_worked", minutes), ("pieces", pieces)) if v is not None}
    apps.transition(actor=firm, application_id=application.id, action="complete", params=params)
    db.session.commit()
    assert application.attendance.pay_due_fen == expected
    kinds = set(db.session.scalars(select(MatchEvent.kind).where(
        MatchEvent.worker_id == worker.id)))
    assert {"apply", "offer", "hire", "complete"} <= kinds


def test_no_show_only_after_start(make_firm, make_worker, make_shift):
    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, start_in_hours=10)
    application = confirmed(firm, worker, shift)
    with pytest.raises(Conflict):
        apps.transition(actor=firm, application_id=application.id, action="no-show")


def test_feed_applies_hard_constraints_and_logs_impressions(make_firm, make_worker,
                                                           make_shift):
    firm = make_firm()
    worker = make_worker(certificates=["health_cert"], radius=20)
    plain = make_shift(firm, title="普通班")
    needs_cert = make_shift(firm, title="需健康证", certificates=["health_cert"])
    needs_other = make_shift(firm, title="需叉车证", certificates=["forklift_licence"])
    far = make_shift(firm, title="乳山远处", district="rushan")
    items, total = build_feed(actor=worker)
    shown = {item.shift.id for item in items}
    assert shown == {plain.id, needs_cert.id}
    assert needs_other.id not in shown and far.id not in shown
    assert total == 2
    positions = sorted(db.session.scalars(select(MatchEvent.position).where(
        MatchEvent.kind == "impression", MatchEvent.worker_id == worker.id)))
    assert positions == [1, 2]

    # Only Sundays: the shifts (48 h from now) disappear unless they fall on a Sunday.
    starts_local = plain.starts_at.astimezone(LOCAL_TZ)
    other_day = (starts_local.weekday() + 1) % 7
    set_availability(actor=worker, weekly=[{"weekday": other_day, "start": "00:00",
                                            "end": "24:00"}], dates=[])
    db.session.commit()
    assert build_feed(actor=worker, log=False) == ([], 0)

    # Already applied shifts leave the feed.
    set_availability(actor=worker, weekly=[], dates=[])
    apps.apply(actor=worker, shift_id=plain.id)
    db.session.commit()
    assert {i.shift.id for i in build_feed(actor=worker, log=False)[0]} == {needs_cert.id}


def test_feed_ranks_by_skill_and_pay_with_reasons(make_firm, make_worker, make_shift):
    firm = make_firm()
    worker = make_worker(skills=["forklift"], min_pay_fen=20000)
    good = make_shift(firm, title="叉车", skills=["forklift"], pay_fen=3500)
    poor = make_shift(firm, title="分拣", skills=["seafood_sorting"], pay_fen=2300)
    items, _ = build_feed(actor=worker, log=False)
    assert [i.shift.id for i in items] == [good.id, poor.id]
    keys = [key for key, _ in items[0].reasons]
    assert keys[:3] == ["skills", "distance", "pay_above"]


def test_profile_validation_and_priority_status_reset(make_worker):
    worker = make_worker()
    with pytest.raises(ValidationFailed) as error:
        update_profile(actor=worker, changes={"commute_radius_km": 0, "skills": ["juggling"]})
    assert set(error.value.fields) == {"commute_radius_km", "skills"}
    worker.worker_profile.priority_verified = True
    update_profile(actor=worker, changes={"priority_group": "veteran"})
    assert worker.worker_profile.priority_verified is False


def test_shift_in_the_past_or_too_long_is_refused(make_firm, make_shift):
    firm = make_firm()
    with pytest.raises(ValidationFailed) as error:
        make_shift(firm, starts_at=in_hours(-2))
    assert "starts_at" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        make_shift(firm, hours=24 * 20)
    assert "ends_at" in error.value.fields


def test_feed_cache_reuses_the_ranking_until_the_worker_changes_something(
        app, make_firm, make_worker, make_shift):
    app.config["FEED_CACHE_SECONDS"] = 60
    try:
        firm = make_firm()
        worker = make_worker()
        first = make_shift(firm, title="第一")
        assert [i.shift.id for i in build_feed(actor=worker, log=False)[0]] == [first.id]
        second = make_shift(firm, title="第二")
        # Cached: a shift posted a moment ago waits for the cache to expire ...
        assert [i.shift.id for i in build_feed(actor=worker, log=False)[0]] == [first.id]
        # ... but the worker's own moves are seen at once (the key follows them).
        apps.apply(actor=worker, shift_id=first.id)
        db.session.commit()
        assert [i.shift.id for i in build_feed(actor=worker, log=False)[0]] == [second.id]
        # A shift that filled up since it was cached is left out of the page.
        second.filled = second.headcount
        db.session.commit()
        assert build_feed(actor=worker, log=False)[0] == []
    finally:
        app.config["FEED_CACHE_SECONDS"] = 0


def test_accepting_keeps_what_the_same_transaction_already_wrote(
        make_firm, make_worker, make_shift):
    """A service that applies, offers and accepts in one transaction (as agencies and the
    sharing exchange do) keeps every step: on SQLite, taking the write lock for the accept
    must not roll back rows that were flushed earlier in the transaction."""
    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, headcount=1)
    application = apps.apply(actor=worker, shift_id=shift.id)
    apps.transition(actor=firm, application_id=application.id, action="offer")
    db.session.flush()  # services flush; nothing is pending any more, yet rows were written
    apps.transition(actor=worker, application_id=application.id, action="accept")
    db.session.commit()
    db.session.expire_all()
    assert apps.get_application(actor=worker, application_id=application.id).status == "confirmed"
    assert db.session.get(type(shift), shift.id).filled == 1


def test_a_shift_that_has_started_cannot_be_cancelled(make_firm, make_worker, make_shift):
    from marketplace.shifts.models import Shift

    firm, worker = make_firm(), make_worker()
    shift = make_shift(firm, start_in_hours=30, headcount=2)
    confirmed(firm, worker, shift)
    assert shift.cancellable
    # time passes: the shift began two hours ago
    db.session.execute(update(Shift).where(Shift.id == shift.id).values(
        starts_at=in_hours(-2), ends_at=in_hours(6)))
    db.session.commit()
    db.session.refresh(shift)
    assert not shift.cancellable
    with pytest.raises(Conflict) as error:
        cancel_shift(actor=firm, shift_id=shift.id)
    assert error.value.code == "shift_started"
    db.session.rollback()
    assert db.session.get(Shift, shift.id).status == "open"
