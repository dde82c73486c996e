"""Loading a live session's objects for a user: the meeting's live state, the meeting, a case item and a piece the
user may reach (else an audited refusal that does not say whether it exists), and the checks every change starts
with. Read-only apart from creating the live state on first use; below :mod:`mda.live.state` and the services."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case, Item
from mda.core import sharing
from mda.live import access
from mda.live.models import LiveMeeting, LivePiece
from mda.live.sockets import LiveError
from mda.meetings.models import AgendaItem, Meeting

MAX_TEXT = 8000
DEFAULT_CATEGORY = "overleg"
CLOSED = "Dit overleg is gesloten; er kan live niets meer worden toegevoegd."

# statements asked on (nearly) every live event, built once per process
_LIVE_OF = select(LiveMeeting).where(LiveMeeting.meeting_id == bindparam("meeting_id"))


def live_of(db: Session, meeting: Meeting) -> LiveMeeting:
    """The meeting's live state (created, not started, on first use)."""
    return live_by_id(db, meeting.id)


def live_by_id(db: Session, meeting_id: int) -> LiveMeeting:
    """:func:`live_of` the meeting *meeting_id* (whose access the caller has checked).

    Two people opening a meeting nobody opened live before both find no live state: the row is created with
    ``INSERT ... ON CONFLICT DO NOTHING`` in the caller's transaction and read again, so the second one gets the
    first one's row instead of a unique-constraint error (on PostgreSQL the second insert waits for the first
    transaction and inserts nothing once that committed). No savepoint: on SQLite releasing one outside BEGIN
    would commit it (see :func:`mda.jobs.claim`)."""
    live = _find(db, meeting_id)
    if live is None:
        _create(db, meeting_id)
        live = _find(db, meeting_id)
    return live


def _find(db: Session, meeting_id: int) -> LiveMeeting | None:
    return db.exec(_LIVE_OF, params={"meeting_id": meeting_id}).first()


def _create(db: Session, meeting_id: int) -> None:
    """Store the default live state of *meeting_id*, unless someone else just did."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.connection().execute(insert(LiveMeeting).values(meeting_id=meeting_id).on_conflict_do_nothing(
        index_elements=["meeting_id"]))


def load_meeting(db: Session, user: User, meeting_id: int | None) -> Meeting:
    """The meeting when *user* may join it; else a refusal (audited) that does not say whether it exists."""
    meeting = db.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None or not access.may_join(db, user, meeting):
        raise LiveError("Dit overleg bestaat niet, of u bent er niet voor uitgenodigd.", denied=True, status=404)
    return meeting


def load_item(db: Session, user: User, meeting: Meeting, agenda_item_id: int | None) -> AgendaItem:
    """A case item of the meeting that *user* may enter; else an audited refusal.

    The case's context is loaded here for the check and kept for this unit of work, so that the caller's
    :func:`case_context` (and a push) reuse it instead of loading the case again."""
    item = db.get(AgendaItem, agenda_item_id) if agenda_item_id else None
    ctx = (case_context(db, item) if item is not None and item.meeting_id == meeting.id and item.kind == "casus"
           and item.case_id is not None else None)
    if item is None or ctx is None or not access.may_enter(db, user, meeting, item, ctx):
        raise LiveError("Dit agendapunt bestaat niet, of u neemt niet deel aan de bespreking van deze casus.",
                        denied=True, status=404)
    return item


def case_context(db: Session, item: AgendaItem) -> sharing.CaseContext | None:
    """The context of the item's case (None when the case is gone)."""
    case = db.get(Case, item.case_id)
    return sharing.load_context(db, case) if case is not None else None


def _require_open(live: LiveMeeting) -> None:
    if live.status == "gesloten":
        raise LiveError(CLOSED)


def require_chair(user: User, meeting: Meeting) -> None:
    """Refuse (403, audited on a socket) anyone but the chair."""
    if not access.is_chair(user, meeting):
        raise LiveError("Alleen de voorzitter kan dit doen.", denied=True)


def load_piece(db: Session, user: User, meeting: Meeting, piece_id: int | None) -> tuple[LivePiece, AgendaItem]:
    """A piece of this meeting in an item *user* may enter, whose text the engine shows *user*."""
    piece, item, _record = _load_piece(db, user, meeting, piece_id)
    return piece, item


def _load_piece(db: Session, user: User, meeting: Meeting, piece_id: int | None,
                ) -> tuple[LivePiece, AgendaItem, Item]:
    """:func:`load_piece`, with the piece's case item (for a caller that changes it)."""
    piece = db.get(LivePiece, piece_id) if piece_id else None
    if piece is None or piece.meeting_id != meeting.id:
        raise LiveError("Deze tekst bestaat niet (meer).", denied=True, status=404)
    item = load_item(db, user, meeting, piece.agenda_item_id)
    ctx = case_context(db, item)
    record = sharing.load_item_or_404(db, user, ctx, piece.item_id)
    if not sharing.item_decision(user, ctx, record).visible:
        raise LiveError("Deze tekst wordt niet met uw organisatie gedeeld.", denied=True, status=404)
    return piece, item, record
