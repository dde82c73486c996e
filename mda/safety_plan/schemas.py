"""JSON shapes of the plan API (they are the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from mda.api.schemas import Day, Id, In, text
from mda.cases.schemas import Category
from mda.safety_plan.models import ACTION_STATUSES, FAILURE_REASONS


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


class ActionIn(In):
    description: text(2000)
    deadline: Day = Field(description="Vóór vandaag alleen met confirm_past_deadline (anders 422)")
    owner_user_id: Id | None = Field(None, description="Een gebruiker van een organisatie in de kring (anders 422)")
    owner_organisation_id: Id | None = Field(None, description="Een organisatie in de kring (anders 422)")
    owner_is_family: bool = False
    category: Category = "veiligheidsplan"
    confirm_past_deadline: bool = Field(False, description="een termijn vóór vandaag bewust opslaan")


class StatusIn(In):
    status: Literal[tuple(ACTION_STATUSES)] = Field(description="open, bezig, gereed of niet_gelukt")  # type: ignore[valid-type]
    comment: text(2000)
    failure_reason: Literal[tuple(FAILURE_REASONS)] | None = Field(  # type: ignore[valid-type]
        None, description="omstandigheden of niet_uitgevoerd (verplicht bij niet_gelukt, anders 422)")
