"""Demo HR agencies on top of the demo market (called by `marketplace.demo.loader.load`).

Three verified agencies with rosters (the first mostly workers from out-of-province labor
bases, the third with the market's least reliable workers), one waiting for verification.
Roster workers' existing applications after they joined become brokered ones (with the
worker's consent on record: standing for their roster's categories, else confirmed), each
with its commission paid by the firm, settled for most completed placements. The demo
worker (13900000003) is on the demo agency's roster with a proposal to confirm and has an
open invitation from a second agency. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import func, select, update

from marketplace.agencies.models import (
    Agency,
    AgencyComplaint,
    Commission,
    RosterMembership,
    StandingConsent,
)
from marketplace.audit.models import AuditLog
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.firms.models import Verification
from marketplace.shifts.models import Application, Attendance, Rating, Shift, ShiftStatus
from marketplace.shifts.states import AppStatus
from marketplace.taxonomy import HOME_PROVINCE
from marketplace.validators import make_credit_code

AGENCY_PHONE = "13900000004"

AGENCIES = (
    # name, phone, district, status, roster size, roster preference, terms
    ("威海众诚人力资源服务有限公司", AGENCY_PHONE, "huancui", Verification.VERIFIED, 40,
     "reliable_migrant", ("fixed", 6000)),
    ("荣成海港劳务服务有限公司", "13900000011", "rongcheng", Verification.VERIFIED, 25,
     "reliable", ("percent", 800)),
    ("文登新起点人力资源有限公司", "13900000012", "wendeng", Verification.VERIFIED, 15,
     "unreliable", ("fixed", 4000)),
    ("乳山远航人力资源服务中心", "13900000013", "rushan", Verification.PENDING, 0, "any",
     ("fixed", 5000)),
)
CONTACTS = ("赵丽娟", "孙志刚", "周晓燕", "吴国强")
STREETS = ("环翠区青岛北路", "荣成市成山大道", "文登区米山路", "乳山市胜利街")
# How likely an existing application of a roster worker is to have come through the agency,
# by the agency's roster preference and the application's outcome: a strong agency put
# forward the workers who got and kept the seat, a weak one anybody.
BROKERED_SHARE = {
    "reliable_migrant": {"completed": 0.95, "checked_in": 0.9, "confirmed": 0.9,
                         "no_show": 0.05, "applied": 0.4, "offered": 0.6, "other": 0.08},
    "reliable": {"completed": 0.9, "checked_in": 0.85, "confirmed": 0.85, "no_show": 0.3,
                 "applied": 0.4, "offered": 0.5, "other": 0.2},
    "unreliable": {"completed": 0.8, "checked_in": 0.8, "confirmed": 0.8, "no_show": 0.9,
                   "applied": 0.6, "offered": 0.6, "other": 0.6},
}


def add_agencies(*, seed: int, base: dt.datetime, password_hash: str,
                 admin_id: int) -> dict[str, int]:
    """Write the demo agencies; flushes (the loader commits). `base` is today's midnight."""
    if db.session.scalar(select(User.id).where(User.phone == AGENCY_PHONE)) is not None:
        return {}
    rng = np.random.default_rng([seed, 4004])
    workers = db.session.execute(
        select(User.id, User.phone).where(User.role == Role.WORKER).order_by(User.id)).all()
    from marketplace.workers.models import WorkerProfile

    profiles = {p.user_id: p for p in db.session.scalars(select(WorkerProfile))}
    no_shows = dict(db.session.execute(
        select(Application.worker_id, func.count()).where(
            Application.status == AppStatus.NO_SHOW).group_by(Application.worker_id)).all())
    completed = dict(db.session.execute(
        select(Application.worker_id, func.count()).where(
            Application.status == AppStatus.COMPLETED).group_by(Application.worker_id)).all())
    rated = {w: float(avg) for w, avg in db.session.execute(
        select(Application.worker_id, func.avg(Rating.score))
        .join(Rating, Rating.application_id == Application.id)
        .where(Rating.rater == "firm").group_by(Application.worker_id)).all()}
    demo_worker = next((w.id for w in workers if w.phone == "13900000003"), None)
    taken: set[int] = set()
    agencies: list[Agency] = []
    counts = {"agencies": 0, "roster": 0, "brokered": 0, "commissions": 0}
    for n, (name, phone, district, status, size, prefer, terms) in enumerate(AGENCIES):
        created = base - dt.timedelta(days=int(rng.integers(120, 400)))
        agency = Agency(
            name=name, credit_code=make_credit_code(f"91371000MA{seed % 1000:03d}{n:02d}HR"),
            licence_no=f"(鲁)人服证字〔{2019 + n}〕第{371000 + 17 * (n + 1):010d}号",
            district=district, address=f"威海市{STREETS[n]}{int(rng.integers(1, 200))}号",
            verification_status=status, created_at=created,
            verified_at=created + dt.timedelta(days=2) if status == Verification.VERIFIED
            else None)
        db.session.add(agency)
        db.session.flush()
        user = User(phone=phone, password_hash=password_hash, name=CONTACTS[n],
                    role=Role.AGENCY, agency_id=agency.id, created_at=created)
        db.session.add(user)
        db.session.flush()
        db.session.add(AuditLog(at=created, actor_id=user.id, action="agency.register",
                                target_type="agency", target_id=agency.id, details={}))
        if status == Verification.VERIFIED:
            db.session.add(AuditLog(at=agency.verified_at, actor_id=admin_id,
                                    action="agency.verify", target_type="agency",
                                    target_id=agency.id, details={"note": "许可证在有效期内"}))
        agencies.append(agency)
        counts["agencies"] += 1
        if not size:
            continue
        pool = [w.id for w in workers if w.id not in taken and w.id != demo_worker]
        if prefer.startswith("reliable"):
            migrant = prefer.endswith("migrant")
            pool.sort(key=lambda w: (
                no_shows.get(w, 0), migrant and getattr(profiles.get(w), "origin_province",
                                                        None) in (None, HOME_PROVINCE),
                -round(rated.get(w, 3.0)), -completed.get(w, 0), w))
            pool = pool[:size * 2]
        elif prefer == "unreliable":
            pool.sort(key=lambda w: (-no_shows.get(w, 0), w))
            pool = pool[:size + 3]
        chosen = sorted(rng.choice(pool, size=min(size, len(pool)), replace=False).tolist())
        if n == 0 and demo_worker is not None:
            chosen.append(demo_worker)
        taken.update(chosen)
        for worker_id in chosen:
            joined = base - dt.timedelta(days=float(rng.uniform(35, 100)))
            membership = RosterMembership(
                agency_id=agency.id, worker_id=worker_id, status="active",
                initiated_by="agency" if rng.random() < 0.7 else "worker",
                invited_by_id=user.id, created_at=joined - dt.timedelta(days=1),
                joined_at=joined)
            db.session.add(membership)
            db.session.flush()
            if rng.random() < 0.5 and worker_id != demo_worker:
                db.session.add(StandingConsent(membership_id=membership.id,
                                               category="food_processing", granted_at=joined))
            counts["roster"] += 1
        db.session.flush()
        counts["brokered"] += _broker_history(agency, chosen, terms, BROKERED_SHARE[prefer],
                                              rng, base, demo_worker)
    counts["commissions"] = db.session.scalar(select(func.count()).select_from(Commission))
    _demo_worker_story(agencies, demo_worker, base, user_ids={
        a.id: db.session.scalar(select(User.id).where(User.agency_id == a.id))
        for a in agencies})
    _complaints(agencies, base, admin_id)
    db.session.flush()
    from marketplace.agencies.trust import reassess_all

    reassess_all()  # a D grade suspends brokering, as it would in the running product
    return counts


