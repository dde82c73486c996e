"""Invitation, update, cancellation and reminder e-mails (sent only after the commit).

A person gets one message per meeting or series, however many of its case items they are
invited for. Each calendar object (one UID, with its overrides) is its own iTIP
``METHOD:REQUEST`` or ``METHOD:CANCEL`` attachment in that message, as RFC 5546 requires (one
UID per iTIP object): someone invited for two case items gets one message with two
attachments, each of which adds or updates one appointment. Subject, body and
attachment hold the meeting's title, its times and place, the pseudonymous case
reference (for those in the case's circle) and a link; never a person's data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import g
from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import clock, mail
from mda.core.timeutil import as_utc, format_local
from mda.core.workdays import add_working_days
from mda.meetings import ics
from mda.meetings.agendas import type_name
from mda.meetings.calendars import CalendarBuilder, meeting_url
from mda.meetings.feeds import reminders_of
from mda.meetings.models import AgendaItem, Invitation, Meeting
from mda.notices import services as notices

if TYPE_CHECKING:
    from collections.abc import Iterable

SUBJECTS = {"uitnodiging": "Uitnodiging", "wijziging": "Gewijzigd", "annulering": "Geannuleerd"}
FOOTER = ("Dit bericht bevat bewust geen gegevens van de personen in een casus: alleen het kenmerk van de "
          "casus, de titel van het overleg en een link. Antwoorden vanuit uw agendaprogramma komen niet in "
          "MDA++ aan; beantwoord de uitnodiging via de link.")


@contextmanager
def suppressed() -> Iterator[None]:
    """No invitation e-mail inside this block (loading demo data: the fictional people get no mail)."""
    g.mda_meeting_mail_off = True
    try:
        yield
    finally:
        g.mda_meeting_mail_off = False


def _mail(to: list[str], subject: str, body: str, attachments: list[mail.Attachment] = ()) -> None:
    if not g.get("mda_meeting_mail_off"):
        mail.send(to, subject, body, attachments=attachments)


#: an invitation, change or cancellation of a meeting that starts within this many working days goes at once,
#: whatever the invitee chose (docs/notifications.md): a digest could arrive after the meeting began
URGENT_WORKING_DAYS = 2


def urgent(start) -> bool:
    """Does a meeting starting at *start* begin within :data:`URGENT_WORKING_DAYS` working days from now?"""
    return as_utc(start) <= add_working_days(clock.now(), URGENT_WORKING_DAYS)


def _when(spec: ics.EventSpec) -> str:
    return f"{format_local(spec.start, '%d-%m-%Y %H:%M')}–{format_local(spec.end, '%H:%M')}"


def _body(user: User, meeting: Meeting, kind: str, spec: ics.EventSpec,
          items: list[ics.EventSpec] = ()) -> str:
    organizer = spec.organizer.name
    opening = {
        "uitnodiging": f"{organizer} nodigt u uit voor {type_name(meeting.type_code)} \"{meeting.title}\".",
        "wijziging": f"{type_name(meeting.type_code)} \"{meeting.title}\" is gewijzigd. De bijlage werkt uw "
                     "agenda bij.",
        "annulering": f"{type_name(meeting.type_code)} \"{meeting.title}\" gaat niet door. De bijlage haalt het "
                      "uit uw agenda.",
    }[kind]
    lines = [f"Beste {user.name},", "", opening, "", f"Wanneer: {_when(spec)} (Nederlandse tijd)"]
    if spec.rrule:
        lines.append("Dit is een reeks; de bijlage bevat alle bijeenkomsten waarvoor u bent uitgenodigd.")
    if meeting.location:
        lines.append(f"Waar: {meeting.location}")
    if meeting.online_link:
        lines.append(f"Online: {meeting.online_link}")
    labelled = [e for e in items if e.item_label] or ([spec] if spec.item_label else [])
    if len(labelled) == 1:
        lines.append(f"Uw agendapunt: {labelled[0].item_label}")
    elif labelled:
        lines.append("Uw agendapunten (elk als eigen afspraak in de bijlagen):")
        lines += [f"- {e.item_label}: {_when(e)}" for e in labelled]
    if kind != "annulering":
        lines += ["", "Beantwoord de uitnodiging (komt, komt niet, onder voorbehoud of delegeren aan een collega):"]
    lines += [meeting_url(meeting), "", FOOTER]
    return "\n".join(lines)


def _send(db: Session, user: User, meeting: Meeting, kind: str, events: list[ics.EventSpec]) -> int:
    """One message with one attachment per calendar object (UID); returns the number of messages queued (1)."""
    by_uid: dict[str, list[ics.EventSpec]] = defaultdict(list)
    for event in events:
        by_uid[event.uid].append(event)
    method = "CANCEL" if kind == "annulering" else "REQUEST"
    reminders = reminders_of(db, user)
    attachments, mains = [], []
    stem = "uitnodiging" if method == "REQUEST" else "annulering"
    for n, group in enumerate(by_uid.values(), start=1):
        main = next((e for e in group if e.recurrence_id is None), group[0])
        mains.append(main)
        content = ics.render(group, method=method, reminders=reminders)
        attachments.append(mail.Attachment(f"{stem}.ics" if len(by_uid) == 1 else f"{stem}-{n}.ics", content,
                                           "text", "calendar", {"method": method, "charset": "utf-8"}))
    first = min(mains, key=lambda e: e.start)
    title = first.summary if len(mains) == 1 else meeting.title
    subject = f"{SUBJECTS[kind]}: {title} ({format_local(first.start, '%d-%m-%Y %H:%M')})"
    if not g.get("mda_meeting_mail_off"):
        notices.send(db, user, "uitnodigingen", subject,
                     _body(user, meeting, kind, first, mains if len(mains) > 1 else ()), attachments=attachments,
                     required=any(urgent(e.start) for e in mains))
    return 1


def _active(db: Session, meeting_ids: Iterable[int]) -> list[Invitation]:
    ids = list(meeting_ids)
    if not ids:
        return []
    return list(db.exec(select(Invitation).where(Invitation.meeting_id.in_(ids), Invitation.withdrawn_at.is_(None),
                                                 Invitation.response != "gedelegeerd")))


def send_requests(db: Session, meetings: list[Meeting], kind: str = "wijziging",
                  user_ids: set[int] | None = None) -> int:
    """Send (updated) invitations about *meetings* to their invitees (or only to *user_ids*)."""
    per_user: dict[int, list[Meeting]] = defaultdict(list)
    by_id = {m.id: m for m in meetings}
    for inv in _active(db, by_id):
        if user_ids is None or inv.user_id in user_ids:
            per_user[inv.user_id].append(by_id[inv.meeting_id])
    sent = 0
    for user_id, theirs in per_user.items():
        user = db.get(User, user_id)
        if user is None or not user.active:
            continue
        builder = CalendarBuilder(db, user, include_declined=True)
        # one message per meeting or series, however many of its case items the person is invited for
        groups: dict[tuple, list[Meeting]] = defaultdict(list)
        for meeting in sorted(theirs, key=lambda m: m.starts_at):
            groups[("reeks", meeting.series_id) if meeting.series_id else ("overleg", meeting.id)].append(meeting)
        for group in groups.values():
            events, seen = [], set()
            for meeting in group:
                for event in builder.events([meeting], only_meeting=meeting):
                    key = (event.uid, event.recurrence_id)
                    if key not in seen:
                        seen.add(key)
                        events.append(event)
            if events:
                sent += _send(db, user, group[0], kind, events)
    return sent


def send_cancellations(db: Session, meeting: Meeting, invitations: Iterable[Invitation], *,
                       whole_series: bool = False, items: list[AgendaItem] | None = None) -> int:
    """Send METHOD:CANCEL for the meeting (one occurrence, the whole series) or for some case items."""
    sent = 0
    for inv in invitations:
        user = db.get(User, inv.user_id)
        if user is None or not user.active or inv.response == "gedelegeerd":
            continue
        events = CalendarBuilder(db, user, include_declined=True).cancellation(
            meeting, inv, whole_series=whole_series, items=items)
        if events:
            sent += _send(db, user, meeting, "annulering", events)
    return sent


def send_update_reminder(user: User, meeting: Meeting, references: list[str], deadline_text: str) -> None:
    """Ask a partner for their pre-meeting update (no personal data: references and a link)."""
    subject = f"Herinnering: update voor {type_name(meeting.type_code)} {format_local(meeting.starts_at, '%d-%m-%Y')}"
    body = "\n".join([
        f"Beste {user.name},", "",
        f"Voor {type_name(meeting.type_code)} \"{meeting.title}\" van {format_local(meeting.starts_at)} "
        f"ontbreekt nog de update van uw organisatie voor: {', '.join(references)}.",
        f"Wilt u die vóór {deadline_text} invullen? Wat is er gebeurd sinds de vorige keer, en hoe staat het "
        "met uw acties?", "", meeting_url(meeting), "", FOOTER])
    _mail([user.email], subject, body)
