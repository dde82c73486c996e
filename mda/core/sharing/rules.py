"""The rules of the sharing engine: who may open a case (rule 1) and see an item of it (rules 2-6).

:func:`decide` applies the rules in order to one piece of content for one viewer and returns a :class:`Decision`
naming the basis; :class:`CaseContext` holds the facts of a case the rules read (loaded by :mod:`.context`).
Also: rule 6's break-glass opening, and the decisions for consents and plan entries.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import ColumnElement, and_, bindparam, exists, false, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, or_, select

from mda.cases import catalogue
from mda.cases.models import (
    BreakGlass,
    Case,
    CaseMember,
    CaseOrganisation,
    Consent,
    Item,
)
from mda.core import audit
from mda.core.sharing.context import CaseContext, load_case, load_context
from mda.core.sharing.rows import ConsentRow, ItemRow
from mda.core.timeutil import LOCAL_TZ, format_local, utcnow
from mda.organisations.models import ORGANISATION_TYPES

if TYPE_CHECKING:
    from mda.auth.models import User

BREAK_GLASS_DURATION = timedelta(hours=4)

#: roles that open every case of their organisation's circles (team leads; managers and
#: bestuurders decide escalations on levels 2 and 3 of the ladder)
LEAD_ROLES = frozenset({"team_lead", "manager", "bestuurder"})


@dataclass(frozen=True)
class Decision:
    """May the viewer see this piece of personal data, and on what basis?"""

    visible: bool
    kind: str = ""  # bron | convenant | toestemming | conflict_van_plichten | doorbraak
    basis: str = ""  # shown to the viewer and written to the audit trail
    withheld_reason: str = ""  # "geen toestemming voor GGZ-gegevens aan Politie"


# ----------------------------------------------------------------------------- circle
def can_open_case(user: User, case: Case, ctx: CaseContext | None = None) -> bool:
    """Rule 1: the coordinator, named professionals, and team leads of circle organisations."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if case.purged_at is not None and user.id != case.coordinator_id:
        return False
    if user.id == case.coordinator_id:
        return True
    if ctx is None:
        ctx = load_context(Session.object_session(case), case)
    if user.id in ctx.member_user_ids and user.organisation_id in ctx.circle_org_ids:
        return True
    return bool(LEAD_ROLES & user.roles) and user.organisation_id in ctx.circle_org_ids



def load_case_or_404(db: Session, user: User, case_id: int) -> tuple[Case, CaseContext]:
    """The case with its sharing context, or 404 (with a ``denied`` audit row) outside the circle."""
    case = load_case(db, case_id)
    ctx = load_context(db, case) if case is not None else None
    if case is None or not can_open_case(user, case, ctx):
        audit.record(db, "denied", user=user, object_type="case", object_id=case_id,
                     case_id=case.id if case is not None else None,
                     summary="casus geopend buiten de kring" if case is not None else "onbekende casus")
        abort(404)
    return case, ctx


def refuse_foreign(db: Session, user: User, object_type: str, object_id, ctx: CaseContext | None = None):
    """404 for an id that does not belong to the case (or meeting) in the URL, with a ``denied`` audit row naming
    only the type and id: probing for another case's document, consent or plan line through a case one may open
    leaves the same trace as opening that case would."""
    where = f"casus {ctx.case.reference}" if ctx is not None else "dit overleg"
    audit.record(db, "denied", user=user, object_type=object_type, object_id=object_id,
                 case_id=ctx.case.id if ctx is not None else None, summary=f"{object_type} {object_id} hoort niet bij "
                                                                           f"{where}")
    abort(404)


def possible_openers(contexts):
    """A SQL condition on ``User`` that every user who may open one of these cases meets (rule 1: the
    coordinator, the named professionals, leads of a circle organisation), so that a caller loads only
    those instead of every user of the circle organisations. It only narrows: :func:`can_open_case`
    still decides for each user loaded."""
    from sqlalchemy import and_, literal

    from mda.auth.models import User

    named, org_ids = _opener_values(contexts)
    padded = literal(" ") + User.roles_text + literal(" ")  # roles are space-separated
    leads = and_(User.organisation_id.in_(org_ids), or_(*(padded.like(f"% {role} %") for role in sorted(LEAD_ROLES))))
    return or_(User.id.in_(named), leads)


