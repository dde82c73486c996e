"""Imports every table model, so that SQLModel's metadata is complete (Alembic, tests)."""

from mda.auth.models import AccountToken, ApiToken, RecoveryCode, User  # noqa: F401
from mda.cases.models import (  # noqa: F401
    BreakGlass,
    Case,
    CaseMember,
    CaseOrganisation,
    Consent,
    ConsentRecipient,
    DutyConflictDecision,
    Item,
    ItemPerson,
    Person,
    Referral,
    ReferralOrganisation,
    ReferralPerson,
)
from mda.core.audit import AuditEvent, AuditHead  # noqa: F401
from mda.meetings.models import (  # noqa: F401
    AgendaItem,
    CalendarFeed,
    Invitation,
    InvitationItem,
    Meeting,
    MeetingSeries,
    MeetingUpdate,
)
from mda.organisations.models import Organisation, Region  # noqa: F401
from mda.privacy.models import DestructionRecord  # noqa: F401
