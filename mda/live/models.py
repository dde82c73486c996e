"""Tables of the live session: the meeting's live state, who is connected, the pieces written
live (minutes and decisions) with their revisions, dissent, safety-score rounds and processed
client event ids.

Every text written live is an :class:`~mda.cases.models.Item` of the case (with a category the
writer chose), so the sharing engine decides who sees it, like any other item. The rows here
only hold what the live session needs around those items (versions, status, who, when).
"""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel, UniqueConstraint

#: Live states of a meeting.
LIVE_STATUSES: dict[str, str] = {"niet_gestart": "Nog niet gestart", "bezig": "Bezig", "gesloten": "Gesloten"}

#: States of the minutes of a meeting.
MINUTES_STATUSES: dict[str, str] = {"concept": "Concept", "ter_review": "Ter controle bij de deelnemers",
                                    "definitief": "Definitief"}

#: Kinds of piece written live.
PIECE_KINDS: dict[str, str] = {"notulen": "Notulen", "besluit": "Besluit"}


class LiveMeeting(SQLModel, table=True):
    """The live state of one meeting: started, on which agenda item since when, closed; minutes status."""

    __tablename__ = "live_meeting"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    status: str = Field(default="niet_gestart", max_length=20)
    current_agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    item_started_at: datetime | None = None
    started_at: datetime | None = None
    started_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    closed_at: datetime | None = None
    minutes_status: str = Field(default="concept", max_length=20)
    minutes_status_at: datetime | None = None

    @property
    def status_name(self) -> str:
        return LIVE_STATUSES.get(self.status, self.status)

    @property
    def minutes_status_name(self) -> str:
        return MINUTES_STATUSES.get(self.minutes_status, self.minutes_status)


class LivePresence(SQLModel, table=True):
    """One open connection of a user to a meeting's live view (rows go when the socket closes).

    Kept in the database so that every server process sees the same presence list and the
    process that commits a change of access can remove sockets held by other processes.
    """

    __tablename__ = "live_presence"

    id: int | None = Field(default=None, primary_key=True)
    sid: str = Field(unique=True, max_length=64)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    #: agenda item rooms this socket is in, comma-separated ids
    item_rooms: str = Field(default="", max_length=2000)
    #: the piece this user is typing in (the "who is editing" indicator)
    editing_piece_id: int | None = None
    connected_at: datetime
    seen_at: datetime

    @property
    def room_ids(self) -> set[int]:
        return {int(x) for x in self.item_rooms.split(",") if x.strip().isdigit()}


class LivePiece(SQLModel, table=True):
    """An editable piece of a case item's minutes, or a decision; its text is the linked case item."""

    __tablename__ = "live_piece"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(default="notulen", max_length=20)
    item_id: int = Field(foreign_key="item.id", unique=True)
    #: optimistic concurrency: a save names the version it started from (every co-editing update counts one too)
    version: int = 1
    #: the co-editing state: every accepted CRDT update merged (:mod:`mda.live.crdt`); the linked item's text is
    #: kept equal to it in the same transaction. None until first used (then built from the item's text).
    crdt_state: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime
    updated_by_id: int = Field(foreign_key="app_user.id")
    updated_at: datetime


class LiveRevision(SQLModel, table=True):
    """Every saved version of a piece (shown only when the engine shows the piece's item)."""

    __tablename__ = "live_revision"
    __table_args__ = (UniqueConstraint("piece_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    piece_id: int = Field(foreign_key="live_piece.id", index=True)
    version: int
    content: str = Field(max_length=8000)
    saved_by_id: int = Field(foreign_key="app_user.id")
    saved_at: datetime
    #: a correction after the minutes were final names its reason
    reason: str = Field(default="", max_length=1000)


class LiveDissent(SQLModel, table=True):
    """A participant disagrees with a decision, and why (the reason is an item of the case)."""

    __tablename__ = "live_dissent"

    id: int | None = Field(default=None, primary_key=True)
    piece_id: int = Field(foreign_key="live_piece.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    item_id: int = Field(foreign_key="item.id", unique=True)
    created_at: datetime


class LiveScoreRound(SQLModel, table=True):
    """A safety-score round on a case item: scores stay hidden until all have scored or the chair closes."""

    __tablename__ = "live_score_round"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    #: organisations expected to score (those present in the item when the round opened)
    expected_org_ids: str = Field(default="", max_length=1000)
    opened_by_id: int = Field(foreign_key="app_user.id")
    opened_at: datetime
    closed_at: datetime | None = None

    @property
    def expected(self) -> set[int]:
        return {int(x) for x in self.expected_org_ids.split(",") if x.strip().isdigit()}


class LiveScore(SQLModel, table=True):
    """One organisation's score in a round (the last one entered by its professional counts)."""

    __tablename__ = "live_score"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="live_score_round.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="app_user.id")
    score: int
    entered_at: datetime


class LiveProcessedEvent(SQLModel, table=True):
    """A client event id that was applied, with its answer: a retried event is answered, not applied again."""

    __tablename__ = "live_processed_event"
    __table_args__ = (UniqueConstraint("user_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    event_id: str = Field(max_length=64)
    name: str = Field(max_length=40)
    answer: str = Field(default="", max_length=2000)
    processed_at: datetime
