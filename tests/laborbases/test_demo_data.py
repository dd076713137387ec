"""The demo market's labor bases: the registry, a partner login, cohorts among the demo's
out-of-province workers, the same for a seed."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.auth.passwords import verify_password
from marketplace.demo.loader import DEMO_PASSWORD, PARTNER_PHONE, WORKER_PHONE, load
from marketplace.extensions import db
from marketplace.laborbases import figures
from marketplace.laborbases.models import Cohort, CohortMember, LaborBase
from marketplace.workers.models import WorkerProfile
from tests.conftest import empty_tables


def _cohorts() -> list:
    return db.session.execute(
        select(Cohort.labor_base_id, Cohort.arrival_date, Cohort.headcount, Cohort.members,
               Cohort.housing_needed, Cohort.meals_needed).order_by(Cohort.id)).all()


def test_demo_registry_partner_and_cohorts(app):
    summary = load(seed=7, scale="small")
    assert summary["partner"] == PARTNER_PHONE and summary["labor bases"] == 33
    kinds = dict(db.session.execute(
        select(LaborBase.kind, func.count()).group_by(LaborBase.kind)).all())
    assert kinds == {"labor_base": 31, "cooperation_region": 2}
    assert "山东" not in set(db.session.scalars(select(LaborBase.province)))
    assert len(set(db.session.scalars(select(LaborBase.province)))) >= 12
    for name in ("河南周口劳务基地", "甘肃定西劳务基地", "贵州毕节劳务基地"):
        assert db.session.scalar(select(LaborBase.kind).where(LaborBase.name == name)) == \
            "labor_base"
    yunyang = db.session.scalar(select(LaborBase).where(LaborBase.name == "重庆云阳劳务协作基地"))
    assert yunyang.kind == "cooperation_region"

    partner = db.session.scalar(select(User).where(User.phone == PARTNER_PHONE))
    assert partner.role == "partner" and partner.labor_base_id == yunyang.id
    assert verify_password(partner.password_hash, DEMO_PASSWORD)

    # every worker whose free text names a registry entry carries its id
    names = dict(db.session.execute(select(LaborBase.name, LaborBase.id)).all())
    for text, base_id in db.session.execute(
            select(WorkerProfile.labor_base, WorkerProfile.labor_base_id)
            .where(WorkerProfile.labor_base.isnot(None))):
        assert names.get(text) == base_id
    # members are out-of-province workers tagged with the cohort's base
    members = db.session.execute(
        select(CohortMember.status, Cohort.labor_base_id, WorkerProfile.labor_base_id,
               WorkerProfile.origin_province)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(WorkerProfile, WorkerProfile.user_id == CohortMember.worker_id)).all()
    assert len(members) >= 30
    assert all(c == w and origin != "山东" for _s, c, w, origin in members)
    assert {s for s, *_ in members} == {"accepted", "invited"}
    for headcount, count, held in db.session.execute(
            select(Cohort.headcount, Cohort.members, func.count(CohortMember.id))
            .outerjoin(CohortMember).group_by(Cohort.id)):
        assert count == held <= headcount
    worker = db.session.scalar(select(User).where(User.phone == WORKER_PHONE))
    mine = db.session.scalars(select(CohortMember.status).where(
        CohortMember.worker_id == worker.id)).all()
    assert mine == ["invited"]

    own = figures.compute(actor=partner)
    assert [b.name for b, _t in own.bases] == ["重庆云阳劳务协作基地"]
    assert own.total.arrivals > 0 and own.total.eligible > 0


def test_demo_cohorts_are_the_same_for_a_seed(app):
    load(seed=5, scale="small")
    first = _cohorts()
    db.session.remove()
    empty_tables()
    load(seed=5, scale="small")
    assert _cohorts() == first and first
