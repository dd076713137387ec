"""Agency scorecards, trust grades A–D and complaints (守信激励和失信惩戒).

Everything here is computed from the record, over the last GRADE_WINDOW_DAYS, for the
agency's brokered applications that the worker consented to:

* **taken on**: those applications (a seat the agency committed to fill) that reached an
  outcome: filled, or rejected, withdrawn or declined (still-open ones and shifts the firm
  cancelled do not count);
* **filled**: those that held a seat (confirmed, checked in, completed, no-show);
  fill rate = filled ÷ taken on;
* **show-up rate** = (checked in + completed) ÷ (checked in + completed + no-shows);
* **completion rate** = completed ÷ filled seats whose shift has ended;
* **30-day re-hire rate**: completed placements after which the same firm took the same
  worker on again (a seat on a shift starting within 30 days of the end) ÷ completed;
* **average ratings**: firms' ratings of the placed workers, and the placed workers' ratings
  of the shift;
* **complaints upheld** by an administrator (decided in the window), and **breaches**:
  no-shows, fees or deposits charged to workers and fake postings (upheld complaints of those
  kinds).

A rate from fewer than MIN_SAMPLE cases is "not enough data" and passes any threshold. The
grade is the first of GRADE_RULES whose every threshold the figures meet; D otherwise, and D
always after an upheld complaint of a fee or deposit charged to a worker or of a fake
posting. Firms see the grade; a worse grade multiplies the score of the agency's candidates
in firms' lists by GRADE_MULTIPLIER; a D suspends brokering until an administrator restores
it (and again after a new incident since the restore).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from flask import current_app
from sqlalchemy import case, func, select, update

from marketplace.admin.services import require_admin
from marketplace.agencies.models import (
    Agency,
    AgencyComplaint,
    ComplaintCategory,
    ComplaintStatus,
)
from marketplace.audit.services import record
from marketplace.auth.models import Role, User
from marketplace.db import utcnow
from marketplace.errors import (
    N_,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.firms.models import Verification
from marketplace.shifts.models import Application, Rating, Shift
from marketplace.shifts.states import SEAT_HOLDING, AppStatus
from marketplace.sqlite import begin_write_transaction

GRADE_WINDOW_DAYS = 180
MIN_SAMPLE = 5
REHIRE_DAYS = 30
GRADES = ("A", "B", "C", "D")
# Outcomes that count a seat as taken on: filled, or lost (rejected, withdrawn, declined).
DECIDED = SEAT_HOLDING | {AppStatus.REJECTED, AppStatus.WITHDRAWN, AppStatus.DECLINED}
# A worse grade lowers the agency's candidates in firms' lists by this factor (never hides
# them): marketplace.matching.candidates.agency_factors applies it.
GRADE_MULTIPLIER = {"A": 1.0, "B": 0.95, "C": 0.85, "D": 0.7}
# Upheld complaints of these kinds are breaches that mean D at once.
GRAVE_BREACHES = (ComplaintCategory.WORKER_FEE, ComplaintCategory.FAKE_POSTING)


@dataclass(frozen=True)
class GradeRule:
    """The thresholds for one grade. A rate that is None (too few cases) passes."""

    grade: str
    min_taken_on: int = 0
    min_fill_rate: float = 0.0
    min_show_up_rate: float = 0.0
    min_completion_rate: float = 0.0
    min_firm_rating: float = 0.0
    max_complaints_upheld: int = 1_000_000


GRADE_RULES: tuple[GradeRule, ...] = (
    GradeRule("A", min_taken_on=20, min_fill_rate=0.80, min_show_up_rate=0.95,
              min_completion_rate=0.90, min_firm_rating=4.3, max_complaints_upheld=0),
    GradeRule("B", min_fill_rate=0.60, min_show_up_rate=0.90, min_completion_rate=0.80,
              min_firm_rating=3.5, max_complaints_upheld=1),
    GradeRule("C", min_fill_rate=0.40, min_show_up_rate=0.80, min_completion_rate=0.70,
              min_firm_rating=2.8, max_complaints_upheld=2),
)


@dataclass
class Scorecard:
    agency_id: int
    taken_on: int = 0
    filled: int = 0
    showed: int = 0  # checked in or completed
    no_shows: int = 0
    ended: int = 0  # filled seats whose shift has ended
    completed: int = 0
    rehire_base: int = 0
    rehired: int = 0
    firm_rating: float | None = None
    firm_ratings: int = 0
    worker_rating: float | None = None
    worker_ratings: int = 0
    complaints_upheld: int = 0
    complaints_open: int = 0
    fee_breaches: int = 0
    fake_postings: int = 0
    last_incident_at: dt.datetime | None = None
    grade: str = "B"
    reasons: list[tuple[str, dict]] = field(default_factory=list)

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole >= MIN_SAMPLE else None

    @property
    def fill_rate(self) -> float | None:
        return self._rate(self.filled, self.taken_on)

    @property
    def show_up_rate(self) -> float | None:
        return self._rate(self.showed, self.showed + self.no_shows)

    @property
    def completion_rate(self) -> float | None:
        return self._rate(self.completed, self.ended)

    @property
    def rehire_rate(self) -> float | None:
        return self._rate(self.rehired, self.rehire_base)

    @property
    def breaches(self) -> int:
        return self.no_shows + self.fee_breaches + self.fake_postings

    @property
    def multiplier(self) -> float:
        return GRADE_MULTIPLIER[self.grade]

    def figures(self) -> dict:
        """Everything the API and the pages show (plain values)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("reasons",)}
        data.update(fill_rate=self.fill_rate, show_up_rate=self.show_up_rate,
                    completion_rate=self.completion_rate, rehire_rate=self.rehire_rate,
                    breaches=self.breaches, multiplier=self.multiplier)
        return data


