"""Cohort moves fired ten times at once against gunicorn in several processes take effect
once: the worker's acceptance of a base tag, a member added, a cohort cancelled."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from marketplace.admin.models import AuditLog
from marketplace.extensions import db
from marketplace.laborbases import services
from marketplace.laborbases.models import Cohort, CohortMember
from tests.conftest import bearer


def audited(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action))


def test_ten_acceptances_of_a_base_tag_accept_once(server, make_base, make_partner,
                                                   make_cohort, make_worker):
    partner = make_partner(make_base())
    cohort = make_cohort(partner)
    worker = make_worker()
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    db.session.commit()

    answers = server.race("POST", f"/api/v1/me/cohorts/{member.id}/accept",
                          headers=bearer(worker))

    assert Counter(a.status for a in answers) == {200: 1, 409: 9}, [
        (a.status, a.json()) for a in answers]
    assert db.session.get(CohortMember, member.id).status == "accepted"


def test_ten_additions_of_one_worker_hold_one_place(server, make_base, make_partner,
                                                    make_cohort, make_worker):
    partner = make_partner(make_base())
    cohort = make_cohort(partner, headcount=3)
    worker = make_worker()

    answers = server.race("POST", f"/api/v1/cohorts/{cohort.id}/members",
                          body={"phone": worker.phone}, headers=bearer(partner))

    assert Counter(a.status for a in answers)[201] + Counter(
        a.status for a in answers)[200] == 1, [(a.status, a.json()) for a in answers]
    assert {a.status for a in answers} <= {200, 201, 409}
    assert db.session.get(Cohort, cohort.id).members == 1
    assert audited("cohort.member_add") == 1


def test_ten_cancellations_of_a_cohort_cancel_once(server, make_base, make_partner,
                                                   make_cohort):
    partner = make_partner(make_base())
    cohort = make_cohort(partner)

    answers = server.race("POST", f"/api/v1/cohorts/{cohort.id}/cancel", body={},
                          headers=bearer(partner))

    assert Counter(a.status for a in answers) == {200: 1, 409: 9}, [
        (a.status, a.json()) for a in answers]
    assert audited("cohort.cancel") == 1
