"""Request and response models of the case API (pydantic; shown in the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from mda.api.schemas import MAX_ID, NO_NUL, Day, Id, In, text
from mda.cases import catalogue
from mda.cases.models import PHASES
from mda.cases.search import ROLES

#: a category code of the catalogue (sharing/categories.toml, read once)
Category = Literal[tuple(catalogue.categories())]  # type: ignore[valid-type]


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
    """One page of the caller's cases (``?page=``, ``?per_page=`` at most 200)."""

    cases: list[CaseSummary]
    page: int = 1
    per_page: int
    total: int
    pages: int
    more: bool = False


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


class DocumentRef(BaseModel):
    """The file behind a document item; type, size and download only when the item is shared."""

    number: int
    content_type: str | None = None
    size: int | None = None
    download: str | None = None


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
    document: DocumentRef | None = Field(None, description="set when the item is a document: its number, and "
                                           "when shared its type, size and download path")


class TextOut(BaseModel):
    """The case's reason or goal: its text and basis when shared, otherwise only why not."""

    text: str | None = None
    category: str | None = None
    basis: str | None = None
    niet_gedeeld: str | None = None


class ConsentOut(BaseModel):
    """A consent: who gave it, its purpose and withdrawal reason are null where not shared."""

    id: int
    person_id: int
    person: str = ""
    given_by: str | None = None
    purpose: str | None = None
    shared: bool = True
    niet_gedeeld: str | None = None
    method: str
    status: str = ""
    categories: list[str]
    recipient_organisation_ids: list[int]
    given_on: date
    valid_until: date | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = ""


class DecisionOut(BaseModel):
    """A conflict-of-duties decision; its reasoning is null where not shared."""

    id: int
    organisation_id: int
    organisation: str
    category: str
    person_id: int | None = None
    person: str
    decided_at: datetime
    valid_until: date | None = None
    reason: str | None = None
    basis: str | None = None
    niet_gedeeld: str | None = None


class CaseDetail(CaseSummary):
    reason: str | None = Field(None, description="null when not shared; see reason_detail")
    goal: str | None = Field(None, description="null when not shared; see goal_detail")
    reason_detail: TextOut
    goal_detail: TextOut
    region: str
    persons: list[PersonOut]
    items: list[ItemOut]
    consents: list[ConsentOut] = []
    decisions: list[DecisionOut] = []


class ConsentIn(In):
    person_id: Id = Field(description="Een betrokkene van deze casus (anders 422)")
    by_representative: bool = False
    representative: text(170, required=False, description="Naam van de wettelijk vertegenwoordiger; verplicht "
                         "bij by_representative en voor een kind jonger dan 16") = ""
    purpose: text(1000)
    method: Literal["mondeling", "schriftelijk"]
    recipient_organisation_ids: list[Id] = Field(min_length=1, description="Organisaties in de kring (anders 422)")
    categories: list[Category] = Field(min_length=1, description="codes uit sharing/categories.toml")
    given_on: Day = Field(description="Niet in de toekomst (anders 422)")
    valid_until: Day | None = Field(None, description="Niet vóór given_on en niet vóór vandaag (anders 422)")


class WithdrawIn(In):
    reason: text(1000)


def _account_number(schema: dict) -> None:
    """An account number in the document: an integer 1..2^31-1 (the view reads it as text and refuses the rest)."""
    schema.pop("default", None)
    schema.update(type="integer", minimum=1, maximum=MAX_ID)


class CaseQuery(BaseModel):
    """Filters of the case list (``page``/``per_page`` as for every list; nonsense is clamped). The filters' rules are
    stated here and checked by the view, whose Dutch 422 names the filter ("Kies een fase uit de lijst.")."""

    zoek: str = Field("", pattern=NO_NUL, json_schema_extra={"maxLength": 40},
                      description="Een deel van het casusnummer (hoogstens 40 tekens)")
    fase: str = Field("", json_schema_extra={"enum": ["", *PHASES]}, description="Fasecode")
    regisseur: str = Field("", json_schema_extra=_account_number, description="Accountnummer van de procesregisseur")
    rol: str = Field("", json_schema_extra={"enum": ["", *ROLES]}, description="regie, kring of organisatie")
    page: str = Field("", max_length=20, pattern=NO_NUL, description="Pagina, vanaf 1")
    per_page: str = Field("", max_length=20, pattern=NO_NUL,
                          description="Casussen per pagina (standaard 50, hoogstens 200)")