def _broker_history(agency: Agency, roster: list[int], terms: tuple[str, int],
                    share: dict[str, float], rng: np.random.Generator, base: dt.datetime,
                    demo_worker: int | None) -> int:
    """Mark most of the roster's applications as brokered by the agency, with consent and
    commission on record."""
    consents = {m.worker_id: set(m.consent_categories) for m in db.session.scalars(
        select(RosterMembership).where(RosterMembership.agency_id == agency.id))}
    rows = db.session.execute(
        select(Application.id, Application.worker_id, Application.status, Shift.category,
               Shift.firm_id, Application.created_at)
        .join(Shift, Shift.id == Application.shift_id)
        .where(Application.worker_id.in_([w for w in roster if w != demo_worker]),
               Application.agency_id.is_(None))
        .order_by(Application.id)).all()
    kind, value = terms
    brokered = 0
    for app_id, worker_id, status, category, firm_id, created in rows:
        if rng.random() >= share.get(status, share["other"]):
            continue
        consent = "standing" if category in consents.get(worker_id, set()) else "confirmed"
        db.session.execute(
            update(Application).where(Application.id == app_id)
            .values(agency_id=agency.id, agency_consent=consent, agency_consent_at=created,
                    source="agency").execution_options(synchronize_session=False))
        commission = Commission(
            application_id=app_id, agency_id=agency.id, firm_id=firm_id, kind=kind,
            fixed_fen=value if kind == "fixed" else None,
            rate_bp=value if kind == "percent" else None, payer="firm", worker_fee_fen=0,
            created_at=created)
        if status == AppStatus.COMPLETED:
            attendance = db.session.get(Attendance, app_id)
            confirmed = attendance.confirmed_at if attendance else None
            if confirmed and confirmed < base - dt.timedelta(days=3) and rng.random() < 0.8:
                pay = attendance.pay_due_fen or 0
                commission.settled_at = confirmed + dt.timedelta(days=2)
                commission.settled_fen = (value if kind == "fixed"
                                          else (pay * value + 5000) // 10000)
        db.session.add(commission)
        brokered += 1
    return brokered


def _demo_worker_story(agencies: list[Agency], demo_worker: int | None, base: dt.datetime,
                       user_ids: dict[int, int]) -> None:
    """The demo worker has a proposal from the demo agency to confirm on their phone, and an
    open invitation from the second agency."""
    if demo_worker is None:
        return
    from marketplace.workers.models import WorkerCertificate

    held = set(db.session.scalars(select(WorkerCertificate.code).where(
        WorkerCertificate.worker_id == demo_worker)))
    applied = set(db.session.scalars(select(Application.shift_id).where(
        Application.worker_id == demo_worker)))
    candidates = db.session.scalars(
        select(Shift).where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > base,
                            Shift.filled < Shift.headcount,
                            Shift.category == "food_processing")
        .order_by(Shift.starts_at, Shift.id).limit(200)).all()
    shift = next((s for s in candidates if s.id not in applied
                  and set(s.certificates) <= held), None)
    if shift is not None:
        proposal = Application(shift_id=shift.id, worker_id=demo_worker, status="proposed",
                               starts_at=shift.starts_at, ends_at=shift.ends_at,
                               source="agency", agency_id=agencies[0].id,
                               created_at=base - dt.timedelta(hours=3),
                               updated_at=base - dt.timedelta(hours=3))
        db.session.add(proposal)
        db.session.flush()
        db.session.add(Commission(application_id=proposal.id, agency_id=agencies[0].id,
                                  firm_id=shift.firm_id, kind="fixed", fixed_fen=6000,
                                  payer="firm", worker_fee_fen=0, created_at=proposal.created_at))
        from marketplace.notifications.models import Notification

        db.session.add(Notification(user_id=demo_worker, kind="agency_proposal",
                                    message=f"agency_proposal:{agencies[0].name}|{shift.title}",
                                    link="/me/agencies", created_at=proposal.created_at))
    db.session.add(RosterMembership(
        agency_id=agencies[1].id, worker_id=demo_worker, status="invited",
        initiated_by="agency", invited_by_id=user_ids[agencies[1].id],
        note="荣成渔港冬季用工多，欢迎加入", created_at=base - dt.timedelta(hours=20)))


