"""Changing the safety plan: entries, actions, action status, evaluation date, safety scores.

Every function takes the :class:`~mda.core.sharing.CaseContext` that
:func:`~mda.core.sharing.load_case_or_404` returned (so the caller is in the circle),
validates everything before it writes (a :class:`ServiceError` carries the Dutch message
and nothing is stored), flushes, and writes its audit row. The request commits once.
Versions and approval live in :mod:`mda.safety_plan.versions`.

Audit summaries name ids, sections and statuses, never the text of an entry (that may be
personal data).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.auth.services import ServiceError
from mda.cases import catalogue
from mda.core import audit, sharing, signals
from mda.core.timeutil import LOCAL_TZ, as_utc, utcnow
from mda.safety_plan.models import (
    ACTION_STATUSES,
    FAILURE_REASONS,
    OPEN_STATUSES,
    PLAN_CATEGORY,
    SECTIONS,
    ActionStatusChange,
    PlanAction,
    PlanEntry,
    SafetyPlan,
    SafetyScore,
)

MAX_TEXT = 4000
MAX_DESCRIPTION = 2000
MAX_COMMENT = 2000
#: lines per section of a plan: a plan that a conference can read aloud; more is refused, not cut off
MAX_ENTRIES_PER_SECTION = 60


def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


# ----------------------------------------------------------------------------- the plan
def get_plan(db: Session, ctx: sharing.CaseContext) -> SafetyPlan | None:
    """The plan of the case, if one was started."""
    return db.exec(select(SafetyPlan).where(SafetyPlan.case_id == ctx.case.id)).first()


def get_or_create_plan(db: Session, ctx: sharing.CaseContext) -> SafetyPlan:
    """The plan of the case, started empty when it has none yet."""
    plan = get_plan(db, ctx)
    if plan is None:
        now = utcnow()
        plan = SafetyPlan(case_id=ctx.case.id, created_at=now, updated_at=now)
        db.add(plan)
        db.flush()
    return plan


def _touch(plan: SafetyPlan) -> None:
    """A change to the plan's content: a new revision (a pending proposal becomes stale)."""
    plan.revision += 1
    plan.updated_at = utcnow()


def _require_open(ctx: sharing.CaseContext) -> None:
    if ctx.case.phase == "afgesloten" or ctx.case.purged_at is not None:
        raise ServiceError("Deze casus is afgesloten: het veiligheidsplan kan niet meer worden gewijzigd.")


def entry_is_locked(db: Session, entry: PlanEntry | PlanAction) -> bool:
    """Is this entry or action locked against changes (e.g. while an escalation disputes it)?

    Every change path asks this first; the providers in :data:`mda.core.signals.plan_lock_providers` answer.
    """
    return any(provider(db, entry) for provider in signals.plan_lock_providers)


def _refuse_locked(db: Session, entry: PlanEntry | PlanAction) -> None:
    if entry_is_locked(db, entry):
        raise ServiceError("Dit onderdeel van het plan is vergrendeld (er loopt een escalatie over). "
                           "Wijzigen kan pas als die is afgehandeld.")


def _check_category(category: str) -> str:
    category = (category or PLAN_CATEGORY).strip()
    if category not in catalogue.categories():
        raise ServiceError(f"Onbekende categorie {category!r}: kies een categorie uit de catalogus.")
    return category


def _check_party(ctx: sharing.CaseContext, organisation_id: int | None, is_family: bool) -> None:
    if organisation_id is not None and is_family:
        raise ServiceError("Kies óf een organisatie óf het gezin, niet allebei.")
    if organisation_id is not None and organisation_id not in ctx.circle_org_ids:
        raise ServiceError("Deze organisatie hoort niet bij de kring van deze casus.")


