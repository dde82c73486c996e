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
from mda.cases.models import Case, Item, ItemPerson, Person
from mda.core import audit, sharing
from mda.core.timeutil import LOCAL_TZ, utcnow
from mda.extensions import socketio
from mda.live import access, plan_bridge
from mda.live.guard import NAMESPACE, SOCKETS, LiveError
from mda.live.models import (
    LiveDissent,
    LiveMeeting,
    LivePiece,
    LivePresence,
    LiveRevision,
    LiveScore,
    LiveScoreRound,
)
from mda.meetings.access import agenda_items, my_invitation
from mda.meetings.models import AgendaItem, Meeting

MAX_TEXT = 8000
DEFAULT_CATEGORY = "overleg"
CLOSED = "Dit overleg is gesloten; er kan live niets meer worden toegevoegd."


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
    from mda.live import push

    push.piece_changed(agenda_item_id, piece_id)


# ----------------------------------------------------------------------------- loaders
# statements asked on (nearly) every live event, built once per process
_LIVE_OF = select(LiveMeeting).where(LiveMeeting.meeting_id == bindparam("meeting_id"))
_PRESENCE_OF = select(LivePresence).where(LivePresence.sid == bindparam("sid"))
#: a save's compare-and-set (the saved piece's attributes are set from what it wrote, so no session sync)
_SAVE_VERSION = (update(LivePiece).where(LivePiece.id == bindparam("piece_id"), LivePiece.version == bindparam("base"))
                 .values(version=bindparam("version"), updated_by_id=bindparam("user_id"), updated_at=bindparam("at"))
                 .execution_options(synchronize_session=False))


def live_of(db: Session, meeting: Meeting) -> LiveMeeting:
    """The meeting's live state (created, not started, on first use)."""
    live = db.exec(_LIVE_OF, params={"meeting_id": meeting.id}).first()
    if live is None:
        live = LiveMeeting(meeting_id=meeting.id)
        db.add(live)
        db.flush()
    return live


def load_meeting(db: Session, user: User, meeting_id: int | None) -> Meeting:
    """The meeting when *user* may join it; else a refusal (audited) that does not say whether it exists."""
    meeting = db.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None or not access.may_join(db, user, meeting):
        raise LiveError("Dit overleg bestaat niet, of u bent er niet voor uitgenodigd.", denied=True)
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
                        denied=True)
    return item


def case_context(db: Session, item: AgendaItem) -> sharing.CaseContext | None:
    """The context of the item's case (None when the case is gone)."""
    case = db.get(Case, item.case_id)
    return sharing.load_context(db, case) if case is not None else None


def _require_open(live: LiveMeeting) -> None:
    if live.status == "gesloten":
        raise LiveError(CLOSED)


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


# ----------------------------------------------------------------------------- presence
def join(db: Session, user: User, meeting: Meeting, sid: str) -> LivePresence:
    """Record this socket as present; the invitation's attendance becomes "aanwezig" once started."""
    now = utcnow()
    row = db.exec(select(LivePresence).where(LivePresence.sid == sid)).first()
    if row is None:
        row = LivePresence(sid=sid, meeting_id=meeting.id, user_id=user.id, connected_at=now, seen_at=now)
    row.meeting_id, row.seen_at = meeting.id, now
    db.add(row)
    live = live_of(db, meeting)
    if live.status == "bezig":
        _mark_attended(db, user, meeting)
    db.flush()
    notify_presence(meeting.id)
    return row


def _mark_attended(db: Session, user: User, meeting: Meeting) -> None:
    invitation = my_invitation(db, user, meeting)
    if invitation is not None and invitation.attendance != "aanwezig":
        invitation.attendance, invitation.attendance_recorded_at = "aanwezig", utcnow()
        invitation.attendance_recorded_by_id = user.id
        db.add(invitation)
        audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                     summary="aanwezigheid automatisch vastgelegd bij deelname aan de live sessie")


def presence_of(db: Session, sid: str) -> LivePresence | None:
    return db.exec(_PRESENCE_OF, params={"sid": sid}).first()


def enter_item(db: Session, presence: LivePresence, item: AgendaItem) -> bool:
    """Note that the socket entered the item's room; True when it was not in it yet."""
    rooms = presence.room_ids
    if item.id in rooms:
        return False
    presence.item_rooms = ",".join(str(i) for i in sorted(rooms | {item.id}))
    db.add(presence)
    return True


