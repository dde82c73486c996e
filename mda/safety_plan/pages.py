"""The safety plan's pages that more than one route module shows: the plan page, "Mijn acties", "Acties van mijn
organisatie", and the page a refused status change comes back on. The route modules import this one, never each
other, so the three route files attach to one blueprint without a circle."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import and_, or_
from sqlmodel import func, select

from mda import db
from mda.auth.models import User
from mda.cases.models import Case
from mda.core import sharing, signals
from mda.core.permissions import PERMISSIONS, has_permission
from mda.safety_plan import export_pdf, organisation, views
from mda.safety_plan.access import owner_choices, party_choices
from mda.safety_plan.forms import (
    ActionForm,
    AssignForm,
    EntryForm,
    EvaluationForm,
    StatusForm,
)
from mda.safety_plan.models import ACTION_STATUSES, OPEN_STATUSES, SECTIONS, PlanAction

PER_PAGE = 50

def page_number() -> int:
    """The ``pagina`` query parameter (1 when absent or nonsense)."""
    value = request.args.get("pagina", "1")
    return max(int(value), 1) if value.isdigit() else 1

def plan_page(case, ctx, *, error: str | None = None, action_form=None, entry_form=None, status: int = 200):
    """Render the plan page (also with a form's error, as a 422 so nothing is committed)."""
    s = db.session()
    status_filter = request.args.get("status") if request.args.get("status") in ACTION_STATUSES else None
    overdue = request.args.get("te_laat") == "1"
    page = page_number()
    view = views.plan_view(s, current_user, ctx, page=page, per_page=PER_PAGE, status=status_filter,
                           overdue=overdue)
    owners = owner_choices(ctx)
    parties = party_choices(ctx)
    action_form = action_form or ActionForm(formdata=None)
    action_form.setup(owners)
    if entry_form is None:
        entry_form = EntryForm(formdata=None)
    entry_form.party.choices = parties
    from mda.cases.forms import category_choices

    entry_form.category.choices = category_choices()
    if not entry_form.category.data:
        entry_form.category.data = "veiligheidsplan"
    proposal = view.pending_proposal
    can_work = sharing.can_manage(current_user, ctx, "work") and case.phase != "afgesloten"
    from mda.safety_plan import versions

    proposal_approvers = versions.approvers(s, [proposal])[proposal.id] if proposal else []
    # once the user's organisation approved, the button gives way to a line saying so
    my_approval = next((a for a in proposal_approvers if a.organisation_id == current_user.organisation_id), None)
    # what higher rooms mark beside the entries and actions (escalations), gathered here: templates only render
    extra = {"escalation_marks": {}}
    if view.actions or any(view.entries.values()):
        for _receiver, found in signals.plan_page.send(case, db=s, user=current_user, ctx=ctx):
            extra.update(found or {})

    return render_template(
        "safety_plan/plan.html", case=case, view=view, sections=SECTIONS, statuses=ACTION_STATUSES,
        action_form=action_form, entry_form=entry_form, owners=owners, parties=parties,
        status_form=StatusForm(formdata=None),
        evaluation_form=EvaluationForm(formdata=None, next_evaluation_on=view.plan.next_evaluation_on
                                       if view.plan else None),
        error=error,
        page=page, pages=max(1, -(-view.action_total // PER_PAGE)), status_filter=status_filter, overdue=overdue,
        can_work=can_work, can_coordinate=sharing.can_manage(current_user, ctx, "coordinate"),
        can_lead_approve=versions.may_approve_as_team_lead(current_user, ctx) and my_approval is None,
        proposal_approvers=proposal_approvers, my_approval=my_approval,
        can_plan_meeting=has_permission(current_user, "meeting.plan") and case.phase != "afgesloten",
        can_export=sharing.can_open_case(current_user, case, ctx) and "plan.export" in _permissions(),
        pdf_available=export_pdf.converter() is not None, today=views.today(), **extra), status

def _permissions() -> set[str]:
    return {name for name in PERMISSIONS if name.startswith("plan.") and has_permission(current_user, name)}

def status_error(case, ctx, message: str | None = None):
    if request.form.get("terug") == "mijn-acties":
        return my_actions_page(error=message, status=422)
    if request.form.get("terug") == "organisatie":
        return organisation_actions_page(error=message, status=422)
    return plan_page(case, ctx, error=message, status=422)

MY_PER_PAGE = 25

def my_actions_query(user, *, status: str | None = None, overdue: bool = False):
    """The current actions *user* owns in cases they may open, open ones first, by deadline."""
    from sqlalchemy import case as sql_case

    visible = sharing.visible_cases_query(user).with_only_columns(Case.id)
    stmt = select(PlanAction).where(PlanAction.owner_user_id == user.id, PlanAction.removed_at.is_(None),
                                    PlanAction.case_id.in_(visible))
    if status:
        stmt = stmt.where(PlanAction.status == status)
    if overdue:
        stmt = stmt.where(PlanAction.status.in_(OPEN_STATUSES), PlanAction.deadline < views.today())
    open_first = sql_case((PlanAction.status.in_(OPEN_STATUSES), 0), else_=1)
    return stmt.order_by(open_first, PlanAction.deadline, PlanAction.id)

def my_action_views(s, user, rows: list[PlanAction]) -> list[views.ActionView]:
    """The rows as *user* may see them, each through the engine with its case's context (audited per case)."""
    return action_views_across_cases(s, user, rows, "mijn acties")[0]

def action_views_across_cases(s, user, rows: list[PlanAction], channel: str):
    """Actions of several cases as *user* may see them, and the case contexts used: (views, case id -> context).

    Each through the engine with its case's context, audited per case under *channel*.
    """
    cases = {c.id: c for c in s.exec(select(Case).where(Case.id.in_({a.case_id for a in rows})))} if rows else {}
    contexts = {cid: sharing.load_context(s, case) for cid, case in cases.items()}
    names = views.user_names(s, {a.owner_user_id for a in rows})
    out = [views.action_view(user, contexts[a.case_id], a, names) for a in rows]
    persons = sharing.case_person_ids(s, list(contexts))
    for cid, ctx in contexts.items():
        views.audit_plan_view(s, user, ctx, [], [v for v in out if v.case_id == cid], channel, persons.get(cid, []))
    return out, contexts

def my_actions_page(error: str | None = None, status: int = 200):
    """Render "Mijn acties" (paged; filters: status, overdue)."""
    s = db.session()
    status_filter = request.args.get("status") if request.args.get("status") in ACTION_STATUSES else None
    overdue = request.args.get("te_laat") == "1"
    page = page_number()
    stmt = my_actions_query(current_user, status=status_filter, overdue=overdue)
    total = s.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = list(s.exec(stmt.offset((page - 1) * MY_PER_PAGE).limit(MY_PER_PAGE)))
    return render_template("safety_plan/my_actions.html", actions=my_action_views(s, current_user, rows),
                           total=total, page=page, pages=max(1, -(-total // MY_PER_PAGE)), statuses=ACTION_STATUSES,
                           status_filter=status_filter, overdue=overdue, status_form=StatusForm(formdata=None),
                           error=error), status

def paged(stmt, per_page: int):
    s = db.session()
    page = page_number()
    total = s.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = list(s.exec(stmt.offset((page - 1) * per_page).limit(per_page)))
    return rows, total, page, max(1, -(-total // per_page))

def organisation_actions_page(error: str | None = None, status: int = 200):
    """Render "Acties van mijn organisatie" (paged; filters: status, overdue)."""
    s = db.session()
    status_filter = request.args.get("status") if request.args.get("status") in ACTION_STATUSES else None
    overdue = request.args.get("te_laat") == "1"
    rows, total, page, pages = paged(organisation.organisation_actions_query(
        current_user, status=status_filter, overdue=overdue), MY_PER_PAGE)
    actions, contexts = action_views_across_cases(s, current_user, rows, "acties van mijn organisatie")
    choices: dict[int, list[User]] = {}
    if organisation.is_team_lead_of(current_user, current_user.organisation_id):
        people = organisation.colleagues(s, current_user)
        choices = {a.id: organisation.assignable_colleagues(people, contexts[a.case_id])
                   for a in actions if a.status in OPEN_STATUSES}
    return render_template("safety_plan/organisation_actions.html", actions=actions, total=total, page=page,
                           pages=pages, statuses=ACTION_STATUSES, status_filter=status_filter, overdue=overdue,
                           status_form=StatusForm(formdata=None), assign_form=AssignForm(formdata=None),
                           choices=choices, error=error), status

def overview_query(user: User, kind: str = "", today=None):
    """Open actions in the cases *user* coordinates that are overdue or have no person as owner
    (an organisation's action nobody picked up, or an owner whose account is closed); most overdue first."""
    today = today or views.today()
    overdue = PlanAction.deadline < today
    no_person = and_(PlanAction.owner_is_family.is_(False),
                     or_(PlanAction.owner_user_id.is_(None), User.active.is_(False)))
    condition = {"te_laat": overdue, "zonder_persoon": no_person}.get(kind, or_(overdue, no_person))
    return (select(PlanAction)
            .join(Case, Case.id == PlanAction.case_id)
            .outerjoin(User, User.id == PlanAction.owner_user_id)
            .where(Case.coordinator_id == user.id, Case.purged_at.is_(None), PlanAction.removed_at.is_(None),
                   PlanAction.status.in_(OPEN_STATUSES), condition)
            .order_by(PlanAction.deadline, PlanAction.id))
