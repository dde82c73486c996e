"""The coordinator's daily digest of actions that need attention in her cases.

On working days, one e-mail per coordinator whose cases hold open actions that are overdue or have
no person as owner (the same rule as her overview page, :func:`~mda.safety_plan.pages.overview_query`):
the counts, the pseudonymous case references and a link to the overview; never an action's text.
Once a day per coordinator, also when the job runs often or in two processes (:func:`mda.jobs.claim`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, mail
from mda.core.timeutil import LOCAL_TZ
from mda.core.workdays import is_working_day
from mda.jobs import claim, job
from mda.notices import services as notices
from mda.safety_plan.models import OPEN_STATUSES, PlanAction

JOB_NAME = "regieoverzicht_acties"


def attention_by_coordinator(db: Session, today) -> dict[int, dict]:
    """coordinator id -> {"actions": n, "overdue": n, "no_person": n, "references": [...]}, in one query (an action
    both overdue and without a person counts in both, once in "actions")."""
    owner = aliased(User)
    coordinator = aliased(User)
    overdue = PlanAction.deadline < today
    no_person = and_(PlanAction.owner_is_family.is_(False), or_(PlanAction.owner_user_id.is_(None),
                                                                 owner.active.is_(False)))
    rows = db.exec(select(Case.coordinator_id, Case.reference, PlanAction.deadline, PlanAction.owner_user_id,
                          PlanAction.owner_is_family, owner.active)
                   .join(Case, Case.id == PlanAction.case_id)
                   .join(coordinator, coordinator.id == Case.coordinator_id)
                   .outerjoin(owner, owner.id == PlanAction.owner_user_id)
                   .where(PlanAction.removed_at.is_(None), PlanAction.status.in_(OPEN_STATUSES),
                          Case.purged_at.is_(None), coordinator.active.is_(True), or_(overdue, no_person))
                   .order_by(Case.coordinator_id, Case.reference))
    result: dict[int, dict] = defaultdict(lambda: {"actions": 0, "overdue": 0, "no_person": 0, "references": []})
    for coordinator_id, reference, deadline, owner_user_id, family, owner_active in rows:
        entry = result[coordinator_id]
        entry["actions"] += 1
        entry["overdue"] += deadline < today
        entry["no_person"] += not family and (owner_user_id is None or owner_active is False)
        if reference not in entry["references"]:
            entry["references"].append(reference)
    return dict(result)


@job(JOB_NAME)
def send_coordinator_digests(db: Session, now: datetime) -> int:
    """Eén bericht per werkdag per procesregisseur met de acties die aandacht vragen in haar casussen."""
    today = now.astimezone(LOCAL_TZ).date()
    if not is_working_day(today):
        return 0
    due = attention_by_coordinator(db, today)
    if not due:
        return 0
    users = {u.id: u for u in db.exec(select(User).where(User.id.in_(list(due))))}
    sent = 0
    for user_id, figures in due.items():
        if not claim(db, f"regie-acties:{user_id}:{today.isoformat()}", JOB_NAME):
            continue
        _send(db, users[user_id], figures)
        audit.record(db, "create", user_name="taak:" + JOB_NAME, object_type="plan_action", object_id="",
                     summary=f"overzicht van acties die aandacht vragen verstuurd aan gebruiker {user_id}")
        sent += 1
    return sent


def _send(db: Session, user: User, figures: dict) -> None:
    total = figures["actions"]
    lines = [f"Beste {user.name},", "",
             f"In uw casussen vragen {total} actie(s) aandacht:",
             f"- {figures['overdue']} over de termijn",
             f"- {figures['no_person']} zonder persoon als eigenaar (een organisatie of een afgesloten account)",
             f"Casussen: {', '.join(figures['references'])}", "",
             "Bekijk ze in het overzicht:", mail.public_url("safety_plan.coordinator_overview"), "",
             "U krijgt dit overzicht hoogstens één keer per werkdag. Het bevat bewust geen inhoud van de casussen.",
             "", "MDA++ (automatisch bericht)"]
    notices.send(db, user, "acties", f"Acties die aandacht vragen in uw casussen ({total})", "\n".join(lines))
