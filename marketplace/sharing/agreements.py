"""Sharing agreements: negotiation, signatures, each lent worker's consent, execution, closing.

The rules of the national guidance on shared employment, enforced here and (where the data
lives) by the database:
- The worker's labor relationship stays with the lender, which pays the wages: those terms
  are fixed (`labor_relationship_fixed`) and CHECK constraints refuse anything else.
- The lender may not profit: the pay passed to each worker must equal what the borrower pays
  for them; a markup is refused (`lender_markup`), and so is a pass-through above it
  (`pass_through_mismatch`: a lender paying more does so through its own payroll), backed by
  a CHECK constraint.
- Each lent worker consents individually on their phone; only that consent books their
  days at the borrower (`consent`), and nothing else ever does.
- No disguised labor dispatch: only the lender's own confirmed staff can be named
  (`not_lender_staff`); no pushing workers into self-employment
  (`self_employment_pressure`).

Services that change an agreement take the database's write lock first (on SQLite; see
`begin_write_transaction`), as accepting an offer does: call them first in a transaction.

Any change of terms voids the signatures (a conditional UPDATE on `terms_version`, so a change
racing a signature either lands before it and the signature fails, or after it and clears it).
Once a worker has consented, the terms are locked.

Execution: each working day becomes one unlisted shift at the borrower (headcount = the named
workers). A consenting worker is offered every future day and accepts it through the shifts'
state machine, so the seat count (conditional UPDATE, CHECK) and the no-double-booking rule
(exclusion constraint on PostgreSQL) hold exactly as for any shift; attendance, hours and
ratings are then recorded at the borrower like any shift.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.db import utcnow
from marketplace.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.notifications.services import notify_many
from marketplace.sharing.models import (
    AgreementStatus,
    AgreementWorker,
    Consent,
    InjuryLiability,
    ListingKind,
    ListingStatus,
    SharingAgreement,
    SharingDay,
    SharingListing,
)
from marketplace.sharing.services import (
    LENDING,
    active_staff_ids,
    firm_member_ids,
    get_listing,
    get_own_listing,
    local_today,
    require_exchange_firm,
    require_worker,
    self_employment_pressure,
    validate_period,
)
from marketplace.shifts.gate import move_many, new_application, system_transition
from marketplace.shifts.models import (
    Application,
    Attendance,
    PayUnit,
    Settlement,
    Shift,
    ShiftStatus,
)
from marketplace.shifts.states import BOOKED, AppStatus
from marketplace.sqlite import begin_write_transaction
from marketplace.taxonomy import CATEGORY_CODES, DISTRICT_CODES, DISTRICTS_BY_CODE, SKILLS
from marketplace.timeutil import LOCAL_TZ

LENDER, BORROWER = "lender", "borrower"
TERM_FIELDS = (
    "title", "work_content", "district", "address", "start_date", "end_date",
    "day_start_minute", "day_end_minute", "weekdays", "daily_pay_fen", "worker_pay_fen",
    "injury_liability",
)
FIXED_TERMS = {"labor_relationship": "lender", "wage_payer": "lender"}
MAX_WORKERS = 100
MIN_HOURS, MAX_HOURS = 1, 12
OPEN_STATUSES = (AgreementStatus.DRAFT, AgreementStatus.SIGNED, AgreementStatus.ACTIVE)
SKILL_GROUP = {s.code: s.group for s in SKILLS}


# --------------------------------------------------------------------------- access


def side_of(actor: User, agreement: SharingAgreement) -> str | None:
    if actor.role != Role.FIRM or actor.firm_id is None:
        return None
    if actor.firm_id == agreement.lender_firm_id:
        return LENDER
    if actor.firm_id == agreement.borrower_firm_id:
        return BORROWER
    return None


def get_agreement(*, actor: User, agreement_id: int) -> SharingAgreement:
    """An agreement of the actor's firm (as lender or borrower); anyone else: not found."""
    agreement = db.session.get(SharingAgreement, agreement_id)
    if agreement is None:
        raise NotFound(N_("Agreement not found"))
    if actor.role == Role.ADMIN or side_of(actor, agreement) is not None:
        return agreement
    raise NotFound(N_("Agreement not found"))


def _party(actor: User, agreement_id: int) -> tuple[SharingAgreement, str]:
    agreement = get_agreement(actor=actor, agreement_id=agreement_id)
    side = side_of(actor, agreement)
    if side is None:
        raise Forbidden(N_("Only the two firms of the agreement can do this"))
    require_exchange_firm(actor)
    return agreement, side


def visible_workers(actor: User, agreement: SharingAgreement) -> list[AgreementWorker]:
    """The lender sees every worker it named; the borrower only those who consented (a
    borrower never sees the lender's other staff); administrators see all."""
    if actor.role == Role.ADMIN or side_of(actor, agreement) == LENDER:
        return list(agreement.workers)
    return [w for w in agreement.workers if w.consented_version is not None]


