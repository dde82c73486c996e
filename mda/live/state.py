"""What one user sees of a live session, built per user and filtered by the sharing engine.

Nothing here is meant for a room: :func:`meeting_state` and :func:`item_state` are built for
one user and sent to that user's socket (or rendered on that user's page). Every text of a
case item comes from :func:`mda.core.sharing.items_view`, which decides and audits.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

from flask import abort, current_app, url_for
from sqlalchemy import bindparam
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases import catalogue
from mda.cases.models import Case
from mda.core import sharing
from mda.core.sharing import rows as view_rows
from mda.core.timeutil import as_utc, format_local, utcnow
from mda.live import access, plan_bridge
from mda.live.loaders import live_of
from mda.live.models import LiveDissent, LiveMeeting, LivePiece, LivePresence, LiveRevision, LiveScore, LiveScoreRound
from mda.live.sockets import PRESENCE_TTL
from mda.meetings import access as meeting_access
from mda.meetings import agendas, updates
from mda.meetings.models import AgendaItem, Meeting
from mda.organisations.models import Organisation


def _iso(value) -> str | None:
    return as_utc(value).isoformat() if value else None


def presence_rows(db: Session, meeting: Meeting) -> list:
    """The meeting's live sockets seen within the presence window, in order: (user id, the piece it is typing in
    or None, the user's name, organisation name), in one statement built once per process."""
    return list(db.execute(_presence_statement(), {"meeting_id": meeting.id, "since": utcnow() - PRESENCE_TTL}))


@functools.cache
def _presence_statement():
    return (select(LivePresence.user_id, LivePresence.editing_piece_id, User.name, Organisation.name)
            .join(User, User.id == LivePresence.user_id)
            .join(Organisation, Organisation.id == User.organisation_id, isouter=True)
            .where(LivePresence.meeting_id == bindparam("meeting_id"), LivePresence.seen_at >= bindparam("since"))
            .order_by(LivePresence.id))


def presence(db: Session, meeting: Meeting, rows: list | None = None) -> list[dict]:
    """Who is connected: name and organisation, once per user (not case data), in one statement however many
    (none when the caller read the :func:`presence_rows` already)."""
    seen, result = set(), []
    rows = presence_rows(db, meeting) if rows is None else rows
    for user_id, _piece_id, name, organisation in rows:
        if user_id not in seen:
            seen.add(user_id)
            result.append({"naam": name, "organisatie": organisation or ""})
    return result


def meeting_state(db: Session, user: User, meeting: Meeting, live: LiveMeeting | None = None, *,
                  view: meeting_access.MeetingView | None = None, present: list | None = None) -> dict:
    """The agenda (labels filtered per case), live status, timer and presence, for *user* (*present*: the
    :func:`presence_rows` the caller read already)."""
    live = live or live_of(db, meeting)
    view = view or meeting_access.meeting_view(db, user, meeting)
    enter = access.enterable_item_ids(db, user, meeting, view)
    agenda = []
    for iv in view.items:
        if iv.item.kind == "casussen":
            continue
        agenda.append({"id": iv.item.id, "titel": iv.label, "casus": iv.item.kind == "casus",
                       "minuten": iv.item.minutes, "tijd": format_local(iv.item.starts_at, "%H:%M"),
                       "toegang": iv.item.id in enter})
    return {
        "overleg": meeting.id, "titel": agendas.label(meeting.type_code, meeting.title),
        "status": live.status, "status_naam": live.status_name,
        "notulen_status": live.minutes_status, "notulen_status_naam": live.minutes_status_name,
        "huidig_punt": live.current_agenda_item_id, "punt_gestart": _iso(live.item_started_at),
        "servertijd": utcnow().isoformat(), "voorzitter": access.is_chair(user, meeting),
        "notulist": access.keeps_minutes(user, meeting), "agenda": agenda,
        "aanwezig": presence(db, meeting, present),
    }


