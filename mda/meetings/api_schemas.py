"""Request and response models of the meetings API (shown in the OpenAPI document).

Times go out as UTC (``start``) and as Europe/Amsterdam local time with its offset
(``start_local``). Times come in as ISO 8601: with an offset they are exact; without one
they are Europe/Amsterdam local time, and a time that does not exist or occurs twice on a
daylight-saving change is refused (422) with the valid choices in ``details``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mda.api.schemas import MAX_ID, NO_NUL, WHITE_SPACE, Day, Id, In, text
from mda.meetings.agendas import MAX_MINUTES

Frequency = Literal["wekelijks", "tweewekelijks", "maandelijks"]
Response_ = Literal["geaccepteerd", "afgewezen", "onder_voorbehoud", "gedelegeerd"]
#: a date and time as the API takes it: ISO 8601, with an offset (exact) or without one (Europe/Amsterdam local time).
#: The document names it ``format: local-date-time`` (docs/api.md): a year outside 1900-2199, a day that does not exist
#: (31 April), or a local time that does not exist or occurs twice on a daylight-saving change (without ``dst``) is a
#: 422 with a Dutch message (and the valid choices in ``details``).
LOCAL_TIME_PATTERN = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                      r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$")


#: a date and time (:data:`LOCAL_TIME_PATTERN`)
LocalTime = Annotated[str, Field(pattern=LOCAL_TIME_PATTERN, json_schema_extra={"format": "local-date-time"})]


#: an online link: https:// and no white space (an empty text: none)
LINK_PATTERN = rf"^(https://[^\x00{WHITE_SPACE}]*)?$"


class SeriesIn(In):
    frequency: Frequency
    until: Day = Field(description="Laatste datum (lokaal) van de reeks; hoogstens een jaar na de eerste keer "
                                   "(anders 422)")


class AgendaRowIn(In):
    title: text(200, required=False) = ""
    minutes: int = Field(0, ge=0, le=MAX_MINUTES, description="Duur; een punt dat niet de plek van de casussen is "
                                                              "duurt 1 tot 480 minuten (anders 422)")
    cases: bool = Field(False, description="Dit punt is de plek van de casussen")


class MeetingIn(In):
    """A meeting. Checked by the service (422 with the field in ``details``): the end lies after the start and at most
    12 hours later; the start at most a year back and two years ahead, and in the past only with ``confirm_past``;
    a location or an online link; chair and minute-taker active users; cases that the caller may open, as many as the
    type allows; the agenda fits the meeting; a series ends at most a year after the first meeting."""

    type: str = Field(max_length=60, pattern=r"^[a-z0-9_-]+$",  # no NUL, no white space
                      description="Soort overleg: de naam van een bestand in agendas/ zonder .toml (anders 422)")
    title: text(200, description="Titel zonder namen van betrokkenen")
    start: LocalTime = Field(description="Begin, bv. 2026-11-24T10:00 (Nederlandse tijd) of met offset")
    end: LocalTime
    dst: Literal["zomertijd", "wintertijd"] | None = Field(None, description="Keuze bij een dubbele tijd")
    location: text(200, required=False) = ""
    online_link: str = Field("", max_length=500, pattern=LINK_PATTERN)
    chair_id: Id | None = None
    minute_taker_id: Id | None = None
    update_deadline: LocalTime | None = None
    case_ids: list[Id] = []
    case_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    agenda: list[AgendaRowIn] | None = Field(None, description="Leeg: de standaardagenda van het soort overleg")
    series: SeriesIn | None = None
    confirm_past: bool = Field(False, description="Een begin in het verleden bewust vastleggen (overleg achteraf)")


class MeetingPatch(In):
    """A change of a meeting: only the fields sent change, under the rules of :class:`MeetingIn`."""

    title: text(200) | None = None
    start: LocalTime | None = None
    end: LocalTime | None = None
    dst: Literal["zomertijd", "wintertijd"] | None = None
    location: text(200, required=False) | None = None
    online_link: str | None = Field(None, max_length=500, pattern=LINK_PATTERN)
    chair_id: Id | None = None
    minute_taker_id: Id | None = None
    update_deadline: LocalTime | None = None
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
    page: int = Field(1, ge=1, le=MAX_ID, description="Pagina, vanaf 1")
    per_page: int = Field(50, ge=1, le=200, description="Overleggen per pagina (hoogstens 200)")


class CancelQuery(BaseModel):
    scope: Literal["deze", "reeks"] = "deze"


class ItemIn(In):
    case_id: Id = Field(description="Een open casus waarvan u de kring kunt openen (anders 422)")
    minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)


class ItemList(BaseModel):
    items: list[ItemOut]


class InvitationIn(In):
    user_id: Id
    item_ids: list[Id] = Field([], description="Leeg: het hele overleg")
    required: bool = True
    following: bool = Field(False, description="Ook voor de volgende bijeenkomsten van de reeks")


class InvitationList(BaseModel):
    invitations: list[InvitationOut]
    warnings: list[str] = []


class AnswerIn(In):
    response: Response_
    delegate_to_id: Id | None = Field(None, description="Een collega (verplicht bij gedelegeerd, anders 422)")
    following: bool = False


class AttendanceEntry(In):
    invitation_id: Id
    attendance: Literal["aanwezig", "afwezig", "afgemeld"] | None


class AttendanceIn(In):
    entries: list[AttendanceEntry]


class SlotQuery(BaseModel):
    user_ids: str = Field(max_length=200, pattern=r"^[0-9]{1,9}(,[0-9]{1,9})*$",
                          description="Komma-gescheiden gebruikers-id's die er allemaal bij moeten zijn")
    minutes: int = Field(60, ge=5, le=480)
    location: str = Field("", max_length=200, pattern=NO_NUL)
    after: LocalTime = Field(None, description="Vanaf (ISO, zie start); standaard nu")


class Slot(BaseModel):
    start: str
    end: str
    start_local: str
    end_local: str


class SlotList(BaseModel):
    slots: list[Slot]


class UpdateIn(In):
    content: text(8000)


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