def list_agreements(*, actor: User, page: int, per_page: int, status: str | None = None):
    if actor.role != Role.FIRM or actor.firm_id is None:
        raise Forbidden(N_("Only firm accounts can do this"))
    query = select(SharingAgreement).options(
        selectinload(SharingAgreement.workers).joinedload(AgreementWorker.worker),
        selectinload(SharingAgreement.lender_signer),
        selectinload(SharingAgreement.borrower_signer),
        selectinload(SharingAgreement.lender_confirmer),
        selectinload(SharingAgreement.borrower_confirmer),
    ).where(
        (SharingAgreement.lender_firm_id == actor.firm_id)
        | (SharingAgreement.borrower_firm_id == actor.firm_id))
    if status == "open":
        query = query.where(SharingAgreement.status.in_(list(OPEN_STATUSES)))
    elif status:
        query = query.where(SharingAgreement.status == status)
    query = query.order_by(SharingAgreement.created_at.desc(), SharingAgreement.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


# --------------------------------------------------------------------------- terms


@dataclass
class TermsProblem:
    errors: dict[str, list[str]]
    code: str | None = None  # the rule that refused, when one did


def _category_for(skills: list[str], industry: str | None) -> str:
    if industry in CATEGORY_CODES:
        return industry
    for code in skills:
        if SKILL_GROUP.get(code) in CATEGORY_CODES:
            return SKILL_GROUP[code]
    return "manufacturing"


def check_terms(data: dict[str, Any], *, today: dt.date, check_start: bool) -> TermsProblem:
    """Every term, checked together; the first rule of the guidance that refuses gives the
    error its code."""
    problem = TermsProblem({})

    def fail(field: str, message: str, code: str | None = None) -> None:
        problem.errors.setdefault(field, []).append(message)
        if code and problem.code is None:
            problem.code = code

    for field, required in FIXED_TERMS.items():
        if field in data and data[field] != required:
            fail(field, N_("Under shared employment the worker's labor relationship stays with "
                           "the lender, which also pays the wages; this cannot be changed"),
                 "labor_relationship_fixed")
    title = str(data.get("title") or "").strip()
    if not title:
        fail("title", N_("Enter a title"))
    elif len(title) > 80:
        fail("title", N_("Use at most 80 characters"))
    content = str(data.get("work_content") or "").strip()
    if not content:
        fail("work_content", N_("Describe the work"))
    elif len(content) > 2000:
        fail("work_content", N_("Use at most 2000 characters"))
    if self_employment_pressure(title, content, data.get("address")):
        fail("work_content", N_("Lent workers stay employees of their firm: do not ask them to "
                                "register as self-employed or to sign a service contract"),
             "self_employment_pressure")
    if data.get("district") not in DISTRICT_CODES:
        fail("district", N_("Choose a district"))
    if len(str(data.get("address") or "")) > 200:
        fail("address", N_("Use at most 200 characters"))
    for field, messages in validate_period(data.get("start_date"), data.get("end_date"),
                                           today=today, check_start=check_start).items():
        for message in messages:
            fail(field, message)
    start_m, end_m = data.get("day_start_minute"), data.get("day_end_minute")
    hours = None
    if not (isinstance(start_m, int) and isinstance(end_m, int)
            and 0 <= start_m < end_m <= 1440):
        fail("day_end_minute", N_("The working day must end after it starts"))
    else:
        hours = (end_m - start_m) / 60
        if not MIN_HOURS <= hours <= MAX_HOURS:
            fail("day_end_minute", N_("A working day lasts %(low)d to %(high)d hours",
                                      low=MIN_HOURS, high=MAX_HOURS))
    weekdays = str(data.get("weekdays") or "")
    if not weekdays or set(weekdays) - set("1234567") or len(set(weekdays)) != len(weekdays):
        fail("weekdays", N_("Choose the working days of the week"))
    daily, passed = data.get("daily_pay_fen"), data.get("worker_pay_fen")
    if not isinstance(daily, int) or not 0 < daily <= 10_000_000:
        fail("daily_pay_fen", N_("Enter what the borrower pays per worker and day"))
    if not isinstance(passed, int) or not 0 < passed <= 10_000_000:
        fail("worker_pay_fen", N_("Enter the pay passed to each worker per day"))
    if isinstance(daily, int) and isinstance(passed, int) and 0 < passed < daily:
        fail("worker_pay_fen",
             N_("The lender may not profit from lending staff: each worker must receive the "
                "%(amount)s yuan a day the borrower pays for them",
                amount=format(daily / 100, ".2f")),
             "lender_markup")
    elif isinstance(daily, int) and isinstance(passed, int) and passed > daily > 0:
        fail("worker_pay_fen",
             N_("The pay passed to each worker must equal the %(amount)s yuan a day the "
                "borrower pays for them; a lender paying more does so through its own payroll",
                amount=format(daily / 100, ".2f")),
             "pass_through_mismatch")
    if isinstance(passed, int) and passed > 0 and hours:
        minimum = current_app.config["MIN_HOURLY_WAGE_FEN"]
        if passed / hours < minimum:
            fail("worker_pay_fen",
                 N_("Pay is below the minimum wage of %(amount)s yuan per hour",
                    amount=format(minimum / 100, ".2f")),
                 "below_minimum_wage")
    if data.get("injury_liability") not in set(InjuryLiability):
        fail("injury_liability", N_("Choose who carries work-injury liability"))
    return problem


def _raise_if(problem: TermsProblem) -> None:
    if problem.errors:
        raise ValidationFailed(N_("Please correct the highlighted fields")
                               if problem.code is None else _RULE_MESSAGES[problem.code],
                               code=problem.code, fields=problem.errors)


_RULE_MESSAGES = {
    "lender_markup": N_("The lender may not profit from lending staff: the pay passed to each "
                        "worker must equal what the borrower pays for them"),
    "pass_through_mismatch": N_("The pay passed to each worker must equal what the borrower "
                                "pays for them"),
    "labor_relationship_fixed": N_("The lent worker's labor relationship stays with the "
                                   "lender, which pays the wages"),
    "self_employment_pressure": N_("Lent workers stay employees of their firm: do not ask them "
                                   "to register as self-employed or to sign a service "
                                   "contract"),
    "below_minimum_wage": N_("Pay is below the minimum wage"),
}


def _check_workers(*, lender_firm_id: int, agreement_id: int | None, start: dt.date,
                   end: dt.date, worker_ids: list[int]) -> dict[int, int]:
    """The named workers must be the lender's own confirmed staff, not lent elsewhere in the
    period. Returns worker id -> staff id."""
    if len(worker_ids) != len(set(worker_ids)):
        raise ValidationFailed(N_("Name each worker once"),
                               fields={"worker_ids": [N_("Name each worker once")]})
    if len(worker_ids) > MAX_WORKERS:
        raise ValidationFailed(N_("At most %(max)d workers per agreement", max=MAX_WORKERS),
                               fields={"worker_ids": [N_("Too many workers")]})
    staff = active_staff_ids(lender_firm_id, worker_ids)
    if set(staff) != set(worker_ids):
        raise ValidationFailed(
            N_("Only your own employees who confirmed on their phone can be lent. Lending "
               "anyone else would be labor dispatch (劳务派遣), which needs a licence."),
            code="not_lender_staff",
            fields={"worker_ids": [N_("Not your confirmed staff")]},
        )
    busy = set(db.session.scalars(
        select(AgreementWorker.worker_id)
        .join(SharingAgreement, SharingAgreement.id == AgreementWorker.agreement_id)
        .where(AgreementWorker.worker_id.in_(worker_ids or [0]),
               AgreementWorker.consent == Consent.CONSENTED,
               SharingAgreement.id != (agreement_id or 0),
               SharingAgreement.status.in_(list(LENDING)),
               SharingAgreement.start_date <= end,
               SharingAgreement.end_date >= start)))
    if busy:
        raise Conflict(
            N_("A worker you named is already lent under another agreement in this period"),
            code="worker_already_lent", fields={"worker_ids": sorted(busy)},
        )
    return staff


def propose(*, actor: User, listing_id: int, counterpart_id: int) -> SharingAgreement:
    """A draft agreement between one of the actor's listings and another firm's listing of the
    opposite kind, prefilled from both: the overlapping period, the need's work and pay,
    the staff the lender had selected."""
    firm = require_exchange_firm(actor)
    own = get_own_listing(actor=actor, listing_id=listing_id)
    other = get_listing(actor=actor, listing_id=counterpart_id)
    if own.status != ListingStatus.OPEN or other.status != ListingStatus.OPEN:
        raise Conflict(N_("Both listings must be open"), code="listing_closed")
    if other.firm_id == firm.id or other.kind == own.kind:
        raise ValidationFailed(N_("Choose another firm's listing of the other kind"),
                               code="listing_mismatch",
                               fields={"counterpart_id": [N_("Not a matching listing")]})
    offer, need = (own, other) if own.kind == ListingKind.OFFER else (other, own)
    existing = db.session.scalar(select(SharingAgreement.id).where(
        SharingAgreement.offer_listing_id == offer.id,
        SharingAgreement.need_listing_id == need.id,
        SharingAgreement.status.in_(list(OPEN_STATUSES))))
    if existing is not None:
        raise Conflict(N_("An agreement between these two listings is already open"),
                       code="already_proposed", fields={"agreement_id": existing})
    today = local_today()
    start = max(offer.start_date, need.start_date, today)
    end = min(offer.end_date, need.end_date)
    if end < start:
        raise Conflict(N_("The two periods do not overlap"), code="no_overlap")
    borrower = need.firm
    agreement = SharingAgreement(
        lender_firm_id=offer.firm_id, borrower_firm_id=need.firm_id,
        offer_listing_id=offer.id, need_listing_id=need.id, status=AgreementStatus.DRAFT,
        terms_version=1, title=need.title[:80],
        work_content=need.work_content or need.title,
        category=_category_for(need.skills or offer.skills, borrower.industry),
        district=need.district,
        address=(borrower.address or "")[:200] if borrower.district == need.district else "",
        start_date=start, end_date=end, day_start_minute=8 * 60, day_end_minute=17 * 60,
        weekdays="12345", daily_pay_fen=need.daily_pay_fen or 0,
        worker_pay_fen=need.daily_pay_fen or 0, labor_relationship="lender",
        wage_payer="lender", injury_liability=InjuryLiability.LENDER, created_by_id=actor.id,
    )
    db.session.add(agreement)
    db.session.flush()
    # The staff the lender had in mind, while they are idle confirmed staff.
    candidate_staff = {row.staff_id for row in offer.staff_rows}
    if candidate_staff:
        from marketplace.sharing.models import StaffMember

        members = list(db.session.scalars(select(StaffMember).where(
            StaffMember.id.in_(sorted(candidate_staff)))))
        staff = active_staff_ids(offer.firm_id, [m.worker_id for m in members])
        try:
            _check_workers(lender_firm_id=offer.firm_id, agreement_id=agreement.id,
                           start=start, end=end, worker_ids=list(staff))
            chosen = sorted(staff.items())[:need.headcount]
        except (Conflict, ValidationFailed):
            chosen = []
        for worker_id, staff_id in chosen:
            agreement.workers.append(AgreementWorker(worker_id=worker_id, staff_id=staff_id))
        db.session.flush()
    other_firm = other.firm_id
    notify_many(user_ids=firm_member_ids([other_firm]), kind="sharing_proposal",
                message=f"sharing_proposal:{firm.name}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.agreement_propose", target_type="sharing_agreement",
           target_id=agreement.id, offer=offer.id, need=need.id)
    return agreement


def _terms_of(agreement: SharingAgreement) -> dict[str, Any]:
    return {f: getattr(agreement, f) for f in TERM_FIELDS}


def update_terms(*, actor: User, agreement_id: int, version: int,
                 changes: dict[str, Any]) -> SharingAgreement:
    """Change the terms (either firm; only the lender names workers). Any change voids both
    signatures and starts a new terms version; after a worker consented, terms are locked."""
    begin_write_transaction()
    agreement, side = _party(actor, agreement_id)
    if agreement.status not in (AgreementStatus.DRAFT, AgreementStatus.SIGNED):
        raise Conflict(
            N_("A worker has already consented to these terms, so they can no longer change. "
               "Cancel the agreement and make a new one instead."),
            code="terms_locked",
        )
    if version != agreement.terms_version:
        raise Conflict(N_("The other firm changed the agreement meanwhile. Reload it and check "
                          "the new terms."), code="agreement_changed")
    for field, required in FIXED_TERMS.items():
        if field in changes and changes[field] != required:
            _raise_if(check_terms({field: changes[field]}, today=local_today(),
                                  check_start=False))
    worker_ids = changes.get("worker_ids")
    if worker_ids is not None and side != LENDER:
        raise Forbidden(N_("Only the lender names the workers it lends"),
                        code="lender_names_workers")
    terms = {k: v for k, v in changes.items() if k in TERM_FIELDS}
    if "title" in terms:
        terms["title"] = str(terms["title"]).strip()
    if "work_content" in terms:
        terms["work_content"] = str(terms["work_content"]).strip()
    if "address" in terms:
        terms["address"] = str(terms["address"] or "").strip()
    current = _terms_of(agreement)
    changed = {k: v for k, v in terms.items() if current.get(k) != v}
    current_workers = sorted(w.worker_id for w in agreement.workers)
    workers_changed = worker_ids is not None and sorted(worker_ids) != current_workers
    if not changed and not workers_changed:
        return agreement
    merged = {**current, **changed}
    _raise_if(check_terms(merged, today=local_today(),
                          check_start="start_date" in changed or "end_date" in changed))
    staff: dict[int, int] = {}
    if workers_changed:
        staff = _check_workers(lender_firm_id=agreement.lender_firm_id,
                               agreement_id=agreement.id, start=merged["start_date"],
                               end=merged["end_date"], worker_ids=list(worker_ids))
    was_signed = agreement.lender_signed_at is not None or agreement.borrower_signed_at is not None
    bumped = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.terms_version == version,
               SharingAgreement.status.in_([AgreementStatus.DRAFT, AgreementStatus.SIGNED]))
        .values(**changed, terms_version=SharingAgreement.terms_version + 1,
                status=AgreementStatus.DRAFT, lender_signed_at=None, lender_signed_by_id=None,
                borrower_signed_at=None, borrower_signed_by_id=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        raise Conflict(N_("The other firm changed the agreement meanwhile. Reload it and check "
                          "the new terms."), code="agreement_changed")
    db.session.refresh(agreement)
    if workers_changed:
        keep = set(worker_ids)
        for row in list(agreement.workers):
            if row.worker_id not in keep:
                agreement.workers.remove(row)
        have = {row.worker_id for row in agreement.workers}
        for worker_id in worker_ids:
            if worker_id not in have:
                agreement.workers.append(AgreementWorker(worker_id=worker_id,
                                                         staff_id=staff[worker_id]))
    for row in agreement.workers:  # new terms: every worker is asked again
        row.consent, row.consented_version, row.decided_at = Consent.PENDING, None, None
    db.session.flush()
    other = agreement.borrower_firm_id if side == LENDER else agreement.lender_firm_id
    notify_many(user_ids=firm_member_ids([other]), kind="sharing_changed",
                message=f"sharing_changed:{agreement.title}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.agreement_update", target_type="sharing_agreement",
           target_id=agreement.id, fields=sorted(changed) + (["workers"] if workers_changed
                                                              else []),
           version=agreement.terms_version, signatures_voided=was_signed)
    return agreement


def sign(*, actor: User, agreement_id: int, version: int) -> SharingAgreement:
    """Sign the current terms version for the actor's firm; with both signatures the named
    workers are asked for their consent."""
    begin_write_transaction()
    agreement, side = _party(actor, agreement_id)
    if agreement.status != AgreementStatus.DRAFT:
        raise InvalidTransition(N_("This agreement is not waiting for signatures"))
    if version != agreement.terms_version:
        raise Conflict(N_("The other firm changed the agreement meanwhile. Reload it and check "
                          "the new terms."), code="agreement_changed")
    _raise_if(check_terms(_terms_of(agreement), today=local_today(), check_start=False))
    if not agreement.workers:
        raise ValidationFailed(N_("The lender must first name the workers it lends"),
                               code="no_workers",
                               fields={"worker_ids": [N_("Name at least one worker")]})
    if not _future_days(agreement):
        raise ValidationFailed(N_("No working day of the period is still ahead: change the "
                                  "dates"), code="period_over",
                               fields={"end_date": [N_("No working day ahead")]})
    _check_workers(lender_firm_id=agreement.lender_firm_id, agreement_id=agreement.id,
                   start=agreement.start_date, end=agreement.end_date,
                   worker_ids=[w.worker_id for w in agreement.workers])
    now = utcnow()
    signed_at = getattr(SharingAgreement, f"{side}_signed_at")
    done = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.terms_version == version,
               SharingAgreement.status == AgreementStatus.DRAFT, signed_at.is_(None))
        .values({f"{side}_signed_at": now, f"{side}_signed_by_id": actor.id})
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.refresh(agreement)
        if getattr(agreement, f"{side}_signed_at") is not None:
            raise Conflict(N_("Your firm has already signed this version"),
                           code="already_signed")
        raise Conflict(N_("The other firm changed the agreement meanwhile. Reload it and check "
                          "the new terms."), code="agreement_changed")
    both = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.status == AgreementStatus.DRAFT,
               SharingAgreement.terms_version == version,
               SharingAgreement.lender_signed_at.is_not(None),
               SharingAgreement.borrower_signed_at.is_not(None))
        .values(status=AgreementStatus.SIGNED, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(agreement)
    other = agreement.borrower_firm_id if side == LENDER else agreement.lender_firm_id
    notify_many(user_ids=firm_member_ids([other]),
                kind="sharing_signed" if both else "sharing_signed_one",
                message=f"{'sharing_signed' if both else 'sharing_signed_one'}:{agreement.title}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    if both:
        notify_many(user_ids=[w.worker_id for w in agreement.workers],
                    kind="sharing_consent_request",
                    message=f"sharing_consent_request:{agreement.lender.name}",
                    link=f"/me/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.agreement_sign", target_type="sharing_agreement",
           target_id=agreement.id, side=side, version=version, fully_signed=bool(both))
    return agreement


# --------------------------------------------------------------------------- days and shifts


def _day_bounds(agreement: SharingAgreement, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
    starts = midnight + dt.timedelta(minutes=agreement.day_start_minute)
    ends = midnight + dt.timedelta(minutes=agreement.day_end_minute)
    return starts.astimezone(dt.UTC), ends.astimezone(dt.UTC)


def _future_days(agreement: SharingAgreement) -> list[dt.date]:
    now = utcnow()
    return [d for d in agreement.work_days() if _day_bounds(agreement, d)[0] > now]


def _ensure_days(agreement: SharingAgreement) -> list[Shift]:
    """The borrower's unlisted day shifts of the agreement, created for every working day still
    ahead the first time they are needed. Returns the open ones still ahead, by day."""
    have = dict(db.session.execute(
        select(SharingDay.day, Shift).join(Shift, Shift.id == SharingDay.shift_id)
        .where(SharingDay.agreement_id == agreement.id)).all())
    borrower = agreement.borrower
    centre = DISTRICTS_BY_CODE[agreement.district]
    same_place = borrower.district == agreement.district and borrower.lat is not None
    lat, lon = (borrower.lat, borrower.lon) if same_place else (centre.lat, centre.lon)
    created = []
    for day in _future_days(agreement):
        if day in have:
            continue
        starts, ends = _day_bounds(agreement, day)
        shift = Shift(
            firm_id=agreement.borrower_firm_id, created_by_id=agreement.borrower_signed_by_id,
            title=f"【共享用工】{agreement.title}"[:80], category=agreement.category,
            description=agreement.work_content, district=agreement.district,
            address=agreement.address or "", lat=lat, lon=lon, starts_at=starts, ends_at=ends,
            headcount=len(agreement.workers), filled=0, pay_amount_fen=agreement.worker_pay_fen,
            pay_unit=PayUnit.DAY, daily_pay_fen=agreement.worker_pay_fen,
            settlement=Settlement.ON_COMPLETION, status=ShiftStatus.OPEN, listed=False,
        )
        db.session.add(shift)
        created.append((day, shift))
        have[day] = shift
    if created:
        try:
            with db.session.begin_nested():
                db.session.flush()
                db.session.add_all(SharingDay(agreement_id=agreement.id, day=day,
                                              shift_id=shift.id) for day, shift in created)
                db.session.flush()
        except IntegrityError as exc:
            raise Conflict(N_("Someone else is booking this agreement right now. Please try "
                              "again."), code="try_again") from exc
    now = utcnow()
    return [have[d] for d in sorted(have)
            if have[d].status == ShiftStatus.OPEN and have[d].starts_at > now]


def day_shifts(agreement_id: int) -> list[tuple[dt.date, Shift]]:
    return [(day, shift) for day, shift in db.session.execute(
        select(SharingDay.day, Shift).join(Shift, Shift.id == SharingDay.shift_id)
        .where(SharingDay.agreement_id == agreement_id).order_by(SharingDay.day)).all()]


def my_days(*, actor: User, agreement_id: int) -> dict[int, Application]:
    """The worker's own applications on the agreement's day shifts, by shift id."""
    require_worker(actor)
    return {a.shift_id: a for a in db.session.scalars(
        select(Application).join(SharingDay, SharingDay.shift_id == Application.shift_id)
        .where(SharingDay.agreement_id == agreement_id, Application.worker_id == actor.id))}


def attendance_summary(agreement_id: int) -> dict[int, dict[str, int]]:
    """Per lent worker, from their applications on the agreement's day shifts (one query):
    days booked ahead, days worked, no-shows, minutes and pay due."""
    return attendance_summaries([agreement_id]).get(agreement_id, {})


def attendance_summaries(agreement_ids: list[int]) -> dict[int, dict[int, dict[str, int]]]:
    """`attendance_summary` of several agreements in one query: agreement -> worker -> figures."""
    if not agreement_ids:
        return {}
    rows = db.session.execute(
        select(SharingDay.agreement_id, Application.worker_id, Application.status, func.count(),
               func.coalesce(func.sum(Attendance.minutes_worked), 0),
               func.coalesce(func.sum(Attendance.pay_due_fen), 0))
        .join(SharingDay, SharingDay.shift_id == Application.shift_id)
        .outerjoin(Attendance, Attendance.application_id == Application.id)
        .where(SharingDay.agreement_id.in_(agreement_ids))
        .group_by(SharingDay.agreement_id, Application.worker_id, Application.status)).all()
    result: dict[int, dict[int, dict[str, int]]] = {}
    for agreement_id, worker_id, status, count, minutes, pay in rows:
        summary = result.setdefault(agreement_id, {})
        entry = summary.setdefault(worker_id, {"booked": 0, "checked_in": 0, "completed": 0,
                                               "no_show": 0, "minutes": 0, "pay_due_fen": 0})
        key = {AppStatus.CONFIRMED: "booked", AppStatus.CHECKED_IN: "checked_in",
               AppStatus.COMPLETED: "completed", AppStatus.NO_SHOW: "no_show"}.get(status)
        if key:
            entry[key] += count
        entry["minutes"] += int(minutes)
        entry["pay_due_fen"] += int(pay)
    return result


# --------------------------------------------------------------------------- the worker


def _assignment(actor: User, agreement_id: int) -> AgreementWorker:
    """The actor's own place in an agreement, once the firms have signed it (or once they
    took part); otherwise not found."""
    require_worker(actor)
    row = db.session.scalar(select(AgreementWorker).where(
        AgreementWorker.agreement_id == agreement_id, AgreementWorker.worker_id == actor.id))
    if row is None:
        raise NotFound(N_("Agreement not found"))
    status = row.agreement.status
    if status in (AgreementStatus.SIGNED, AgreementStatus.ACTIVE, AgreementStatus.COMPLETED):
        return row
    if row.consented_version is not None:
        return row
    raise NotFound(N_("Agreement not found"))


def get_assignment(*, actor: User, agreement_id: int) -> AgreementWorker:
    return _assignment(actor, agreement_id)


def assignments_for(*, actor: User) -> list[AgreementWorker]:
    """Agreements naming the worker that they can see, those waiting for them first."""
    require_worker(actor)
    rows = db.session.scalars(
        select(AgreementWorker).join(SharingAgreement)
        .where(AgreementWorker.worker_id == actor.id,
               (SharingAgreement.status.in_([AgreementStatus.SIGNED, AgreementStatus.ACTIVE,
                                              AgreementStatus.COMPLETED]))
               | AgreementWorker.consented_version.is_not(None))
        .order_by(SharingAgreement.start_date.desc(), SharingAgreement.id.desc()).limit(100))
    waiting = {Consent.PENDING: 0}
    return sorted(rows, key=lambda r: waiting.get(r.consent, 1))


def consent(*, actor: User, agreement_id: int) -> AgreementWorker:
    """The worker agrees, on their own phone, to be lent on these terms: every working day
    still ahead is booked for them at the borrower (offered, then accepted through the
    shifts' state machine: seats and double booking are checked there and in the database)."""
    require_worker(actor)
    begin_write_transaction()
    row = _assignment(actor, agreement_id)
    agreement = row.agreement
    if agreement.status not in (AgreementStatus.SIGNED, AgreementStatus.ACTIVE):
        raise InvalidTransition(N_("This agreement is not waiting for your consent"))
    if row.consent == Consent.CONSENTED:
        raise Conflict(N_("You have already agreed"), code="already_consented")
    # Take the agreement's row lock first: consents to one agreement happen one at a time,
    # and a change of terms cannot slip in between (terms are locked once anyone consents).
    locked = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.terms_version == agreement.terms_version,
               SharingAgreement.status.in_([AgreementStatus.SIGNED, AgreementStatus.ACTIVE]))
        .values(status=AgreementStatus.ACTIVE, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if locked != 1:
        raise Conflict(N_("The agreement changed meanwhile. Please look at it again."),
                       code="agreement_changed")
    # The consent itself is conditional too: a second consent racing this one waited for
    # the agreement's lock above and finds the row already consented.
    consented = db.session.execute(
        update(AgreementWorker)
        .where(AgreementWorker.id == row.id, AgreementWorker.consent != Consent.CONSENTED)
        .values(consent=Consent.CONSENTED, consented_version=agreement.terms_version,
                decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if consented != 1:
        raise Conflict(N_("You have already agreed"), code="already_consented")
    db.session.refresh(row)
    if not active_staff_ids(agreement.lender_firm_id, [actor.id]):
        raise Conflict(N_("You are no longer on the lending firm's staff list, so you cannot "
                          "be lent"), code="not_lender_staff")
    shifts = _ensure_days(agreement)
    if not shifts:
        raise Conflict(N_("No working day of this agreement is still ahead"),
                       code="period_over")
    _refuse_overlaps(actor.id, shifts)
    existing = {a.shift_id: a for a in db.session.scalars(select(Application).where(
        Application.worker_id == actor.id,
        Application.shift_id.in_([s.id for s in shifts])))}
    from marketplace.shifts.applications import transition

    for shift in shifts:
        application = existing.get(shift.id)
        if application is not None and application.status in BOOKED:
            continue
        if application is None:
            application = new_application(
                entry="lend", shift_id=shift.id, worker_id=actor.id,
                starts_at=shift.starts_at, ends_at=shift.ends_at, source="sharing",
                note=f"sharing agreement {agreement.id}")
            db.session.flush()
        else:  # withdrawn or declined before: offered again under the same agreement
            system_transition(application=application, action="reoffer")
        transition(actor=actor, application_id=application.id, action="accept",
                   notify_party=False)
    db.session.flush()
    notify_many(user_ids=firm_member_ids([agreement.lender_firm_id, agreement.borrower_firm_id]),
                kind="sharing_consented", message=f"sharing_consented:{actor.name}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.consent", target_type="sharing_agreement",
           target_id=agreement.id, version=agreement.terms_version, days=len(shifts))
    return row


def _refuse_overlaps(worker_id: int, shifts: list[Shift]) -> None:
    """Name the first day the worker is already booked elsewhere (one query); the
    state machine and the database refuse it anyway, but without saying which day."""
    own = {s.id for s in shifts}
    booked = db.session.execute(
        select(Application.shift_id, Application.starts_at, Application.ends_at).where(
            Application.worker_id == worker_id, Application.status.in_(list(BOOKED)),
            Application.starts_at < shifts[-1].ends_at,
            Application.ends_at > shifts[0].starts_at)).all()
    for shift in shifts:
        for shift_id, starts, ends in booked:
            if shift_id not in own and starts < shift.ends_at and ends > shift.starts_at:
                day = shift.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
                raise Conflict(
                    N_("You are already booked on another shift on %(day)s. Withdraw from it "
                       "first, or ask your firm to change the days.", day=day),
                    code="schedule_conflict",
                )


def decline(*, actor: User, agreement_id: int) -> AgreementWorker:
    """The worker says no. Refusing is their right and changes nothing at their own firm."""
    require_worker(actor)
    begin_write_transaction()
    row = _assignment(actor, agreement_id)
    agreement = row.agreement
    if agreement.status not in (AgreementStatus.SIGNED, AgreementStatus.ACTIVE):
        raise InvalidTransition(N_("This agreement is not waiting for your consent"))
    _move_consent(row, Consent.PENDING, Consent.DECLINED,
                  N_("You have already answered; to stop, withdraw your consent"))
    notify_many(user_ids=firm_member_ids([agreement.lender_firm_id]), kind="sharing_declined",
                message=f"sharing_declined:{actor.name}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.decline", target_type="sharing_agreement",
           target_id=agreement.id)
    return row


def _move_consent(row: AgreementWorker, source: str, target: str, refusal: str) -> None:
    """Conditional UPDATE of the worker's answer: of two racing answers, one wins."""
    moved = db.session.execute(
        update(AgreementWorker)
        .where(AgreementWorker.id == row.id, AgreementWorker.consent == source)
        .values(consent=target, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise InvalidTransition(refusal)
    db.session.refresh(row)


def withdraw(*, actor: User, agreement_id: int) -> AgreementWorker:
    """The worker stops being lent: every booked day still ahead is withdrawn (days already
    worked stay on record)."""
    require_worker(actor)
    begin_write_transaction()
    row = _assignment(actor, agreement_id)
    agreement = row.agreement
    if row.consent != Consent.CONSENTED or agreement.status != AgreementStatus.ACTIVE:
        raise InvalidTransition(N_("There is no consent to withdraw"))
    from marketplace.shifts.applications import transition

    now = utcnow()
    _move_consent(row, Consent.CONSENTED, Consent.WITHDRAWN,
                  N_("There is no consent to withdraw"))
    ahead = list(db.session.scalars(
        select(Application.id).join(SharingDay, SharingDay.shift_id == Application.shift_id)
        .where(SharingDay.agreement_id == agreement.id, Application.worker_id == actor.id,
               Application.status == AppStatus.CONFIRMED, Application.starts_at > now)))
    for application_id in ahead:
        transition(actor=actor, application_id=application_id, action="withdraw",
                   notify_party=False)
    db.session.flush()
    notify_many(user_ids=firm_member_ids([agreement.lender_firm_id, agreement.borrower_firm_id]),
                kind="sharing_withdrawn", message=f"sharing_withdrawn:{actor.name}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.withdraw", target_type="sharing_agreement",
           target_id=agreement.id, days=len(ahead))
    return row


# --------------------------------------------------------------------------- the end


def cancel(*, actor: User, agreement_id: int, reason: str = "") -> SharingAgreement:
    """Either firm ends the agreement early: the booked days still ahead are cancelled (the
    workers are told); days already worked stay on record."""
    begin_write_transaction()
    agreement, side = _party(actor, agreement_id)
    if agreement.status not in OPEN_STATUSES:
        raise InvalidTransition(N_("This agreement is already closed"))
    now = utcnow()
    ahead = [shift for _day, shift in day_shifts(agreement.id)
             if shift.status == ShiftStatus.OPEN and shift.starts_at > now]
    ids = [s.id for s in ahead]
    told: list[int] = []
    if ids:
        told = sorted(set(db.session.scalars(select(Application.worker_id).where(
            Application.shift_id.in_(ids),
            Application.status.in_([AppStatus.OFFERED, AppStatus.CONFIRMED])))))
        move_many(action="cancel", where=[
            Application.shift_id.in_(ids),
            Application.status.in_([AppStatus.OFFERED, AppStatus.CONFIRMED])],
            values={"updated_at": now})
        db.session.execute(
            update(Shift).where(Shift.id.in_(ids))
            .values(status=ShiftStatus.CANCELLED, filled=0, cancelled_at=now,
                    cancel_reason=(reason or "").strip()[:300] or None)
            .execution_options(synchronize_session=False))
    changed = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.status.in_(list(OPEN_STATUSES)))
        .values(status=AgreementStatus.CANCELLED, closed_at=now, cancelled_by_id=actor.id,
                cancel_reason=(reason or "").strip()[:300] or None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise InvalidTransition(N_("This agreement is already closed"))
    db.session.expire_all()
    agreement = db.session.get(SharingAgreement, agreement_id)
    other = agreement.borrower_firm_id if side == LENDER else agreement.lender_firm_id
    notify_many(user_ids=firm_member_ids([other]), kind="sharing_cancelled",
                message=f"sharing_cancelled:{agreement.title}",
                link=f"/firm/sharing/agreements/{agreement.id}")
    notify_many(user_ids=told, kind="sharing_cancelled",
                message=f"sharing_cancelled:{agreement.title}",
                link=f"/me/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.agreement_cancel", target_type="sharing_agreement",
           target_id=agreement.id, side=side, days_cancelled=len(ids), workers_told=len(told),
           reason=(reason or "").strip()[:300])
    return agreement


def confirm(*, actor: User, agreement_id: int, score: int, comment: str = "") -> SharingAgreement:
    """At the end, each firm confirms the agreement was carried out and rates the other; with
    both confirmations the agreement is closed."""
    begin_write_transaction()
    agreement, side = _party(actor, agreement_id)
    if agreement.status != AgreementStatus.ACTIVE:
        raise InvalidTransition(N_("Only an agreement under way can be confirmed at its end"))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(N_("Score must be 1 to 5"),
                               fields={"score": [N_("Choose 1 to 5 stars")]})
    open_days = db.session.execute(
        select(Application.status, func.min(Application.starts_at))
        .join(SharingDay, SharingDay.shift_id == Application.shift_id)
        .where(SharingDay.agreement_id == agreement.id,
               Application.status.in_([AppStatus.CONFIRMED, AppStatus.CHECKED_IN]))
        .group_by(Application.status)).all()
    now = utcnow()
    if any(status == AppStatus.CONFIRMED and first > now for status, first in open_days):
        raise Conflict(N_("Lent workers still have days booked ahead. Confirm at the end of "
                          "the period, or cancel the rest."), code="period_not_over")
    if open_days:
        raise Conflict(N_("Some days still wait for their attendance to be confirmed (or a "
                          "no-show recorded) on the borrower's shift pages"),
                       code="attendance_open")
    confirmed_at = getattr(SharingAgreement, f"{side}_confirmed_at")
    done = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.status == AgreementStatus.ACTIVE, confirmed_at.is_(None))
        .values({f"{side}_confirmed_at": now, f"{side}_confirmed_by_id": actor.id,
                 f"{side}_rating": score,
                 f"{side}_comment": (comment or "").strip()[:500] or None, "updated_at": now})
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict(N_("Your firm has already confirmed this agreement"),
                       code="already_confirmed")
    closed = db.session.execute(
        update(SharingAgreement)
        .where(SharingAgreement.id == agreement.id,
               SharingAgreement.status == AgreementStatus.ACTIVE,
               and_(SharingAgreement.lender_confirmed_at.is_not(None),
                    SharingAgreement.borrower_confirmed_at.is_not(None)))
        .values(status=AgreementStatus.COMPLETED, closed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(agreement)
    other = agreement.borrower_firm_id if side == LENDER else agreement.lender_firm_id
    notify_many(user_ids=firm_member_ids([other]),
                kind="sharing_completed" if closed else "sharing_confirmed_one",
                message=(f"{'sharing_completed' if closed else 'sharing_confirmed_one'}:"
                         f"{agreement.title}"),
                link=f"/firm/sharing/agreements/{agreement.id}")
    record(actor=actor, action="sharing.agreement_confirm", target_type="sharing_agreement",
           target_id=agreement.id, side=side, score=score, closed=bool(closed))
    return agreement


def firm_sharing_rating(firm_id: int) -> tuple[float | None, int]:
    """Average rating a firm received from its partners in closed agreements."""
    as_lender = select(SharingAgreement.borrower_rating.label("r")).where(
        SharingAgreement.lender_firm_id == firm_id,
        SharingAgreement.borrower_rating.is_not(None))
    as_borrower = select(SharingAgreement.lender_rating.label("r")).where(
        SharingAgreement.borrower_firm_id == firm_id,
        SharingAgreement.lender_rating.is_not(None))
    both = as_lender.union_all(as_borrower).subquery()
    avg, count = db.session.execute(select(func.avg(both.c.r), func.count(both.c.r))).one()
    return (round(float(avg), 2) if avg is not None else None), int(count)


def agreements_for_listing(listing: SharingListing) -> list[SharingAgreement]:
    column = (SharingAgreement.offer_listing_id if listing.kind == ListingKind.OFFER
              else SharingAgreement.need_listing_id)
    return list(db.session.scalars(select(SharingAgreement).where(column == listing.id)
                                   .order_by(SharingAgreement.id.desc()).limit(50)))


def worker_rights(agreement: SharingAgreement) -> list[str]:
    """The worker's rights under shared employment, in plain words, for the consent page
    (English text for the API; the web shows them in the user's language)."""
    lender, borrower = agreement.lender.name, agreement.borrower.name
    pay = format(agreement.worker_pay_fen / 100, ".2f")
    injury = (
        N_("Work-injury insurance stays with %(lender)s, which carries the liability.",
           lender=lender)
        if agreement.injury_liability == InjuryLiability.LENDER else
        N_("Work-injury insurance stays with %(lender)s; %(borrower)s compensates it for "
           "work-injury costs as agreed.", lender=lender, borrower=borrower)
    )
    return [
        N_("Your labor relationship and your contract with %(lender)s do not change: "
           "%(lender)s keeps paying your wages and social insurance.", lender=lender),
        N_("You receive at least %(pay)s yuan for each day worked. %(lender)s may not keep "
           "any part of what %(borrower)s pays for you.", pay=pay, lender=lender,
           borrower=borrower),
        N_("Saying no is your right. It does not affect your job, pay or treatment at "
           "%(lender)s.", lender=lender),
        N_("Nobody may ask you to register as self-employed, to sign a service or outsourcing "
           "contract, or to pay a fee or deposit for being lent."),
        injury,
        N_("You check in and out at %(borrower)s like any shift; your hours are recorded there "
           "and shown to %(lender)s for your pay.", borrower=borrower, lender=lender),
        N_("You can withdraw your consent at any time for the days still ahead."),
    ]