def _opener_values(contexts) -> tuple[set[int], set[int]]:
    """(the named users: coordinators and members, the circle organisations) of *contexts*."""
    contexts = list(contexts)
    named = {ctx.case.coordinator_id for ctx in contexts} | set().union(*(ctx.member_user_ids for ctx in contexts))
    return named, set().union(*(ctx.circle_org_ids for ctx in contexts))


def possible_opener_rows(db: Session, contexts) -> list:
    """The active users :func:`possible_openers` lets through, as plain rows (:class:`~.rows.ViewerRow`, the
    attributes :func:`can_open_case` reads) by name, in one statement built once per process: a planner's
    invitation list reads every lead of the circle organisations, and an entity each cost more than the query.
    Only narrows, as :func:`possible_openers`: :func:`can_open_case` still decides for each row."""
    from mda.core.sharing.rows import ViewerRow

    named, org_ids = _opener_values(contexts)
    db.flush()  # Core rows through the unit of work's connection, after its changes as the ORM would
    rows = db.connection().execute(_possible_openers_statement(), {"named": list(named), "org_ids": list(org_ids)})
    return [ViewerRow(*row, frozenset(row.roles_text.split())) for row in rows]


@functools.cache
def _possible_openers_statement():
    from sqlalchemy import and_, literal

    from mda.auth.models import User

    padded = literal(" ") + User.roles_text + literal(" ")
    leads = and_(User.organisation_id.in_(bindparam("org_ids", expanding=True)),
                 or_(*(padded.like(f"% {role} %") for role in sorted(LEAD_ROLES))))
    return (select(User.id, User.email, User.name, User.organisation_id, User.roles_text, User.active,
                   User.session_version)
            .where(User.active.is_(True), or_(User.id.in_(bindparam("named", expanding=True)), leads))
            .order_by(User.name))


#: what a member of the circle may do to a case -> the permission it takes
MANAGE_PERMISSIONS = {"work": "case.work", "coordinate": "case.coordinate", "duty_conflict": "case.duty_conflict"}


def can_manage(user: User, ctx: CaseContext, action: str) -> bool:
    """May *user* change the case? Circle first (rule 1), then the role; coordinating is the coordinator's."""
    from mda.core.permissions import has_permission

    if not can_open_case(user, ctx.case, ctx) or not has_permission(user, MANAGE_PERMISSIONS[action]):
        return False
    return action != "coordinate" or user.id == ctx.case.coordinator_id


def visible_cases_query(user: User):
    """A select() of the cases *user* may open (rule 1), for lists and counts at scale.

    The ids come from a UNION of three indexed look-ups (coordinator, named member, team
    lead's organisation), which both SQLite and PostgreSQL answer without scanning ``case``.
    A named member's row counts without asking whether their organisation is still in the circle (as
    :func:`can_open_case` does): the circle keeps that true when it changes (an organisation leaving takes its
    professionals along; an account moved to another organisation leaves those circles, ``cases.circle``), so the
    lists need not read the organisations on every page. ``tests/cases/test_sharing_engine.py`` holds every SQL
    form to :func:`can_open_case` through those changes.
    """
    return visible_cases_statement(bool(LEAD_ROLES & user.roles)).params(**visible_cases_params(user))