# What falls short of a grade, as (reason key, values): the pages say it in words.
def _shortfalls(card: Scorecard, rule: GradeRule) -> list[tuple[str, dict]]:
    misses: list[tuple[str, dict]] = []
    if card.taken_on < rule.min_taken_on:
        misses.append(("volume", {"n": card.taken_on, "min": rule.min_taken_on}))
    for key, value, minimum in (
        ("fill_rate", card.fill_rate, rule.min_fill_rate),
        ("show_up_rate", card.show_up_rate, rule.min_show_up_rate),
        ("completion_rate", card.completion_rate, rule.min_completion_rate),
    ):
        if value is not None and value < minimum:
            misses.append((key, {"pct": round(value * 100), "min": round(minimum * 100)}))
    if (card.firm_rating is not None and card.firm_ratings >= MIN_SAMPLE
            and card.firm_rating < rule.min_firm_rating):
        misses.append(("firm_rating", {"r": card.firm_rating, "min": rule.min_firm_rating}))
    if card.complaints_upheld > rule.max_complaints_upheld:
        misses.append(("complaints", {"n": card.complaints_upheld,
                                      "max": rule.max_complaints_upheld}))
    return misses


REASONS_ENGLISH = {
    "volume": "{n} seats taken on; grade {grade} needs at least {min}",
    "fill_rate": "fill rate {pct}% is below the {min}% grade {grade} needs",
    "show_up_rate": "show-up rate {pct}% is below the {min}% grade {grade} needs",
    "completion_rate": "completion rate {pct}% is below the {min}% grade {grade} needs",
    "firm_rating": "firms rate its workers {r}; grade {grade} needs {min}",
    "complaints": "{n} complaints upheld; grade {grade} allows {max}",
    "grave_breach": "an upheld complaint of a fee or deposit charged to a worker "
                    "({fees}) or of a fake posting ({fake})",
}


def reasons_english(reasons: list[tuple[str, dict]]) -> list[str]:
    return [REASONS_ENGLISH[key].format(**values) for key, values in reasons]


def grade_for(card: Scorecard) -> tuple[str, list[tuple[str, dict]]]:
    """The trust grade and, for transparency, why it is not one better."""
    if card.fee_breaches or card.fake_postings:
        return "D", [("grave_breach", {"fees": card.fee_breaches,
                                        "fake": card.fake_postings})]
    previous: list[tuple[str, dict]] = []
    for rule in GRADE_RULES:
        misses = _shortfalls(card, rule)
        if not misses:
            return rule.grade, previous
        previous = [(key, {**values, "grade": rule.grade}) for key, values in misses]
    return "D", previous


