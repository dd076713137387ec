"""Import every model so metadata is complete for Alembic and create_all."""

from marketplace.admin.models import Setting
from marketplace.agencies.models import (
    Agency,
    AgencyComplaint,
    Commission,
    RosterMembership,
    StandingConsent,
)
from marketplace.audit.models import AuditLog
from marketplace.auth.models import ApiToken, Role, User, UserStatus
from marketplace.firms.models import Favourite, Firm, Verification
from marketplace.idempotency import IdempotencyKey
from marketplace.laborbases.models import (
    BaseKind,
    Cohort,
    CohortMember,
    CohortSkill,
    CohortStatus,
    LaborBase,
    MemberStatus,
)
from marketplace.matching.models import EventKind, MatchEvent
from marketplace.notifications.models import Notification
from marketplace.sharing.models import (
    AgreementWorker,
    ListingSkill,
    ListingStaff,
    SharingAgreement,
    SharingDay,
    SharingListing,
    StaffMember,
)
from marketplace.shifts.models import (
    Application,
    Attendance,
    Invitation,
    PayUnit,
    Rating,
    Settlement,
    Shift,
    ShiftCertificate,
    ShiftSkill,
    ShiftStatus,
)
from marketplace.workers.models import (
    DateAvailability,
    WeeklyAvailability,
    WorkerCertificate,
    WorkerProfile,
    WorkerSkill,
)

__all__ = [
    "Agency",
    "AgencyComplaint",
    "AgreementWorker",
    "ApiToken",
    "Application",
    "Attendance",
    "AuditLog",
    "BaseKind",
    "Cohort",
    "CohortMember",
    "CohortSkill",
    "CohortStatus",
    "Commission",
    "DateAvailability",
    "EventKind",
    "Favourite",
    "Firm",
    "IdempotencyKey",
    "Invitation",
    "LaborBase",
    "ListingSkill",
    "ListingStaff",
    "MatchEvent",
    "MemberStatus",
    "Notification",
    "PayUnit",
    "Rating",
    "Role",
    "RosterMembership",
    "Setting",
    "Settlement",
    "SharingAgreement",
    "SharingDay",
    "SharingListing",
    "Shift",
    "ShiftCertificate",
    "ShiftSkill",
    "ShiftStatus",
    "StaffMember",
    "StandingConsent",
    "User",
    "UserStatus",
    "Verification",
    "WeeklyAvailability",
    "WorkerCertificate",
    "WorkerProfile",
    "WorkerSkill",
]
