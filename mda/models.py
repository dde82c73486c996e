"""Imports every table model, so that SQLModel's metadata is complete (Alembic, tests)."""

from mda.auth.models import AccountToken, ApiToken, RecoveryCode, User  # noqa: F401
from mda.core.audit import AuditEvent, AuditHead  # noqa: F401
from mda.organisations.models import Organisation, Region  # noqa: F401
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
)
