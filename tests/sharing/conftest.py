"""Builders for the sharing exchange: staff who confirmed on their phone, listings, and
agreements taken through the real services (propose, name workers, sign)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import update

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.sharing import agreements
from marketplace.sharing import services as sharing
from marketplace.sharing.models import ListingKind
from marketplace.shifts.models import Application, Shift


def today() -> dt.date:
    return sharing.local_today()


@pytest.fixture
def make_staff(make_worker) -> Callable:
    """A worker on the firm's staff list who confirmed on their phone."""

    def build(firm_user, *, name: str = "张师傅", skills=("seafood_sorting",), accept=True):
        worker = make_worker(name=name, skills=skills)
        member = sharing.add_staff(actor=firm_user, phone=worker.phone)
        db.session.commit()
        if accept:
            sharing.respond_staff(actor=worker, staff_id=member.id, accept=True)
            db.session.commit()
        return worker

    return build


def listing_data(**extra) -> dict:
    start = extra.pop("start_date", None) or today() + dt.timedelta(days=1)
    return {"title": "包裹分拣", "headcount": 2, "start_date": start,
            "end_date": extra.pop("end_date", None) or start + dt.timedelta(days=13),
            "district": "jingqu", "work_content": "电商大促包裹分拣、装车",
            "skills": ["sorting_parcels"], **extra}


@pytest.fixture
def make_listing() -> Callable:
    def build(firm_user, kind: str = ListingKind.NEED, **extra):
        data = listing_data(**extra)
        if kind == ListingKind.OFFER:
            data.pop("daily_pay_fen", None)
        else:
            data.setdefault("daily_pay_fen", 22000)
        listing = sharing.create_listing(actor=firm_user, kind=kind, data=data)
        db.session.commit()
        return listing

    return build


@pytest.fixture
def make_agreement(make_listing) -> Callable:
    """A draft between the lender's offer and the borrower's need, with the lender's workers
    named and the terms changed as asked; signed by both unless `sign=False`."""

    def build(lender, borrower, workers, *, sign: bool = True, days: int = 14, **terms):
        start = terms.pop("start_date", None) or today() + dt.timedelta(days=1)
        end = start + dt.timedelta(days=days - 1)
        offer = make_listing(lender, ListingKind.OFFER, start_date=start, end_date=end,
                             headcount=max(len(workers), 1))
        need = make_listing(borrower, ListingKind.NEED, start_date=start, end_date=end,
                            headcount=max(len(workers), 1))
        agreement = agreements.propose(actor=lender, listing_id=offer.id,
                                       counterpart_id=need.id)
        db.session.commit()
        changes = {"weekdays": "1234567", **terms}
        agreement = agreements.update_terms(actor=lender, agreement_id=agreement.id,
                                            version=agreement.terms_version, changes=changes)
        db.session.commit()
        if workers:
            agreement = agreements.update_terms(
                actor=lender, agreement_id=agreement.id, version=agreement.terms_version,
                changes={"worker_ids": [w.id for w in workers]})
            db.session.commit()
        if sign:
            for firm_user in (lender, borrower):
                agreements.sign(actor=firm_user, agreement_id=agreement.id,
                                version=agreement.terms_version)
                db.session.commit()
        return agreement

    return build


def arrive(shift_id: int, *, minutes_ahead: int = 30, hours: int = 8) -> None:
    """Move one day shift (and its applications) so that it starts in `minutes_ahead`
    minutes: the day has come, check-in is open (tests cannot wait for the calendar)."""
    starts = utcnow().replace(second=0, microsecond=0) + dt.timedelta(minutes=minutes_ahead)
    ends = starts + dt.timedelta(hours=hours)
    db.session.execute(update(Shift).where(Shift.id == shift_id)
                       .values(starts_at=starts, ends_at=ends))
    db.session.execute(update(Application).where(Application.shift_id == shift_id)
                       .values(starts_at=starts, ends_at=ends))
    db.session.commit()
    db.session.expire_all()


def finish(shift_id: int) -> None:
    """Move a day shift into the past (it ended an hour ago)."""
    ends = utcnow().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    starts = ends - dt.timedelta(hours=8)
    db.session.execute(update(Shift).where(Shift.id == shift_id)
                       .values(starts_at=starts, ends_at=ends))
    db.session.execute(update(Application).where(Application.shift_id == shift_id)
                       .values(starts_at=starts, ends_at=ends))
    db.session.commit()
    db.session.expire_all()
