"""Telling team leads that a proposal of a plan waits for them: an e-mail after the commit, and a
start-page panel until their organisation approved (or the proposal lapsed or went stale).

Only the case reference and the proposal's number leave the server: no names or plan content in
the mail, whose link leads to the plan page where the sharing engine decides what is shown.
"""

from __future__ import annotations

from sqlmodel import Session, select

from mda import db as unit
from mda.auth.models import User
from mda.cases.models import Case, CaseOrganisation
from mda.core import audit, mail, sharing
from mda.notices import services as notices
from mda.safety_plan.models import PlanApproval, PlanVersion, SafetyPlan

PANEL_LIMIT = 5


def waiting_team_leads(db: Session, ctx: sharing.CaseContext, version: PlanVersion) -> list[User]:
    """Active team leads of the circle organisations that have not approved *version* yet."""
    done = set(db.exec(select(PlanApproval.organisation_id).where(PlanApproval.version_id == version.id)))
    org_ids = set(ctx.circle_org_ids) - done
    if not org_ids:
        return []
    leads = db.exec(select(User).where(User.organisation_id.in_(org_ids), User.active.is_(True),
                                       User.roles_text.contains("team_lead")).order_by(User.id))
    return [u for u in leads if "team_lead" in u.roles]


def notify_team_leads(db: Session, user: User, ctx: sharing.CaseContext, version: PlanVersion) -> int:
    """Queue one e-mail per waiting team lead (sent after the commit); the audit row goes with the change.

    Returns how many were queued."""
    leads = [lead for lead in waiting_team_leads(db, ctx, version) if lead.email]
    if not leads:
        return 0
    reference = ctx.case.reference
    link = mail.public_url("safety_plan.plan", case_id=ctx.case.id, _anchor="versies")
    for lead in leads:
        body = "\n".join([
            f"Beste {lead.name},", "",
            f"Voorstel {version.number} van het veiligheidsplan van casus {reference} wacht op uw goedkeuring "
            "namens uw organisatie. Bekijk de wijzigingen en keur het voorstel goed in MDA++:", link, "",
            "Dit bericht bevat bewust geen inhoud van de casus.", "", "MDA++ (automatisch bericht)"])
        notices.send(db, lead, "goedkeuring",
                     f"Voorstel {version.number} veiligheidsplan {reference} wacht op uw goedkeuring", body,
                     case_id=ctx.case.id)
    audit.record(db, "create", user=user, object_type="plan_version", object_id=version.id, case_id=ctx.case.id,
                 summary=f"plan {reference}: voorstel {version.number} gemeld aan {len(leads)} teamleider(s)")
    return len(leads)


def waiting_for(db: Session, user: User) -> list[tuple[Case, PlanVersion]]:
    """Proposals that wait for *user*'s organisation: open, not stale, in a case whose circle holds it,
    not yet approved by it; only cases the engine lets *user* open."""
    if "team_lead" not in user.roles or not user.organisation_id:
        return []
    approved = select(PlanApproval.version_id).where(PlanApproval.organisation_id == user.organisation_id)
    rows = list(db.exec(
        select(Case, PlanVersion)
        .join(PlanVersion, PlanVersion.case_id == Case.id)
        .join(SafetyPlan, SafetyPlan.id == PlanVersion.plan_id)
        .join(CaseOrganisation, CaseOrganisation.case_id == Case.id)
        .where(PlanVersion.status == "voorgesteld", SafetyPlan.revision == PlanVersion.revision,
               CaseOrganisation.organisation_id == user.organisation_id, CaseOrganisation.removed_at.is_(None),
               PlanVersion.id.not_in(approved))
        .order_by(PlanVersion.proposed_at, PlanVersion.id)))
    if not rows:
        return []
    contexts = sharing.load_contexts(db, [case for case, _v in rows])
    return [(case, version) for case, version in rows if sharing.can_open_case(user, case, contexts[case.id])]


def home_panel(user):
    """Start-page panel for team leads: the proposals waiting for their approval (case references only)."""
    if "team_lead" not in getattr(user, "roles", ()):
        return None
    waiting = waiting_for(unit.session(), user)
    if not waiting:
        return None
    return "safety_plan/_approval_panel.html", {"waiting": waiting[:PANEL_LIMIT], "total": len(waiting)}