def _complaints(agencies: list[Agency], base: dt.datetime, admin_id: int) -> None:
    """An upheld no-show complaint against the third agency, an open one against the
    second."""
    firm_user = db.session.scalar(
        select(User.id).join(Shift, Shift.firm_id == User.firm_id)
        .join(Application, Application.shift_id == Shift.id)
        .where(Application.agency_id == agencies[2].id).order_by(User.id).limit(1))
    second = db.session.scalar(
        select(User.id).join(Shift, Shift.firm_id == User.firm_id)
        .join(Application, Application.shift_id == Shift.id)
        .where(Application.agency_id == agencies[1].id).order_by(User.id).limit(1))
    if firm_user is not None:
        db.session.add(AgencyComplaint(
            agency_id=agencies[2].id, filed_by_id=firm_user, filer_role="firm",
            category="no_show", description="推荐的 3 名工人当天未到岗，也未提前告知。",
            status="upheld", created_at=base - dt.timedelta(days=9),
            decided_at=base - dt.timedelta(days=7), decided_by_id=admin_id,
            decision_note="经核实属实，已约谈机构负责人"))
    if second is not None:
        db.session.add(AgencyComplaint(
            agency_id=agencies[1].id, filed_by_id=second, filer_role="firm",
            category="conduct", description="到岗人员与报名名单不一致。",
            created_at=base - dt.timedelta(days=1)))