def scorecards(agency_ids: list[int], *, now: dt.datetime | None = None) -> dict[int, Scorecard]:
    """Scorecards of several agencies in a handful of grouped queries."""
    now = now or utcnow()
    since = now - dt.timedelta(days=GRADE_WINDOW_DAYS)
    ids = sorted(set(agency_ids))
    cards = {a: Scorecard(agency_id=a) for a in ids}
    if not ids:
        return cards
    consented = (Application.agency_id.in_(ids), Application.agency_consent.is_not(None),
                 Application.agency_consent_at >= since)
    ended = func.sum(case((Application.ends_at <= now, 1), else_=0))
    for agency_id, status, n, n_ended in db.session.execute(
        select(Application.agency_id, Application.status, func.count(), ended)
        .where(*consented).group_by(Application.agency_id, Application.status)
    ).all():
        card = cards[agency_id]
        if status in DECIDED:
            card.taken_on += n
        if status in SEAT_HOLDING:
            card.filled += n
            card.ended += int(n_ended or 0)
        if status in (AppStatus.CHECKED_IN, AppStatus.COMPLETED):
            card.showed += n
        if status == AppStatus.NO_SHOW:
            card.no_shows += n
        if status == AppStatus.COMPLETED:
            card.completed += n
    for agency_id, rater, avg, n in db.session.execute(
        select(Application.agency_id, Rating.rater, func.avg(Rating.score), func.count())
        .join(Rating, Rating.application_id == Application.id)
        .where(*consented).group_by(Application.agency_id, Rating.rater)
    ).all():
        prefix = "firm" if rater == "firm" else "worker"
        setattr(cards[agency_id], f"{prefix}_rating", round(float(avg), 2))
        setattr(cards[agency_id], f"{prefix}_ratings", n)
    _complaints(cards, ids, since)
    _rehires(cards, ids, since, consented)
    _last_incidents(cards, ids, since)
    for card in cards.values():
        card.grade, card.reasons = grade_for(card)
    return cards


def _complaints(cards: dict[int, Scorecard], ids: list[int], since: dt.datetime) -> None:
    for agency_id, status, category, n in db.session.execute(
        select(AgencyComplaint.agency_id, AgencyComplaint.status, AgencyComplaint.category,
               func.count())
        .where(AgencyComplaint.agency_id.in_(ids),
               (AgencyComplaint.status == ComplaintStatus.OPEN)
               | (AgencyComplaint.decided_at >= since))
        .group_by(AgencyComplaint.agency_id, AgencyComplaint.status, AgencyComplaint.category)
    ).all():
        card = cards[agency_id]
        if status == ComplaintStatus.OPEN:
            card.complaints_open += n
        elif status == ComplaintStatus.UPHELD:
            card.complaints_upheld += n
            if category == ComplaintCategory.WORKER_FEE:
                card.fee_breaches += n
            elif category == ComplaintCategory.FAKE_POSTING:
                card.fake_postings += n


def _rehires(cards: dict[int, Scorecard], ids: list[int], since: dt.datetime,
             consented: tuple) -> None:
    done = db.session.execute(
        select(Application.agency_id, Application.worker_id, Shift.firm_id,
               Application.ends_at)
        .join(Shift, Shift.id == Application.shift_id)
        .where(*consented, Application.status == AppStatus.COMPLETED)).all()
    if not done:
        return
    later: dict[tuple[int, int], list[dt.datetime]] = defaultdict(list)
    for worker_id, firm_id, starts_at in db.session.execute(
        select(Application.worker_id, Shift.firm_id, Application.starts_at)
        .join(Shift, Shift.id == Application.shift_id)
        .where(Application.worker_id.in_(sorted({d.worker_id for d in done})),
               Application.status.in_(sorted(SEAT_HOLDING)),
               Application.starts_at >= since)).all():
        later[(worker_id, firm_id)].append(starts_at)
    window = dt.timedelta(days=REHIRE_DAYS)
    for agency_id, worker_id, firm_id, ends_at in done:
        card = cards[agency_id]
        card.rehire_base += 1
        if any(ends_at <= start <= ends_at + window for start in later[(worker_id, firm_id)]):
            card.rehired += 1


def _last_incidents(cards: dict[int, Scorecard], ids: list[int], since: dt.datetime) -> None:
    for agency_id, at in db.session.execute(
        select(Application.agency_id, func.max(Application.updated_at))
        .where(Application.agency_id.in_(ids), Application.status == AppStatus.NO_SHOW,
               Application.updated_at >= since)
        .group_by(Application.agency_id)).all():
        cards[agency_id].last_incident_at = at
    for agency_id, at in db.session.execute(
        select(AgencyComplaint.agency_id, func.max(AgencyComplaint.decided_at))
        .where(AgencyComplaint.agency_id.in_(ids),
               AgencyComplaint.status == ComplaintStatus.UPHELD)
        .group_by(AgencyComplaint.agency_id)).all():
        card = cards[agency_id]
        if at is not None and (card.last_incident_at is None or at > card.last_incident_at):
            card.last_incident_at = at


