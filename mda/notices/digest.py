"""The daily digest: one e-mail per user with the notices they chose to receive that way.

On working days from :data:`DIGEST_HOUR` (Amsterdam time), once per user per day (:func:`mda.jobs.claim`, also
when the job runs often or in two processes): every held notice in the order it arose, grouped by kind, each with
the subject and text the direct e-mail would have had (without its greeting and sign-off), and the calendar files
of held invitations attached. The held rows are deleted in the same unit of work: nothing stays behind.

A notice about a case goes out only while the user may still open that case (:func:`sharing.can_open_case`, asked
when the digest is sent, not when the notice was held): someone taken off the circle, or whose case was purged,
in the meantime gets nothing about it, as they would get no direct mail about it any more.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, delete, select

from mda.auth.models import User
from mda.core import audit, mail, sharing
from mda.core.timeutil import LOCAL_TZ
from mda.core.workdays import is_working_day
from mda.jobs import claim, job
from mda.notices.models import KIND_TITLES, KINDS, DigestNotice

JOB_NAME = "dagelijks_overzicht"
#: the digest goes out from this hour (Amsterdam) on working days
DIGEST_HOUR = 7
#: footers each direct mail repeats; the digest says it once
_FOOTER_START = "Dit bericht bevat bewust geen"
_SIGN_OFF = "MDA++ (automatisch bericht)"


@job(JOB_NAME)
def send_digests(db: Session, now: datetime) -> int:
    """Eén dagelijks overzicht per gebruiker met de meldingen die hij of zij daarin wil ontvangen (werkdagen)."""
    local = now.astimezone(LOCAL_TZ)
    if not is_working_day(local.date()) or local.hour < DIGEST_HOUR:
        return 0
    today = local.date().isoformat()
    user_ids = list(db.exec(select(DigestNotice.user_id).distinct()))
    if not user_ids:
        return 0
    users = {u.id: u for u in db.exec(select(User).where(User.id.in_(user_ids)))}
    sent = 0
    for user_id in sorted(user_ids):
        user = users.get(user_id)
        if user is None or not user.active:  # a closed account gets nothing; its held notices go
            db.exec(delete(DigestNotice).where(DigestNotice.user_id == user_id))
            continue
        if not claim(db, f"overzicht:{user_id}:{today}", JOB_NAME):
            continue  # today's digest went out already: these wait for tomorrow's
        notices = list(db.exec(select(DigestNotice).where(DigestNotice.user_id == user_id)
                               .order_by(DigestNotice.id)))
        kept = still_allowed(db, user, notices)
        db.exec(delete(DigestNotice).where(DigestNotice.id.in_([n.id for n in notices])))
        summary = f"dagelijks overzicht met {len(kept)} melding(en) verstuurd aan gebruiker {user_id}"
        if len(kept) < len(notices):
            summary += f"; {len(notices) - len(kept)} vervallen (geen toegang meer tot de casus)"
        if kept:
            _send(user, kept)
            sent += 1
        audit.record(db, "create", user_name="taak:" + JOB_NAME, object_type="notice_preference", object_id=user_id,
                     summary=summary if kept else summary.replace("verstuurd", "niet verstuurd", 1))
    return sent


def still_allowed(db: Session, user: User, notices: list[DigestNotice]) -> list[DigestNotice]:
    """The *notices* *user* may still receive: those about no case, and those whose case the sharing engine lets
    *user* open now (rule 1, as the case page decides)."""
    case_ids = {n.case_id for n in notices if n.case_id is not None}
    if not case_ids:
        return notices
    cases = sharing.load_cases(db, case_ids)
    contexts = sharing.load_contexts(db, list(cases.values()))
    opens = {case_id for case_id, case in cases.items() if sharing.can_open_case(user, case, contexts[case_id])}
    return [n for n in notices if n.case_id is None or n.case_id in opens]


def _trim(body: str) -> list[str]:
    """The lines of a direct mail's body without its greeting, its footer and its sign-off."""
    lines = body.splitlines()
    if lines and lines[0].startswith("Beste "):
        lines = lines[1:]
    lines = [line for line in lines if not line.startswith(_FOOTER_START) and line != _SIGN_OFF]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def compose(user: User, notices: list[DigestNotice]) -> tuple[str, str, list[mail.Attachment]]:
    """Subject, body and attachments of *user*'s digest of *notices*."""
    by_kind: dict[str, list[DigestNotice]] = defaultdict(list)
    for notice in notices:
        by_kind[notice.kind].append(notice)
    lines = [f"Beste {user.name},", "",
             f"Dit is uw dagelijkse overzicht met {len(notices)} melding(en) die u hier in plaats van per losse "
             "e-mail ontvangt. Meldingen die niet mogen wachten krijgt u altijd direct.", ""]
    attachments: list[mail.Attachment] = []
    for kind in KINDS:
        if kind not in by_kind:
            continue
        lines += [KIND_TITLES[kind], "=" * len(KIND_TITLES[kind]), ""]
        for notice in by_kind[kind]:
            lines += [f"* {notice.subject}", *(f"  {line}" if line else "" for line in _trim(notice.body)), ""]
            for held in json.loads(notice.attachments or "[]"):
                attachments.append(mail.Attachment(f"{len(attachments) + 1}-{held['filename']}",
                                                   held["content"].encode("utf-8"), held["maintype"],
                                                   held["subtype"], held["params"]))
    lines += ["Dit overzicht bevat bewust geen inhoud van casussen: alleen kenmerken, titels, tijden en links.",
              "Wilt u een soort melding liever direct ontvangen? Kies dat bij E-mailinstellingen:",
              mail.public_url("notices.preferences"), "", _SIGN_OFF]
    return f"Dagelijks overzicht MDA++ ({len(notices)} melding{'en' if len(notices) != 1 else ''})", \
        "\n".join(lines), attachments


def _send(user: User, notices: list[DigestNotice]) -> None:
    subject, body, attachments = compose(user, notices)
    mail.send([user.email], subject, body, attachments=attachments)