def escalation_url(case_id: int, piece_id: int) -> str | None:
    """A link to start an escalation from a decision, when the escalations feature has that page."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/casussen/<int:case_id>/escalaties/nieuw":
            return url_for(rule.endpoint, case_id=case_id, besluit=piece_id)
    return None


def _circle_people(contexts: dict[int, sharing.CaseContext]) -> dict[int, set[int]]:
    """Case id -> its named professionals (the context's) and its coordinator."""
    return {case_id: ctx.member_user_ids | {ctx.case.coordinator_id} for case_id, ctx in contexts.items()}


def owner_choices(db: Session, contexts: dict[int, sharing.CaseContext],
                  people: dict | None = None) -> dict[int, list[dict]]:
    """Case id -> who may own an action made live, as the plan page offers it: the circle's named professionals
    and coordinator, its organisations, the family. One query for all cases (none when *people*, id -> user or
    plain row, holds them all already)."""
    if not contexts:
        return {}
    members = _circle_people(contexts)
    wanted = set().union(*members.values())
    if people is None or not wanted <= people.keys():
        people = view_rows.load_viewers(db, wanted)
    users = {i: people[i] for i in wanted if i in people and people[i].active}
    result = {}
    for case_id, ctx in contexts.items():
        people = sorted((users[i] for i in members[case_id] if i in users
                         and users[i].organisation_id in ctx.circle_org_ids), key=lambda u: u.name)
        result[case_id] = (
            [{"waarde": f"u:{u.id}", "naam": f"{u.name} ({ctx.org_names.get(u.organisation_id, '')})"} for u in people]
            + [{"waarde": f"o:{o}", "naam": f"{ctx.org_names.get(o, '')} (organisatie)"}
               for o in sorted(ctx.circle_org_ids, key=lambda o: ctx.org_names.get(o, ""))]
            + [{"waarde": "gezin", "naam": "Het gezin"}])
    return result


def escalation_marks(db: Session, decision_ids: list[int]) -> dict[int, dict]:
    """Decision id -> {referentie, url} of the open escalation disputing it (one query for all decisions)."""
    from mda.escalations.locks import open_on_decisions

    return {piece_id: {"referentie": esc.reference,
                       "url": url_for("escalations.show", case_id=esc.case_id, escalation_id=esc.id)}
            for piece_id, esc in open_on_decisions(db, decision_ids).items()}


def _view_dict(view: sharing.ItemView | None) -> dict:
    if view is None:
        return {"zichtbaar": False, "niet_gedeeld": "niet (meer) beschikbaar"}
    if not view.decision.visible:
        return {"zichtbaar": False, "categorie": view.category_name, "niet_gedeeld": view.decision.withheld_reason}
    return {"zichtbaar": True, "categorie": view.category_name, "bijzonder": view.special,
            "tekst": view.item.content, "grondslag": view.decision.basis, "bron": view.source_organisation,
            "auteur": view.author}


@dataclass
class PieceData:
    """The rows behind the minutes and decisions of case items, the same for every viewer (no decisions yet)."""

    pieces: dict[int, list[LivePiece]]  # agenda item id -> pieces in order
    dissents: dict[int, list[LiveDissent]]  # piece id -> dissents in order
    disputed: dict[int, dict]  # decision piece id -> its open escalation
    names: dict[int, str]  # user id -> name (who saved, who dissented, who is editing)
    editing: list[LivePresence]  # live sockets typing in a piece

    def wanted(self) -> set[int]:
        """The case items whose texts the engine must decide: the pieces' and their dissents'."""
        return ({p.item_id for ps in self.pieces.values() for p in ps}
                | {d.item_id for ds in self.dissents.values() for d in ds})


def load_pieces(db: Session, meeting: Meeting, item_ids: list[int], piece_ids: set[int] | None = None, *,
                names: dict[int, str] | None = None, present: list | None = None) -> PieceData:
    """The pieces of these agenda items (only *piece_ids* when given) with their dissents, escalation marks,
    names and editing indicators, in at most five queries whatever their number.

    Chosen pieces are taken from the session when it holds them (a push, in the unit of work that changed them);
    *names* (user id -> name) that the caller read already are not asked again, nor the live sockets when the
    caller read them (*present*: :func:`presence_rows`, with the names of their users)."""
    st = _piece_statements()
    pieces: dict[int, list[LivePiece]] = defaultdict(list)
    if piece_ids is None:
        found = db.exec(st["pieces"], params={"item_ids": list(item_ids), "meeting_id": meeting.id})
    else:
        found = (db.get(LivePiece, piece_id) for piece_id in sorted(piece_ids))
    for piece in found:
        if piece is not None and piece.agenda_item_id in item_ids and piece.meeting_id == meeting.id:
            pieces[piece.agenda_item_id].append(piece)
    all_pieces = [p for ps in pieces.values() for p in ps]
    dissents: dict[int, list[LiveDissent]] = defaultdict(list)
    decisions = [p.id for p in all_pieces if p.kind == "besluit"]  # dissent is only ever on a decision
    if decisions:
        for d in db.exec(st["dissents"], params={"piece_ids": decisions}):
            dissents[d.piece_id].append(d)
    disputed = escalation_marks(db, decisions)
    if present is None:
        editing = list(db.exec(st["editing"], params={"meeting_id": meeting.id, "since": utcnow() - PRESENCE_TTL}))
    else:
        editing = [row for row in present if row.editing_piece_id is not None]
        names = {**{row.user_id: row.name for row in editing}, **(names or {})}
    user_ids = ({p.updated_by_id for p in all_pieces} | {d.user_id for ds in dissents.values() for d in ds}
                | {r.user_id for r in editing})
    known = {uid: names[uid] for uid in user_ids if uid in names} if names else {}
    missing = list(user_ids - known.keys())
    if missing:
        known.update(db.execute(st["names"], {"user_ids": missing}).all())
    return PieceData(pieces, dissents, disputed, known, editing)


@functools.cache
def _piece_statements() -> dict:
    """The statements of :func:`load_pieces`, built once per process (only the ids change)."""
    def ids(name: str):
        return bindparam(name, expanding=True)

    pieces = select(LivePiece).where(LivePiece.agenda_item_id.in_(ids("item_ids")),
                                     LivePiece.meeting_id == bindparam("meeting_id"))
    return {
        "pieces": pieces.order_by(LivePiece.id),
        "dissents": select(LiveDissent).where(LiveDissent.piece_id.in_(ids("piece_ids"))).order_by(LiveDissent.id),
        "editing": select(LivePresence).where(LivePresence.meeting_id == bindparam("meeting_id"),
                                              LivePresence.editing_piece_id.is_not(None),
                                              LivePresence.seen_at >= bindparam("since")),
        "names": select(User.id, User.name).where(User.id.in_(ids("user_ids"))),
    }


def piece_rows_key(data: PieceData, views: dict[int, sharing.ItemView], user: User) -> tuple:
    """Everything :func:`piece_rows` reads of *views* and *user*: the engine's view objects (the engine gives
    viewers it decided as one group the same objects) and, for someone editing a piece, who they are (they are
    left out of its "being edited by"). Equal keys give equal rows, so a push builds them once per key."""
    editing = user.id if any(row.user_id == user.id for row in data.editing) else None
    return tuple(sorted((item_id, id(view)) for item_id, view in views.items())), editing


def piece_rows(data: PieceData, views: dict[int, sharing.ItemView], user: User, ctx: sharing.CaseContext,
               pieces: list[LivePiece]) -> list[dict]:
    """*pieces* as *user* sees them: each text only as the engine decided in *views* (item id -> view).

    Reads of *user* only what :func:`piece_rows_key` names; keep the two together."""
    editing: dict[int, set[str]] = defaultdict(set)
    for row in data.editing:
        if row.user_id != user.id:
            editing[row.editing_piece_id].add(data.names.get(row.user_id, ""))
    rows = []
    for piece in pieces:
        view = views.get(piece.item_id)
        visible = view is not None and view.decision.visible
        row = {"id": piece.id, "soort": piece.kind, "versie": piece.version, **_view_dict(view),
               "bewerkt_door": sorted(editing.get(piece.id, ())) if visible else []}
        if visible:
            row.update({"gewijzigd": format_local(piece.updated_at),
                        "gewijzigd_door": data.names.get(piece.updated_by_id, "")})
            if piece.kind == "besluit":
                row["afwijkend"] = [
                    {"naam": data.names.get(d.user_id, ""), "organisatie": ctx.org_names.get(d.organisation_id, ""),
                     **_view_dict(views.get(d.item_id))}
                    for d in data.dissents[piece.id]]
                row["escalatie_url"] = escalation_url(piece.case_id, piece.id)
                if piece.id in data.disputed:  # neither party changes it until the escalation is decided
                    row["in_escalatie"] = data.disputed[piece.id]
                    row.pop("escalatie_url")
        rows.append(row)
    return rows


def item_state(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> dict:
    """One case item as *user* may see it: minutes, decisions with dissent, scores, actions, updates.

    The caller has checked :func:`mda.live.access.may_enter`. Every text goes through the engine;
    a case *user* cannot open is a 404, as before.
    """
    states = items_state(db, user, meeting, [item])
    if item.id not in states:
        abort(404)
    return states[item.id]


def items_state(db: Session, user: User, meeting: Meeting, items: list[AgendaItem],
                contexts: dict[int, sharing.CaseContext] | None = None,
                item_updates: dict[int, updates.ItemUpdates] | None = None,
                people: dict | None = None, present: list | None = None) -> dict[int, dict]:
    """:func:`item_state` for several case items in a fixed number of queries, whatever their number.

    Pieces, dissents, presence, score rounds and scores, plan actions, updates and names are each
    loaded once for all *items*; the engine decides every text (:func:`mda.core.sharing.item_views`,
    audited per case and basis). Items whose case *user* cannot open are left out. *item_updates*: the
    updates the meeting page read already (:func:`mda.meetings.updates.page_updates`, for these items or more);
    *people*: the circles' users it read already (:func:`owner_choices`); *present*: the live sockets
    (:func:`presence_rows`).
    """
    items = [i for i in items if i is not None and i.kind == "casus" and i.case_id is not None
             and i.meeting_id == meeting.id]
    if contexts is None or any(i.case_id not in contexts for i in items):
        cases = list(db.exec(select(Case).where(Case.id.in_({i.case_id for i in items})))) if items else []
        contexts = {**(contexts or {}), **sharing.load_contexts(db, cases)}
    items = [i for i in items if i.case_id in contexts
             and sharing.can_open_case(user, contexts[i.case_id].case, contexts[i.case_id])]
    if not items:
        return {}
    contexts = {i.case_id: contexts[i.case_id] for i in items}
    item_ids = [i.id for i in items]
    data = load_pieces(db, meeting, item_ids, present=present)
    views = sharing.item_views(db, user, contexts, data.wanted(), channel="live overleg") if data.wanted() else {}
    actions = plan_bridge.actions_for_cases(db, user, contexts, meeting.id)
    page_updates = (item_updates if item_updates is not None
                    else updates.page_updates(db, user, meeting, items, contexts, with_status=False))
    from mda.documents.meetings import item_documents

    documents = item_documents(db, user, contexts, item_ids, channel="live overleg")
    rounds: dict[int, list[LiveScoreRound]] = defaultdict(list)
    for rnd in db.exec(select(LiveScoreRound).where(LiveScoreRound.agenda_item_id.in_(item_ids))
                       .order_by(LiveScoreRound.id.desc())):
        rounds[rnd.agenda_item_id].append(rnd)
    scores: dict[int, list[LiveScore]] = defaultdict(list)
    round_ids = [r.id for rs in rounds.values() for r in rs]
    if round_ids:
        for score in db.exec(select(LiveScore).where(LiveScore.round_id.in_(round_ids)).order_by(LiveScore.id)):
            scores[score.round_id].append(score)
    categories = [{"code": c.code, "naam": c.name, "bijzonder": c.special} for c in catalogue.categories().values()]
    owners = owner_choices(db, contexts, people)
    result = {}
    for item in items:
        ctx = contexts[item.case_id]
        item_updates = page_updates.get(item.id)
        result[item.id] = {
            "punt": item.id, "titel": ctx.case.reference, "minuten": item.minutes,
            "stukken": piece_rows(data, views, user, ctx, data.pieces[item.id]),
            "acties": [{"id": a.id, "eigenaar": a.owner, "deadline": a.deadline.strftime("%d-%m-%Y"), **a.view}
                       for a in actions.get(item.case_id, [])],
            "score": _score_state(user, ctx, rounds[item.id], scores),
            "updates": [{"organisatie": org, "ingediend": format_local(update.submitted_at), **_view_dict(view)}
                        for update, org, view in (item_updates.views if item_updates else [])],
            "documenten": [d.as_dict() for d in documents.get(item.id, [])],
            "categorieen": categories,
            "eigenaren": owners.get(item.case_id, []),
        }
    return result


def score_state(db: Session, user: User, item: AgendaItem, ctx: sharing.CaseContext) -> dict:
    """The open round (who has scored, my own score) or the last closed round's distribution."""
    rounds = list(db.exec(select(LiveScoreRound).where(LiveScoreRound.agenda_item_id == item.id)
                          .order_by(LiveScoreRound.id.desc())))
    scores: dict[int, list[LiveScore]] = defaultdict(list)
    if rounds:
        for score in db.exec(select(LiveScore).where(LiveScore.round_id.in_([r.id for r in rounds]))
                             .order_by(LiveScore.id)):
            scores[score.round_id].append(score)
    return _score_state(user, ctx, rounds, scores)


def _score_state(user: User, ctx: sharing.CaseContext, rounds: list[LiveScoreRound],
                 scores: dict[int, list[LiveScore]]) -> dict:
    history = []
    open_round = None
    for rnd in rounds:
        round_scores = scores.get(rnd.id, [])
        if rnd.closed_at is None:
            mine = next((s.score for s in round_scores if s.organisation_id == user.organisation_id), None)
            open_round = {"id": rnd.id, "gescoord": len(round_scores), "verwacht": len(rnd.expected),
                          "mijn_score": mine,
                          "organisaties": sorted(ctx.org_names.get(s.organisation_id, "") for s in round_scores)}
        else:
            history.append({"id": rnd.id, "gesloten": format_local(rnd.closed_at),
                            "verdeling": [sum(1 for s in round_scores if s.score == n) for n in range(11)],
                            "scores": sorted(({"organisatie": ctx.org_names.get(s.organisation_id, ""),
                                               "score": s.score} for s in round_scores),
                                             key=lambda r: r["organisatie"])})
    return {"open": open_round, "rondes": history}


def revisions(db: Session, piece: LivePiece) -> list[LiveRevision]:
    """A piece's revisions, newest first (show only after the engine showed the piece)."""
    return list(db.exec(select(LiveRevision).where(LiveRevision.piece_id == piece.id)
                        .order_by(LiveRevision.version.desc())))


@functools.cache
def _live_statement():
    """A meeting's live state (None before anything was stored) and whether anything has been written live: one
    row whatever is stored (a row of one, the live state joined to it), built once per process."""
    from sqlalchemy import exists, literal

    one = select(literal(1).label("one")).subquery()
    pieces = exists(select(LivePiece.id).where(LivePiece.meeting_id == bindparam("meeting_id")))
    return (select(LiveMeeting, pieces.label("pieces")).select_from(one)
            .outerjoin(LiveMeeting, LiveMeeting.meeting_id == bindparam("meeting_id")))


def panel(db: Session, user: User, meeting: Meeting, *, view: meeting_access.MeetingView | None = None,
          case_access: meeting_access.CaseAccess | None = None,
          item_updates: dict[int, updates.ItemUpdates] | None = None) -> dict:
    """The meeting page's live panel (no script needed): the meeting view and each item *user* may enter.

    A fixed number of queries whatever the number of case items (:func:`items_state`). The meeting page
    hands over what it read already (its view, case access and updates), so that nothing is read twice.
    """
    case_access = case_access or meeting_access.CaseAccess(db, user)
    view = view or meeting_access.meeting_view(db, user, meeting, case_access)
    # Reading the page does not start anything: a meeting without live state yet is shown with the
    # defaults (not stored, so no write, and the unit of work keeps its loaded case contexts).
    # its live state (if any) and whether anything has been written live, in one statement
    live, has_pieces = db.execute(_live_statement(), {"meeting_id": meeting.id}).one()
    live = live or LiveMeeting(meeting_id=meeting.id)
    if live.status == "niet_gestart" and not has_pieces:
        # Before the start, with nothing written live yet, the panel has no item to show: its status, the chair's
        # start button and the link to the live view (most visits to a meeting page are before the meeting).
        return {"overleg": {"status": live.status, "status_naam": live.status_name,
                            "notulen_status": live.minutes_status, "notulen_status_naam": live.minutes_status_name,
                            "huidig_punt": None, "voorzitter": access.is_chair(user, meeting),
                            "notulist": access.keeps_minutes(user, meeting)},
                "punten": {}, "eigenaren": {}, "voor_de_start": True}
    present = presence_rows(db, meeting)  # once, for who is connected and who is typing in a piece
    overview = meeting_state(db, user, meeting, live, view=view, present=present)
    enter = {r["id"] for r in overview["agenda"] if r["toegang"]}
    entered = [iv.item for iv in view.items if iv.item.id in enter]
    contexts = {i.case_id: case_access.contexts[i.case_id] for i in entered if i.case_id in case_access.contexts}
    # the circles' people, read once for the owners of the live state and of the forms below (plain rows)
    people = view_rows.load_viewers(db, set().union(*_circle_people(contexts).values())) if contexts else {}
    states = items_state(db, user, meeting, entered, contexts, item_updates, people, present)
    items = {i.id: states[i.id] for i in entered if i.id in states}
    owners = {}
    for item in entered:
        if item.id not in items:
            continue
        ctx = contexts[item.case_id]
        members = [people.get(uid) for uid in sorted(ctx.member_user_ids)]
        owners[item.id] = ([(f"gebruiker:{m.id}", f"{m.name} ({ctx.org_names.get(m.organisation_id, '')})")
                            for m in members if m is not None and m.active]
                           + [(f"organisatie:{oid}", ctx.org_names.get(oid, "")) for oid in sorted(ctx.circle_org_ids)]
                           + [("gezin", "Het gezin")])
    return {"overleg": overview, "punten": items, "eigenaren": owners}
