"""Escalations: a disagreement about the safety of a case, its two positions, its steps and decision.

Nothing here decides who sees what. Positions, risk arguments, move-up reasons and the
decision are case content of the sharing category ``escalatie`` with a source organisation;
:mod:`mda.core.sharing` decides per viewer (see :mod:`mda.escalations.views`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

#: the sharing category of escalation content (sharing/categories.toml)
ESCALATION_CATEGORY = "escalatie"

SUBJECT_KINDS: dict[str, str] = {
    "plan_entry": "Onderdeel van het veiligheidsplan",
    "plan_action": "Actie in het veiligheidsplan",
    "besluit": "Besluit van een overleg",
    "fase": "Fase van de casus",
    "afsluiting": "Afsluiten van de casus",
}
URGENCIES: dict[str, str] = {"regulier": "Regulier", "acuut": "Acuut"}
STATUSES: dict[str, str] = {
    "open": "Open (wacht op standpunt)",
    "in_behandeling": "In behandeling",
    "besluit": "Besluit genomen (wacht op bevestiging)",
    "afgesloten": "Afgesloten",
    "ingetrokken": "Ingetrokken",
}
#: statuses in which the disputed subject is locked ("in escalatie")
OPEN_STATUSES = ("open", "in_behandeling")
STEP_KINDS: dict[str, str] = {
    "raised": "Escalatie gestart",
    "position": "Standpunt toegevoegd",
    "moved_up": "Naar volgend niveau",
    "auto_moved_up": "Termijn verstreken: automatisch naar volgend niveau",
    "warned": "Waarschuwing: termijn verloopt bijna",
    "meeting_proposed": "Escalatieoverleg voorgesteld",
    "decided": "Besluit genomen",
    "acknowledged": "Besluit bevestigd",
    "closed": "Afgesloten",
    "withdrawn": "Ingetrokken",
}


class Escalation(SQLModel, table=True):
    """One disagreement about a case, on one subject, between the raiser's organisation and another."""

    __tablename__ = "escalation"
    __table_args__ = (Index("ix_escalation_status_deadline", "status", "deadline_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    subject_kind: str = Field(max_length=20)
    subject_id: int | None = None  # plan entry, plan action or conference decision id
    #: a short pseudonymous label of the subject ("voorwaarde 12: contactverbod"); no names
    subject_text: str = Field(max_length=300)
    urgency: str = Field(default="regulier", max_length=10)
    status: str = Field(default="open", max_length=20, index=True)
    level: int = 1
    level_started_at: datetime
    deadline_at: datetime
    warned_level: int = 0  # the level whose "limit runs out soon" warning was sent
    raised_by_id: int = Field(foreign_key="app_user.id")
    raiser_organisation_id: int = Field(foreign_key="organisation.id")
    other_organisation_id: int = Field(foreign_key="organisation.id")
    created_at: datetime
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    decider_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    decided_level: int | None = None
    decision: str | None = Field(default=None, max_length=4000)
    reasons: str | None = Field(default=None, max_length=4000)
    plan_consequence: str | None = Field(default=None, max_length=2000)
    plan_change_ref: str | None = Field(default=None, max_length=80)  # "plan_entry:12"
    closed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    #: optimistic lock: every change bumps it; a stale writer (a second decider) is refused
    version: int = 1

    @property
    def subject_kind_name(self) -> str:
        return SUBJECT_KINDS.get(self.subject_kind, self.subject_kind)

    @property
    def status_name(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def urgency_name(self) -> str:
        return URGENCIES.get(self.urgency, self.urgency)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reference(self) -> str:
        return f"E-{self.id}"


class EscalationPosition(SQLModel, table=True):
    """The position of one party (an organisation), with an optional short risk argument."""

    __tablename__ = "escalation_position"
    __table_args__ = (UniqueConstraint("escalation_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    author_id: int = Field(foreign_key="app_user.id")
    text: str = Field(max_length=4000)
    risk_argument: str = Field(default="", max_length=1000)
    category: str = Field(default=ESCALATION_CATEGORY, max_length=40)
    created_at: datetime

    @property
    def source_organisation_id(self) -> int:
        return self.organisation_id


class EscalationStep(SQLModel, table=True):
    """One step of the escalation's timeline; ``note`` (a reason) is content of its actor's organisation."""

    __tablename__ = "escalation_step"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    kind: str = Field(max_length=30)
    level: int
    at: datetime
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    source_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    note: str = Field(default="", max_length=2000)
    category: str = Field(default=ESCALATION_CATEGORY, max_length=40)

    @property
    def kind_name(self) -> str:
        return STEP_KINDS.get(self.kind, self.kind)


class EscalationAck(SQLModel, table=True):
    """A party's acknowledgement of the decision (one per organisation)."""

    __tablename__ = "escalation_ack"
    __table_args__ = (UniqueConstraint("escalation_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="app_user.id")
    at: datetime


class Notification(SQLModel, table=True):
    """An in-app notification; its text holds pseudonymous references only (case and escalation numbers)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    case_id: int | None = Field(default=None, foreign_key="case.id")
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    text: str = Field(max_length=300)
    url: str = Field(default="", max_length=300)
    created_at: datetime
    read_at: datetime | None = None
