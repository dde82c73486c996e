"""JSON shapes of the plan API (they are the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class EntryOut(BaseModel):
    id: int
    section: str
    section_name: str
    category: str
    special: bool
    shared: bool
    basis: str | None = Field(None, description="grondslag waarop de gebruiker de regel ziet")
    niet_gedeeld: str | None = Field(None, description="waarom de inhoud niet is verstuurd")
    text: str | None
    detail: str | None
    party: str | None
    source_organisation: str


class ActionOut(BaseModel):
    id: int
    case_id: int
    case_reference: str
    category: str
    special: bool
    shared: bool
    basis: str | None
    niet_gedeeld: str | None
    description: str | None
    owner: str | None
    owner_organisation: str | None
    owner_is_family: bool
    deadline: date
    status: str = Field(description="open, bezig, gereed of niet_gelukt")
    status_name: str
    failure_reason: str | None
    overdue: bool


class VersionOut(BaseModel):
    id: int
    number: int | None
    status: str
    revision: int
    proposed_at: str
    approved_at: str | None
    approval_kind: str | None


class ScoreRound(BaseModel):
    date: str
    scores: dict[str, int]


class PlanOut(BaseModel):
    case_id: int
    case_reference: str
    revision: int = Field(description="de versie van het werkplan (etag voor vaststellen)")
    next_evaluation_on: date | None
    entries: list[EntryOut]
    actions: list[ActionOut]
    action_total: int
    page: int
    versions: list[VersionOut]
    scores: list[ScoreRound]


class ActionList(BaseModel):
    actions: list[ActionOut]
    total: int
    page: int


class ActionIn(BaseModel):
    description: str
    deadline: date
    owner_user_id: int | None = None
    owner_organisation_id: int | None = None
    owner_is_family: bool = False
    category: str = "veiligheidsplan"
    confirm_past_deadline: bool = Field(False, description="een termijn vóór vandaag bewust opslaan")


class StatusIn(BaseModel):
    status: str = Field(description="open, bezig, gereed of niet_gelukt")
    comment: str
    failure_reason: str | None = Field(None, description="omstandigheden of niet_uitgevoerd (bij niet_gelukt)")
