"""The joint safety plan (*veiligheidsplan*) of a case: entries, actions, versions, scores.

Nothing here decides who sees what: every entry and action carries a sharing category and
a source organisation, and :mod:`mda.core.sharing` decides per viewer. Approved versions
are frozen: a flush that changes one is refused (see :func:`_refuse_frozen_change`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, event
from sqlmodel import Field, SQLModel, UniqueConstraint

#: the ordinary sharing category of plan content (sharing/categories.toml)
PLAN_CATEGORY = "veiligheidsplan"

#: sections of the plan other than actions, code -> Dutch heading (in the order of the plan)
SECTIONS: dict[str, str] = {
    "zorg": "Zorgen",
    "gaat_goed": "Wat gaat goed",
    "voorwaarde": "Veiligheidsvoorwaarden",
    "doel": "Doelen",
    "signaal": "Signalen en terugvalscenario",
    "monitoring": "Monitoring",
}
#: what the second text field of an entry means, per section
DETAIL_LABELS: dict[str, str] = {
    "signaal": "Wat gebeurt er dan",
    "monitoring": "Welke voorwaarde",
}
#: what the party of an entry means, per section
PARTY_LABELS: dict[str, str] = {
    "zorg": "Genoemd door",
    "gaat_goed": "Genoemd door",
    "voorwaarde": "Gesteld door",
    "doel": "Genoemd door",
    "signaal": "Wie handelt",
    "monitoring": "Wie houdt toezicht",
}

ACTION_STATUSES: dict[str, str] = {
    "open": "Open",
    "bezig": "Bezig",
    "gereed": "Gereed",
    "niet_gelukt": "Niet gelukt",
}
FAILURE_REASONS: dict[str, str] = {
    "omstandigheden": "Niet mogelijk, omstandigheden gewijzigd",
    "niet_uitgevoerd": "Niet uitgevoerd door de organisatie",
}
OPEN_STATUSES = ("open", "bezig")

VERSION_STATUSES: dict[str, str] = {
    "voorgesteld": "Voorgesteld",
    "vastgesteld": "Vastgesteld",
    "vervallen": "Vervallen",
}
APPROVAL_KINDS: dict[str, str] = {
    "overleg": "Vastgesteld in het overleg",
    "teamleiders": "Vastgesteld door de teamleiders van de betrokken organisaties",
}


class SafetyPlan(SQLModel, table=True):
    """The working plan of one case; ``revision`` goes up with every change (the plan's etag)."""

    __tablename__ = "safety_plan"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    revision: int = 0
    next_evaluation_on: date | None = None
    created_at: datetime
    updated_at: datetime


class PlanRow(SQLModel):
    """What an entry and an action of the working plan both keep: their plan and case, the category the sharing
    engine decides on, the organisation that brought them in (it may change them), and when they were made, changed
    and removed (the row stays for the approved versions). Not a table itself."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="safety_plan.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    category: str = Field(default=PLAN_CATEGORY, max_length=40)
    source_organisation_id: int = Field(foreign_key="organisation.id")
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None = None


class PlanEntry(PlanRow, table=True):
    """One line of the plan outside the actions: a worry, strength, condition, goal, signal or watch."""

    __tablename__ = "plan_entry"

    section: str = Field(max_length=20)
    text: str = Field(max_length=4000)
    detail: str = Field(default="", max_length=4000)
    #: who said it / who acts / who watches: an organisation of the circle, or the family
    party_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    party_is_family: bool = False
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    position: int = 0

    @property
    def section_name(self) -> str:
        return SECTIONS.get(self.section, self.section)


class PlanAction(PlanRow, table=True):
    """An agreed action: one owner (a professional, an organisation of the circle, or the family) and a deadline."""

    __tablename__ = "plan_action"

    description: str = Field(max_length=2000)
    owner_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    owner_is_family: bool = False
    deadline: date = Field(index=True)
    status: str = Field(default="open", max_length=20, index=True)
    failure_reason: str | None = Field(default=None, max_length=20)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)

    @property
    def status_name(self) -> str:
        return ACTION_STATUSES.get(self.status, self.status)

    @property
    def failure_reason_name(self) -> str:
        return FAILURE_REASONS.get(self.failure_reason or "", "")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ActionStatusChange(SQLModel, table=True):
    """The history of an action's status, each change with its comment."""

    __tablename__ = "action_status_change"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="plan_action.id", index=True)
    old_status: str = Field(max_length=20)
    new_status: str = Field(max_length=20)
    failure_reason: str | None = Field(default=None, max_length=20)
    comment: str = Field(default="", max_length=2000)
    changed_by_id: int = Field(foreign_key="app_user.id")
    changed_at: datetime


class PlanVersion(SQLModel, table=True):
    """A proposed or approved version of the plan: a snapshot of every entry and action.

    A proposal records the plan ``revision`` it was taken from; approving it is refused when
    the plan changed since (a stale approval). Proposals are numbered per plan when proposed and
    keep that number once approved ("Voorstel 3" becomes "Versie 3"); approved versions are frozen.
    """

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="safety_plan.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    number: int | None = None
    status: str = Field(default="voorgesteld", max_length=20)
    revision: int
    snapshot: str = Field(sa_column=Column(Text, nullable=False))  # JSON, see services.snapshot_plan
    proposed_by_id: int = Field(foreign_key="app_user.id")
    proposed_at: datetime
    approval_kind: str | None = Field(default=None, max_length=20)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    approved_at: datetime | None = None
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")

    @property
    def status_name(self) -> str:
        return VERSION_STATUSES.get(self.status, self.status)

    @property
    def is_frozen(self) -> bool:
        return self.status == "vastgesteld"

    @property
    def label(self) -> str:
        """What users call it: "Voorstel 3" while proposed or lapsed, "Versie 3" once approved (one number)."""
        return f"{'Versie' if self.is_frozen else 'Voorstel'} {self.number or self.id}"


class PlanApproval(SQLModel, table=True):
    """A team lead's approval of a proposed version on behalf of their organisation."""

    __tablename__ = "plan_approval"
    __table_args__ = (UniqueConstraint("version_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="plan_version.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="app_user.id")
    approved_at: datetime


class SafetyScore(SQLModel, table=True):
    """One organisation's safety score (0-10) of a case in one scoring round (usually a conference)."""

    __tablename__ = "safety_score"
    __table_args__ = (UniqueConstraint("case_id", "round_key", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="app_user.id")
    score: int
    round_key: str = Field(max_length=80)
    scored_at: datetime


@event.listens_for(PlanVersion, "before_update")
def _refuse_frozen_change(_mapper, _connection, target: PlanVersion) -> None:
    """An approved version is frozen: no code path may change it."""
    from sqlalchemy import inspect

    state = inspect(target)
    status_history = state.attrs.status.history
    was_frozen = (status_history.deleted and status_history.deleted[0] == "vastgesteld") or (
        not status_history.has_changes() and target.status == "vastgesteld")
    if was_frozen:
        raise FrozenVersionError("Een vastgestelde versie van het veiligheidsplan kan niet meer worden gewijzigd.")


class FrozenVersionError(ValueError):
    """A change to an approved (frozen) version of the plan."""
