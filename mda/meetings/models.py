"""Meetings, series, agenda items, invitations, pre-meeting updates and calendar feeds.

Times are stored in UTC and shown in Europe/Amsterdam. Who may see what is decided in
:mod:`mda.meetings.access` (the meeting) and :mod:`mda.core.sharing` (a case on its agenda).
"""

from datetime import date, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

#: Series frequencies, code -> Dutch name.
FREQUENCIES: dict[str, str] = {"wekelijks": "Wekelijks", "tweewekelijks": "Om de week", "maandelijks": "Maandelijks"}

#: Meeting states.
MEETING_STATUSES: dict[str, str] = {"gepland": "Gepland", "geannuleerd": "Geannuleerd"}

#: Agenda item kinds: a general item, the marker where cases go, one case.
ITEM_KINDS: dict[str, str] = {"algemeen": "Algemeen", "casussen": "Casussen", "casus": "Casus"}

#: Answers to an invitation, code -> Dutch name; the iCalendar PARTSTAT of each.
RESPONSES: dict[str, str] = {
    "open": "Nog geen antwoord",
    "geaccepteerd": "Komt",
    "afgewezen": "Komt niet",
    "onder_voorbehoud": "Onder voorbehoud",
    "gedelegeerd": "Gedelegeerd",
}
PARTSTAT: dict[str, str] = {
    "open": "NEEDS-ACTION",
    "geaccepteerd": "ACCEPTED",
    "afgewezen": "DECLINED",
    "onder_voorbehoud": "TENTATIVE",
    "gedelegeerd": "DELEGATED",
}

#: Attendance recorded at the meeting.
ATTENDANCE: dict[str, str] = {"aanwezig": "Aanwezig", "afwezig": "Afwezig", "afgemeld": "Afgemeld"}

#: Roles of an invitee in a meeting.
INVITEE_ROLES: dict[str, str] = {"deelnemer": "Deelnemer", "voorzitter": "Voorzitter", "notulist": "Notulist"}


class MeetingSeries(SQLModel, table=True):
    """A recurring meeting: the rule, its end, and the values of the series as a whole.

    Each occurrence is a :class:`Meeting` row (with its own agenda, invitations and
    attendance); a skipped occurrence is a cancelled row, a moved one is ``detached``.
    """

    __tablename__ = "meeting_series"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, max_length=120)
    type_code: str = Field(max_length=40)
    title: str = Field(max_length=200)
    frequency: str = Field(max_length=20)
    #: start of the first occurrence (DTSTART of the rule), UTC
    first_start: datetime
    duration_minutes: int
    #: last local date an occurrence may fall on
    until: date
    location: str = Field(default="", max_length=200)
    online_link: str = Field(default="", max_length=500)
    coordinator_id: int = Field(foreign_key="app_user.id", index=True)
    sequence: int = 0
    created_at: datetime
    cancelled_at: datetime | None = None

    @property
    def frequency_name(self) -> str:
        return FREQUENCIES.get(self.frequency, self.frequency)


class Meeting(SQLModel, table=True):
    """One meeting (a one-off, or one occurrence of a series)."""

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, max_length=120)
    type_code: str = Field(max_length=40, index=True)
    #: pseudonymous: never a name of a person in a case
    title: str = Field(max_length=200)
    starts_at: datetime = Field(index=True)
    ends_at: datetime = Field(index=True)
    location: str = Field(default="", max_length=200)
    online_link: str = Field(default="", max_length=500)
    coordinator_id: int = Field(foreign_key="app_user.id", index=True)
    chair_id: int | None = Field(default=None, foreign_key="app_user.id")
    minute_taker_id: int | None = Field(default=None, foreign_key="app_user.id")
    series_id: int | None = Field(default=None, foreign_key="meeting_series.id", index=True)
    #: the occurrence's start by the series rule (RECURRENCE-ID), UTC
    original_start: datetime | None = None
    #: an occurrence changed on its own ("alleen deze"): sent as an override
    detached: bool = False
    status: str = Field(default="gepland", max_length=20, index=True)
    cancelled_at: datetime | None = None
    sequence: int = 0
    #: partners write their pre-meeting updates before this moment (default: the start)
    update_deadline: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def cancelled(self) -> bool:
        return self.status == "geannuleerd"


class AgendaItem(SQLModel, table=True):
    """An agenda item with its own time slot; a case item has its own participants."""

    __tablename__ = "agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, max_length=120)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    kind: str = Field(default="algemeen", max_length=20)
    title: str = Field(max_length=200)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    minutes: int
    starts_at: datetime
    ends_at: datetime
    #: the standard steps of a case discussion, one per line
    steps: str = Field(default="", max_length=2000)
    sequence: int = 0

    @property
    def step_list(self) -> list[str]:
        return [s for s in self.steps.splitlines() if s.strip()]


class Invitation(SQLModel, table=True):
    """A professional invited to a meeting: for the whole meeting, or only for some case items."""

    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(default="deelnemer", max_length=20)
    #: True: the whole meeting; False: only the linked agenda items
    whole_meeting: bool = True
    required: bool = True
    response: str = Field(default="open", max_length=20)
    responded_at: datetime | None = None
    delegated_to_id: int | None = Field(default=None, foreign_key="app_user.id")
    delegated_from_id: int | None = Field(default=None, foreign_key="invitation.id")
    attendance: str | None = Field(default=None, max_length=20)
    attendance_recorded_at: datetime | None = None
    attendance_recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    invited_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def response_name(self) -> str:
        return RESPONSES.get(self.response, self.response)

    @property
    def attendance_name(self) -> str:
        return ATTENDANCE.get(self.attendance or "", "")

    @property
    def role_name(self) -> str:
        return INVITEE_ROLES.get(self.role, self.role)


class InvitationItem(SQLModel, table=True):
    """An agenda item an invitee is invited for."""

    __tablename__ = "invitation_item"

    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", primary_key=True, index=True)


class MeetingUpdate(SQLModel, table=True):
    """A partner's pre-meeting update for a case item.

    The text itself is an :class:`~mda.cases.models.Item` of the case (source: the writer's
    organisation), so it is only ever shown through the sharing engine.
    """

    __tablename__ = "meeting_update"
    __table_args__ = (UniqueConstraint("agenda_item_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    item_id: int = Field(foreign_key="item.id")
    author_id: int = Field(foreign_key="app_user.id")
    submitted_at: datetime


class CalendarFeed(SQLModel, table=True):
    """A user's personal calendar subscription: the secret token (hashed) and reminder choices."""

    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    #: SHA-256 of the secret in the feed URL; None when revoked
    token_hash: str | None = Field(default=None, unique=True, max_length=64)
    token_created_at: datetime | None = None
    #: reminder minutes before the start, comma-separated ("" = none)
    reminders: str = Field(default="15", max_length=40)
    updated_at: datetime

    @property
    def reminder_minutes(self) -> list[int]:
        return [int(m) for m in self.reminders.split(",") if m.strip().isdigit()]
