"""What changes in a live session. Services only ``flush()``; the caller's unit of work commits,
and the notices queued here go out after the commit (commit, then emit).

Rooms get notices only (ids, never content): ``meeting:<id>`` for the agenda, presence and
chairing; ``item:<agenda item id>`` for a case item. Each client then asks for its own view,
which the sharing engine filters and audits (:mod:`mda.live.state`).
"""

from __future__ import annotations

from datetime import date

from flask import g
from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from mda import db as unit
from mda.auth.models import User
from mda.cases import catalogue, history
from mda.cases.models import Item, ItemPerson, Person
from mda.core import audit, sharing
from mda.core.timeutil import LOCAL_TZ, utcnow
from mda.extensions import socketio
from mda.live import access, coedit, crdt, plan_bridge, push
from mda.live.loaders import DEFAULT_CATEGORY, MAX_TEXT, _load_piece, _require_open, case_context, live_of, load_piece
from mda.live.models import (
    LiveDissent,
    LiveMeeting,
    LivePiece,
    LiveRevision,
)
from mda.live.sockets import NAMESPACE, LiveError
from mda.meetings.models import AgendaItem, Meeting


# ----------------------------------------------------------------------------- notices
def _queue_notice(room: str, body: dict) -> None:
    """Emit *body* to *room* after the commit, once per unit of work."""
    queued = g.setdefault("live_notices", set())
    key = (room, tuple(sorted(body.items())))
    if key in queued:
        return
    queued.add(key)

    def send():
        queued.discard(key)
        socketio.emit("melding", body, to=room, namespace=NAMESPACE)

    unit.after_commit(send)


def notify_meeting(meeting_id: int) -> None:
    """Agenda, status or chairing changed: every joined client fetches its meeting view again."""
    _queue_notice(f"meeting:{meeting_id}", {"soort": "overleg", "overleg": meeting_id})


def notify_presence(meeting_id: int) -> None:
    """Someone joined or left: every joined client fetches the presence list again (one statement), not its
    whole meeting view; 200 people joining one after the other would otherwise cost 200 x 200 meeting views."""
    _queue_notice(f"meeting:{meeting_id}", {"soort": "aanwezig", "overleg": meeting_id})


def notify_item(agenda_item_id: int, piece_id: int | None = None) -> None:
    """Something of a case item changed: the clients in its room fetch their item view again.

    A changed minutes piece or decision (*piece_id*) is pushed instead to the sockets of this process
    that show the item, each with its own rows built in this unit of work (:mod:`mda.live.push`); the
    others get the notice.
    """
    if piece_id is None:
        _queue_notice(f"item:{agenda_item_id}", {"soort": "punt", "punt": agenda_item_id})
        return
    push.piece_changed(agenda_item_id, piece_id)


# ----------------------------------------------------------------------------- checks of what is sent
#: a save's compare-and-set (the saved piece's attributes are set from what it wrote, so no session sync)
_SAVE_VERSION = (update(LivePiece).where(LivePiece.id == bindparam("piece_id"), LivePiece.version == bindparam("base"))
                 .values(version=bindparam("version"), updated_by_id=bindparam("user_id"), updated_at=bindparam("at"))
                 .execution_options(synchronize_session=False))


