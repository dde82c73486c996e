"""Notifications of escalation steps: in the app (``notification`` rows) and by e-mail.

Both hold pseudonymous references only: the case reference, the escalation number, the
level and the deadline, and a link. Never a position, a name of the family or the subject
text. E-mails leave after the commit (:func:`mda.core.mail.send`); the in-app rows are part
of the same unit of work as the step that caused them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.core import clock, mail, sharing
from mda.core.timeutil import format_local, utcnow
from mda.escalations.models import Escalation, Notification
from mda.notices import services as notices

MESSAGES = {
    "raised": "Nieuwe escalatie {ref} in casus {case}: voeg uw standpunt toe (termijn {deadline}).",
    "position": "Escalatie {ref} in casus {case}: er is een standpunt toegevoegd.",
    "moved_up": "Escalatie {ref} in casus {case} ligt nu op niveau {level} (termijn {deadline}).",
    "auto_moved_up": "Termijn verstreken: escalatie {ref} in casus {case} ligt nu op niveau {level} "
                     "(termijn {deadline}).",
    "warned": "De termijn van escalatie {ref} in casus {case} (niveau {level}) verloopt op {deadline}.",
    "top_overdue": "De termijn van escalatie {ref} in casus {case} op het hoogste niveau is verstreken.",
    "decided": "Over escalatie {ref} in casus {case} is besloten: bekijk en bevestig het besluit.",
    "closed": "Escalatie {ref} in casus {case} is afgesloten: beide partijen bevestigden het besluit.",
    "withdrawn": "Escalatie {ref} in casus {case} is ingetrokken.",
}
#: who hears of each step: parties, the deciders of the (new) level, or both
AUDIENCE = {
    "raised": ("parties", "deciders"), "position": ("parties", "deciders"),
    "moved_up": ("parties", "deciders"), "auto_moved_up": ("parties", "deciders"),
    "warned": ("parties", "deciders"), "top_overdue": ("parties", "deciders"),
    "decided": ("parties",), "closed": ("parties", "deciders"), "withdrawn": ("parties", "deciders"),
}


#: steps a decider hears of at once whatever they chose: a deadline of the ladder runs for them (docs/notifications.md)
URGENT_FOR_DECIDERS = frozenset({"raised", "moved_up", "auto_moved_up", "warned", "top_overdue"})
#: steps everyone hears of at once: the decision changes the plan both parties carry out
URGENT_FOR_ALL = frozenset({"decided"})

_EMAIL = ContextVar("escalation_email", default=True)


@contextmanager
def without_email() -> Iterator[None]:
    """Within the block, notifications stay in the app (demo data: nobody is mailed)."""
    token = _EMAIL.set(False)
    try:
        yield
    finally:
        _EMAIL.reset(token)


def escalation_event(db: Session, ctx: sharing.CaseContext, esc: Escalation, event: str,
                     exclude: set[int] = frozenset()) -> int:
    """Notify the audience of *event*, in the app and by e-mail; returns how many people."""
    from mda.escalations import access

    people: dict[int, User] = {}
    decider_ids: set[int] = set()
    if "parties" in AUDIENCE[event]:
        people.update({u.id: u for u in access.party_users(db, ctx, esc)})
    if "deciders" in AUDIENCE[event] and esc.status in ("open", "in_behandeling", "afgesloten", "ingetrokken"):
        deciding = access.deciders(db, ctx, esc)
        decider_ids = {u.id for u in deciding}
        people.update({u.id: u for u in deciding})
    text = MESSAGES[event].format(ref=esc.reference, case=ctx.case.reference, level=esc.level,
                                  deadline=format_local(esc.deadline_at))
    link = mail.public_url("escalations.show", case_id=esc.case_id, escalation_id=esc.id)

    now = clock.now()
    sent = 0
    for user in people.values():
        if user.id in exclude or not user.active:
            continue
        db.add(Notification(user_id=user.id, case_id=esc.case_id, escalation_id=esc.id, text=text[:300],
                            url=f"/casussen/{esc.case_id}/escalaties/{esc.id}", created_at=now))
        if _EMAIL.get():
            urgent = event in URGENT_FOR_ALL or (event in URGENT_FOR_DECIDERS and user.id in decider_ids)
            notices.send(db, user, "escalaties", f"Escalatie {esc.reference}, casus {ctx.case.reference}",
                         "\n".join([f"Beste {user.name},", "", text, "", "Bekijk de escalatie in MDA++:", link, "",
                                    "Dit bericht bevat bewust geen inhoud van de casus.", "",
                                    "MDA++ (automatisch bericht)"]), required=urgent, case_id=esc.case_id)
        sent += 1
    db.flush()
    return sent


def unread_count(db: Session, user: User) -> int:
    """How many notifications *user* has not read."""
    return db.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).one()


def page(db: Session, user: User, *, page: int, per_page: int = 50) -> tuple[list[Notification], int]:
    """One page of *user*'s notifications, newest first, and the total."""
    total = db.exec(select(func.count()).select_from(Notification).where(Notification.user_id == user.id)).one()
    rows = db.exec(select(Notification).where(Notification.user_id == user.id)
                   .order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def mark_read(db: Session, user: User) -> int:
    """Mark all of *user*'s notifications read."""
    rows = db.exec(select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
    db.flush()
    return len(rows)
