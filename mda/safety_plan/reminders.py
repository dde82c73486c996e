"""Reminder e-mails for plan actions: a configurable number of days before, and on the deadline.

Each reminder is sent once per action, deadline and kind, also when the job runs in two
processes at once: the :func:`mda.jobs.claim` mark is stored in the same unit of work as the
queued e-mail, and the e-mail leaves only after that commit. The e-mail holds only the
pseudonymous case reference, the action number, the deadline and a link; never the action's
text or names of the family.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlmodel import Session, or_, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, mail
from mda.core.timeutil import LOCAL_TZ
from mda.jobs import claim, job
from mda.safety_plan.models import OPEN_STATUSES, PlanAction

JOB_NAME = "actieherinneringen"


def reminder_days() -> int:
    """How many days before the deadline the first reminder goes out (``MDA_ACTION_REMINDER_DAYS``)."""
    return int(current_app.config.get("ACTION_REMINDER_DAYS", 3))


def due_reminders(db: Session, today: date) -> list[tuple[PlanAction, str]]:
    """Open actions with a professional owner whose reminder falls today: (action, "vooraf" | "termijn")."""
    ahead = today + timedelta(days=reminder_days())
    actions = db.exec(select(PlanAction).where(
        PlanAction.removed_at.is_(None), PlanAction.status.in_(OPEN_STATUSES),
        PlanAction.owner_user_id.is_not(None),
        or_(PlanAction.deadline == today, PlanAction.deadline == ahead)).order_by(PlanAction.id)).all()
    return [(a, "termijn" if a.deadline == today else "vooraf") for a in actions]


@job(JOB_NAME)
def send_action_reminders(db: Session, now: datetime) -> int:
    """Herinneringen voor acties: N dagen vóór de termijn en op de termijn zelf."""
    today = now.astimezone(LOCAL_TZ).date()
    sent = 0
    due = due_reminders(db, today)
    if not due:
        return 0
    owners = {u.id: u for u in db.exec(select(User).where(User.id.in_({a.owner_user_id for a, _ in due})))}
    cases = {c.id: c for c in db.exec(select(Case).where(Case.id.in_({a.case_id for a, _ in due})))}
    for action, kind in due:
        owner, case = owners.get(action.owner_user_id), cases.get(action.case_id)
        if owner is None or not owner.active or case is None or case.purged_at is not None:
            continue
        if not claim(db, f"actie:{action.id}:{action.deadline.isoformat()}:{kind}", JOB_NAME):
            continue
        _send(owner, case, action, kind)
        audit.record(db, "create", user_name="taak:" + JOB_NAME, object_type="plan_action", object_id=action.id,
                     case_id=case.id, summary=f"herinnering ({kind}) voor actie {action.id} van {case.reference} "
                                              f"verstuurd aan gebruiker {owner.id}")
        sent += 1
    return sent


def _send(owner: User, case: Case, action: PlanAction, kind: str) -> None:
    when = (f"vandaag ({action.deadline:%d-%m-%Y})" if kind == "termijn"
            else f"over {reminder_days()} dag(en), op {action.deadline:%d-%m-%Y}")
    link = mail.public_url("safety_plan.my_actions")
    body = "\n".join([
        f"Beste {owner.name},", "",
        f"De termijn van actie {action.id} in het veiligheidsplan van casus {case.reference} verloopt {when}.",
        "Bekijk de actie en werk de status bij in MDA++:", link, "",
        "Dit bericht bevat bewust geen inhoud van de casus.", "",
        "MDA++ (automatisch bericht)"])
    subject = (f"Termijn vandaag: actie {action.id}, casus {case.reference}" if kind == "termijn"
               else f"Herinnering: actie {action.id}, casus {case.reference}")
    mail.send([owner.email], subject, body)
