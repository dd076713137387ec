"""The sharing exchange through its services: staff, listings, suggestions, agreements, and
each rule of the national guidance on shared employment (each test fails without its rule)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.sharing import agreements
from marketplace.sharing import services as sharing
from marketplace.sharing.models import (
    AgreementStatus,
    Consent,
    ListingKind,
    SharingAgreement,
    SharingDay,
    StaffStatus,
)
from marketplace.shifts import applications as apps
from marketplace.shifts.models import Application, Rating, Shift
from marketplace.shifts.services import ShiftFilters, search_shifts, seat_count_matches
from marketplace.shifts.states import AppStatus
from marketplace.timeutil import LOCAL_TZ
from tests.sharing.conftest import arrive, finish, listing_data, today


@pytest.fixture
def firms(make_firm):
    lender = make_firm(name="威海海之韵水产食品有限公司", industry="food_processing")
    borrower = make_firm(name="威海顺达物流有限公司", industry="logistics")
    return lender, borrower


def applications_of(worker_id: int) -> list[Application]:
    db.session.expire_all()
    return list(db.session.scalars(select(Application).where(Application.worker_id == worker_id)
                                   .order_by(Application.starts_at)))


# --------------------------------------------------------------------------- staff


def test_a_firm_adds_staff_by_phone_and_the_worker_confirms(firms, make_worker):
    lender, _ = firms
    worker = make_worker(name="李红")
    member = sharing.add_staff(actor=lender, phone=worker.phone, job_title="分拣组长")
    db.session.commit()
    assert member.status == StaffStatus.INVITED
    assert not sharing.active_staff_ids(lender.firm_id, [worker.id])  # not before the worker

    sharing.respond_staff(actor=worker, staff_id=member.id, accept=True)
    db.session.commit()
    assert sharing.active_staff_ids(lender.firm_id, [worker.id]) == {worker.id: member.id}

    with pytest.raises(Conflict) as again:
        sharing.add_staff(actor=lender, phone=worker.phone)
    assert again.value.code == "already_staff"
    db.session.rollback()
    with pytest.raises(NotFound) as unknown:
        sharing.add_staff(actor=lender, phone="13999999999")
    assert unknown.value.code == "worker_not_found"
    with pytest.raises(ValidationFailed):
        sharing.add_staff(actor=lender, phone="12345")


def test_a_worker_has_one_employer_and_only_they_answer(firms, make_worker, make_staff):
    lender, borrower = firms
    worker = make_staff(lender)
    member = sharing.add_staff(actor=borrower, phone=worker.phone)
    db.session.commit()
    with pytest.raises(NotFound):  # the firm cannot confirm for the worker
        sharing.respond_staff(actor=make_worker(name="别人"), staff_id=member.id, accept=True)
    with pytest.raises(Conflict) as elsewhere:
        sharing.respond_staff(actor=worker, staff_id=member.id, accept=True)
    assert elsewhere.value.code == "employed_elsewhere"
    db.session.rollback()
    sharing.respond_staff(actor=worker, staff_id=member.id, accept=False)
    db.session.commit()
    assert db.session.get(type(member), member.id).status == StaffStatus.DECLINED


def test_staff_who_are_lent_cannot_be_taken_off_the_list(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker])
    agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.commit()
    staff_id = sharing.active_staff_ids(lender.firm_id, [worker.id])[worker.id]
    with pytest.raises(Conflict) as lent:
        sharing.end_staff(actor=lender, staff_id=staff_id)
    assert lent.value.code == "currently_lent"
    db.session.rollback()
    assert [m.worker_id for m in sharing.idle_staff(lender.firm_id)] == []


# --------------------------------------------------------------------------- listings


def test_listings_check_their_fields(firms, make_listing):
    lender, borrower = firms
    with pytest.raises(ValidationFailed) as need:
        sharing.create_listing(actor=borrower, kind=ListingKind.NEED,
                               data={"title": "分拣", "headcount": 0,
                                     "start_date": today() - dt.timedelta(days=1),
                                     "end_date": today() + dt.timedelta(days=400),
                                     "district": "nowhere", "skills": ["juggling"]})
    assert {"headcount", "start_date", "district", "skills", "work_content",
            "daily_pay_fen"} <= set(need.value.fields)
    with pytest.raises(ValidationFailed) as offer_pay:
        sharing.create_listing(actor=lender, kind=ListingKind.OFFER,
                               data=listing_data(daily_pay_fen=20000))
    assert "daily_pay_fen" in offer_pay.value.fields
    db.session.rollback()
    listing = make_listing(borrower, ListingKind.NEED, headcount=5)
    assert listing.skills == ["sorting_parcels"] and listing.daily_pay_fen == 22000


def test_unverified_firms_stay_out_of_the_exchange(make_firm):
    waiting = make_firm(verified=False)
    with pytest.raises(Forbidden) as refused:
        sharing.create_listing(actor=waiting, kind=ListingKind.NEED, data={})
    assert refused.value.code == "firm_not_verified"


def test_one_click_lists_idle_staff_with_their_skills(firms, make_staff):
    lender, _borrower = firms
    with pytest.raises(Conflict) as none:
        sharing.list_idle_staff(actor=lender)
    assert none.value.code == "no_idle_staff"
    db.session.rollback()
    a = make_staff(lender, name="甲", skills=("seafood_sorting", "cold_storage"))
    b = make_staff(lender, name="乙", skills=("seafood_sorting", "forklift"))
    make_staff(lender, name="丙", accept=False)  # invited, not confirmed: not staff yet
    listing = sharing.list_idle_staff(actor=lender)
    db.session.commit()
    assert listing.kind == ListingKind.OFFER and listing.headcount == 2
    assert listing.skills == ["cold_storage", "forklift", "seafood_sorting"]
    assert listing.start_date == today() + dt.timedelta(days=1)
    staff = sharing.active_staff_ids(lender.firm_id, [a.id, b.id])
    assert listing.staff_ids == sorted(staff.values())

    only_b = sharing.list_idle_staff(actor=lender, staff_ids=[staff[b.id]])
    db.session.commit()
    assert only_b.headcount == 1 and only_b.staff_ids == [staff[b.id]]


# --------------------------------------------------------------------------- suggestions


def test_suggestions_rank_by_skills_period_headcount_and_distance(firms, make_firm,
                                                                   make_listing):
    lender, borrower = firms
    far = make_firm(name="乳山远方食品")
    elsewhere = make_firm(name="荣成渔具厂")
    unverified = make_firm(name="未审核企业", verified=False)
    offer = make_listing(lender, ListingKind.OFFER, headcount=3,
                         skills=["sorting_parcels", "loading"])
    best = make_listing(borrower, ListingKind.NEED, headcount=3,
                        skills=["sorting_parcels", "loading"])
    partial = make_listing(far, ListingKind.NEED, headcount=6, skills=["sorting_parcels",
                                                                        "welding"],
                           district="rushan")
    make_listing(elsewhere, ListingKind.NEED,
                 start_date=today() + dt.timedelta(days=60))  # no overlap: left out
    make_listing(lender, ListingKind.NEED)  # the firm's own need: never suggested to itself
    unverified_firm = unverified.firm
    unverified_firm.verification_status = "verified"
    db.session.commit()
    hidden = make_listing(unverified, ListingKind.NEED)
    unverified_firm.verification_status = "pending"
    db.session.commit()

    suggestions = sharing.suggestions(actor=lender, listing_id=offer.id)
    ids = [s.listing.id for s in suggestions]
    assert ids == [best.id, partial.id], ids
    assert hidden.id not in ids
    reasons = dict(suggestions[0].reasons)
    assert reasons["skills"] == {"matched": 2, "required": 2}
    assert reasons["overlap"] == {"days": 14}
    assert reasons["headcount"] == {"covered": 3, "wanted": 3}
    assert dict(suggestions[1].reasons)["distance"]["km"] > 30
    # The borrower's side sees the offer.
    assert [s.listing.id for s in sharing.suggestions(actor=borrower, listing_id=best.id)] == [
        offer.id]
    with pytest.raises(NotFound):  # another firm's listing is not the lender's to match
        sharing.suggestions(actor=lender, listing_id=best.id)


# --------------------------------------------------------------------------- agreements


def test_a_proposal_takes_the_overlap_and_the_needs_terms(firms, make_staff, make_listing):
    lender, borrower = firms
    worker = make_staff(lender)
    staff = sharing.active_staff_ids(lender.firm_id, [worker.id])
    offer = make_listing(lender, ListingKind.OFFER, headcount=1, staff_ids=list(staff.values()),
                         start_date=today() + dt.timedelta(days=3),
                         end_date=today() + dt.timedelta(days=20))
    need = make_listing(borrower, ListingKind.NEED, headcount=2, daily_pay_fen=25000,
                        start_date=today() + dt.timedelta(days=1),
                        end_date=today() + dt.timedelta(days=10))
    agreement = agreements.propose(actor=borrower, listing_id=need.id, counterpart_id=offer.id)
    db.session.commit()
    assert (agreement.lender_firm_id, agreement.borrower_firm_id) == (lender.firm_id,
                                                                      borrower.firm_id)
    assert agreement.start_date == today() + dt.timedelta(days=3)
    assert agreement.end_date == today() + dt.timedelta(days=10)
    assert agreement.daily_pay_fen == agreement.worker_pay_fen == 25000
    assert (agreement.labor_relationship, agreement.wage_payer) == ("lender", "lender")
    assert [w.worker_id for w in agreement.workers] == [worker.id]
    assert agreement.status == AgreementStatus.DRAFT
    with pytest.raises(Conflict) as twice:
        agreements.propose(actor=lender, listing_id=offer.id, counterpart_id=need.id)
    assert twice.value.code == "already_proposed"


def test_rule_no_profit_a_markup_is_refused(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], sign=False)
    with pytest.raises(ValidationFailed) as markup:
        agreements.update_terms(actor=lender, agreement_id=agreement.id,
                                version=agreement.terms_version,
                                changes={"daily_pay_fen": 30000, "worker_pay_fen": 25000})
    assert markup.value.code == "lender_markup"
    assert "worker_pay_fen" in markup.value.fields
    db.session.rollback()
    # The pass-through equals what the borrower pays: more is refused too (the lender's own
    # payroll is the place for a top-up), and equal is accepted.
    with pytest.raises(ValidationFailed) as above:
        agreements.update_terms(actor=lender, agreement_id=agreement.id,
                                version=agreement.terms_version,
                                changes={"daily_pay_fen": 22000, "worker_pay_fen": 24000})
    assert above.value.code == "pass_through_mismatch"
    db.session.rollback()
    equal = agreements.update_terms(actor=lender, agreement_id=agreement.id,
                                    version=agreement.terms_version,
                                    changes={"daily_pay_fen": 24000, "worker_pay_fen": 24000})
    db.session.commit()
    assert (equal.daily_pay_fen, equal.worker_pay_fen) == (24000, 24000)


def test_rule_no_profit_is_also_a_database_constraint(firms, make_staff, make_agreement):
    lender, borrower = firms
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False)
    for off_by in (-1, 1):
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(SharingAgreement).where(SharingAgreement.id == agreement.id)
                .values(worker_pay_fen=SharingAgreement.daily_pay_fen + off_by))
            db.session.flush()
        db.session.rollback()


def test_rule_the_labor_relationship_stays_with_the_lender(firms, make_staff, make_agreement):
    lender, borrower = firms
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False)
    for field in ("labor_relationship", "wage_payer"):
        with pytest.raises(ValidationFailed) as fixed:
            agreements.update_terms(actor=borrower, agreement_id=agreement.id,
                                    version=agreement.terms_version,
                                    changes={field: "borrower"})
        assert fixed.value.code == "labor_relationship_fixed"
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(text(f"UPDATE sharing_agreements SET {field} = 'borrower' "
                                    "WHERE id = :id"), {"id": agreement.id})
        db.session.rollback()


def test_rule_only_the_lenders_own_staff_can_be_lent(firms, make_worker, make_staff,
                                                     make_agreement):
    lender, borrower = firms
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False)
    stranger = make_worker(name="外来人员")
    invited = make_staff(lender, name="未确认", accept=False)
    borrowers_own = make_staff(borrower, name="借入方员工")
    for worker in (stranger, invited, borrowers_own):
        with pytest.raises(ValidationFailed) as dispatch:
            agreements.update_terms(actor=lender, agreement_id=agreement.id,
                                    version=agreement.terms_version,
                                    changes={"worker_ids": [worker.id]})
        assert dispatch.value.code == "not_lender_staff"
        db.session.rollback()
    with pytest.raises(Forbidden) as borrower_names:
        agreements.update_terms(actor=borrower, agreement_id=agreement.id,
                                version=agreement.terms_version,
                                changes={"worker_ids": [borrowers_own.id]})
    assert borrower_names.value.code == "lender_names_workers"


def test_rule_a_worker_who_left_the_lender_cannot_be_lent(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], sign=False)
    staff_id = sharing.active_staff_ids(lender.firm_id, [worker.id])[worker.id]
    sharing.end_staff(actor=worker, staff_id=staff_id)  # the worker leaves the firm
    db.session.commit()
    with pytest.raises(ValidationFailed) as sign:
        agreements.sign(actor=lender, agreement_id=agreement.id,
                        version=agreement.terms_version)
    assert sign.value.code == "not_lender_staff"


def test_rule_a_worker_who_left_after_signing_cannot_consent(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker])
    staff_id = sharing.active_staff_ids(lender.firm_id, [worker.id])[worker.id]
    sharing.end_staff(actor=lender, staff_id=staff_id)
    db.session.commit()
    with pytest.raises(Conflict) as gone:
        agreements.consent(actor=worker, agreement_id=agreement.id)
    assert gone.value.code == "not_lender_staff"
    db.session.rollback()
    assert applications_of(worker.id) == []


def test_rule_no_pushing_workers_into_self_employment(firms, make_staff, make_agreement,
                                                     make_listing):
    lender, borrower = firms
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False)
    with pytest.raises(ValidationFailed) as pushed:
        agreements.update_terms(actor=borrower, agreement_id=agreement.id,
                                version=agreement.terms_version,
                                changes={"work_content": "分拣，需先注册个体工商户后按件结算"})
    assert pushed.value.code == "self_employment_pressure"
    db.session.rollback()
    with pytest.raises(ValidationFailed) as listing:
        make_listing(borrower, ListingKind.NEED, work_content="Sorting; workers sign as "
                                                              "independent contractors")
    assert "work_content" in listing.value.fields


def test_signatures_record_who_and_when_and_any_change_voids_them(firms, make_staff,
                                                                  make_agreement):
    lender, borrower = firms
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False)
    version = agreement.terms_version
    agreements.sign(actor=lender, agreement_id=agreement.id, version=version)
    db.session.commit()
    assert agreement.lender_signed_by_id == lender.id and agreement.lender_signed_at
    assert agreement.status == AgreementStatus.DRAFT  # one signature is not enough

    # The borrower changes the pay: the lender's signature is void, a new version starts.
    changed = agreements.update_terms(actor=borrower, agreement_id=agreement.id,
                                      version=version,
                                      changes={"daily_pay_fen": 23000, "worker_pay_fen": 23000})
    db.session.commit()
    assert changed.terms_version == version + 1
    assert changed.lender_signed_at is None and changed.lender_signed_by_id is None
    # A signature of the old version (a form loaded before the change) is refused.
    with pytest.raises(Conflict) as stale:
        agreements.sign(actor=lender, agreement_id=agreement.id, version=version)
    assert stale.value.code == "agreement_changed"
    db.session.rollback()
    for firm_user in (lender, borrower):
        agreements.sign(actor=firm_user, agreement_id=agreement.id, version=version + 1)
        db.session.commit()
    assert agreement.status == AgreementStatus.SIGNED and agreement.fully_signed
    with pytest.raises(Conflict):
        agreements.sign(actor=lender, agreement_id=agreement.id, version=version + 1)
    db.session.rollback()
    # A change after both signed (nobody consented yet) voids both and reopens the draft.
    reopened = agreements.update_terms(actor=lender, agreement_id=agreement.id,
                                       version=version + 1, changes={"address": "临港物流园"})
    db.session.commit()
    assert reopened.status == AgreementStatus.DRAFT and not reopened.fully_signed


def test_rule_consent_signing_books_nobody(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker])
    assert agreement.status == AgreementStatus.SIGNED
    # Both firms signed, but the worker has not consented: no day is booked for them.
    assert applications_of(worker.id) == []
    assert db.session.scalar(select(func.count()).select_from(SharingDay)) == 0


def test_rule_consent_only_the_named_worker_consents_for_themselves(firms, make_worker,
                                                                    make_staff, make_agreement):
    lender, borrower = firms
    named, colleague = make_staff(lender, name="甲"), make_staff(lender, name="乙")
    agreement = make_agreement(lender, borrower, [named])
    with pytest.raises(NotFound):
        agreements.consent(actor=colleague, agreement_id=agreement.id)
    db.session.rollback()
    with pytest.raises(NotFound):
        agreements.consent(actor=make_worker(name="路人"), agreement_id=agreement.id)
    db.session.rollback()
    with pytest.raises(Forbidden):
        agreements.consent(actor=lender, agreement_id=agreement.id)
    db.session.rollback()
    assert applications_of(colleague.id) == [] and applications_of(named.id) == []


def test_rule_consent_is_asked_only_after_both_firms_signed(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], sign=False)
    with pytest.raises(NotFound):  # a draft is not shown to the worker at all
        agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.rollback()
    assert applications_of(worker.id) == []


def test_consent_books_every_day_ahead_as_an_unlisted_shift(firms, make_staff, make_agreement):
    lender, borrower = firms
    first, second = make_staff(lender, name="甲"), make_staff(lender, name="乙")
    agreement = make_agreement(lender, borrower, [first, second], days=5)
    agreements.consent(actor=first, agreement_id=agreement.id)
    db.session.commit()
    booked = applications_of(first.id)
    assert len(booked) == 5
    assert {a.status for a in booked} == {AppStatus.CONFIRMED}
    assert {a.source for a in booked} == {"sharing"}
    shifts = [a.shift for a in booked]
    assert {s.firm_id for s in shifts} == {borrower.firm_id}
    assert {(s.headcount, s.filled, s.listed) for s in shifts} == {(2, 1, False)}
    assert {s.pay_amount_fen for s in shifts} == {agreement.worker_pay_fen}
    assert all(seat_count_matches(s.id) for s in shifts)
    local_days = [s.starts_at.astimezone(LOCAL_TZ) for s in shifts]
    assert [d.date() for d in local_days] == agreement.work_days()
    assert {(d.hour, d.minute) for d in local_days} == {(8, 0)}
    # The second worker has given no consent: nothing is booked for them.
    assert applications_of(second.id) == []
    assert agreement.status == AgreementStatus.ACTIVE
    # The days are not public postings: no search, no applying.
    found = search_shifts(ShiftFilters(firm_id=borrower.firm_id), page=1, per_page=50)
    assert found.total == 0
    stranger = make_staff(borrower, name="路人")
    with pytest.raises(NotFound):
        apps.apply(actor=stranger, shift_id=shifts[0].id)
    db.session.rollback()

    agreements.consent(actor=second, agreement_id=agreement.id)
    db.session.commit()
    assert {(a.shift.headcount, a.shift.filled) for a in applications_of(second.id)} == {(2, 2)}
    with pytest.raises(Conflict) as again:
        agreements.consent(actor=second, agreement_id=agreement.id)
    assert again.value.code == "already_consented"


def test_the_day_shifts_keep_the_headcount_rule(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], days=1)
    agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.commit()
    shift = applications_of(worker.id)[0].shift
    intruder = make_staff(borrower, name="插队者")
    extra = Application(shift_id=shift.id, worker_id=intruder.id, status=AppStatus.OFFERED,
                        starts_at=shift.starts_at, ends_at=shift.ends_at, source="direct")
    db.session.add(extra)
    db.session.commit()
    with pytest.raises(Conflict) as full:
        apps.transition(actor=intruder, application_id=extra.id, action="accept")
    assert full.value.code == "shift_full"
    db.session.rollback()
    assert db.session.get(Shift, shift.id).filled == 1


def test_consent_refuses_a_double_booking_and_names_the_day(firms, make_staff, make_agreement,
                                                           make_shift):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], days=3)
    # The worker took a gig elsewhere on the second day.
    second_day = agreement.start_date + dt.timedelta(days=1)
    other_firm_shift = make_shift(borrower, hours=4, starts_at=dt.datetime.combine(
        second_day, dt.time(9), tzinfo=LOCAL_TZ).astimezone(dt.UTC))
    gig = apps.apply(actor=worker, shift_id=other_firm_shift.id)
    db.session.commit()
    apps.transition(actor=borrower, application_id=gig.id, action="offer")
    apps.transition(actor=worker, application_id=gig.id, action="accept")
    db.session.commit()
    with pytest.raises(Conflict) as clash:
        agreements.consent(actor=worker, agreement_id=agreement.id)
    assert clash.value.code == "schedule_conflict"
    assert (agreement.start_date + dt.timedelta(days=1)).isoformat() in clash.value.message
    db.session.rollback()
    assert [a.shift_id for a in applications_of(worker.id)] == [other_firm_shift.id]


def test_a_worker_may_decline_or_withdraw(firms, make_staff, make_agreement):
    lender, borrower = firms
    a, b = make_staff(lender, name="甲"), make_staff(lender, name="乙")
    agreement = make_agreement(lender, borrower, [a, b], days=3)
    agreements.decline(actor=a, agreement_id=agreement.id)
    db.session.commit()
    assert applications_of(a.id) == []
    agreements.consent(actor=b, agreement_id=agreement.id)
    db.session.commit()
    assert len(applications_of(b.id)) == 3
    agreements.withdraw(actor=b, agreement_id=agreement.id)
    db.session.commit()
    assert {x.status for x in applications_of(b.id)} == {AppStatus.WITHDRAWN}
    assert {x.shift.filled for x in applications_of(b.id)} == {0}
    # Changing one's mind again books the days again.
    agreements.consent(actor=b, agreement_id=agreement.id)
    db.session.commit()
    assert {x.status for x in applications_of(b.id)} == {AppStatus.CONFIRMED}


def test_terms_are_locked_once_a_worker_consented(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker])
    agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.commit()
    with pytest.raises(Conflict) as locked:
        agreements.update_terms(actor=borrower, agreement_id=agreement.id,
                                version=agreement.terms_version,
                                changes={"daily_pay_fen": 9000, "worker_pay_fen": 9000})
    assert locked.value.code == "terms_locked"


def test_the_borrower_sees_only_consenting_workers(firms, make_staff, make_agreement):
    lender, borrower = firms
    a, b = make_staff(lender, name="甲"), make_staff(lender, name="乙")
    agreement = make_agreement(lender, borrower, [a, b])
    assert [w.worker_id for w in agreements.visible_workers(borrower, agreement)] == []
    assert len(agreements.visible_workers(lender, agreement)) == 2
    agreements.consent(actor=a, agreement_id=agreement.id)
    db.session.commit()
    assert [w.worker_id for w in agreements.visible_workers(borrower, agreement)] == [a.id]


def test_other_firms_cannot_reach_an_agreement(firms, make_firm, make_staff, make_agreement):
    lender, borrower = firms
    agreement = make_agreement(lender, borrower, [make_staff(lender)])
    other = make_firm(name="第三方企业")
    with pytest.raises(NotFound):
        agreements.get_agreement(actor=other, agreement_id=agreement.id)
    with pytest.raises(NotFound):
        agreements.cancel(actor=other, agreement_id=agreement.id)


def test_execution_attendance_confirmation_and_ratings(firms, make_staff, make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], days=1)
    agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.commit()
    application = applications_of(worker.id)[0]
    with pytest.raises(Conflict) as early:
        agreements.confirm(actor=lender, agreement_id=agreement.id, score=5)
    assert early.value.code == "period_not_over"
    db.session.rollback()

    # The day comes: attendance at the borrower like any shift.
    arrive(application.shift_id)
    apps.transition(actor=worker, application_id=application.id, action="check-in")
    db.session.commit()
    apps.transition(actor=worker, application_id=application.id, action="check-out")
    db.session.commit()
    finish(application.shift_id)
    with pytest.raises(Conflict) as unconfirmed:
        agreements.confirm(actor=borrower, agreement_id=agreement.id, score=4)
    assert unconfirmed.value.code == "attendance_open"
    db.session.rollback()
    apps.transition(actor=borrower, application_id=application.id, action="complete",
                    params={"minutes_worked": 480})
    db.session.commit()
    summary = agreements.attendance_summary(agreement.id)[worker.id]
    assert summary["completed"] == 1 and summary["minutes"] == 480
    assert summary["pay_due_fen"] == agreement.worker_pay_fen
    # Ratings of the lent worker and of the borrower reuse the shifts' ratings.
    apps.rate(actor=borrower, application_id=application.id, score=5, comment="认真负责")
    apps.rate(actor=worker, application_id=application.id, score=4)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 2

    agreements.confirm(actor=lender, agreement_id=agreement.id, score=5, comment="合作顺利")
    db.session.commit()
    assert agreement.status == AgreementStatus.ACTIVE
    with pytest.raises(Conflict):
        agreements.confirm(actor=lender, agreement_id=agreement.id, score=5)
    db.session.rollback()
    agreements.confirm(actor=borrower, agreement_id=agreement.id, score=4)
    db.session.commit()
    assert agreement.status == AgreementStatus.COMPLETED and agreement.closed_at
    assert agreements.firm_sharing_rating(borrower.firm_id) == (5.0, 1)
    assert agreements.firm_sharing_rating(lender.firm_id) == (4.0, 1)
    # Back from the borrower, the worker is idle staff of the lender again.
    assert [m.worker_id for m in sharing.idle_staff(lender.firm_id)] == [worker.id]


def test_cancelling_frees_the_days_ahead_and_tells_the_workers(firms, make_staff,
                                                              make_agreement):
    lender, borrower = firms
    worker = make_staff(lender)
    agreement = make_agreement(lender, borrower, [worker], days=4)
    agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.commit()
    agreements.cancel(actor=borrower, agreement_id=agreement.id, reason="订单取消")
    db.session.commit()
    assert {a.status for a in applications_of(worker.id)} == {AppStatus.CANCELLED}
    assert {a.shift.filled for a in applications_of(worker.id)} == {0}
    closed = db.session.get(SharingAgreement, agreement.id)
    assert closed.status == AgreementStatus.CANCELLED and closed.cancel_reason == "订单取消"
    with pytest.raises(InvalidTransition):
        agreements.cancel(actor=lender, agreement_id=agreement.id)
    db.session.rollback()
    row = closed.workers[0]
    assert row.consent == Consent.CONSENTED  # on record: the worker did agree