def opens_case(user: User, case_id) -> ColumnElement[bool]:
    """Rule 1 as a condition on a column of case ids (*case_id*, e.g. ``AgendaItem.case_id``): true where *user*
    may open that case, as :func:`can_open_case` decides. Correlated look-ups through the same indexes as
    :func:`visible_cases_query`, for a statement that filters a few rows of many cases (a start page's tasks):
    it costs per row, not per case in the user's circles."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return false()
    one = aliased(Case)  # its own name: the caller's statement may join Case itself
    case = select(one.id).where(one.id == case_id, or_(one.purged_at.is_(None), one.coordinator_id == user.id))
    own_organisation = exists().where(CaseOrganisation.case_id == one.id, CaseOrganisation.removed_at.is_(None),
                                      CaseOrganisation.organisation_id == user.organisation_id)
    named = exists().where(CaseMember.case_id == one.id, CaseMember.user_id == user.id,
                           CaseMember.removed_at.is_(None))
    sources = [one.coordinator_id == user.id, and_(named, own_organisation)]
    if LEAD_ROLES & user.roles:
        sources.append(own_organisation)
    return exists(case.where(or_(*sources)))


def visible_cases_params(user: User) -> dict:
    """The values of :func:`visible_cases_statement` for *user*."""
    return {"user_id": user.id, "organisation_id": user.organisation_id}


@functools.cache
def visible_cases_statement(lead: bool):
    """:func:`visible_cases_query` built once per process, for users who lead (*lead*) or not, with the user's
    values as parameters (``user_id``, ``organisation_id``: :func:`visible_cases_params`), for a caller that
    builds its own statement on it once too."""
    user_id = bindparam("user_id")
    id_sources = [
        select(Case.id).where(Case.coordinator_id == user_id),
        select(CaseMember.case_id).where(CaseMember.user_id == user_id, CaseMember.removed_at.is_(None)),
    ]
    if lead:
        id_sources.append(select(CaseOrganisation.case_id).where(
            CaseOrganisation.organisation_id == bindparam("organisation_id"), CaseOrganisation.removed_at.is_(None)))
    visible_ids = union(*id_sources).subquery()
    return select(Case).where(Case.id.in_(select(visible_ids.c[0])),
                              or_(Case.purged_at.is_(None), Case.coordinator_id == user_id))


def visible_case_ids(user: User, *, newest_first: bool = True, limit: int | None = None):
    """Rule 1 as a select() of case ids in id order, cheap for the first *limit* ids at any scale.

    Each source (coordinator, named member, team lead's organisation) is walked in id order
    through its index and cut at *limit* before the union, so a team lead whose organisation
    is in 40,000 circles costs the same as one in 40. Same rule as :func:`visible_cases_query`.
    The statement is built once per process (:func:`_visible_case_ids_statement`); only its values are bound here.
    """
    lead = bool(LEAD_ROLES & set(user.roles))
    values = {"user_id": user.id, "organisation_id": user.organisation_id}
    if limit is None:
        return _visible_case_ids_statement(newest_first, lead, False).params(**values)
    return _visible_case_ids_statement(newest_first, lead, True).params(**values, limit=limit)


@functools.cache
def _visible_case_ids_statement(newest_first: bool, lead: bool, limited: bool):
    """The statement of :func:`visible_case_ids` with its values as parameters (``user_id``, ``organisation_id``,
    ``limit``): building it took about 0.6 ms of Python, twice per paged list; binding takes microseconds."""
    def ordered(column, stmt):
        stmt = stmt.order_by(column.desc() if newest_first else column.asc())
        return (stmt.limit(bindparam("limit")) if limited else stmt).subquery().select()

    user_id = bindparam("user_id")
    # a purged case stays visible to its coordinator only; the purged cases are few (a partial index), so
    # each source is an index-only walk that skips them instead of a look-up of every case it passes
    purged_elsewhere = select(Case.id).where(Case.purged_at.is_not(None), Case.coordinator_id != user_id)
    sources = [
        ordered(Case.id, select(Case.id.label("case_id")).where(Case.coordinator_id == user_id)),
        ordered(CaseMember.case_id, select(CaseMember.case_id).where(
            CaseMember.user_id == user_id, CaseMember.removed_at.is_(None),
            CaseMember.case_id.not_in(purged_elsewhere))),
    ]
    if lead:
        sources.append(ordered(CaseOrganisation.case_id, select(CaseOrganisation.case_id).where(
            CaseOrganisation.organisation_id == bindparam("organisation_id"), CaseOrganisation.removed_at.is_(None),
            CaseOrganisation.case_id.not_in(purged_elsewhere))))
    ids = union(*sources).subquery()
    stmt = select(ids.c.case_id).order_by(ids.c.case_id.desc() if newest_first else ids.c.case_id.asc())
    return stmt.limit(bindparam("limit")) if limited else stmt


@functools.cache
def visible_open_cases_statement(lead: bool):
    """The open cases of rule 1 (as :func:`visible_cases_query`) for users who lead (*lead*) or not, the most
    urgent first and then the newest (urgency codes sort so: acuut, hoog, normaal), the first ``limit`` of them as
    ``(id, reference, phase, urgency)`` rows; the user's values as parameters (:func:`visible_cases_params` and
    ``limit``), built once per process.

    Each source is cut at ``limit`` before the union, the coordinator's own cases from an index alone
    (``ix_case_open_by_urgency``): a coordinator with 400 open cases reads about 20, not 400."""
    user_id, limit = bindparam("user_id"), bindparam("limit")
    order = (Case.urgency, Case.opened_at.desc(), Case.id.desc())

    def first(stmt):
        return stmt.order_by(*order).limit(limit).subquery().select()

    def through(link, who, value):  # a purged case is visible to its coordinator only: in the first source
        return first(select(link.case_id).join(Case, Case.id == link.case_id).where(
            who == value, link.removed_at.is_(None), Case.closed_at.is_(None), Case.purged_at.is_(None)))

    sources = [first(select(Case.id.label("case_id")).where(Case.coordinator_id == user_id, Case.closed_at.is_(None))),
               through(CaseMember, CaseMember.user_id, user_id)]
    if lead:
        sources.append(through(CaseOrganisation, CaseOrganisation.organisation_id, bindparam("organisation_id")))
    ids = union(*sources).subquery()
    return (select(Case.id, Case.reference, Case.phase, Case.urgency).where(Case.id.in_(select(ids.c.case_id)))
            .order_by(*order).limit(limit))


# ----------------------------------------------------------------------------- decisions
def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def consent_is_valid(consent: Consent, today: date) -> bool:
    """Given, not withdrawn, and within its period of validity today."""
    return (consent.withdrawn_at is None and consent.given_on <= today
            and (consent.valid_until is None or consent.valid_until >= today))


def decide(user: User, ctx: CaseContext, *, category: str, source_org_id: int,
           person_ids: list[int] | tuple[int, ...], item_id: int | None = None,
           today: date | None = None) -> Decision:
    """May *user* see data of *category* from *source_org_id* about *person_ids*? Rules 2-6."""
    if not can_open_case(user, ctx.case, ctx):
        return Decision(False, withheld_reason="geen toegang tot deze casus")
    cat = catalogue.category(category)
    org_id, org_type = user.organisation_id, ctx.org_types.get(user.organisation_id, "")
    recipient = ORGANISATION_TYPES.get(org_type, org_type)
    if org_id == source_org_id:
        return Decision(True, "bron", "eigen organisatie (bron van het gegeven)")
    rule = catalogue.covenant(ctx.region_code).ground_for(org_type, cat)
    if rule is not None:
        return Decision(True, "convenant", rule.clause)
    today = today or _today()
    per_person: list[str] = []
    lapsed: list[str] = []
    for person_id in person_ids or [None]:
        basis = None
        for consent, recipients in ctx.consents.get(person_id, []):
            if org_id in recipients and category in consent.category_codes:
                if consent_is_valid(consent, today):
                    # the consent by its number: who gave it (a representative's name) is data
                    # about a person, decided in the consent view, never copied into a basis
                    basis = ("toestemming", f"toestemming nr. {consent.id} "
                             f"({consent.method}, {consent.given_on:%d-%m-%Y})")
                    break
                lapsed.append("ingetrokken" if consent.withdrawn_at else "verlopen")
        if basis is None:
            for dec in ctx.decisions:
                if (dec.organisation_id == org_id and dec.category == category
                        and dec.person_id in (None, person_id)
                        and (dec.valid_until is None or dec.valid_until >= today)):
                    basis = ("conflict_van_plichten", f"conflict van plichten (besluit nr. {dec.id} "
                             f"van {format_local(dec.decided_at, '%d-%m-%Y')})")
                    break
        if basis is None:
            per_person = []
            break
        per_person.append(basis)
    if per_person:
        kinds = {k for k, _ in per_person}
        kind = kinds.pop() if len(kinds) == 1 else "toestemming"
        return Decision(True, kind, "; ".join(sorted({b for _, b in per_person})))
    bg = ctx.break_glass.get((user.id, item_id)) if item_id is not None else None
    if bg is not None:
        return Decision(True, "doorbraak",
                        f"doorbraak in acuut gevaar (nr. {bg.id}, tot {format_local(bg.expires_at, '%H:%M')})")
    if lapsed:
        state = "ingetrokken" if "ingetrokken" in lapsed else "verlopen"
        return Decision(False, withheld_reason=f"toestemming voor {cat.name} aan {recipient} is {state}")
    return Decision(False, withheld_reason=f"geen toestemming voor {cat.name} aan {recipient}")


def item_decision(user: User, ctx: CaseContext, item: Item | ItemRow) -> Decision:
    """The decision for one item of the case."""
    return decide(user, ctx, category=item.category, source_org_id=item.source_organisation_id,
                  person_ids=ctx.item_persons.get(item.id, []), item_id=item.id)


def consent_status(consent: Consent, today: date) -> str:
    """geldig | nog niet geldig | verlopen | ingetrokken."""
    if consent.withdrawn_at:
        return "ingetrokken"
    if consent.given_on > today:
        return "nog niet geldig"
    return "geldig" if consent_is_valid(consent, today) else "verlopen"


def consent_decision(user: User, ctx: CaseContext, consent: Consent | ConsentRow,
                     today: date | None = None) -> Decision:
    """May *user* see who gave *consent* and its purpose? Data about the person (category *huishouden*) from
    the organisation of whoever recorded it: the decision of :func:`consent_view`, for services that must
    refuse a change of what the user may not see."""
    # a consent of the context has its recorder's organisation there; a model object newer than it may not
    if (consent.recorded_by_id not in ctx.user_orgs and isinstance(consent, Consent)
            and (db := Session.object_session(consent)) is not None):
        _know_users(db, ctx, [consent.recorded_by_id])
    return decide(user, ctx, category="huishouden", source_org_id=ctx.user_orgs.get(consent.recorded_by_id, 0),
                  person_ids=[consent.person_id], today=today)


def _know_users(db: Session, ctx: CaseContext, user_ids) -> None:
    """Put the organisations of recorders the context does not know yet (a consent newer than it) in it."""
    from mda.auth.models import User as UserModel

    for uid in user_ids:
        if uid and uid not in ctx.user_orgs:
            ctx.user_orgs[uid] = db.get(UserModel, uid).organisation_id


def decision_group(user: User, ctx: CaseContext, items: list[Item], *, opens: bool | None = None) -> tuple:
    """What :func:`decide` reads of *user* for these items of the case: users with the same group get the same
    decisions, so a batch decides once per group (the audit rows stay per user).

    The rules read of a viewer only whether they may open the case (rule 1: coordinator, named member, a lead of a
    circle organisation), their organisation (its type for the covenant; consents, recipients and conflict-of-duties
    decisions name organisations) and their own break-glass openings (rule 6, personal, with their own number in
    the basis). A viewer with a break-glass opening of one of *items* is a group of their own. A rule that reads
    more of the user must add it here (``tests/cases/test_engine_views.py`` compares groups with single users).
    *opens*: rule 1's answer for *user* when the caller has it already.
    """
    if any((user.id, item.id) in ctx.break_glass for item in items):
        return ("persoonlijk", user.id)
    return (can_open_case(user, ctx.case, ctx) if opens is None else opens, user.organisation_id)


def open_break_glass(db: Session, user: User, ctx: CaseContext, item: Item, reason: str,
                     now: datetime | None = None) -> BreakGlass:
    """Rule 6: record a break-glass opening of a withheld item (the caller shows it afterwards)."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValueError("Beschrijf in minstens 10 tekens waarom er acuut gevaar is.")
    from mda.core.permissions import has_permission

    if not has_permission(user, "case.break_glass"):
        raise PermissionError("Alleen professionals en procesregisseurs kunnen een doorbraak gebruiken.")
    now = now or utcnow()
    grant = BreakGlass(case_id=ctx.case.id, item_id=item.id, user_id=user.id, reason=reason[:2000],
                       opened_at=now, expires_at=now + BREAK_GLASS_DURATION)
    db.add(grant)
    db.flush()
    # the reason is free text about persons: it stays in the break-glass record (which follows
    # retention), never in the append-only trail; the row refers to the record by its number
    audit.record(db, "break_glass", user=user, object_type="break_glass", object_id=grant.id, case_id=ctx.case.id,
                 person_ids=ctx.item_persons.get(item.id, []), basis="doorbraak in acuut gevaar",
                 subjects=[(pid, item.id, "doorbraak in acuut gevaar", "item")
                           for pid in ctx.item_persons.get(item.id, [])] or [(None, item.id, "doorbraak", "item")],
                 summary=f"doorbraak nr. {grant.id} op gegeven nr. {item.id} ({item.category})")
    return grant


# ----------------------------------------------------------------------------- safety plan
def plan_entry_decision(user: User, ctx: CaseContext, entry) -> Decision:
    """The decision for one entry or action of the safety plan (live, or a row of a stored version).

    *entry* has ``category`` and ``source_organisation_id``. Plan content is about the household
    as a whole, so the rules for the category apply (covenant for ``veiligheidsplan``; an entry
    marked with a special category needs an explicit basis); it is not linked to single persons.
    """
    return decide(user, ctx, category=entry.category, source_org_id=entry.source_organisation_id,
                  person_ids=())
