"""The ``/live`` Socket.IO namespace: thin handlers, each behind :func:`mda.live.guard.live_event`.

Client -> server events (each answered by an acknowledgement ``{"ok": ..., ...}``; changes
carry an ``id`` so that a retry is applied once):

``deelnemen`` {overleg}                join a meeting (invitation or coordinator) -> meeting view
``overleg`` {}                         the meeting view again (after a ``melding`` or ``controle``)
``punt`` {punt}                        enter a case item's room -> the item as the engine shows it
``starten`` / ``volgende`` {punt?} / ``sluiten``           chairing
``stuk_nieuw`` {id, punt, soort, tekst, categorie}      minutes piece or decision
``stuk_opslaan`` {id, stuk, versie, tekst, reden?}     save; a stale version is refused with the current text
``stuk_sync`` {stuk, vector}            co-editing: what the replica with this state vector (base64) lacks
``stuk_update`` {stuk, update}          co-editing: a yjs update (base64), acknowledged after the commit;
                                        a re-sent update is harmless (merging is idempotent)
``bewerken`` {stuk, versie?} | {stuk: null}  "who is typing": marked at the first key, null when idle
``afwijkend`` {id, stuk, reden}        dissent on a decision
``ronde_open`` / ``ronde_sluiten`` {punt}; ``score`` {id, punt, score}
``actie`` {id, punt, omschrijving, deadline, eigenaar_gebruiker|eigenaar_organisatie|eigenaar_gezin, categorie,
          termijn_bevestigd?}      an action of the plan; ``termijn_bevestigd`` (true) confirms a deadline before
                                   today, which the plan refuses otherwise

Server -> client: ``melding`` (a room notice: only ids), ``controle`` (access may have changed:
fetch again), ``fout`` (a refusal in Dutch), ``sessie_verlopen`` (the login session ended; the
server disconnects next), ``stuk_update`` {stuk, punt, update} (another writer's update, only to
sockets whose user the engine shows the piece). Only changes, co-edits and ``bewerken`` extend the
idle timeout.
"""

from __future__ import annotations

from flask import request, session
from flask_login import current_user
from flask_socketio import Namespace, join_room, leave_room
from flask_wtf.csrf import ValidationError, validate_csrf

from mda import db
from mda.core import audit, metrics, refusal
from mda.core.security import load_session_user, session_expired
from mda.core.timeutil import utcnow
from mda.live import access, chairing, coedit, loaders, scores, services, state
from mda.live import presence as live_presence
from mda.live.guard import EventContext, live_event
from mda.live.models import LivePiece
from mda.live.sockets import SOCKETS, LiveError, SocketState
from mda.meetings.models import AgendaItem

REFUSED = "Log in om deel te nemen aan het overleg."


