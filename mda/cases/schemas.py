"""Request and response models of the case API (pydantic; shown in the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class CaseSummary(BaseModel):
    """A case as listed: its pseudonymous reference, never the family's name."""

    id: int
    reference: str
    phase: str
    phase_name: str
    urgency: str
    is_repeat: bool
    opened_at: datetime
    closed_at: datetime | None = None
    coordinator: str


class CaseList(BaseModel):
    cases: list[CaseSummary]


class PersonOut(BaseModel):
    """A person as the caller may see them; withheld fields are null and the reason is given."""

    id: int
    role: str
    role_name: str
    shared: bool = Field(description="naam, geboortedatum en BSN gedeeld (categorie huishouden)")
    basis: str | None = None
    niet_gedeeld: str | None = None
    name: str | None = None
    date_of_birth: date | None = None
    bsn_masked: str | None = None
    address: str | None = None
    address_basis: str | None = None
    address_niet_gedeeld: str | None = None


class ItemOut(BaseModel):
    """An item: its content and basis when shared, otherwise only the 'niet gedeeld' reason."""

    id: int
    category: str
    category_name: str
    special: bool
    source_organisation: str
    person_ids: list[int]
    shared: bool
    basis_kind: str | None = None
    basis: str | None = None
    niet_gedeeld: str | None = None
    content: str | None = None
    recorded_on: date | None = None
    author: str | None = None


class CaseDetail(CaseSummary):
    reason: str
    goal: str
    region: str
    persons: list[PersonOut]
    items: list[ItemOut]


class ConsentIn(BaseModel):
    person_id: int
    by_representative: bool = False
    representative: str = ""
    purpose: str
    method: str = Field(description="mondeling of schriftelijk")
    recipient_organisation_ids: list[int]
    categories: list[str] = Field(description="codes uit sharing/categories.toml")
    given_on: date
    valid_until: date | None = None


class WithdrawIn(BaseModel):
    reason: str


class ConsentOut(BaseModel):
    id: int
    person_id: int
    given_by: str
    purpose: str
    method: str
    categories: list[str]
    recipient_organisation_ids: list[int]
    given_on: date
    valid_until: date | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str = ""
