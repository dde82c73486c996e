"""The live page and the plain-form fallback (works without websockets; reload to refresh).

Every route loads the meeting through :func:`mda.meetings.access.load_meeting_or_404` (404 for
the uninvited), then calls the same services as the socket handlers; their notices reach open
live views after the commit. A refused form shows the Dutch message with the user's own text
kept (and, for a stale save, the current text beside it) with status 422.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mda import db
from mda.cases.models import Item
from mda.core import refusal, sharing
from mda.core.permissions import require_permission
from mda.live import access, bp, chairing, loaders, minutes, scores, services, state
from mda.live.models import LivePiece
from mda.meetings import access as meeting_access
from mda.meetings.models import AgendaItem


def _meeting(meeting_id: int):
    s = db.session()
    meeting = meeting_access.load_meeting_or_404(s, current_user, meeting_id)
    if not access.may_join(s, current_user, meeting):
        meeting_access.deny(s, current_user, meeting_id, "live overleg zonder recht")
        abort(403)
    return meeting


def _back(meeting_id: int, item_id: int | None = None):
    return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor=f"live-punt-{item_id}" if item_id
                            else "live"))


def _on_refusal(meeting, **kept) -> None:
    """Declare the page a refused plain form shows: the message (flashed by the one handler) with the user's own
    text kept and, for a stale save, the current text beside it. 403/404 get the error page."""
    refusal.on_refusal(lambda exc: render_template(
        "live/refused.html", meeting=meeting, message=exc.message, extra=getattr(exc, "extra", {}),
        field=exc.field or "", kept=kept))


@bp.route("/<int:meeting_id>/live")
@login_required
@require_permission("meeting.attend")
def view(meeting_id: int):
    """The live view: the page shell; the socket fills it (and falls back to the meeting page)."""
    meeting = _meeting(meeting_id)
    return render_template("live/view.html", meeting=meeting,
                           overleg=state.meeting_state(db.session(), current_user, meeting))


@bp.route("/<int:meeting_id>/live/actief", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def active(meeting_id: int):
    """The live page's user changed or typed something over the socket: this request (CSRF-checked as any other)
    carries that activity to the login session, whose idle timeout pages read from the cookie. The page sends it
    at most once a minute, only after the user's own action (never for a heartbeat). Nothing is changed."""
    _meeting(meeting_id)
    return "", 204


def _form_item(meeting, item_id: int) -> AgendaItem:
    return loaders.load_item(db.session(), current_user, meeting, item_id)  # refused: 404