# ----------------------------------------------------------------------------- entries
def add_entry(db: Session, user: User, ctx: sharing.CaseContext, *, section: str, text: str, detail: str = "",
              party_organisation_id: int | None = None, party_is_family: bool = False,
              category: str = PLAN_CATEGORY) -> PlanEntry:
    """Add a worry, strength, safety condition, goal, signal or monitoring line to the plan."""
    _require_open(ctx)
    problems = []
    if section not in SECTIONS:
        problems.append("Kies een onderdeel van het plan.")
    text, detail = (text or "").strip(), (detail or "").strip()
    if not text:
        problems.append("Vul de tekst in; een lege regel wordt niet opgeslagen.")
    elif len(text) > MAX_TEXT or len(detail) > MAX_TEXT:
        problems.append(f"De tekst mag hoogstens {MAX_TEXT} tekens zijn.")
    if problems:
        raise ServiceError(" ".join(problems))
    category = _check_category(category)
    _check_party(ctx, party_organisation_id, party_is_family)
    plan = get_or_create_plan(db, ctx)
    now = utcnow()
    position, active = db.exec(select(func.count(), func.count(PlanEntry.id).filter(PlanEntry.removed_at.is_(None)))
                               .where(PlanEntry.plan_id == plan.id, PlanEntry.section == section)).one()
    if active >= MAX_ENTRIES_PER_SECTION:
        raise ServiceError(f"Dit onderdeel heeft al {MAX_ENTRIES_PER_SECTION} regels, het hoogste aantal. Voeg "
                           "regels samen of haal een afgeronde regel weg voordat u er een toevoegt.")
    entry = PlanEntry(plan_id=plan.id, case_id=ctx.case.id, section=section, text=text, detail=detail,
                      party_organisation_id=party_organisation_id, party_is_family=party_is_family,
                      category=category, source_organisation_id=user.organisation_id, author_id=user.id,
                      position=position, created_at=now, updated_at=now)
    db.add(entry)
    _touch(plan)
    db.flush()
    audit.record(db, "create", user=user, object_type="plan_entry", object_id=entry.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: regel {entry.id} ({section}, {category}) toegevoegd")
    return entry


def _load_current(db: Session, ctx: sharing.CaseContext, model: type[PlanEntry] | type[PlanAction], row_id: int):
    """A current (not removed) entry or action of this case's plan, or None."""
    row = db.get(model, row_id)
    if row is None or row.case_id != ctx.case.id or row.removed_at is not None:
        return None
    return row


def load_entry(db: Session, ctx: sharing.CaseContext, entry_id: int) -> PlanEntry | None:
    """A current entry of this case's plan, or None."""
    return _load_current(db, ctx, PlanEntry, entry_id)


def _may_change(user: User, ctx: sharing.CaseContext, source_organisation_id: int,
                decision: str | None = None) -> None:
    """Content is changed by its source organisation or the case's coordinator (who may not see it all), or by
    the decider of an escalation carrying out the decision (*decision*: its reference; the escalations feature
    checked that *user* decides at the escalation's current level: *doorzettingsmacht*)."""
    if decision is not None:
        return
    if user.id != ctx.case.coordinator_id and user.organisation_id != source_organisation_id:
        raise ServiceError("Alleen de organisatie die dit onderdeel inbracht, of de procesregisseur, "
                           "kan het wijzigen.")


def _by_decision(decision: str | None) -> str:
    return f" op grond van besluit escalatie {decision}" if decision else ""


def _check_change(db: Session, user: User, ctx: sharing.CaseContext, row: PlanEntry | PlanAction,
                  decision: str | None = None) -> None:
    """Refuse a change to *row* in a closed case, while an escalation locks it, or by someone who may not."""
    _require_open(ctx)
    _refuse_locked(db, row)  # the deciding escalation no longer locks it (decided); another open one still does
    _may_change(user, ctx, row.source_organisation_id, decision)


def _changed(db: Session, user: User, ctx: sharing.CaseContext, row: PlanEntry | PlanAction, verb: str,
             summary: str) -> None:
    """The plan was changed through *row*: mark the plan, store, and audit (*verb*: update or delete)."""
    _touch(get_or_create_plan(db, ctx))
    db.flush()
    # the audit names these objects by their table: plan_entry, plan_action
    audit.record(db, verb, user=user, object_type=row.__tablename__, object_id=row.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: {summary}")


def _remove(db: Session, user: User, ctx: sharing.CaseContext, row: PlanEntry | PlanAction, label: str,
            decision: str | None) -> None:
    """Take *row* out of the working plan; *label* names it in the audit summary."""
    _check_change(db, user, ctx, row, decision)
    row.removed_at = utcnow()
    _changed(db, user, ctx, row, "delete", f"{label} verwijderd" + _by_decision(decision))


def update_entry(db: Session, user: User, ctx: sharing.CaseContext, entry: PlanEntry, *, text: str,
                 detail: str = "", party_organisation_id: int | None = None,
                 party_is_family: bool = False, decision: str | None = None) -> PlanEntry:
    """Change the text, detail or party of an entry (*decision*: an escalation decision carries the change)."""
    _check_change(db, user, ctx, entry, decision)
    text, detail = (text or "").strip(), (detail or "").strip()
    if not text:
        raise ServiceError("Vul de tekst in; een lege regel wordt niet opgeslagen.")
    if len(text) > MAX_TEXT or len(detail) > MAX_TEXT:
        raise ServiceError(f"De tekst mag hoogstens {MAX_TEXT} tekens zijn.")
    _check_party(ctx, party_organisation_id, party_is_family)
    entry.text, entry.detail = text, detail
    entry.party_organisation_id, entry.party_is_family = party_organisation_id, party_is_family
    entry.updated_at = utcnow()
    _changed(db, user, ctx, entry, "update", f"regel {entry.id} ({entry.section}) gewijzigd" + _by_decision(decision))
    return entry


def remove_entry(db: Session, user: User, ctx: sharing.CaseContext, entry: PlanEntry,
                 decision: str | None = None) -> None:
    """Take an entry out of the working plan (approved versions keep their copy); *decision*: see update_entry."""
    _remove(db, user, ctx, entry, f"regel {entry.id} ({entry.section})", decision)


def set_next_evaluation(db: Session, user: User, ctx: sharing.CaseContext, day: date | None) -> SafetyPlan:
    """Set the date of the next evaluation (monitoring); it may not lie in the past."""
    _require_open(ctx)
    if day is not None and day < _today():
        raise ServiceError("De volgende evaluatie kan niet in het verleden liggen.")
    plan = get_or_create_plan(db, ctx)
    plan.next_evaluation_on = day
    _touch(plan)
    db.flush()
    audit.record(db, "update", user=user, object_type="safety_plan", object_id=plan.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: volgende evaluatie {day.isoformat() if day else 'geen'}")
    return plan


# ----------------------------------------------------------------------------- actions
def _check_owner(db: Session, ctx: sharing.CaseContext, owner_user_id: int | None,
                 owner_organisation_id: int | None, owner_is_family: bool) -> tuple[int | None, int | None]:
    """Validate the one owner of an action; returns (user id, organisation id)."""
    if owner_is_family:
        if owner_user_id is not None or owner_organisation_id is not None:
            raise ServiceError("Een actie heeft één eigenaar: het gezin óf een professional of organisatie.")
        return None, None
    if owner_user_id is None and owner_organisation_id is None:
        raise ServiceError("Kies een eigenaar: een professional of organisatie uit de kring, of het gezin.")
    if owner_user_id is not None:
        owner = db.get(User, owner_user_id)
        if owner is None or not owner.active:
            raise ServiceError("Deze eigenaar bestaat niet of is niet actief.")
        if owner.organisation_id not in ctx.circle_org_ids:
            raise ServiceError("De eigenaar werkt niet bij een organisatie in de kring van deze casus. "
                               "Voeg de organisatie eerst toe aan de kring.")
        if owner_organisation_id is not None and owner_organisation_id != owner.organisation_id:
            raise ServiceError("De eigenaar werkt niet bij de gekozen organisatie.")
        if not sharing.can_open_case(owner, ctx.case, ctx):  # rule 1: the owner must be able to open the case
            raise ServiceError(f"{owner.name} staat niet in de kring van deze casus. Noem hem of haar eerst in de "
                               "kring, of geef de actie aan de organisatie.")
        return owner.id, owner.organisation_id
    if owner_organisation_id not in ctx.circle_org_ids:
        raise ServiceError("De organisatie van de eigenaar hoort niet bij de kring van deze casus.")
    return None, owner_organisation_id


def hand_over_actions(db: Session, user: User, ctx: sharing.CaseContext) -> int:
    """The circle shrank (:data:`mda.core.signals.circle_left`): each open action whose owner can no longer open
    the case goes to the owner's organisation (its team leads and mailbox are reminded; its page lists the action
    to be picked up; when the organisation left the circle too, the coordinator's overview lists it as an action
    without a person). One audit row per action, ids only; returns how many."""
    actions = list(db.exec(select(PlanAction).where(
        PlanAction.case_id == ctx.case.id, PlanAction.removed_at.is_(None), PlanAction.status.in_(OPEN_STATUSES),
        PlanAction.owner_user_id.is_not(None))))
    owners = {u.id: u for u in db.exec(select(User).where(User.id.in_({a.owner_user_id for a in actions})))} \
        if actions else {}
    # a closed account is left as it is: the coordinator's overview already lists its actions as without a person
    gone = [a for a in actions if (owner := owners.get(a.owner_user_id)) is not None and owner.active
            and not sharing.can_open_case(owner, ctx.case, ctx)]
    for action in gone:
        previous = action.owner_user_id
        action.owner_organisation_id = action.owner_organisation_id or owners[previous].organisation_id
        action.owner_user_id, action.updated_at = None, utcnow()
        _changed(db, user, ctx, action, "update", f"actie {action.id}: eigenaar (gebruiker {previous}) niet meer in "
                                                   "de kring; de actie ligt nu bij diens organisatie")
    return len(gone)


def add_action(db: Session, user: User, ctx: sharing.CaseContext, *, description: str, deadline: date,
               owner_user_id: int | None = None, owner_organisation_id: int | None = None,
               owner_is_family: bool = False, category: str = PLAN_CATEGORY, meeting_id: int | None = None,
               allow_past_deadline: bool = False) -> PlanAction:
    """Add an action with one owner and a deadline to the case's plan.

    A deadline before today is refused unless the caller confirmed it (*allow_past_deadline*),
    as the form does after warning the user.
    """
    _require_open(ctx)
    description = (description or "").strip()
    if not description:
        raise ServiceError("Beschrijf de actie; een actie zonder beschrijving wordt niet opgeslagen.")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(f"De beschrijving mag hoogstens {MAX_DESCRIPTION} tekens zijn.")
    if not isinstance(deadline, date):
        raise ServiceError("Vul een geldige termijn (datum) in.")
    if deadline < _today() and not allow_past_deadline:
        raise ServiceError(f"De termijn {deadline:%d-%m-%Y} ligt vóór vandaag. Klopt dat? "
                           "Bevestig de termijn om de actie toch op te slaan.")
    category = _check_category(category)
    owner_id, owner_org_id = _check_owner(db, ctx, owner_user_id, owner_organisation_id, owner_is_family)
    plan = get_or_create_plan(db, ctx)
    now = utcnow()
    action = PlanAction(plan_id=plan.id, case_id=ctx.case.id, description=description, category=category,
                        owner_user_id=owner_id, owner_organisation_id=owner_org_id,
                        owner_is_family=owner_is_family, deadline=deadline,
                        source_organisation_id=user.organisation_id, created_by_id=user.id,
                        meeting_id=meeting_id, created_at=now, updated_at=now)
    db.add(action)
    _touch(plan)
    db.flush()
    audit.record(db, "create", user=user, object_type="plan_action", object_id=action.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: actie {action.id} ({category}) toegevoegd, "
                         f"termijn {deadline.isoformat()}")
    return action


def load_action(db: Session, ctx: sharing.CaseContext, action_id: int) -> PlanAction | None:
    """A current action of this case's plan, or None."""
    return _load_current(db, ctx, PlanAction, action_id)


def update_action(db: Session, user: User, ctx: sharing.CaseContext, action: PlanAction, *, description: str,
                  deadline: date, owner_user_id: int | None = None, owner_organisation_id: int | None = None,
                  owner_is_family: bool = False, allow_past_deadline: bool = False) -> PlanAction:
    """Change an action's description, owner or deadline."""
    _check_change(db, user, ctx, action)
    description = (description or "").strip()
    if not description:
        raise ServiceError("Beschrijf de actie; een actie zonder beschrijving wordt niet opgeslagen.")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(f"De beschrijving mag hoogstens {MAX_DESCRIPTION} tekens zijn.")
    created_on = as_utc(action.created_at).astimezone(LOCAL_TZ).date() if action.created_at else _today()
    if deadline < created_on and not allow_past_deadline:
        raise ServiceError(f"De termijn {deadline:%d-%m-%Y} ligt vóór de dag waarop de actie is gemaakt. "
                           "Klopt dat? Bevestig de termijn om de wijziging toch op te slaan.")
    owner_id, owner_org_id = _check_owner(db, ctx, owner_user_id, owner_organisation_id, owner_is_family)
    action.description, action.deadline = description, deadline
    action.owner_user_id, action.owner_organisation_id, action.owner_is_family = owner_id, owner_org_id, owner_is_family
    action.updated_at = utcnow()
    _changed(db, user, ctx, action, "update", f"actie {action.id} gewijzigd, termijn {deadline.isoformat()}")
    return action


def remove_action(db: Session, user: User, ctx: sharing.CaseContext, action: PlanAction,
                  decision: str | None = None) -> None:
    """Take an action out of the working plan (approved versions keep their copy); *decision*: see update_entry."""
    _remove(db, user, ctx, action, f"actie {action.id}", decision)


def change_status(db: Session, user: User, ctx: sharing.CaseContext, action: PlanAction, *, status: str,
                  comment: str, failure_reason: str | None = None) -> ActionStatusChange:
    """Move an action to *status* with a comment; "niet gelukt" needs one of the two reasons.

    Following up an action is not a change of the agreed plan: the revision stays.
    """
    _require_open(ctx)
    _refuse_locked(db, action)
    comment = (comment or "").strip()
    problems = []
    if status not in ACTION_STATUSES:
        problems.append("Kies een geldige status.")
    if status == "niet_gelukt" and failure_reason not in FAILURE_REASONS:
        problems.append("Kies waarom de actie niet is gelukt: 'niet mogelijk, omstandigheden gewijzigd' "
                        "of 'niet uitgevoerd door de organisatie'.")
    if not comment:
        problems.append("Schrijf een toelichting bij de statuswijziging.")
    elif len(comment) > MAX_COMMENT:
        problems.append(f"De toelichting mag hoogstens {MAX_COMMENT} tekens zijn.")
    if status in ACTION_STATUSES and status == action.status and status != "niet_gelukt":
        problems.append(f"De actie heeft de status '{ACTION_STATUSES[status]}' al.")
    if problems:
        raise ServiceError(" ".join(problems))
    reason = failure_reason if status == "niet_gelukt" else None
    change = ActionStatusChange(action_id=action.id, old_status=action.status, new_status=status,
                                failure_reason=reason, comment=comment, changed_by_id=user.id, changed_at=utcnow())
    action.status, action.failure_reason, action.updated_at = status, reason, utcnow()
    db.add(change)
    db.flush()
    audit.record(db, "update", user=user, object_type="plan_action", object_id=action.id, case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: actie {action.id} status {change.old_status} -> {status}"
                         + (f" ({reason})" if reason else ""))
    return change


# ----------------------------------------------------------------------------- safety scores
def record_scores(db: Session, user: User, ctx: sharing.CaseContext, *, meeting_id: int | None,
                  scores: dict[int, int], round_key: str) -> None:
    """Record each organisation's safety score (0-10) for one round; a second call for the round replaces them."""
    _require_open(ctx)
    round_key = (round_key or "").strip()
    if not round_key or len(round_key) > 80:
        raise ServiceError("Geef de scoreronde een naam (hoogstens 80 tekens).")
    if not scores:
        raise ServiceError("Vul ten minste één veiligheidsscore in.")
    problems = []
    for org_id, score in scores.items():
        if org_id not in ctx.circle_org_ids:
            problems.append("Een score hoort bij een organisatie die niet in de kring van deze casus zit.")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            problems.append("Een veiligheidsscore is een heel getal van 0 tot en met 10.")
    if problems:
        raise ServiceError(" ".join(dict.fromkeys(problems)))
    existing = {s.organisation_id: s for s in db.exec(select(SafetyScore).where(
        SafetyScore.case_id == ctx.case.id, SafetyScore.round_key == round_key))}
    now = utcnow()
    for org_id, score in scores.items():
        row = existing.get(org_id)
        if row is None:
            db.add(SafetyScore(case_id=ctx.case.id, meeting_id=meeting_id, organisation_id=org_id, user_id=user.id,
                               score=score, round_key=round_key, scored_at=now))
        else:
            row.score, row.user_id, row.scored_at, row.meeting_id = score, user.id, now, meeting_id
    db.flush()
    audit.record(db, "create", user=user, object_type="safety_score", object_id=round_key[:40], case_id=ctx.case.id,
                 summary=f"plan {ctx.case.reference}: {len(scores)} veiligheidsscore(s) vastgelegd (ronde {round_key})"
                 [:500])
