"""Score rounds on a case item: the chair opens and closes a round, each participant enters a score; a closed
round's scores are kept in the case's history."""

from __future__ import annotations

from sqlalchemy import exists, or_
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import sharing
from mda.core.timeutil import utcnow
from mda.live import plan_bridge
from mda.live.loaders import _require_open, case_context, live_of, require_chair
from mda.live.models import (
    LivePresence,
    LiveScore,
    LiveScoreRound,
)
from mda.live.services import notify_item
from mda.live.sockets import LiveError
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting


def open_round(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> LiveScoreRound:
    """The chair opens a safety-score round for the organisations present in the item now; when nobody is
    connected (the meeting page's plain forms, people in one room around one screen), for the organisations
    expected at the item: those recorded present, or else those invited for it who have not declined."""
    require_chair(user, meeting)
    _require_open(live_of(db, meeting))
    if current_round(db, item) is not None:
        raise LiveError("Er loopt al een scoreronde voor deze casus.")
    orgs = set()
    ctx = case_context(db, item)
    for row in db.exec(select(LivePresence).where(LivePresence.meeting_id == meeting.id)):
        member = db.get(User, row.user_id)
        if item.id in row.room_ids and member is not None and sharing.can_open_case(member, ctx.case, ctx):
            orgs.add(member.organisation_id)
    if not orgs:
        orgs = _expected_organisations(db, meeting, item, ctx)
    rnd = LiveScoreRound(meeting_id=meeting.id, agenda_item_id=item.id, case_id=item.case_id,
                         expected_org_ids=",".join(str(o) for o in sorted(orgs)), opened_by_id=user.id,
                         opened_at=utcnow())
    db.add(rnd)
    db.flush()
    notify_item(item.id)
    return rnd


def _expected_organisations(db: Session, meeting: Meeting, item: AgendaItem, ctx: sharing.CaseContext) -> set[int]:
    """The organisations of the participants of *item* who may open its case: of those recorded present, or, when
    no attendance is recorded, of those invited for the item (or the whole meeting) who have not declined."""
    covered = or_(Invitation.whole_meeting.is_(True), exists().where(
        InvitationItem.invitation_id == Invitation.id, InvitationItem.agenda_item_id == item.id))
    rows = db.exec(select(Invitation, User).join(User, User.id == Invitation.user_id).where(
        Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.role == "deelnemer",
        Invitation.response.not_in(("afgewezen", "gedelegeerd")), covered)).all()
    people = [(inv, user) for inv, user in rows if sharing.can_open_case(user, ctx.case, ctx)]
    present = [user for inv, user in people if inv.attendance == "aanwezig"]
    return {user.organisation_id for user in (present or [user for inv, user in people
                                                          if inv.attendance not in ("afwezig", "afgemeld")])}


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
        end_round(db, user, rnd)
    notify_item(item.id)
    return rnd


def close_round(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> LiveScoreRound:
    """The chair closes the round early: the scores given so far are shown and kept."""
    require_chair(user, meeting)
    rnd = current_round(db, item)
    if rnd is None:
        raise LiveError("Er loopt geen scoreronde voor deze casus.")
    end_round(db, user, rnd)
    notify_item(item.id)
    return rnd


def end_round(db: Session, user: User, rnd: LiveScoreRound) -> None:
    """Close *rnd* now and keep its scores in the case's history."""
    rnd.closed_at = utcnow()
    db.add(rnd)
    db.flush()
    scores = {s.organisation_id: s.score for s in db.exec(select(LiveScore).where(LiveScore.round_id == rnd.id))}
    ctx = sharing.load_context(db, db.get(Case, rnd.case_id))
    plan_bridge.record_scores(db, user, ctx, meeting_id=rnd.meeting_id, scores=scores, round_key=f"live-{rnd.id}")