def leave_item(db: Session, presence: LivePresence, item_id: int) -> None:
    presence.item_rooms = ",".join(str(i) for i in sorted(presence.room_ids - {item_id}))
    if presence.editing_piece_id is not None:
        presence.editing_piece_id = None
    db.add(presence)


def leave_socket(sid: str) -> None:
    """Forget a closed socket (its own small unit of work; presence is not personal data)."""
    SOCKETS.pop(sid, None)
    with Session(unit.engine()) as s:
        row = s.exec(select(LivePresence).where(LivePresence.sid == sid)).first()
        if row is not None:
            meeting_id, rooms = row.meeting_id, row.room_ids
            s.delete(row)
            s.commit()
            socketio.emit("melding", {"soort": "aanwezig", "overleg": meeting_id}, to=f"meeting:{meeting_id}",
                          namespace=NAMESPACE)
            for item_id in rooms:
                socketio.emit("melding", {"soort": "punt", "punt": item_id}, to=f"item:{item_id}",
                              namespace=NAMESPACE)


def set_editing(db: Session, presence: LivePresence, piece_id: int | None) -> None:
    """The "who is editing" indicator: which piece this socket is typing in (None: none)."""
    if presence.editing_piece_id != piece_id:
        presence.editing_piece_id = piece_id
        db.add(presence)


def mark_overtaken(user: User, piece: LivePiece, base_version) -> bool:
    """Is a "being edited by" mark of *user* older than their own save of *piece*? The browser sends the mark and
    the save as separate events, which the server may handle in either order; a mark typed on a version before the
    one *user* saved last would otherwise stay after the save. A mark without a version counts (older clients)."""
    return (isinstance(base_version, int) and piece.version > base_version and piece.updated_by_id == user.id)


# ----------------------------------------------------------------------------- chairing
def _require_chair(user: User, meeting: Meeting) -> None:
    if not access.is_chair(user, meeting):
        raise LiveError("Alleen de voorzitter kan dit doen.", denied=True)


def _case_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    return [i for i in agenda_items(db, meeting) if i.kind != "casussen"]


def start(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """The chair starts the meeting on its first agenda item."""
    _require_chair(user, meeting)
    live = live_of(db, meeting)
    if live.status == "bezig":
        return live
    _require_open(live)
    items = _case_items(db, meeting)
    now = utcnow()
    live.status, live.started_at, live.started_by_id = "bezig", now, user.id
    live.current_agenda_item_id = items[0].id if items else None
    live.item_started_at = now
    db.add(live)
    for presence in db.exec(select(LivePresence).where(LivePresence.meeting_id == meeting.id)):
        _mark_attended(db, db.get(User, presence.user_id), meeting)
    db.flush()
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id, summary="live overleg gestart")
    notify_meeting(meeting.id)
    return live


def goto(db: Session, user: User, meeting: Meeting, agenda_item_id: int | None = None) -> LiveMeeting:
    """The chair moves everyone to the next agenda item (or to a chosen one)."""
    _require_chair(user, meeting)
    live = live_of(db, meeting)
    if live.status != "bezig":
        raise LiveError("Start het overleg eerst." if live.status == "niet_gestart" else CLOSED)
    items = _case_items(db, meeting)
    ids = [i.id for i in items]
    if agenda_item_id is None:
        position = ids.index(live.current_agenda_item_id) if live.current_agenda_item_id in ids else -1
        if position + 1 >= len(ids):
            raise LiveError("Dit was het laatste agendapunt. Sluit het overleg als alles besproken is.")
        target = ids[position + 1]
    elif agenda_item_id in ids:
        target = agenda_item_id
    else:
        raise LiveError("Dit agendapunt hoort niet bij dit overleg.")
    live.current_agenda_item_id, live.item_started_at = target, utcnow()
    db.add(live)
    db.flush()
    notify_meeting(meeting.id)
    return live


def close(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """The chair closes the meeting; open score rounds close with it."""
    _require_chair(user, meeting)
    live = live_of(db, meeting)
    _require_open(live)
    for rnd in db.exec(select(LiveScoreRound).where(LiveScoreRound.meeting_id == meeting.id,
                                                    LiveScoreRound.closed_at.is_(None))):
        _close_round(db, user, rnd)
    live.status, live.closed_at, live.current_agenda_item_id = "gesloten", utcnow(), None
    db.add(live)
    db.flush()
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id, summary="live overleg gesloten")
    notify_meeting(meeting.id)
    return live


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
    from mda.live import crdt

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


