"""A daily digest of the pre-meeting updates a professional's organisation still owes.

Instead of one e-mail per meeting (or per occurrence of a series), each professional gets at
most one e-mail a day listing every coming meeting whose update deadline falls within
:data:`DAYS_AHEAD` days and for which their organisation has not written its update yet. The
job's :func:`mda.jobs.claim` mark (user and day) is stored in the same unit of work as the
queued e-mail, which leaves only after that commit: two runs at once send it once. The e-mail
holds meeting labels (titles are checked to name nobody), case references, deadlines and links: only references
of cases the recipient may open (the sharing engine's rule 1, asked when the digest is made; a whole-meeting
invitee outside one case's circle is not asked about that case).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, mail, sharing
from mda.core.timeutil import LOCAL_TZ, format_local
from mda.jobs import claim, job
from mda.meetings.access import coming
from mda.meetings.agendas import label
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting, MeetingUpdate

JOB_NAME = "updateherinneringen"
#: how many days before an update deadline the digest starts mentioning it
DAYS_AHEAD = 2


def owed(db: Session, now: datetime) -> dict[int, list[tuple[Meeting, str]]]:
    """User id -> (meeting, case reference) of every update their organisation still owes with a deadline
    from *now* to :data:`DAYS_AHEAD` days ahead, for cases the user may open (one query for everyone, then the
    engine's rule 1 per user and case on the contexts of the cases named)."""
    deadline = func.coalesce(Meeting.update_deadline, Meeting.starts_at)
    covered = or_(Invitation.whole_meeting.is_(True), exists().where(
        InvitationItem.invitation_id == Invitation.id, InvitationItem.agenda_item_id == AgendaItem.id))
    given = exists().where(MeetingUpdate.agenda_item_id == AgendaItem.id,
                           MeetingUpdate.organisation_id == User.organisation_id)
    rows = db.exec(
        select(User, Meeting, Case).select_from(Invitation)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .join(AgendaItem, and_(AgendaItem.meeting_id == Meeting.id, AgendaItem.kind == "casus"))
        .join(Case, Case.id == AgendaItem.case_id)
        .join(User, User.id == Invitation.user_id)
        .where(Invitation.withdrawn_at.is_(None), Invitation.role == "deelnemer",
               Invitation.response.not_in(("afgewezen", "gedelegeerd")), Meeting.status == "gepland",
               User.active.is_(True), Case.purged_at.is_(None),
               deadline > now, deadline <= now + timedelta(days=DAYS_AHEAD), coming(now), covered, ~given)
        .order_by(Invitation.user_id, deadline, Meeting.id, Case.reference))
    rows = list(rows)
    contexts = sharing.load_contexts(db, list({case.id: case for _u, _m, case in rows}.values()))
    result: dict[int, list[tuple[Meeting, str]]] = defaultdict(list)
    for user, meeting, case in rows:
        if sharing.can_open_case(user, case, contexts[case.id]):
            result[user.id].append((meeting, case.reference))
    return result


@job(JOB_NAME)
def send_update_digests(db: Session, now: datetime) -> int:
    """Eén bericht per dag per professional met de updates vooraf die de organisatie nog moet geven."""
    due = owed(db, now)
    if not due:
        return 0
    today = now.astimezone(LOCAL_TZ).date().isoformat()
    users = {u.id: u for u in db.exec(select(User).where(User.id.in_(list(due))))}
    sent = 0
    for user_id, rows in due.items():
        if not claim(db, f"updates:{user_id}:{today}", JOB_NAME):
            continue
        _send(users[user_id], rows)
        audit.record(db, "create", user_name="taak:" + JOB_NAME, object_type="meeting", object_id="",
                     summary=f"overzicht van {len(rows)} ontbrekende update(s) verstuurd aan gebruiker {user_id}")
        sent += 1
    return sent


def _send(user: User, rows: list[tuple[Meeting, str]]) -> None:
    from mda.meetings.updates import deadline_of

    by_meeting: dict[int, list[str]] = defaultdict(list)
    meetings: dict[int, Meeting] = {}
    for meeting, reference in rows:
        by_meeting[meeting.id].append(reference)
        meetings[meeting.id] = meeting
    lines = [f"Beste {user.name},", "",
             "Voor deze overleggen heeft uw organisatie nog geen update vooraf gegeven:", ""]
    for meeting_id, references in by_meeting.items():
        meeting = meetings[meeting_id]
        lines += [f"- {label(meeting.type_code, meeting.title)} op {format_local(meeting.starts_at)}: "
                  f"casus {', '.join(references)}; uiterlijk {format_local(deadline_of(meeting))}",
                  f"  {mail.public_url('meetings.show', meeting_id=meeting_id)}"]
    lines += ["", "U krijgt dit overzicht hoogstens één keer per dag. Het bevat bewust geen inhoud van de casussen.",
              "", "MDA++ (automatisch bericht)"]
    count = len(rows)
    mail.send([user.email], f"Nog {count} update{'s' if count != 1 else ''} vooraf te geven", "\n".join(lines))