def _text(value, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is not None and not isinstance(value, str):
        raise LiveError(f"{label} moet tekst zijn.")
    text = (value or "").strip()
    if required and not text:
        raise LiveError(f"{label} is leeg. Schrijf eerst iets.")
    if len(text) > limit:
        raise LiveError(f"{label} is te lang: hoogstens {limit} tekens (nu {len(text)}).")
    return text


def _category(code) -> str:
    code = code or DEFAULT_CATEGORY
    if not isinstance(code, str) or code not in catalogue.categories():
        raise LiveError("Kies een bestaande categorie.")
    return code




# ----------------------------------------------------------------------------- pieces (minutes, decisions)
def _new_case_item(db: Session, user: User, case_id: int, category: str, content: str,
                   person_ids: list[int] = ()) -> Item:
    now = utcnow()
    item = Item(case_id=case_id, category=category, content=content, source_organisation_id=user.organisation_id,
                author_id=user.id, recorded_on=now.astimezone(LOCAL_TZ).date(), created_at=now)
    db.add(item)
    db.flush()
    for person_id in person_ids:
        db.add(ItemPerson(item_id=item.id, person_id=person_id))
    db.flush()
    return item


def _persons(db: Session, case_id: int, raw) -> list[int]:
    """The persons a piece is about (so that consent can apply); ids of this case only."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in raw):
        raise LiveError("Kies de personen uit de lijst.", field="personen")
    known = set(db.exec(select(Person.id).where(Person.case_id == case_id, Person.destroyed_at.is_(None))))
    if not set(raw) <= known:
        raise LiveError("Kies de personen uit de lijst.", field="personen")
    return sorted(set(raw))


def _writable(db: Session, user: User, meeting: Meeting, live: LiveMeeting, *, reason: str = "") -> None:
    if live.minutes_status == "definitief":
        if not access.keeps_minutes(user, meeting):
            raise LiveError("De notulen zijn definitief. Alleen de voorzitter of notulist kan ze corrigeren.",
                            denied=True)
        if len(reason) < 5:
            raise LiveError("De notulen zijn definitief: geef bij een correctie de reden (minstens 5 tekens).",
                            field="reden")


def create_piece(db: Session, user: User, meeting: Meeting, item: AgendaItem, *, kind: str, content,
                 category=None, person_ids=None) -> LivePiece:
    """A new minutes piece or decision for a case item, stored as an item of the case."""
    if kind not in ("notulen", "besluit"):
        raise LiveError("Onbekend soort tekst.")
    live = live_of(db, meeting)
    if live.minutes_status != "concept":
        raise LiveError("De notulen zijn niet meer in concept; nieuwe stukken kunnen niet meer worden toegevoegd.")
    text = _text(content, "De tekst" if kind == "notulen" else "Het besluit")
    record = _new_case_item(db, user, item.case_id, _category(category), text, _persons(db, item.case_id, person_ids))
    now = utcnow()
    piece = LivePiece(meeting_id=meeting.id, agenda_item_id=item.id, case_id=item.case_id, kind=kind,
                      item_id=record.id, created_by_id=user.id, created_at=now, updated_by_id=user.id, updated_at=now,
                      crdt_state=crdt.initial_state(text))
    db.add(piece)
    db.flush()
    db.add(LiveRevision(piece_id=piece.id, version=1, content=text, saved_by_id=user.id, saved_at=now))
    db.flush()
    audit.record(db, "create", user=user, object_type="item", object_id=record.id, case_id=item.case_id,
                 summary=f"{'notulen' if kind == 'notulen' else 'besluit'} vastgelegd in overleg {meeting.id}")
    notify_item(item.id, piece.id)
    return piece


class StaleSave(LiveError):
    """A save that started from an older version: refused, with the current text beside the user's own."""


def save_piece(db: Session, user: User, meeting: Meeting, piece_id, *, base_version, content,
               reason: str = "") -> LivePiece:
    """Save a new version of a piece when nobody saved in between (optimistic concurrency)."""
    piece, item, record = _load_piece(db, user, meeting, piece_id)
    live = live_of(db, meeting)
    reason = _text(reason, "De reden", required=False, limit=1000)
    _writable(db, user, meeting, live, reason=reason)
    if refusal := history.item_lock_refusal(db, record):  # e.g. a decision in escalation
        raise LiveError(refusal)
    if record.category != coedit.SHARED_CATEGORY and record.source_organisation_id != user.organisation_id:
        raise LiveError("Deze tekst is ingebracht door een andere organisatie; alleen die organisatie kan hem "
                        "wijzigen. Voeg zelf een stuk toe of geef een afwijkend standpunt.", denied=True)
    text = _text(content, "De tekst")
    if not isinstance(base_version, int) or isinstance(base_version, bool):
        raise LiveError("De versie ontbreekt; laad de tekst opnieuw.", field="versie")
    now = utcnow()
    # compare-and-set: two processes saving the same version cannot both win
    result = db.execute(_SAVE_VERSION, {"piece_id": piece.id, "base": base_version, "version": base_version + 1,
                                        "user_id": user.id, "at": now})
    if result.rowcount != 1:
        db.refresh(piece)
        # the newer text goes back through the engine like every other delivery: decided and audited
        current = sharing.item_view(db, user, case_context(db, item), piece.item_id, channel="live overleg")
        raise StaleSave("Iemand anders heeft deze tekst intussen opgeslagen. Uw tekst is niet verloren: "
                        "vergelijk hieronder en sla opnieuw op.", field="versie",
                        extra={"verouderd": True, "stuk": piece.id, "versie": piece.version,
                               "huidige_tekst": current.item.content if current.decision.visible else None})
    # the compare-and-set wrote exactly these values: no need to read the row back
    for name, value in (("version", base_version + 1), ("updated_by_id", user.id), ("updated_at", now)):
        set_committed_value(piece, name, value)
    coedit.replace(db, user, piece, record, text)  # co-editors keep what they type elsewhere in the text
    record.content = text
    db.add(record)
    db.add(LiveRevision(piece_id=piece.id, version=piece.version, content=text, saved_by_id=user.id,
                        saved_at=now, reason=reason))
    db.flush()
    correction = live.minutes_status == "definitief"
    audit.record(db, "update", user=user, object_type="item", object_id=record.id, case_id=piece.case_id,
                 summary=f"{'correctie op definitieve ' if correction else ''}notulen overleg {meeting.id} "
                         f"versie {piece.version}")
    notify_item(item.id, piece.id)
    return piece


def add_dissent(db: Session, user: User, meeting: Meeting, piece_id, reason) -> LiveDissent:
    """Record that *user* disagrees with a decision, and why (an item with the decision's category)."""
    piece, item = load_piece(db, user, meeting, piece_id)
    if piece.kind != "besluit":
        raise LiveError("Een afwijkend standpunt hoort bij een besluit.")
    _require_open(live_of(db, meeting))
    text = _text(reason, "De reden van het afwijkende standpunt")
    decision = db.get(Item, piece.item_id)
    persons = list(db.exec(select(ItemPerson.person_id).where(ItemPerson.item_id == decision.id)))
    record = _new_case_item(db, user, piece.case_id, decision.category, text, persons)
    dissent = LiveDissent(piece_id=piece.id, user_id=user.id, organisation_id=user.organisation_id,
                          item_id=record.id, created_at=utcnow())
    db.add(dissent)
    db.flush()
    audit.record(db, "create", user=user, object_type="item", object_id=record.id, case_id=piece.case_id,
                 summary=f"afwijkend standpunt bij besluit {piece.id} in overleg {meeting.id}")
    notify_item(item.id, piece.id)
    return dissent


# ----------------------------------------------------------------------------- actions
def add_action(db: Session, user: User, meeting: Meeting, item: AgendaItem, *, description, deadline,
               owner_user_id=None, owner_organisation_id=None, owner_is_family=False, category=None,
               allow_past_deadline: bool = False):
    """An action with one owner and a deadline; it becomes an action of the case's safety plan.

    A deadline before today is refused by the plan unless the user confirmed it (*allow_past_deadline*, the
    form's "Ja, de termijn ligt bewust vóór vandaag"), as on the plan page."""
    _require_open(live_of(db, meeting))
    text = _text(description, "De omschrijving van de actie", limit=2000)
    if isinstance(deadline, str):
        try:
            deadline = date.fromisoformat(deadline)
        except ValueError:
            raise LiveError("Geef de deadline als datum (dd-mm-jjjj).", field="deadline") from None
    if not isinstance(deadline, date):
        raise LiveError("Geef een deadline.", field="deadline")
    ctx = case_context(db, item)
    action = plan_bridge.add_action(db, user, ctx, description=text, deadline=deadline,
                                    owner_user_id=owner_user_id, owner_organisation_id=owner_organisation_id,
                                    owner_is_family=bool(owner_is_family),
                                    category=_category(category or plan_bridge.PLAN_CATEGORY),
                                    meeting_id=meeting.id, allow_past_deadline=bool(allow_past_deadline))
    notify_item(item.id)
    return action


def forget_revisions(db: Session, case_id: int, object_type: str | None, object_ids: list[int] | None) -> int:
    """Blank the stored revisions of live minutes and decisions with the data they belong to: all of the case
    (end of retention), or those of the destroyed items (destruction on request). The rows stay (version numbers
    and who saved when), their text and reason go. Connected to :data:`mda.core.signals.forget_providers`."""
    if object_type not in (None, "item"):
        return 0
    pieces = select(LivePiece.id).where(LivePiece.case_id == case_id)
    if object_type == "item":
        if not object_ids:
            return 0
        pieces = pieces.where(LivePiece.item_id.in_(object_ids))
    result = db.execute(update(LiveRevision).where(LiveRevision.piece_id.in_(pieces)).values(content="", reason=""))
    return result.rowcount or 0

