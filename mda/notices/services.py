"""Sending a notice to a user the way they chose: at once, or held for the daily digest.

Every feature that mails a person about something that happened (an action's deadline, an escalation step, an
invitation, minutes to review, a proposal to approve) calls :func:`send` with the kind of notice instead of
:func:`mda.core.mail.send`. A notice the law or the covenant requires at once (``required=True``, decided by the
sender: see docs/notifications.md) always goes at once, whatever the user chose. Security mails (setting a
password) and mail to an organisation's mailbox never pass here: they always go at once.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit, clock, mail
from mda.notices.models import DEFAULTS, DELIVERIES, DIGEST, DIRECT, KINDS, DigestNotice, NoticePreference


def preferences(db: Session, user: User) -> dict[str, str]:
    """kind -> ``direct`` or ``overzicht`` for *user* (the defaults where they never chose)."""
    chosen = {p.kind: p.delivery for p in db.exec(select(NoticePreference).where(NoticePreference.user_id == user.id))}
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in KINDS}


def set_preferences(db: Session, user: User, choices: dict[str, str]) -> list[str]:
    """Store *user*'s choices (kind -> delivery); returns the kinds that changed, audited in one row."""
    unknown = [k for k, v in choices.items() if k not in KINDS or v not in DELIVERIES]
    if unknown:
        raise ValueError(f"unknown kind or delivery: {unknown}")
    rows = {p.kind: p for p in db.exec(select(NoticePreference).where(NoticePreference.user_id == user.id))}
    current = preferences(db, user)
    changed = [kind for kind in KINDS if kind in choices and choices[kind] != current[kind]]
    now = clock.now()
    for kind in changed:
        row = rows.get(kind)
        if row is None:
            db.add(NoticePreference(user_id=user.id, kind=kind, delivery=choices[kind], updated_at=now))
        else:
            row.delivery, row.updated_at = choices[kind], now
    if changed:
        db.flush()
        audit.record(db, "update", user=user, object_type="notice_preference", object_id=user.id,
                     summary="meldingsvoorkeuren gewijzigd: " + ", ".join(f"{k}={choices[k]}" for k in changed))
    return changed


def send(db: Session, user: User, kind: str, subject: str, body: str,
         attachments: list[mail.Attachment] = (), *, required: bool = False, case_id: int | None = None) -> str:
    """Mail *user* at once, or hold the notice for their daily digest; returns ``direct`` or ``overzicht``.

    *required*: the law or the covenant wants this notice at once (docs/notifications.md), so the user's choice
    does not delay it. Either way nothing leaves before the commit: the direct mail is queued with
    :func:`mail.send`, the held notice is a row of the same unit of work.

    *case_id*: the case the notice is about (if any); the digest leaves the notice out when *user* may no longer
    open that case by the time it goes out (:mod:`mda.notices.digest`).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if required or preferences(db, user)[kind] == DIRECT:
        mail.send([user.email], subject, body, attachments=attachments)
        return DIRECT
    held = [{"filename": a.filename, "maintype": a.maintype, "subtype": a.subtype, "params": a.params,
             "content": a.content.decode("utf-8")} for a in attachments]
    db.add(DigestNotice(user_id=user.id, kind=kind, case_id=case_id, subject=subject[:300], body=body,
                        attachments=json.dumps(held) if held else None, created_at=clock.now()))
    return DIGEST
