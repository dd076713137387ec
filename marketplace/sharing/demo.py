"""Demo data of the sharing exchange, added by `flask demo load` after the market is written.

Everything goes through the services, so every rule holds: staff confirm on their phone,
listings of idle staff and of needs, and two agreements of the demo seafood firm (the lender,
off-season) with a logistics firm and a hotel:
- one signed by both and under way: one lent worker consented (their days are booked at the
  borrower), another has not answered yet;
- one signed by both and waiting for the demo worker's own consent (after the demo worker's
  booked shifts, so consenting works in the demo).
Which firms and workers take part is decided by a generator seeded with the demo seed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import exists, select

from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.firms.models import Firm, Verification
from marketplace.sharing import agreements
from marketplace.sharing import services as sharing
from marketplace.sharing.models import ListingKind
from marketplace.shifts.models import Application
from marketplace.shifts.states import BOOKED
from marketplace.workers.models import WorkerProfile

LENDER_STAFF = 8
OTHER_LENDER_STAFF = 4


def _member(firm_id: int) -> User:
    return db.session.scalar(select(User).where(User.firm_id == firm_id, User.role == Role.FIRM)
                             .order_by(User.id).limit(1))


def _free(worker_ids: list[int], start: dt.date, end: dt.date) -> list[int]:
    """Workers with no booked shift between the two dates (local), so they can consent."""
    lo = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=8)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    busy = set(db.session.scalars(select(Application.worker_id).where(
        Application.worker_id.in_(worker_ids), Application.status.in_(sorted(BOOKED)),
        Application.starts_at < hi, Application.ends_at > lo)))
    return [w for w in worker_ids if w not in busy]


def _hire(firm_user: User, workers: list[User], job: str) -> dict[int, int]:
    """The firm adds its employees; each confirms on their phone. worker id -> staff id."""
    staff = {}
    for worker in workers:
        member = sharing.add_staff(actor=firm_user, phone=worker.phone, job_title=job,
                                   since=sharing.local_today() - dt.timedelta(days=400))
        db.session.flush()
        sharing.respond_staff(actor=worker, staff_id=member.id, accept=True)
        staff[worker.id] = member.id
    db.session.commit()
    return staff


def _firm_of(industries: tuple[str, ...], exclude: set[int], rng) -> Firm | None:
    """A verified firm of the first of `industries` that has one (else any verified firm)."""
    for industry in (*industries, None):
        query = select(Firm).where(Firm.verification_status == Verification.VERIFIED,
                                   Firm.id.not_in(exclude or {0}))
        if industry is not None:
            query = query.where(Firm.industry == industry)
        firms = list(db.session.scalars(query.order_by(Firm.id)))
        if firms:
            return firms[int(rng.integers(len(firms)))]
    return None


def load_sharing(*, seed: int, demo_firm_phone: str, demo_worker_phone: str) -> dict[str, int]:
    rng = np.random.default_rng([seed, 2020])  # 2020: the year shared employment took off
    today = sharing.local_today()
    lender_user = db.session.scalar(select(User).where(User.phone == demo_firm_phone))
    demo_worker = db.session.scalar(select(User).where(User.phone == demo_worker_phone))
    if lender_user is None or demo_worker is None:
        return {}
    lender = lender_user.firm
    taken = {lender.id}
    borrower = _firm_of(("logistics", "retail", "manufacturing"), taken, rng)
    taken |= {borrower.id} if borrower else set()
    hotel = _firm_of(("hospitality", "tourism", "retail", "cleaning"), taken, rng)
    taken |= {hotel.id} if hotel else set()
    other_lender = _firm_of(("textiles", "manufacturing"), taken, rng)
    if borrower is None or hotel is None or other_lender is None:
        return {}
    borrower_user, hotel_user = _member(borrower.id), _member(hotel.id)
    other_user = _member(other_lender.id)

    # Staff: workers living in the lender's district, the demo worker among them.
    def locals_of(firm: Firm, count: int, skip: set[int]) -> list[User]:
        ids = list(db.session.scalars(
            select(User.id).join(WorkerProfile, WorkerProfile.user_id == User.id)
            .where(WorkerProfile.district == firm.district, User.id.not_in(skip))
            .order_by(User.id)))
        chosen = sorted(rng.choice(ids, size=min(count, len(ids)), replace=False).tolist())
        return list(db.session.scalars(select(User).where(User.id.in_(chosen))
                                       .order_by(User.id)))

    period_a = (today + dt.timedelta(days=1), today + dt.timedelta(days=14))
    skip = {demo_worker.id}
    team = locals_of(lender, LENDER_STAFF * 3, skip)
    free = set(_free([w.id for w in team], *period_a))
    team = [w for w in team if w.id in free][:LENDER_STAFF]
    staff = _hire(lender_user, [demo_worker, *team], "车间操作工")
    others = locals_of(other_lender, OTHER_LENDER_STAFF,
                       skip | {w.id for w in team})
    other_staff = _hire(other_user, others, "缝纫工")

    # Listings: the seafood firm's idle staff (one click), the textile firm's, and two needs.
    idle_offer = sharing.list_idle_staff(actor=lender_user,
                                         staff_ids=[staff[w.id] for w in team[:6]])
    sharing.update_listing(actor=lender_user, listing_id=idle_offer.id, changes={
        "title": "海产品加工淡季富余员工", "end_date": today + dt.timedelta(days=30),
        "work_content": "熟悉冷库、分拣、包装作业，可从事仓储、分拣、装卸类工作"})
    sharing.list_idle_staff(actor=other_user, staff_ids=list(other_staff.values()))
    need = sharing.create_listing(actor=borrower_user, kind=ListingKind.NEED, data={
        "title": "电商仓储分拣装卸", "headcount": 6, "start_date": period_a[0],
        "end_date": today + dt.timedelta(days=20), "district": borrower.district
        if borrower.district else "jingqu", "skills": ["sorting_parcels", "loading",
                                                   "inventory"],
        "work_content": "电商大促期间包裹分拣、扫码、装车，白班，提供午餐",
        "daily_pay_fen": 23000})
    period_b = (today + dt.timedelta(days=24), today + dt.timedelta(days=33))
    hotel_need = sharing.create_listing(actor=hotel_user, kind=ListingKind.NEED, data={
        "title": "旺季客房与后厨用工", "headcount": 4, "start_date": period_b[0],
        "end_date": today + dt.timedelta(days=45), "district": hotel.district
        if hotel.district else "huancui", "skills": ["housekeeping", "kitchen_helper"],
        "work_content": "旅游旺季客房整理、后厨帮工，提供工作餐", "daily_pay_fen": 21000})
    db.session.commit()

    # Agreement A: signed by both and under way; one worker consented, one still to answer.
    first, second = team[0], team[1]
    a = agreements.propose(actor=borrower_user, listing_id=need.id,
                           counterpart_id=idle_offer.id)
    db.session.commit()
    a = agreements.update_terms(actor=lender_user, agreement_id=a.id, version=a.terms_version,
                                changes={"end_date": period_a[1], "weekdays": "123456",
                                         "address": borrower.address or "",
                                         "worker_ids": [first.id, second.id]})
    db.session.commit()
    for firm_user in (lender_user, borrower_user):
        agreements.sign(actor=firm_user, agreement_id=a.id, version=a.terms_version)
        db.session.commit()
    agreements.consent(actor=first, agreement_id=a.id)
    db.session.commit()

    # Agreement B: the demo worker is asked (after their own booked shifts).
    offer_b = sharing.list_idle_staff(actor=lender_user, staff_ids=[staff[demo_worker.id]])
    sharing.update_listing(actor=lender_user, listing_id=offer_b.id, changes={
        "start_date": period_b[0], "end_date": period_b[1]})
    db.session.commit()
    b = agreements.propose(actor=lender_user, listing_id=offer_b.id,
                           counterpart_id=hotel_need.id)
    db.session.commit()
    b = agreements.update_terms(actor=lender_user, agreement_id=b.id, version=b.terms_version,
                                changes={"worker_ids": [demo_worker.id],
                                         "day_start_minute": 9 * 60,
                                         "day_end_minute": 17 * 60,
                                         "injury_liability": "borrower_compensates"})
    db.session.commit()
    for firm_user in (hotel_user, lender_user):
        agreements.sign(actor=firm_user, agreement_id=b.id, version=b.terms_version)
        db.session.commit()
    lent = db.session.scalar(select(exists().where(Application.worker_id == first.id,
                                                   Application.source == "sharing")))
    return {"sharing staff": len(staff) + len(other_staff), "sharing listings": 5,
            "sharing agreements": 2, "lent workers booked": int(bool(lent))}
