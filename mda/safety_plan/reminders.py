"""Reminder e-mails for plan actions: before the deadline, on it, and after it until the action is closed.

- *vooraf*: a configurable number of days before the deadline;
- *termijn*: on the deadline;
- *te laat*: on the first working day after the deadline, and weekly after that (on the first working
  day of each following week of seven days), as long as the action is open ("open" or "bezig"). It stops
  when the action is done or marked "niet gelukt" (not possible / not undertaken), and starts over
  when the deadline is moved (a re-planned action has a new deadline).

Who is reminded: the professional who owns the action; for an action owned by an organisation as a
whole, its team leads who may open the case and the organisation's mailbox when one is set. Family
actions have no account to remind; the coordinator's overview lists them when they are overdue.

Each reminder is sent once per action, deadline, kind (and week, for *te laat*), also when the job
runs in two processes at once: the :func:`mda.jobs.claim` mark is stored in the same unit of work as
the queued e-mail, and the e-mail leaves only after that commit. The e-mail holds only the
pseudonymous case reference, the action number, the deadline and a link; never the action's text or
names of the family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlmodel import Session, and_, or_, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, mail, sharing
from mda.core.timeutil import LOCAL_TZ
from mda.core.workdays import is_working_day, next_working_day
from mda.jobs import claim, job
from mda.jobs.models import JobMark
from mda.notices import services as notices
from mda.organisations.models import Organisation
from mda.safety_plan.models import OPEN_STATUSES, PlanAction
from mda.safety_plan.organisation import TEAM_LEAD

JOB_NAME = "actieherinneringen"


def reminder_days() -> int:
    """How many days before the deadline the first reminder goes out (``MDA_ACTION_REMINDER_DAYS``)."""
    return int(current_app.config.get("ACTION_REMINDER_DAYS", 3))


def first_chase_day(deadline: date) -> date:
    """The first working day after *deadline*: the day of the first "te laat" reminder."""
    return next_working_day(deadline)


def reminder_key(action: PlanAction, today: date) -> tuple[str, str] | None:
    """The kind of reminder *action* is due for *today* and its idempotency key, or None.

    Overdue reminders are keyed by the week since the first one: a run on any working day of that
    week sends it once (so a day the job did not run, or a holiday, delays it, never skips it).
    """
    prefix = f"actie:{action.id}:{action.deadline.isoformat()}"
    if action.deadline == today:
        return "termijn", f"{prefix}:termijn"
    if action.deadline == today + timedelta(days=reminder_days()):
        return "vooraf", f"{prefix}:vooraf"
    first = first_chase_day(action.deadline)
    if action.deadline < today and today >= first and is_working_day(today):
        week = (today - first).days // 7
        return "te_laat", f"{prefix}:te_laat:{week}"
    return None


def due_reminders(db: Session, today: date) -> list[tuple[PlanAction, str, str]]:
    """Open actions with a professional or organisation as owner whose reminder is due today and not yet sent:
    (action, "vooraf" | "termijn" | "te_laat", idempotency key). Two queries, however many actions."""
    ahead = today + timedelta(days=reminder_days())
    actions = db.exec(select(PlanAction).where(
        PlanAction.removed_at.is_(None), PlanAction.status.in_(OPEN_STATUSES), PlanAction.owner_is_family.is_(False),
        or_(PlanAction.owner_user_id.is_not(None), PlanAction.owner_organisation_id.is_not(None)),
        or_(PlanAction.deadline <= today, PlanAction.deadline == ahead)).order_by(PlanAction.id)).all()
    due = [(a, *key) for a in actions if (key := reminder_key(a, today)) is not None]
    if not due:
        return []
    sent = set(db.exec(select(JobMark.key).where(JobMark.key.in_([k for _a, _kind, k in due]))))
    return [(a, kind, key) for a, kind, key in due if key not in sent]


@dataclass
class Recipients:
    """Who receives the reminders of a batch: accounts by id, and organisations' mailboxes."""

    users: dict[int, User] = field(default_factory=dict)
    leads: dict[int, list[User]] = field(default_factory=dict)  # organisation id -> its active team leads
    mailboxes: dict[int, str] = field(default_factory=dict)  # organisation id -> mailbox

    def for_action(self, action: PlanAction, ctx: sharing.CaseContext) -> tuple[list[User], str | None]:
        """The accounts to remind of *action* (each may open the case) and the mailbox, if any: the owner, asked
        again now (rule 1: a reminder names the case, so someone the case has been closed to gets none; the plan
        hands such actions to the organisation when the circle shrinks, :func:`services.hand_over_actions`); for an
        action of an organisation, its team leads in the circle and its mailbox."""
        if action.owner_user_id is not None:
            owner = self.users.get(action.owner_user_id)
            return ([owner] if owner is not None and sharing.can_open_case(owner, ctx.case, ctx) else []), None
        leads = [u for u in self.leads.get(action.owner_organisation_id, []) if sharing.can_open_case(u, ctx.case, ctx)]
        in_circle = action.owner_organisation_id in ctx.circle_org_ids
        return leads, (self.mailboxes.get(action.owner_organisation_id) if in_circle else None)