def scorecard(agency_id: int) -> Scorecard:
    return scorecards([agency_id])[agency_id]


def grade_multipliers(agency_ids: list[int]) -> dict[int, float]:
    return {a: card.multiplier for a, card in scorecards(agency_ids).items()}


def grades(agency_ids) -> dict[int, str]:
    ids = sorted({a for a in agency_ids if a is not None})
    return {a: card.grade for a, card in scorecards(ids).items()}


def reassess(*, agency_id: int) -> str:
    """Grade the agency now; a D suspends its brokering (audited, the agency told) unless an
    administrator restored it and nothing new has happened since."""
    from marketplace.agencies.services import set_brokering

    card = scorecard(agency_id)
    agency = db.session.get(Agency, agency_id)
    if card.grade == "D" and agency is not None and not agency.brokering_suspended:
        restored = agency.brokering_restored_at
        if restored is None or (card.last_incident_at is not None
                                and card.last_incident_at > restored):
            set_brokering(actor=None, agency_id=agency_id, suspended=True, automatic=True,
                          reason=f"trust grade D: {', '.join(k for k, _v in card.reasons)}")
    return card.grade


def reassess_all() -> dict[str, int]:
    """Grade every verified agency (the nightly `flask agencies reassess`)."""
    ids = list(db.session.scalars(select(Agency.id).where(
        Agency.verification_status == Verification.VERIFIED)))
    counts: dict[str, int] = dict.fromkeys(GRADES, 0)
    for agency_id in ids:
        counts[reassess(agency_id=agency_id)] += 1
    return counts


def ranking(*, actor: User) -> list[tuple[Agency, Scorecard]]:
    """Verified agencies, best first: grade, then fill rate, show-up rate and volume."""
    require_admin(actor)
    agencies = list(db.session.scalars(select(Agency).where(
        Agency.verification_status == Verification.VERIFIED)))
    cards = scorecards([a.id for a in agencies])

    def key(agency: Agency) -> tuple:
        card = cards[agency.id]
        return (GRADES.index(card.grade), -(card.fill_rate or 0), -(card.show_up_rate or 0),
                -card.filled, agency.name)

    return [(a, cards[a.id]) for a in sorted(agencies, key=key)]


# ----------------------------------------------------------------------- complaints

COMPLAINT_CATEGORIES = tuple(c.value for c in ComplaintCategory)


def may_complain(actor: User, agency_id: int) -> bool:
    """Firms that got workers from the agency, workers it represented or put forward, and
    administrators may complain about an agency."""
    from marketplace.agencies.roster import dealt_with

    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.WORKER:
        return dealt_with(agency_id=agency_id, worker_id=actor.id)
    if actor.role == Role.FIRM and actor.firm_id is not None:
        return bool(db.session.scalar(select(func.count()).select_from(Application)
                    .join(Shift, Shift.id == Application.shift_id)
                    .where(Application.agency_id == agency_id,
                           Application.agency_consent.is_not(None),
                           Shift.firm_id == actor.firm_id)))
    return False


def file_complaint(*, actor: User, agency_id: int, category: str,
                   description: str) -> AgencyComplaint:
    agency = db.session.get(Agency, agency_id)
    if agency is None or actor.role not in (Role.ADMIN, Role.WORKER, Role.FIRM) \
            or not may_complain(actor, agency_id):
        raise NotFound(N_("Agency not found"))
    errors: dict[str, list[str]] = {}
    if category not in COMPLAINT_CATEGORIES:
        errors["category"] = [N_("Choose what the complaint is about")]
    text = (description or "").strip()
    if not 5 <= len(text) <= 1000:
        errors["description"] = [N_("Describe what happened (5 to 1,000 characters)")]
    if errors:
        raise ValidationFailed(N_("Please correct the highlighted fields"), fields=errors)
    _refuse_complaint_flood(actor, agency.id)
    complaint = AgencyComplaint(agency_id=agency.id, filed_by_id=actor.id,
                                filer_role=actor.role, category=category, description=text)
    db.session.add(complaint)
    db.session.flush()
    record(actor=actor, action="agency.complaint", target_type="complaint",
           target_id=complaint.id, agency_id=agency.id, category=category)
    _tell_admins_of_complaint(agency)
    return complaint