class LiveNamespace(Namespace):
    """Handlers of the live session (registered on the app's ``socketio`` in :func:`mda.create_app`)."""

    def on_connect(self, auth=None):
        """Refuse a connection without a valid login session or without the page's CSRF token."""
        user = load_session_user(session.get("_user_id")) if current_user.is_authenticated else None
        if user is None or session_expired(session.get("last_seen"), session.get("auth_at")):
            if user is not None:
                audit.record(db.session(), "denied", user=user, object_type="live",
                             summary="live verbinding met verlopen sessie")
                db.rollback()
            raise ConnectionRefusedError(REFUSED)
        token = (auth or {}).get("csrf") if isinstance(auth, dict) else None
        try:
            validate_csrf(token)
        except ValidationError:
            audit.record(db.session(), "denied", user=user, object_type="live",
                         summary="live verbinding zonder geldige beveiligingscode")
            db.rollback()
            raise ConnectionRefusedError("De beveiligingscode ontbreekt. Laad de pagina opnieuw.") from None
        SOCKETS[request.sid] = SocketState(user_id=user.id, auth_at=session.get("auth_at"), last_seen=utcnow(),
                                           session_version=str(session.get("_user_id")).partition(":")[2])
        join_room(f"user:{user.id}")
        metrics.LIVE_SOCKETS.inc()

    def on_disconnect(self, *args):
        metrics.LIVE_SOCKETS.dec()
        live_presence.leave_socket(request.sid)

    # ------------------------------------------------------------------ joining and views
    @live_event("deelnemen")
    def on_deelnemen(self, ctx: EventContext):
        meeting = loaders.load_meeting(ctx.db, ctx.user, ctx.get("overleg", label="Het overleg"))
        previous = ctx.state.meeting_id
        if previous is not None and previous != meeting.id:
            raise LiveError("U neemt in dit venster al deel aan een ander overleg. Laad de pagina opnieuw.")
        ctx.state.meeting_id = meeting.id
        live_presence.join(ctx.db, ctx.user, meeting, ctx.sid)
        join_room(f"meeting:{meeting.id}")
        return {"overleg": state.meeting_state(ctx.db, ctx.user, meeting)}

    @live_event("hier")
    def on_hier(self, ctx: EventContext):
        """The browser's heartbeat (every 30 s): the guard refreshed this socket's presence. Not user activity:
        it does not extend the idle timeout, and it is what tells an idle tab that its session ended."""
        return {}

    @live_event("aanwezig")
    def on_aanwezig(self, ctx: EventContext):
        """Who is connected now (after an ``aanwezig`` notice): the meeting is checked as for its whole view."""
        return {"aanwezig": state.presence(ctx.db, self._meeting(ctx))}

    @live_event("overleg")
    def on_overleg(self, ctx: EventContext):
        meeting = self._meeting(ctx)
        self._drop_lost_rooms(ctx, meeting)
        return {"overleg": state.meeting_state(ctx.db, ctx.user, meeting)}

    @live_event("punt")
    def on_punt(self, ctx: EventContext):
        meeting = self._meeting(ctx)
        item_id = ctx.get("punt", label="Het agendapunt")
        presence = self._presence(ctx)
        refusal.when_refused(lambda _exc: self._leave(ctx, presence, item_id))  # e.g. no longer in the circle
        item = loaders.load_item(ctx.db, ctx.user, meeting, item_id)
        if live_presence.enter_item(ctx.db, presence, item):
            join_room(f"item:{item.id}")
            join_room(f"case:{item.case_id}")
        if ctx.state.editing and ctx.state.viewing != item.id:  # moved on: no longer typing in the other item
            self._stop_editing(ctx, presence)
        ctx.state.viewing = item.id
        return {"punt": state.item_state(ctx.db, ctx.user, meeting, item)}

    # ------------------------------------------------------------------ chairing
    @live_event("starten", dedup=True)
    def on_starten(self, ctx: EventContext):
        chairing.start(ctx.db, ctx.user, self._meeting(ctx))

    @live_event("volgende", dedup=True)
    def on_volgende(self, ctx: EventContext):
        live = chairing.goto(ctx.db, ctx.user, self._meeting(ctx), ctx.get("punt", required=False))
        return {"huidig_punt": live.current_agenda_item_id}

    @live_event("sluiten", dedup=True)
    def on_sluiten(self, ctx: EventContext):
        chairing.close(ctx.db, ctx.user, self._meeting(ctx))

    # ------------------------------------------------------------------ minutes and decisions
    @live_event("stuk_nieuw", dedup=True)
    def on_stuk_nieuw(self, ctx: EventContext):
        meeting = self._meeting(ctx)
        item = loaders.load_item(ctx.db, ctx.user, meeting, ctx.get("punt", label="Het agendapunt"))
        piece = services.create_piece(ctx.db, ctx.user, meeting, item, kind=ctx.payload.get("soort") or "notulen",
                                      content=ctx.payload.get("tekst"), category=ctx.payload.get("categorie"),
                                      person_ids=ctx.payload.get("personen"))
        return {"stuk": piece.id, "versie": piece.version}

    @live_event("stuk_opslaan", dedup=True)
    def on_stuk_opslaan(self, ctx: EventContext):
        piece = services.save_piece(ctx.db, ctx.user, self._meeting(ctx), ctx.get("stuk", label="De tekst"),
                                    base_version=ctx.get("versie", label="De versie"),
                                    content=ctx.payload.get("tekst"), reason=ctx.payload.get("reden") or "")
        if ctx.state.editing:  # only this socket's own "bewerken" marks its presence as editing
            live_presence.set_editing(ctx.db, self._presence(ctx), None)
            db.after_commit(lambda: setattr(ctx.state, "editing", False))
        return {"stuk": piece.id, "versie": piece.version}

    @live_event("stuk_sync")
    def on_stuk_sync(self, ctx: EventContext):
        """Co-editing: the piece's updates this socket's replica lacks (and whether it may write)."""
        return coedit.sync(ctx.db, ctx.user, self._meeting(ctx), ctx.get("stuk", label="De tekst"),
                           ctx.payload.get("vector"))

    @live_event("stuk_update", activity=True)  # typing is the user's own action
    def on_stuk_update(self, ctx: EventContext):
        """Co-editing: merge this socket's update; the others get it after the commit."""
        piece = coedit.apply_update(ctx.db, ctx.user, self._meeting_id(ctx), ctx.get("stuk", label="De tekst"),
                                    ctx.payload.get("update"), origin_sid=ctx.sid)
        return {"stuk": piece.id, "versie": piece.version}

    @live_event("bewerken", activity=True)  # typing is the user's own action
    def on_bewerken(self, ctx: EventContext):
        """Mark the piece this socket types in ({stuk, versie}: the version the text started from), or none
        ({stuk: null}: the browser sends it a few seconds after the last key)."""
        meeting = self._meeting(ctx)
        piece_id = ctx.get("stuk", required=False)
        base_version = ctx.get("versie", required=False)
        piece = None
        if piece_id is not None:
            piece, _item = loaders.load_piece(ctx.db, ctx.user, meeting, piece_id)
            if live_presence.mark_overtaken(ctx.user, piece, base_version):
                piece = None
        presence = self._presence(ctx)
        before = presence.editing_piece_id
        live_presence.set_editing(ctx.db, presence, piece.id if piece else None)
        ctx.state.editing = ctx.state.editing or piece is not None  # cleared when a save has cleared the row
        for changed in {before, piece.id if piece else None} - {None}:
            self._notify_piece(ctx, changed)

    @live_event("afwijkend", dedup=True)
    def on_afwijkend(self, ctx: EventContext):
        dissent = services.add_dissent(ctx.db, ctx.user, self._meeting(ctx), ctx.get("stuk", label="Het besluit"),
                                       ctx.payload.get("reden"))
        return {"afwijkend": dissent.id}

    # ------------------------------------------------------------------ scores and actions
    @live_event("ronde_open", dedup=True)
    def on_ronde_open(self, ctx: EventContext):
        meeting, item = self._item(ctx)
        return {"ronde": scores.open_round(ctx.db, ctx.user, meeting, item).id}

    @live_event("ronde_sluiten", dedup=True)
    def on_ronde_sluiten(self, ctx: EventContext):
        meeting, item = self._item(ctx)
        return {"ronde": scores.close_round(ctx.db, ctx.user, meeting, item).id}

    @live_event("score", dedup=True)
    def on_score(self, ctx: EventContext):
        meeting, item = self._item(ctx)
        scores.enter_score(ctx.db, ctx.user, meeting, item, ctx.payload.get("score"))

    @live_event("actie", dedup=True)
    def on_actie(self, ctx: EventContext):
        meeting, item = self._item(ctx)
        p = ctx.payload
        action = services.add_action(
            ctx.db, ctx.user, meeting, item, description=p.get("omschrijving"), deadline=p.get("deadline"),
            owner_user_id=ctx.get("eigenaar_gebruiker", required=False),
            owner_organisation_id=ctx.get("eigenaar_organisatie", required=False),
            owner_is_family=p.get("eigenaar_gezin") is True, category=p.get("categorie"),
            allow_past_deadline=p.get("termijn_bevestigd") is True)
        return {"actie": action.id}

    # ------------------------------------------------------------------ helpers
    def _meeting_id(self, ctx: EventContext) -> int:
        """The meeting this socket joined (whose access the caller still checks)."""
        if ctx.state.meeting_id is None:
            raise LiveError("Neem eerst deel aan een overleg.")
        return ctx.state.meeting_id

    def _meeting(self, ctx: EventContext):
        return loaders.load_meeting(ctx.db, ctx.user, self._meeting_id(ctx))

    def _item(self, ctx: EventContext):
        meeting = self._meeting(ctx)
        return meeting, loaders.load_item(ctx.db, ctx.user, meeting, ctx.get("punt", label="Het agendapunt"))

    def _presence(self, ctx: EventContext):
        presence = live_presence.presence_of(ctx.db, ctx.sid)
        if presence is None:
            raise LiveError("Neem eerst deel aan een overleg.")
        return presence

    def _notify_piece(self, ctx: EventContext, piece_id: int) -> None:
        piece = ctx.db.get(LivePiece, piece_id)
        if piece is not None:
            services.notify_item(piece.agenda_item_id, piece_id)

    def _stop_editing(self, ctx: EventContext, presence) -> None:
        """Clear this socket's "being edited by" mark (the others get the piece without it, after the commit)."""
        before = presence.editing_piece_id
        live_presence.set_editing(ctx.db, presence, None)
        db.after_commit(lambda: setattr(ctx.state, "editing", False))
        if before is not None:
            self._notify_piece(ctx, before)

    def _leave(self, ctx: EventContext, presence, item_id: int) -> None:
        """Leave an item room this user may no longer enter (kept by the unit of work's commit)."""
        if item_id in presence.room_ids:
            item = ctx.db.get(AgendaItem, item_id)
            leave_room(f"item:{item_id}")
            if item is not None and item.case_id:
                leave_room(f"case:{item.case_id}")
            live_presence.leave_item(ctx.db, presence, item_id)
            db.commit()

    def _drop_lost_rooms(self, ctx: EventContext, meeting) -> None:
        presence = self._presence(ctx)

        for item_id in presence.room_ids:
            item = ctx.db.get(AgendaItem, item_id)
            if not access.may_enter(ctx.db, ctx.user, meeting, item):
                leave_room(f"item:{item_id}")
                if item is not None and item.case_id:
                    leave_room(f"case:{item.case_id}")
                live_presence.leave_item(ctx.db, presence, item_id)
