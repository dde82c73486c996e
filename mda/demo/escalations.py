"""Fictional demo escalations, one for each situation a team lead, manager or bestuurder meets:

* MDA-2026-0001: one at level 1 (both positions in), one moved up to level 2 by hand, and an
  acute one (about the case's phase) with a few hours left;
* MDA-2026-0002: one at level 3 (bestuurlijk), and one whose limit has passed: the next run
  of ``flask --app mda jobs`` moves it up;
* MDA-2026-0003: one decided by VT's team lead, with its plan consequence (a new condition),
  acknowledged by the wijkteam and waiting for VT's acknowledgement.

Adds the accounts of the higher levels: a manager at VT and at the wijkteam, and the ZVH's
bestuurder. Everything is invented and marked "(fictief)". Idempotent: a case that already has
an escalation is skipped. Steps are dated in the past with the jobs' clock.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, clock, sharing
from mda.core.timeutil import utcnow
from mda.demo.accounts import create_accounts, demo_organisation, demo_user
from mda.escalations import notify, services
from mda.escalations.models import Escalation
from mda.safety_plan.models import PlanEntry

LADDER_ACCOUNTS = [
    ("manager.vt@demo.invalid", "Maaike Management (fictief)", "VT", ["manager"]),
    ("manager.lt@demo.invalid", "Mehmet Middenkader (fictief)", "LT", ["manager"]),
    ("bestuurder.zvh@demo.invalid", "Bert Bestuur (fictief)", "ZVH", ["bestuurder"]),
]
VT_PRO, VT_LEAD, LT_PRO = "medewerker.vt@demo.invalid", "teamleider.vt@demo.invalid", "wijkteam.lt@demo.invalid"


def _accounts(db: Session) -> int:
    return create_accounts(db, LADDER_ACCOUNTS)


def _context(db: Session, reference: str):
    case = db.exec(select(Case).where(Case.reference == reference)).first()
    if case is None or db.exec(select(Escalation).where(Escalation.case_id == case.id)).first() is not None:
        return None
    return sharing.load_context(db, case)


def _raiser(db: Session, ctx) -> User | None:
    """The wijkteam professional when in the circle, else another professional of a non-VT circle organisation."""
    lt = demo_user(db, LT_PRO)
    if lt.organisation_id in ctx.circle_org_ids and lt.id in ctx.member_user_ids:
        return lt
    for user in db.exec(select(User).where(User.id.in_(ctx.member_user_ids)).order_by(User.id)):
        if ctx.org_types.get(user.organisation_id) not in ("VT", "ZVH") and "professional" in user.roles:
            return user
    return None


def _conditions(db: Session, ctx) -> list[PlanEntry]:
    return list(db.exec(select(PlanEntry).where(PlanEntry.case_id == ctx.case.id, PlanEntry.section == "voorwaarde",
                                                PlanEntry.removed_at.is_(None)).order_by(PlanEntry.id)))


def _raise(db, raiser, ctx, *, entry=None, kind="plan_entry", label, urgency="regulier", when, vt_position=True):
    vt = demo_organisation(db, "VT")
    with clock.frozen(when):
        esc = services.raise_escalation(
            db, raiser, ctx, subject_kind=kind if entry is None else "plan_entry",
            subject_id=entry.id if entry is not None else None, subject_text=label, urgency=urgency,
            other_organisation_id=vt.id,
            position="(fictief) Wij zien dat het gezin zich aan de afspraken houdt; deze voorwaarde is nu te "
                     "zwaar en schaadt de band met de kinderen.",
            risk_argument="(fictief) Zonder contact dreigt de samenwerking met vader te stoppen.")
    if vt_position:
        with clock.frozen(when + timedelta(hours=2)):
            services.add_position(db, demo_user(db, VT_PRO), ctx, esc,
                                  text="(fictief) De veiligheid van de kinderen is nog niet aangetoond; de "
                                       "voorwaarde blijft nodig tot het onderzoek is afgerond.",
                                  risk_argument="(fictief) Eerdere incidenten bij overdrachten.")
    return esc


def _case_and_raiser(db: Session, reference: str):
    """The demo case *reference* and the professional who raises its escalations, or (None, None) when the case,
    the raiser or Veilig Thuis in its circle is missing (the demo data was changed)."""
    ctx = _context(db, reference)
    raiser = _raiser(db, ctx) if ctx else None
    if ctx is None or raiser is None or demo_organisation(db, "VT").id not in ctx.circle_org_ids:
        return None, None
    return ctx, raiser


def _case_one(db: Session) -> int:
    ctx, raiser = _case_and_raiser(db, "MDA-2026-0001")
    if ctx is None:
        return 0
    now, conditions = utcnow(), _conditions(db, ctx)
    made = 0
    if conditions:
        _raise(db, raiser, ctx, entry=conditions[0], label=f"voorwaarde {conditions[0].id} (fictief)",
               when=now - timedelta(hours=5))
        made += 1
    if len(conditions) > 1:
        esc = _raise(db, raiser, ctx, entry=conditions[1], label=f"voorwaarde {conditions[1].id} (fictief)",
                     when=now - timedelta(days=2))
        with clock.frozen(now - timedelta(days=1)):
            services.move_up(db, demo_user(db, VT_LEAD), ctx, esc,
                             reason="(fictief) De teamleiders komen er samen niet uit.")
        made += 1
    _raise(db, raiser, ctx, kind="fase", label="fase: terug naar acute veiligheid? (fictief)", urgency="acuut",
           when=now - timedelta(hours=1), vt_position=False)
    return made + 1


def _case_two(db: Session) -> int:
    ctx, raiser = _case_and_raiser(db, "MDA-2026-0002")
    if ctx is None:
        return 0
    now, conditions = utcnow(), _conditions(db, ctx)
    esc = _raise(db, raiser, ctx, entry=conditions[0] if conditions else None, kind="afsluiting",
                 label="voorwaarde contact (fictief)" if conditions else "afsluiten van de casus (fictief)",
                 when=now - timedelta(days=6))
    for days, who in ((5, VT_LEAD), (3, VT_LEAD)):
        with clock.frozen(now - timedelta(days=days)):
            services.move_up(db, demo_user(db, who), ctx, esc, reason="(fictief) Geen overeenstemming op dit niveau.")
    _raise(db, raiser, ctx, kind="afsluiting" if conditions else "fase", label="afsluiten van de casus (fictief)",
           when=now - timedelta(days=14))  # limit long passed: the job moves it up
    return 2


def _case_three(db: Session) -> int:
    ctx = _context(db, "MDA-2026-0003")
    raiser = _raiser(db, ctx) if ctx else None
    conditions = _conditions(db, ctx) if ctx else []
    if ctx is None or raiser is None or not conditions or demo_organisation(db, "VT").id not in ctx.circle_org_ids:
        return 0
    now = utcnow()
    esc = _raise(db, raiser, ctx, entry=conditions[0], label=f"voorwaarde {conditions[0].id} (fictief)",
                 when=now - timedelta(days=4))
    with clock.frozen(now - timedelta(days=3)):
        services.decide(db, demo_user(db, VT_LEAD), ctx, esc,
                        decision="(fictief) De voorwaarde blijft; er komt een evaluatie over vier weken.",
                        reasons="(fictief) Het onderzoek van Veilig Thuis loopt nog; de zorg van het wijkteam "
                                "wordt meegenomen in de evaluatie.",
                        consequence="aanvullen",
                        consequence_text="(fictief) Evaluatie van de voorwaarde over vier weken, met wijkteam "
                                         "en Veilig Thuis.")
    with clock.frozen(now - timedelta(days=2)):
        services.acknowledge(db, raiser, ctx, esc)
    return 1


def seed(db: Session) -> int:
    """Create the ladder accounts and demo escalations that are missing; return how many records were made."""
    created = _accounts(db)
    with notify.without_email():  # demo data mails nobody; the in-app notifications show the flow
        escalations = _case_one(db) + _case_two(db) + _case_three(db)
    if created or escalations:
        audit.record(db, "create", user_name="demo-data", object_type="demo",
                     summary=f"fictieve demo-escalaties geladen: {escalations} (en {created} accounts)")
    return created + escalations
