"""Request and response models of the meetings API (shown in the OpenAPI document).

Times go out as UTC (``start``) and as Europe/Amsterdam local time with its offset
(``start_local``). Times come in as ISO 8601: with an offset they are exact; without one
they are Europe/Amsterdam local time, and a time that does not exist or occurs twice on a
daylight-saving change is refused (422) with the valid choices in ``details``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Frequency = Literal["wekelijks", "tweewekelijks", "maandelijks"]
Response_ = Literal["geaccepteerd", "afgewezen", "onder_voorbehoud", "gedelegeerd"]


class SeriesIn(BaseModel):
    frequency: Frequency
    until: date = Field(description="Laatste datum (lokaal) van de reeks; hoogstens een jaar na de eerste keer")


class AgendaRowIn(BaseModel):
    title: str
    minutes: int = 0
    cases: bool = Field(False, description="Dit punt is de plek van de casussen")


class MeetingIn(BaseModel):
    type: str = Field(description="Soort overleg: de naam van een bestand in agendas/ zonder .toml")
    title: str = Field(description="Titel zonder namen van betrokkenen")
    start: str = Field(description="Begin, bv. 2026-11-24T10:00 (Nederlandse tijd) of met offset")
    end: str
    dst: Literal["zomertijd", "wintertijd"] | None = Field(None, description="Keuze bij een dubbele tijd")
    location: str = ""
    online_link: str = ""
    chair_id: int | None = None
    minute_taker_id: int | None = None
    update_deadline: str | None = None
    case_ids: list[int] = []
    case_minutes: int | None = None
    agenda: list[AgendaRowIn] | None = Field(None, description="Leeg: de standaardagenda van het soort overleg")
    series: SeriesIn | None = None
    confirm_past: bool = Field(False, description="Een begin in het verleden bewust vastleggen (overleg achteraf)")


class MeetingPatch(BaseModel):
    title: str | None = None
    start: str | None = None
    end: str | None = None
    dst: Literal["zomertijd", "wintertijd"] | None = None
    location: str | None = None
    online_link: str | None = None
    chair_id: int | None = None
    minute_taker_id: int | None = None
    update_deadline: str | None = None
    agenda: list[AgendaRowIn] | None = None
    series: SeriesIn | None = Field(None, description="Alleen met scope 'volgende'")
    scope: Literal["deze", "volgende"] = "deze"
    confirm_past: bool = Field(False, description="Een begin in het verleden bewust vastleggen (overleg achteraf)")


class ItemOut(BaseModel):
    id: int
    kind: str
    label: str = Field(description="Titel, kenmerk van de casus, of 'casus (niet zichtbaar)'")
    case_visible: bool
    case_id: int | None = None
    case_reference: str | None = None
    start: str
    end: str
    start_local: str
    end_local: str
    invited: bool
    steps: list[str] = []


class InvitationOut(BaseModel):
    id: int
    user_id: int
    name: str
    organisation: str
    role: str
    whole_meeting: bool
    item_ids: list[int]
    required: bool
    response: str
    responded_at: str | None = None
    delegated_to_id: int | None = None
    attendance: str | None = None


class MeetingSummary(BaseModel):
    id: int
    type: str
    type_name: str
    title: str
    start: str
    end: str
    start_local: str
    end_local: str
    status: str
    series_id: int | None = None
    my_response: str | None = None


class MeetingList(BaseModel):
    """One page of the caller's meetings (``?page=``, ``?per_page=`` at most 200)."""

    meetings: list[MeetingSummary]
    page: int = 1
    per_page: int
    total: int
    pages: int
    more: bool = False


class MeetingOut(MeetingSummary):
    location: str
    online_link: str
    coordinator_id: int
    chair_id: int | None = None
    minute_taker_id: int | None = None
    update_deadline: str | None = None
    calendar_url: str
    items: list[ItemOut]
    invitations: list[InvitationOut]
    warnings: list[str] = []


class MeetingQuery(BaseModel):
    eerder: bool = Field(False, description="Eerdere overleggen (drie maanden) in plaats van komende")
    page: int = Field(1, ge=1, description="Pagina, vanaf 1")
    per_page: int = Field(50, ge=1, le=200, description="Overleggen per pagina (hoogstens 200)")


class CancelQuery(BaseModel):
    scope: Literal["deze", "reeks"] = "deze"


class ItemIn(BaseModel):
    case_id: int
    minutes: int | None = None


class ItemList(BaseModel):
    items: list[ItemOut]


class InvitationIn(BaseModel):
    user_id: int
    item_ids: list[int] = Field([], description="Leeg: het hele overleg")
    required: bool = True
    following: bool = Field(False, description="Ook voor de volgende bijeenkomsten van de reeks")


class InvitationList(BaseModel):
    invitations: list[InvitationOut]
    warnings: list[str] = []


class AnswerIn(BaseModel):
    response: Response_
    delegate_to_id: int | None = None
    following: bool = False


class AttendanceEntry(BaseModel):
    invitation_id: int
    attendance: Literal["aanwezig", "afwezig", "afgemeld"] | None


class AttendanceIn(BaseModel):
    entries: list[AttendanceEntry]


class SlotQuery(BaseModel):
    user_ids: str = Field(description="Komma-gescheiden gebruikers-id's die er allemaal bij moeten zijn")
    minutes: int = Field(60, ge=5, le=480)
    location: str = ""
    after: str | None = Field(None, description="Vanaf (ISO); standaard nu")


class Slot(BaseModel):
    start: str
    end: str
    start_local: str
    end_local: str


class SlotList(BaseModel):
    slots: list[Slot]


class UpdateIn(BaseModel):
    content: str


class UpdateOut(BaseModel):
    organisation: str
    submitted_at: str
    visible: bool
    content: str | None = None
    basis: str | None = None
    withheld_reason: str | None = None


class UpdateList(BaseModel):
    updates: list[UpdateOut]
    missing: list[str] = Field([], description="Organisaties die nog geen update gaven (alleen voor de regisseur)")