def _refuse_complaint_flood(actor: User, agency_id: int) -> None:
    """One open complaint per filer and agency, and at most COMPLAINTS_PER_DAY a day per filer.

    Checked under a lock on the filer's row (SQLite: the write lock), so two complaints sent
    at once cannot both pass."""
    begin_write_transaction()
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    if actor.role == Role.ADMIN:
        return  # an inspection may record several findings
    if db.session.scalar(select(AgencyComplaint.id).where(
            AgencyComplaint.filed_by_id == actor.id, AgencyComplaint.agency_id == agency_id,
            AgencyComplaint.status == ComplaintStatus.OPEN).limit(1)) is not None:
        raise Conflict(N_("You already have an open complaint about this agency; the city "
                          "reviews it first"), code="complaint_open")
    limit = current_app.config["COMPLAINTS_PER_DAY"]
    since = utcnow() - dt.timedelta(days=1)
    filed = db.session.scalar(select(func.count()).select_from(AgencyComplaint).where(
        AgencyComplaint.filed_by_id == actor.id, AgencyComplaint.created_at >= since)) or 0
    if filed >= limit:
        raise TooManyRequests(
            N_("You have filed %(count)d complaints today; please wait a day", count=limit),
            code="too_many_complaints")


def _tell_admins_of_complaint(agency: Agency) -> None:
    """Notify each administrator who has no unread complaint notice yet: a flood of complaints
    leaves one notice pointing to the queue, not one per complaint."""
    from marketplace.notifications.models import Notification
    from marketplace.notifications.services import notify_many

    admins = set(db.session.scalars(select(User.id).where(User.role == Role.ADMIN)))
    waiting = set(db.session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(admins), Notification.kind == "agency_complaint",
        Notification.read_at.is_(None))))
    notify_many(user_ids=sorted(admins - waiting), kind="agency_complaint",
                message=f"agency_complaint:{agency.name}", link="/admin/agencies/complaints")


def decide_complaint(*, actor: User, complaint_id: int, uphold: bool,
                     note: str = "") -> AgencyComplaint:
    """An administrator upholds or dismisses a complaint; the agency is graded again at once
    (an upheld fee, deposit or fake-posting complaint means D and suspension)."""
    require_admin(actor)
    complaint = db.session.get(AgencyComplaint, complaint_id)
    if complaint is None:
        raise NotFound(N_("Complaint not found"))
    if not note.strip():
        raise ValidationFailed(N_("Give the reason for the decision"),
                               fields={"note": [N_("Give the reason for the decision")]})
    status = ComplaintStatus.UPHELD if uphold else ComplaintStatus.DISMISSED
    moved = db.session.execute(
        update(AgencyComplaint)
        .where(AgencyComplaint.id == complaint.id,
               AgencyComplaint.status == ComplaintStatus.OPEN)
        .values(status=status, decided_at=utcnow(), decided_by_id=actor.id,
                decision_note=note.strip()[:300])
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Conflict(N_("This complaint has already been decided"), code="already_decided")
    db.session.refresh(complaint)
    record(actor=actor, action="agency.complaint_uphold" if uphold
           else "agency.complaint_dismiss", target_type="complaint", target_id=complaint.id,
           agency_id=complaint.agency_id, category=complaint.category, note=note.strip())
    if uphold:
        reassess(agency_id=complaint.agency_id)
    return complaint


def list_complaints(*, actor: User, status: str | None, page: int, per_page: int,
                    agency_id: int | None = None):
    require_admin(actor)
    query = select(AgencyComplaint).order_by(AgencyComplaint.created_at.desc(),
                                             AgencyComplaint.id.desc())
    if status:
        query = query.where(AgencyComplaint.status == status)
    if agency_id:
        query = query.where(AgencyComplaint.agency_id == agency_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def complaints_about_own(*, actor: User) -> list[AgencyComplaint]:
    """Complaints about the actor's agency (it sees the category and decision, not who)."""
    if actor.role != Role.AGENCY or actor.agency_id is None:
        raise Forbidden(N_("Only HR agency accounts can do this"))
    return list(db.session.scalars(
        select(AgencyComplaint).where(AgencyComplaint.agency_id == actor.agency_id)
        .order_by(AgencyComplaint.created_at.desc()).limit(50)))
