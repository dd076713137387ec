"""Labor-base services on a real database: registry, partners, cohorts, members and tags,
the firms' ordering of arriving cohorts and the cohort lift in firms' candidate lists."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.admin.models import AuditLog
from marketplace.auth.models import Role
from marketplace.auth.passwords import verify_password
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.laborbases import services
from marketplace.laborbases.models import Cohort, CohortMember
from marketplace.matching import candidates
from marketplace.notifications.models import Notification
from marketplace.workers.services import update_profile
from tests.laborbases.conftest import local_today

NEAR = {"lat": 37.4578, "lon": 122.1773}  # the test firm's shifts are in the jingqu centre


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# --------------------------------------------------------------------------- registry


def test_administrators_keep_the_registry_and_every_change_is_audited(admin, make_worker):
    base = services.create_base(actor=admin, data={
        "name": "重庆云阳劳务协作基地", "kind": "cooperation_region", "province": "重庆",
        "city": "云阳县", "partner_org": "云阳县人力资源和社会保障局", "contact_name": "李科长",
        "contact_phone": "023-5515 0000"})
    db.session.commit()
    assert base.kind == "cooperation_region" and base.contact_phone == "023-5515 0000"

    services.update_base(actor=admin, base_id=base.id, changes={"city": "重庆市云阳县",
                                                                 "contact_name": ""})
    db.session.commit()
    assert base.city == "重庆市云阳县" and base.contact_name is None
    assert actions()[-2:] == ["labor_base.create", "labor_base.update"]
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.details["fields"] == ["city", "contact_name"]

    with pytest.raises(Conflict) as taken:
        services.create_base(actor=admin, data={
            "name": "重庆云阳劳务协作基地", "province": "重庆", "city": "云阳",
            "partner_org": "x"})
    assert "name" in taken.value.fields
    db.session.rollback()
    with pytest.raises(NotFound):  # only administrators
        services.create_base(actor=make_worker(), data={"name": "x"})


@pytest.mark.parametrize("data, field", [
    ({"province": "山东"}, "province"),  # out-of-province only
    ({"province": "火星"}, "province"),
    ({"kind": "factory"}, "kind"),
    ({"name": ""}, "name"),
    ({"partner_org": "机构" * 70}, "partner_org"),
    ({"contact_phone": "call me"}, "contact_phone"),
])
def test_bad_registry_entries_are_refused_with_the_field(admin, data, field):
    valid = {"name": "河南周口劳务基地", "province": "河南", "city": "周口市",
             "partner_org": "周口市人力资源和社会保障局"}
    with pytest.raises(ValidationFailed) as refused:
        services.create_base(actor=admin, data={**valid, **data})
    assert field in refused.value.fields


def test_partner_accounts_belong_to_one_base(admin, make_base):
    base = make_base()
    partner = services.create_partner(actor=admin, base_id=base.id, phone="13912340001",
                                      name="定西联络员", password="partner-pass-1")
    db.session.commit()
    assert partner.role == Role.PARTNER and partner.labor_base_id == base.id
    assert verify_password(partner.password_hash, "partner-pass-1")
    assert services.partners_of(base.id) == [partner]
    assert "labor_base.partner_create" in actions()
    with pytest.raises(Conflict):
        services.create_partner(actor=admin, base_id=base.id, phone="13912340001",
                                name="重复", password="partner-pass-1")
    db.session.rollback()
    with pytest.raises(ValidationFailed) as bad:
        services.create_partner(actor=admin, base_id=base.id, phone="123", name="",
                                password="short")
    assert set(bad.value.fields) == {"phone", "name", "password"}
    with pytest.raises(NotFound):
        services.create_partner(actor=admin, base_id=99999, phone="13912340002", name="x",
                                password="partner-pass-1")


# --------------------------------------------------------------------------- cohorts


def test_a_partner_registers_cohorts_of_its_own_base_only(make_base, make_partner):
    base, other = make_base(), make_base(name="贵州毕节劳务基地", province="贵州", city="毕节市")
    partner = make_partner(base)
    arrival = local_today() + dt.timedelta(days=5)
    cohort = services.create_cohort(actor=partner, data={
        "arrival_date": arrival, "headcount": 30, "skills": ["seafood_sorting", "loading"],
        "housing_needed": True, "meals_needed": False, "district": "rongcheng",
        "note": "多数有冷库经验"})
    db.session.commit()
    assert cohort.labor_base_id == base.id and cohort.agency_id is None
    assert cohort.skills == ["loading", "seafood_sorting"] and cohort.members == 0
    assert cohort.counted_only == 30 and cohort.registered_by_id == partner.id
    assert "cohort.create" in actions()

    with pytest.raises(ValidationFailed) as refused:
        services.create_cohort(actor=partner, data={
            "labor_base_id": other.id, "arrival_date": arrival, "headcount": 3})
    assert "labor_base_id" in refused.value.fields


@pytest.mark.parametrize("data, field", [
    ({"headcount": 0}, "headcount"),
    ({"headcount": 2001}, "headcount"),
    ({"headcount": True}, "headcount"),
    ({"arrival_date": None}, "arrival_date"),
    ({"arrival_date": "2026-01-01"}, "arrival_date"),
    ({"arrival_date": dt.date(2001, 1, 1)}, "arrival_date"),
    ({"skills": ["juggling"]}, "skills"),
    ({"district": "beijing"}, "district"),
    ({"note": "x" * 501}, "note"),
])
def test_bad_cohorts_are_refused_with_the_field(make_base, make_partner, data, field):
    partner = make_partner(make_base())
    valid = {"arrival_date": local_today(), "headcount": 5}
    with pytest.raises(ValidationFailed) as refused:
        services.create_cohort(actor=partner, data={**valid, **data})
    assert field in refused.value.fields
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_an_agency_registers_for_a_named_base_once_verified(make_base, make_agency_user):
    base = make_base()
    agency_user = make_agency_user()
    data = {"arrival_date": local_today(), "headcount": 12}
    with pytest.raises(ValidationFailed) as no_base:
        services.create_cohort(actor=agency_user, data=data)
    assert "labor_base_id" in no_base.value.fields
    cohort = services.create_cohort(actor=agency_user, data={**data, "labor_base_id": base.id})
    db.session.commit()
    assert cohort.agency_id == agency_user.agency_id and cohort.labor_base_id == base.id

    pending = make_agency_user(verified=False, name="待审核人力公司")
    with pytest.raises(Forbidden):
        services.create_cohort(actor=pending, data={**data, "labor_base_id": base.id})


def test_firms_and_workers_cannot_register_cohorts(make_firm, make_worker):
    for actor in (make_firm(), make_worker()):
        with pytest.raises(NotFound):
            services.create_cohort(actor=actor, data={"arrival_date": local_today(),
                                                      "headcount": 3})


def test_cohorts_are_seen_and_managed_by_their_own_organisations_only(
        make_base, make_partner, make_agency_user, make_cohort, make_worker, admin):
    base_a = make_base()
    base_b = make_base(name="贵州毕节劳务基地", province="贵州", city="毕节市")
    partner_a, partner_b = make_partner(base_a), make_partner(base_b)
    agency_user = make_agency_user()
    own = make_cohort(partner_a)
    theirs = make_cohort(partner_b)
    brokered = make_cohort(agency_user, labor_base_id=base_b.id)
    worker = make_worker()

    assert services.get_cohort(actor=partner_a, cohort_id=own.id) is own
    for cohort_id in (theirs.id, brokered.id):
        with pytest.raises(NotFound):
            services.get_cohort(actor=partner_a, cohort_id=cohort_id)
        with pytest.raises(NotFound):
            services.add_member(actor=partner_a, cohort_id=cohort_id, phone=worker.phone)
        with pytest.raises(NotFound):
            services.cancel_cohort(actor=partner_a, cohort_id=cohort_id)
    # the base's partner sees a cohort an agency registered for its base; the agency only its own
    assert services.get_cohort(actor=partner_b, cohort_id=brokered.id) is brokered
    with pytest.raises(NotFound):
        services.get_cohort(actor=agency_user, cohort_id=theirs.id)
    with pytest.raises(NotFound):
        services.get_cohort(actor=worker, cohort_id=own.id)

    def listed(actor) -> set[int]:
        return {c.id for c in services.list_cohorts(actor=actor).items}

    assert listed(partner_a) == {own.id}
    assert listed(partner_b) == {theirs.id, brokered.id}
    assert listed(agency_user) == {brokered.id}
    assert listed(admin) == {own.id, theirs.id, brokered.id}


# --------------------------------------------------------------------------- members and tags


def test_attach_by_phone_the_worker_accepts_and_is_tagged(make_base, make_partner,
                                                          make_cohort, make_worker):
    base = make_base()
    partner = make_partner(base)
    cohort = make_cohort(partner, headcount=3)
    worker = make_worker(name="马建军", origin=None)

    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    db.session.commit()
    assert member.status == "invited" and cohort.members == 1 and cohort.counted_only == 2
    note = db.session.scalar(select(Notification).where(Notification.user_id == worker.id))
    assert note.kind == "cohort_invite" and note.link == "/me/base"
    assert worker.worker_profile.labor_base_id is None  # not before the worker says yes

    services.answer_invitation(actor=worker, member_id=member.id, accept=True)
    db.session.commit()
    profile = worker.worker_profile
    assert member.status == "accepted" and member.responded_at is not None
    assert profile.labor_base_id == base.id and profile.labor_base == base.name
    assert profile.origin_province == "甘肃"  # filled in from the base when empty
    assert cohort.members == 1
    with pytest.raises(InvalidTransition):
        services.answer_invitation(actor=worker, member_id=member.id, accept=False)
    assert {"cohort.member_add", "cohort.member_accept"} <= set(actions())


def test_a_decline_frees_the_place_and_leaves_the_profile_alone(make_base, make_partner,
                                                                 make_cohort, make_worker):
    partner = make_partner(make_base())
    cohort = make_cohort(partner, headcount=1)
    worker = make_worker(origin="河南")
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    db.session.commit()
    services.answer_invitation(actor=worker, member_id=member.id, accept=False)
    db.session.commit()
    db.session.refresh(cohort)
    assert member.status == "declined" and cohort.members == 0
    assert worker.worker_profile.labor_base_id is None
    assert worker.worker_profile.origin_province == "河南"
    with pytest.raises(Conflict):  # the worker said no: not invited again to the same cohort
        services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)


def test_only_the_invited_worker_answers(make_base, make_partner, make_cohort, make_worker):
    partner = make_partner(make_base())
    cohort = make_cohort(partner)
    worker, other = make_worker(), make_worker(name="别人")
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    db.session.commit()
    with pytest.raises(NotFound):
        services.answer_invitation(actor=other, member_id=member.id, accept=True)
    with pytest.raises(Forbidden):
        services.answer_invitation(actor=partner, member_id=member.id, accept=True)
    assert member.status == "invited"


def test_attaching_checks_phone_duplicates_headcount_and_cancellation(
        make_base, make_partner, make_cohort, make_worker, make_firm):
    partner = make_partner(make_base())
    cohort = make_cohort(partner, headcount=2)
    one, two, three = make_worker(), make_worker(name="二"), make_worker(name="三")
    firm = make_firm()

    for phone in ("123", "13700000000", firm.phone):  # bad, unknown, not a worker's
        with pytest.raises(ValidationFailed) as refused:
            services.add_member(actor=partner, cohort_id=cohort.id, phone=phone)
        assert "phone" in refused.value.fields
        db.session.rollback()
    services.add_member(actor=partner, cohort_id=cohort.id, phone=one.phone)
    db.session.commit()
    with pytest.raises(Conflict) as again:
        services.add_member(actor=partner, cohort_id=cohort.id, phone=one.phone)
    assert again.value.code == "already_member"
    db.session.rollback()
    services.add_member(actor=partner, cohort_id=cohort.id, phone=two.phone)
    db.session.commit()
    with pytest.raises(Conflict) as full:
        services.add_member(actor=partner, cohort_id=cohort.id, phone=three.phone)
    assert full.value.code == "cohort_full"
    db.session.rollback()
    db.session.refresh(cohort)
    assert cohort.members == 2
    assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 2

    member = db.session.scalar(select(CohortMember).where(CohortMember.worker_id == two.id))
    services.withdraw_member(actor=partner, cohort_id=cohort.id, member_id=member.id)
    db.session.commit()
    assert cohort.members == 1
    services.cancel_cohort(actor=partner, cohort_id=cohort.id)
    db.session.commit()
    assert cohort.is_cancelled and cohort.cancelled_at is not None
    with pytest.raises(InvalidTransition):
        services.cancel_cohort(actor=partner, cohort_id=cohort.id)
    with pytest.raises(InvalidTransition):
        services.add_member(actor=partner, cohort_id=cohort.id, phone=three.phone)
    first = db.session.scalar(select(CohortMember).where(CohortMember.worker_id == one.id))
    with pytest.raises(InvalidTransition):  # a cancelled cohort's invitation is void
        services.answer_invitation(actor=one, member_id=first.id, accept=True)


def test_the_database_refuses_more_members_than_the_headcount(make_base, make_partner,
                                                              make_cohort):
    from sqlalchemy.exc import IntegrityError

    cohort = make_cohort(make_partner(make_base()), headcount=2)
    cohort.members = 3
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --------------------------------------------------------------------------- the worker's profile


def test_a_worker_picks_a_base_from_the_registry_and_the_free_text_follows(make_base,
                                                                           make_worker):
    base = make_base()
    worker = make_worker()
    update_profile(actor=worker, changes={"labor_base_id": base.id})
    profile = worker.worker_profile
    assert profile.labor_base_id == base.id and profile.labor_base == "甘肃定西劳务基地"
    # free text that names something else: the registry tag goes
    update_profile(actor=worker, changes={"labor_base": "老家村委会"})
    assert profile.labor_base_id is None and profile.labor_base == "老家村委会"
    update_profile(actor=worker, changes={"labor_base_id": base.id, "labor_base": "别的"})
    assert profile.labor_base == base.name  # the registry entry wins
    # cleared: the text that was the entry's name goes too
    update_profile(actor=worker, changes={"labor_base_id": None, "labor_base": base.name})
    assert profile.labor_base_id is None and profile.labor_base is None
    with pytest.raises(ValidationFailed) as refused:
        update_profile(actor=worker, changes={"labor_base_id": 99999})
    assert "labor_base_id" in refused.value.fields


# --------------------------------------------------------------------------- firms


def test_firms_offering_housing_see_cohorts_needing_housing_first(
        make_base, make_partner, make_cohort, make_firm, make_shift):
    partner = make_partner(make_base())
    today = local_today()
    plain = make_cohort(partner, arrival=today + dt.timedelta(days=2))
    meals = make_cohort(partner, arrival=today + dt.timedelta(days=4), meals=True)
    housing = make_cohort(partner, arrival=today + dt.timedelta(days=6), housing=True)
    both = make_cohort(partner, arrival=today + dt.timedelta(days=8), housing=True, meals=True)
    make_cohort(partner, arrival=today - dt.timedelta(days=20), housing=True)  # long arrived
    cancelled = make_cohort(partner, arrival=today + dt.timedelta(days=1), housing=True)
    services.cancel_cohort(actor=partner, cohort_id=cancelled.id)
    db.session.commit()

    def order(firm) -> list[int]:
        page, _provisions = services.upcoming_for_firm(actor=firm)
        return [c.id for c in page.items]

    nothing = make_firm(name="不提供食宿的公司")
    make_shift(nothing)
    assert order(nothing) == [plain.id, meals.id, housing.id, both.id]  # by arrival

    housing_firm = make_firm(name="包住的公司")
    make_shift(housing_firm, housing=True)
    assert order(housing_firm) == [housing.id, both.id, plain.id, meals.id]
    _page, provisions = services.upcoming_for_firm(actor=housing_firm)
    assert provisions == {"housing": True, "meals": False}
    assert services.provision_fit(both, provisions) == ["housing"]

    full_board = make_firm(name="包吃住的公司")
    make_shift(full_board, housing=True, meals=True)
    assert order(full_board) == [both.id, meals.id, housing.id, plain.id]

    meals_firm = make_firm(name="包吃的公司")
    make_shift(meals_firm, meals=True)
    assert order(meals_firm) == [meals.id, both.id, plain.id, housing.id]


def test_only_open_upcoming_shifts_count_as_provisions(make_firm, make_shift):
    from marketplace.shifts.services import cancel_shift

    firm = make_firm()
    shift = make_shift(firm, housing=True, meals=True)
    assert services.firm_provisions(firm.firm_id) == {"housing": True, "meals": True}
    cancel_shift(actor=firm, shift_id=shift.id)
    db.session.commit()
    assert services.firm_provisions(firm.firm_id) == {"housing": False, "meals": False}


# --------------------------------------------------------------------------- candidate lift


def _tag(partner, cohort, worker) -> None:
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    services.answer_invitation(actor=worker, member_id=member.id, accept=True)
    db.session.commit()


def test_cohort_workers_are_lifted_on_shifts_with_housing_but_nobody_is_hidden(
        make_base, make_partner, make_cohort, make_firm, make_shift, make_worker):
    firm = make_firm()
    partner = make_partner(make_base())
    nearer = make_worker(name="近处工人", origin="甘肃", **NEAR)
    # from the same province, a little further away: a slightly lower score on any shift
    arrived = make_worker(name="随队工人", origin="甘肃", lat=NEAR["lat"] + 0.02, lon=NEAR["lon"])
    others = [make_worker(name=f"工人{n}", lat=NEAR["lat"] + 0.003 * n, lon=NEAR["lon"])
              for n in range(1, 4)]
    cohort = make_cohort(partner, arrival=local_today() - dt.timedelta(days=3), housing=True)
    _tag(partner, cohort, arrived)

    plain = make_shift(firm)
    with_housing = make_shift(firm, start_in_hours=96, housing=True)

    # Without the lift the nearer worker is ahead on the housing shift too, by less than 10 %.
    raw = candidates.reciprocal(with_housing, [nearer.id, arrived.id])
    assert raw[1] < raw[0] < raw[1] * (1 + candidates.COHORT_LIFT)

    lifted = candidates.suggest(actor=firm, shift_id=with_housing.id)
    assert lifted[0].worker.id == arrived.id
    assert ("cohort", {}) in lifted[0].reasons
    assert lifted[0].score == pytest.approx(raw[1] * (1 + candidates.COHORT_LIFT), abs=1e-4)
    assert {c.worker.id for c in lifted} == {nearer.id, arrived.id, *(o.id for o in others)}
    assert all(("cohort", {}) not in c.reasons for c in lifted[1:])

    # A shift without housing or meals: no lift, the nearer worker stays ahead.
    control = [c.worker.id for c in candidates.suggest(actor=firm, shift_id=plain.id)]
    assert control.index(nearer.id) < control.index(arrived.id)


def test_the_lift_needs_an_accepted_tag_a_matching_need_and_a_recent_arrival(
        make_base, make_partner, make_cohort, make_firm, make_shift, make_worker):
    firm = make_firm()
    partner = make_partner(make_base())
    today = local_today()
    accepted = make_worker(name="已确认")
    invited = make_worker(name="未确认")
    meals_only = make_worker(name="只要包吃")
    long_ago = make_worker(name="早就来了")
    recent = make_cohort(partner, arrival=today - dt.timedelta(days=2), housing=True)
    _tag(partner, recent, accepted)
    services.add_member(actor=partner, cohort_id=recent.id, phone=invited.phone)
    db.session.commit()
    _tag(partner, make_cohort(partner, arrival=today, meals=True), meals_only)
    _tag(partner, make_cohort(partner, arrival=today - dt.timedelta(days=90), housing=True),
         long_ago)
    shift = make_shift(firm, housing=True)
    ids = [accepted.id, invited.id, meals_only.id, long_ago.id]
    assert candidates.cohort_workers(shift, ids) == {accepted.id}
    board = make_shift(firm, start_in_hours=100, housing=True, meals=True)
    assert candidates.cohort_workers(board, ids) == {accepted.id, meals_only.id}
    assert candidates.cohort_workers(make_shift(firm, start_in_hours=150), ids) == set()