def load_recipients(db: Session, actions: list[PlanAction]) -> Recipients:
    """Owners, team leads of owning organisations and their mailboxes, in three queries."""
    out = Recipients()
    user_ids = {a.owner_user_id for a in actions if a.owner_user_id}
    org_ids = {a.owner_organisation_id for a in actions if a.owner_user_id is None and a.owner_organisation_id}
    if user_ids:
        out.users = {u.id: u for u in db.exec(select(User).where(User.id.in_(user_ids)))}
    if org_ids:
        padded = " " + User.roles_text + " "
        for lead in db.exec(select(User).where(and_(User.organisation_id.in_(org_ids), User.active.is_(True),
                                                    padded.like(f"% {TEAM_LEAD} %"))).order_by(User.id)):
            out.leads.setdefault(lead.organisation_id, []).append(lead)
        out.mailboxes = {o.id: o.mailbox for o in db.exec(select(Organisation).where(
            Organisation.id.in_(org_ids), Organisation.mailbox.is_not(None), Organisation.active.is_(True)))}
    return out


@job(JOB_NAME)
def send_action_reminders(db: Session, now: datetime) -> int:
    """Herinneringen voor acties: vóór de termijn, op de termijn, en na de termijn wekelijks tot de actie dicht is."""
    today = now.astimezone(LOCAL_TZ).date()
    due = due_reminders(db, today)
    if not due:
        return 0
    cases = {c.id: c for c in db.exec(select(Case).where(Case.id.in_({a.case_id for a, _k, _key in due})))}
    contexts = sharing.load_contexts(db, [c for c in cases.values() if c.purged_at is None])
    recipients = load_recipients(db, [a for a, _k, _key in due])
    sent = 0
    for action, kind, key in due:
        ctx = contexts.get(action.case_id)
        if ctx is None or ctx.case.phase == "afgesloten":
            continue
        people, mailbox = recipients.for_action(action, ctx)
        if not people and not mailbox:
            continue
        if not claim(db, key, JOB_NAME):
            continue
        for person in people:
            _send(person.email, person.name, ctx.case, action, kind, today, db=db, user=person)
        if mailbox:
            _send(mailbox, None, ctx.case, action, kind, today)
        to = ", ".join(f"gebruiker {p.id}" for p in people)
        to += (", " if to and mailbox else "") + (f"mailbox van organisatie {action.owner_organisation_id}"
                                                   if mailbox else "")
        audit.record(db, "create", user_name="taak:" + JOB_NAME, object_type="plan_action", object_id=action.id,
                     case_id=ctx.case.id, summary=f"herinnering ({kind}) voor actie {action.id} van "
                                                  f"{ctx.case.reference} verstuurd aan {to}")
        sent += 1
    return sent


def _send(address: str, name: str | None, case: Case, action: PlanAction, kind: str, today: date, *,
          db: Session | None = None, user: User | None = None) -> None:
    deadline = f"{action.deadline:%d-%m-%Y}"
    if kind == "termijn":
        what = f"De termijn van actie {action.id} in het veiligheidsplan van casus {case.reference} " \
               f"verloopt vandaag ({deadline})."
        subject = f"Termijn vandaag: actie {action.id}, casus {case.reference}"
    elif kind == "vooraf":
        what = f"De termijn van actie {action.id} in het veiligheidsplan van casus {case.reference} " \
               f"verloopt over {reminder_days()} dag(en), op {deadline}."
        subject = f"Herinnering: actie {action.id}, casus {case.reference}"
    else:
        days = (today - action.deadline).days
        what = (f"De termijn van actie {action.id} in het veiligheidsplan van casus {case.reference} is "
                f"verstreken op {deadline} ({days} dag(en) geleden). Is de actie gedaan, zet haar dan op "
                "'Gereed'. Lukt het niet, zet haar op 'Niet gelukt' met de reden; is er meer tijd nodig, "
                "spreek dan een nieuwe termijn af. Tot dan krijgt u elke week deze herinnering.")
        subject = f"Termijn verstreken: actie {action.id}, casus {case.reference}"
    mine = user is not None and user.id == action.owner_user_id  # else a team lead or the mailbox
    link = mail.public_url("safety_plan.my_actions" if mine else "safety_plan.organisation_actions")
    greeting = f"Beste {name}," if name else "Beste collega's,"
    body = "\n".join([greeting, "", what, "Bekijk de actie en werk de status bij in MDA++:", link, "",
                      "Dit bericht bevat bewust geen inhoud van de casus.", "", "MDA++ (automatisch bericht)"])
    if user is not None:  # a person chooses: at once or in the daily digest; a mailbox always at once
        notices.send(db, user, "acties", subject, body, case_id=case.id)
    else:
        mail.send([address], subject, body)