@bp.route("/<int:meeting_id>/live/voorzitter/<any(starten, volgende, sluiten):step>", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def chair(meeting_id: int, step: str):
    """Chairing without the live view: start, next item, close."""
    meeting = _meeting(meeting_id)
    fn = {"starten": chairing.start, "volgende": chairing.goto, "sluiten": chairing.close}[step]
    _on_refusal(meeting)
    fn(db.session(), current_user, meeting)
    flash({"starten": "Het overleg is gestart.", "volgende": "Door naar het volgende agendapunt.",
           "sluiten": "Het overleg is gesloten."}[step], "success")
    return _back(meeting_id)


@bp.route("/<int:meeting_id>/live/punten/<int:item_id>/stukken", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def new_piece(meeting_id: int, item_id: int):
    """Add minutes or a decision with a plain form."""
    meeting = _meeting(meeting_id)
    item = _form_item(meeting, item_id)
    form = request.form
    _on_refusal(meeting, tekst=form.get("tekst", ""))
    services.create_piece(db.session(), current_user, meeting, item, kind=form.get("soort", "notulen"),
                          content=form.get("tekst"), category=form.get("categorie"))
    flash("Opgeslagen.", "success")
    return _back(meeting_id, item_id)


@bp.route("/<int:meeting_id>/live/stukken/<int:piece_id>", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def save_piece(meeting_id: int, piece_id: int):
    """Save a piece with a plain form; a stale version is refused with both texts shown."""
    meeting = _meeting(meeting_id)
    form = request.form
    version = form.get("versie", "")
    _on_refusal(meeting, tekst=form.get("tekst", ""), stuk=piece_id, reden=form.get("reden", ""), versie=version)
    piece = services.save_piece(db.session(), current_user, meeting, piece_id,
                                base_version=int(version) if version.isdigit() else None,
                                content=form.get("tekst"), reason=form.get("reden", ""))
    flash("Opgeslagen.", "success")
    return _back(meeting_id, piece.agenda_item_id)


@bp.route("/<int:meeting_id>/live/stukken/<int:piece_id>/afwijkend", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def dissent(meeting_id: int, piece_id: int):
    """Record dissent on a decision with a plain form."""
    meeting = _meeting(meeting_id)
    _on_refusal(meeting, tekst=request.form.get("reden", ""))
    row = services.add_dissent(db.session(), current_user, meeting, piece_id, request.form.get("reden"))
    flash("Uw afwijkende standpunt is vastgelegd.", "success")
    return _back(meeting_id, db.session().get(LivePiece, row.piece_id).agenda_item_id)


@bp.route("/<int:meeting_id>/live/punten/<int:item_id>/acties", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def new_action(meeting_id: int, item_id: int):
    """Add an action (owner and deadline) with a plain form."""
    meeting = _meeting(meeting_id)
    item = _form_item(meeting, item_id)
    form = request.form
    owner = form.get("eigenaar", "")  # empty: "Kies een eigenaar" (the plan refuses an action without owner)
    kind, _, raw = owner.partition(":")
    owner_id = int(raw) if raw.isdigit() else None
    _on_refused_action(meeting, item)
    services.add_action(db.session(), current_user, meeting, item, description=form.get("omschrijving"),
                        deadline=form.get("deadline") or None,
                        owner_user_id=owner_id if kind == "gebruiker" else None,
                        owner_organisation_id=owner_id if kind == "organisatie" else None,
                        owner_is_family=kind == "gezin", category=form.get("categorie"),
                        allow_past_deadline=bool(form.get("termijn_bevestigd")))
    flash("De actie is vastgelegd.", "success")
    return _back(meeting_id, item_id)


def _on_refused_action(meeting, item: AgendaItem) -> None:
    """Declare the page a refused plain action form shows: the message, and the form again with what the user
    entered (description, owner, deadline) and the confirmation of a past deadline, so that it can be sent again
    without typing it twice. The owners offered are the live view's (read only when the form is refused)."""
    form = request.form
    kept = {"tekst": form.get("omschrijving", ""), "actie": {
        "punt": item.id, "eigenaar": form.get("eigenaar", ""), "deadline": form.get("deadline", ""),
        "categorie": form.get("categorie", "")}}

    def render(exc):
        s = db.session()
        ctx = loaders.case_context(s, s.get(AgendaItem, kept["actie"]["punt"]))
        offered = state.owner_choices(s, {ctx.case.id: ctx})[ctx.case.id] if ctx is not None else []
        # the plain form's values (gebruiker:12, organisatie:3, gezin) for the live view's (u:12, o:3, gezin)
        plain = {"u": "gebruiker", "o": "organisatie"}
        kept["actie"]["eigenaren"] = [
            (f"{plain[o['waarde'][0]]}:{o['waarde'][2:]}" if o["waarde"][:2] in ("u:", "o:") else o["waarde"],
             o["naam"]) for o in offered]
        return render_template("live/refused.html", meeting=meeting, message=exc.message, extra={},
                               field=exc.field or "", kept=kept)

    refusal.on_refusal(render)


@bp.route("/<int:meeting_id>/live/punten/<int:item_id>/score", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def score(meeting_id: int, item_id: int):
    """Open or close a score round (chair) or enter a score, with a plain form."""
    meeting = _meeting(meeting_id)
    item = _form_item(meeting, item_id)
    step = request.form.get("stap", "score")
    s = db.session()
    _on_refusal(meeting)
    if step == "openen":
        scores.open_round(s, current_user, meeting, item)
    elif step == "sluiten":
        scores.close_round(s, current_user, meeting, item)
    else:
        scores.enter_score(s, current_user, meeting, item, request.form.get("score", ""))
    flash("Vastgelegd.", "success")
    return _back(meeting_id, item_id)


@bp.route("/<int:meeting_id>/live/notulen/<any(review, definitief):step>", methods=["POST"])
@login_required
@require_permission("meeting.attend")
def minutes_status(meeting_id: int, step: str):
    """Send the minutes for review, or make them final (chair, coordinator or minute-taker)."""
    meeting = _meeting(meeting_id)
    _on_refusal(meeting)
    (minutes.send_for_review if step == "review" else minutes.finalise)(db.session(), current_user, meeting)
    flash("De notulen zijn ter controle gestuurd." if step == "review" else "De notulen zijn definitief.", "success")
    return _back(meeting_id)


@bp.route("/<int:meeting_id>/live/stukken/<int:piece_id>/revisies")
@login_required
@require_permission("meeting.attend")
def revisions(meeting_id: int, piece_id: int):
    """Two revisions of a piece side by side (the engine decides on the piece's item first)."""
    meeting = _meeting(meeting_id)
    s = db.session()
    piece, item = loaders.load_piece(s, current_user, meeting, piece_id)  # refused: 404 (or 403), no page
    ctx = loaders.case_context(s, item)
    view = sharing.items_view(s, current_user, ctx, {piece.item_id}, channel="notulenrevisies")[piece.item_id]
    rows = sharing.revision_views(view, state.revisions(s, piece))
    by_version = {r.version: r for r in rows}

    def pick(name: str, default: int) -> int:
        raw = request.args.get(name, "")
        return int(raw) if raw.isdigit() and int(raw) in by_version else default

    newest = rows[0].version
    right = pick("b", newest)
    left = pick("a", max(1, right - 1))
    return render_template("live/revisions.html", meeting=meeting, piece=piece, view=view, revisions=rows,
                           left=by_version[left], right=by_version[right],
                           category=s.get(Item, piece.item_id).category)