def load_piece(db: Session, user: User, meeting: Meeting, piece_id: int | None) -> tuple[LivePiece, AgendaItem]:
    """A piece of this meeting in an item *user* may enter, whose text the engine shows *user*."""
    piece, item, _record = _load_piece(db, user, meeting, piece_id)
    return piece, item


def _load_piece(db: Session, user: User, meeting: Meeting, piece_id: int | None,
                ) -> tuple[LivePiece, AgendaItem, Item]:
    """:func:`load_piece`, with the piece's case item (for a caller that changes it)."""
    piece = db.get(LivePiece, piece_id) if piece_id else None
    if piece is None or piece.meeting_id != meeting.id:
        raise LiveError("Deze tekst bestaat niet (meer).", denied=True)
    item = load_item(db, user, meeting, piece.agenda_item_id)
    ctx = case_context(db, item)
    record = sharing.load_item_or_404(db, user, ctx, piece.item_id)
    if not sharing.item_decision(user, ctx, record).visible:
        raise LiveError("Deze tekst wordt niet met uw organisatie gedeeld.", denied=True)
    return piece, item, record


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
    from mda.live import coedit

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


# ----------------------------------------------------------------------------- minutes lifecycle
def send_for_review(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """Concept -> ter review: the participants read the minutes (the meeting must be closed)."""
    live = live_of(db, meeting)
    if not access.keeps_minutes(user, meeting):
        raise LiveError("Alleen de voorzitter of notulist stuurt de notulen ter controle.", denied=True)
    if live.status != "gesloten":
        raise LiveError("Sluit eerst het overleg; daarna gaan de notulen ter controle.")
    if live.minutes_status != "concept":
        raise LiveError("De notulen zijn al ter controle gestuurd.")
    result = _minutes_status(db, user, meeting, live, "ter_review", "notulen ter review gestuurd")
    _mail_review(db, user, meeting)
    return result


def _mail_review(db: Session, user: User, meeting: Meeting) -> int:
    """Tell every participant (not the sender) that the minutes wait for their review: after the commit, once
    (only the concept -> ter review step sends it), with the meeting's label, date and a link; no content."""
    from mda.core import mail
    from mda.core.timeutil import format_local
    from mda.meetings.agendas import label
    from mda.meetings.models import Invitation
    from mda.notices import services as notices

    rows = db.exec(select(User).join(Invitation, Invitation.user_id == User.id).where(
        Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), User.active.is_(True),
        Invitation.response.not_in(("afgewezen", "gedelegeerd")), User.id != user.id)).all()
    name = label(meeting.type_code, meeting.title)
    link = mail.public_url("meetings.show", meeting_id=meeting.id)
    for person in {u.id: u for u in rows}.values():
        notices.send(db, person, "notulen", f"Notulen ter controle: {name}", "\n".join([
            f"Beste {person.name},", "",
            f"De notulen van {name} op {format_local(meeting.starts_at)} staan ter controle. Lees ze in MDA++ en "
            "meld aanvullingen of correcties bij de voorzitter of notulist voordat zij worden vastgesteld:",
            link, "", "Dit bericht bevat bewust geen inhoud van het overleg.", "", "MDA++ (automatisch bericht)"]))
    return len(rows)


def finalise(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """Ter review -> definitief: the minutes are locked; later corrections are revisions with a reason."""
    live = live_of(db, meeting)
    if not access.keeps_minutes(user, meeting):
        raise LiveError("Alleen de voorzitter of notulist stelt de notulen vast.", denied=True)
    if live.minutes_status != "ter_review":
        raise LiveError("Stuur de notulen eerst ter controle aan de deelnemers.")
    return _minutes_status(db, user, meeting, live, "definitief", "notulen definitief vastgesteld")


def _minutes_status(db, user, meeting, live, status: str, summary: str) -> LiveMeeting:
    live.minutes_status, live.minutes_status_at = status, utcnow()
    db.add(live)
    db.flush()
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id, summary=summary)
    notify_meeting(meeting.id)
    return live


