"""Imports every table model, so that SQLModel's metadata is complete (Alembic, tests)."""

from mda.api.idempotency import ApiIdempotencyKey  # noqa: F401
from mda.auth.models import AccountToken, ApiToken, RecoveryCode, User  # noqa: F401
from mda.cases.history import EditHistory  # noqa: F401
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
from mda.core.audit_subjects import AuditSubject  # noqa: F401
from mda.core.confirmations import ActionReason  # noqa: F401
from mda.core.epoch import AccessEpoch  # noqa: F401
from mda.core.references import ReferenceCounter  # noqa: F401
from mda.documents.models import Document, DocumentBlob  # noqa: F401
from mda.escalations.models import (  # noqa: F401
    Escalation,
    EscalationAck,
    EscalationPosition,
    EscalationStep,
    Notification,
)
from mda.jobs.models import JobMark  # noqa: F401
from mda.live.models import (  # noqa: F401
    LiveDissent,
    LiveMeeting,
    LivePiece,
    LivePresence,
    LiveProcessedEvent,
    LiveRevision,
    LiveScore,
    LiveScoreRound,
)
from mda.meetings.models import (  # noqa: F401
    AgendaItem,
    CalendarFeed,
    Invitation,
    InvitationItem,
    Meeting,
    MeetingSeries,
    MeetingUpdate,
)
from mda.notices.models import DigestNotice, NoticePreference  # noqa: F401
from mda.organisations.models import Organisation, Region  # noqa: F401
from mda.privacy.models import DestructionRecord  # noqa: F401
from mda.safety_plan.models import (  # noqa: F401
    ActionStatusChange,
    PlanAction,
    PlanApproval,
    PlanEntry,
    PlanVersion,
    SafetyPlan,
    SafetyScore,
)
from mda.sso.models import OidcProvider, SsoIdentity  # noqa: F401