# ----------------------------------------------------------------------------- score rounds
def open_round(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> LiveScoreRound:
    """The chair opens a safety-score round for the organisations present in the item now."""
    _require_chair(user, meeting)
    _require_open(live_of(db, meeting))
    if current_round(db, item) is not None:
        raise LiveError("Er loopt al een scoreronde voor deze casus.")
    orgs = set()
    ctx = case_context(db, item)
    for row in db.exec(select(LivePresence).where(LivePresence.meeting_id == meeting.id)):
        member = db.get(User, row.user_id)
        if item.id in row.room_ids and member is not None and sharing.can_open_case(member, ctx.case, ctx):
            orgs.add(member.organisation_id)
    rnd = LiveScoreRound(meeting_id=meeting.id, agenda_item_id=item.id, case_id=item.case_id,
                         expected_org_ids=",".join(str(o) for o in sorted(orgs)), opened_by_id=user.id,
                         opened_at=utcnow())
    db.add(rnd)
    db.flush()
    notify_item(item.id)
    return rnd


def current_round(db: Session, item: AgendaItem) -> LiveScoreRound | None:
    return db.exec(select(LiveScoreRound).where(LiveScoreRound.agenda_item_id == item.id,
                                                LiveScoreRound.closed_at.is_(None))).first()


def enter_score(db: Session, user: User, meeting: Meeting, item: AgendaItem, score) -> LiveScoreRound:
    """A partner's 0-10 score for its organisation; the round closes itself when all expected have scored."""
    rnd = current_round(db, item)
    if rnd is None:
        raise LiveError("Er loopt geen scoreronde voor deze casus.")
    if isinstance(score, bool) or not isinstance(score, int | str) or not str(score).isdigit() \
            or not 0 <= int(score) <= 10:
        raise LiveError("Geef een veiligheidsscore van 0 tot en met 10.", field="score")
    row = db.exec(select(LiveScore).where(LiveScore.round_id == rnd.id,
                                          LiveScore.organisation_id == user.organisation_id)).first()
    row = row or LiveScore(round_id=rnd.id, organisation_id=user.organisation_id, user_id=user.id, score=0,
                           entered_at=utcnow())
    row.score, row.user_id, row.entered_at = int(score), user.id, utcnow()
    db.add(row)
    db.flush()
    scored = set(db.exec(select(LiveScore.organisation_id).where(LiveScore.round_id == rnd.id)))
    if rnd.expected and rnd.expected <= scored:
        _close_round(db, user, rnd)
    notify_item(item.id)
    return rnd


def close_round(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> LiveScoreRound:
    """The chair closes the round early: the scores given so far are shown and kept."""
    _require_chair(user, meeting)
    rnd = current_round(db, item)
    if rnd is None:
        raise LiveError("Er loopt geen scoreronde voor deze casus.")
    _close_round(db, user, rnd)
    notify_item(item.id)
    return rnd


def _close_round(db: Session, user: User, rnd: LiveScoreRound) -> None:
    rnd.closed_at = utcnow()
    db.add(rnd)
    db.flush()
    scores = {s.organisation_id: s.score for s in db.exec(select(LiveScore).where(LiveScore.round_id == rnd.id))}
    ctx = sharing.load_context(db, db.get(Case, rnd.case_id))
    plan_bridge.record_scores(db, user, ctx, meeting_id=rnd.meeting_id, scores=scores, round_key=f"live-{rnd.id}")


# ----------------------------------------------------------------------------- actions
def add_action(db: Session, user: User, meeting: Meeting, item: AgendaItem, *, description, deadline,
               owner_user_id=None, owner_organisation_id=None, owner_is_family=False, category=None):
    """An action with one owner and a deadline; it becomes an action of the case's safety plan."""
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
                                    meeting_id=meeting.id)
    notify_item(item.id)
    return action


def forget_revisions(db: Session, case_id: int, object_type: str | None, object_ids: list[int] | None) -> int:
    """Blank the stored revisions of live minutes and decisions with the data they belong to: all of the case
    (end of retention), or those of the destroyed items (destruction on request). The rows stay (version numbers
    and who saved when), their text and reason go. Registered in :data:`mda.cases.history.FORGET_PROVIDERS`."""
    if object_type not in (None, "item"):
        return 0
    pieces = select(LivePiece.id).where(LivePiece.case_id == case_id)
    if object_type == "item":
        if not object_ids:
            return 0
        pieces = pieces.where(LivePiece.item_id.in_(object_ids))
    result = db.execute(update(LiveRevision).where(LiveRevision.piece_id.in_(pieces)).values(content="", reason=""))
    return result.rowcount or 0


def clear_stale_presence(db: Session, now) -> int:
    """Remove presence rows whose socket has not been heard of for ten minutes: left behind by a server
    process that died (its disconnect handlers never ran). Presence lists ignore them after 90 s already."""
    from datetime import timedelta

    from sqlalchemy import delete

    return db.execute(delete(LivePresence).where(LivePresence.seen_at < now - timedelta(minutes=10))).rowcount or 0

