"""Fictional demo safety plans, in the states a team lead meets:

* MDA-2026-0001: an approved plan (version 1, by the team leads) with an overdue action and
  a finished one, a GGZ action only the source and those with a basis see, and three rounds
  of safety scores;
* MDA-2026-0002: a draft plan, proposed but not yet approved;
* MDA-2026-0003 (Familie Oefenberg, a case of its own): actions that did not succeed, one
  for each reason.

Everything is invented and marked "(fictief)". Idempotent: a case that has a plan is skipped.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from mda.cases.models import Case
from mda.core import audit, sharing
from mda.core.timeutil import utcnow
from mda.demo.accounts import demo_organisation, demo_user
from mda.demo.cases import COORDINATOR, _Builder, _new_case
from mda.safety_plan import services, versions
from mda.safety_plan.models import SafetyPlan, SafetyScore

VT, POL, GGZ, LT = ("medewerker.vt@demo.invalid", "agent.pol@demo.invalid", "behandelaar.ggz@demo.invalid",
                    "wijkteam.lt@demo.invalid")


def _context(db: Session, reference: str):
    case = db.exec(select(Case).where(Case.reference == reference)).first()
    if case is None or db.exec(select(SafetyPlan).where(SafetyPlan.case_id == case.id)).first() is not None:
        return None
    return sharing.load_context(db, case)


def _approved_plan(db: Session) -> int:
    ctx = _context(db, "MDA-2026-0001")
    if ctx is None:
        return 0
    u = {email: demo_user(db, email) for email in (VT, POL, GGZ, LT, COORDINATOR, "teamleider.vt@demo.invalid",
                                                   "teamleider.lt@demo.invalid")}
    org = {code: demo_organisation(db, code).id for code in ("VT", "POL", "GGZ", "LT")}
    today = utcnow().date()
    services.add_entry(db, u[VT], ctx, section="zorg", text="Herhaald geweld in bijzijn van de kinderen (fictief).",
                       party_organisation_id=org["VT"])
    services.add_entry(db, u[LT], ctx, section="gaat_goed", text="Moeder houdt zich aan de afspraken met het "
                       "wijkteam (fictief).", party_is_family=True)
    services.add_entry(db, u[VT], ctx, section="voorwaarde", text="Geen geweld, ook niet verbaal, waar de kinderen "
                       "bij zijn (fictief).", party_organisation_id=org["VT"])
    services.add_entry(db, u[VT], ctx, section="voorwaarde", text="Vader houdt zich aan het contactverbod "
                       "(fictief).", party_organisation_id=org["VT"])
    services.add_entry(db, u[LT], ctx, section="doel", text="De kinderen gaan elke dag naar school (fictief).",
                       party_is_family=True)
    services.add_entry(db, u[GGZ], ctx, section="doel", text="Moeder rondt de traumabehandeling af (fictief).",
                       party_organisation_id=org["GGZ"], category="gezondheid")
    services.add_entry(db, u[POL], ctx, section="signaal", text="Vader wordt gezien bij de woning (fictief).",
                       detail="Moeder belt 112; politie rijdt met voorrang (fictief).",
                       party_organisation_id=org["POL"])
    services.add_entry(db, u[VT], ctx, section="monitoring", text="Veilig Thuis belt moeder elke week (fictief).",
                       detail="Geen geweld in bijzijn van de kinderen", party_organisation_id=org["VT"])
    overdue = services.add_action(db, u[LT], ctx, description="Huisbezoek en gesprek met moeder over de "
                                  "dagstructuur (fictief).", deadline=today - timedelta(days=6),
                                  owner_user_id=u[LT].id, allow_past_deadline=True)
    done = services.add_action(db, u[POL], ctx, description="Naleving huisverbod controleren (fictief).",
                               deadline=today - timedelta(days=2), owner_user_id=u[POL].id, allow_past_deadline=True)
    services.add_action(db, u[GGZ], ctx, description="Start EMDR-behandeling moeder (fictief).",
                        deadline=today + timedelta(days=14), owner_user_id=u[GGZ].id, category="gezondheid")
    services.add_action(db, u[LT], ctx, description="Moeder meldt de kinderen aan bij de naschoolse opvang "
                        "(fictief).", deadline=today + timedelta(days=10), owner_is_family=True)
    services.add_action(db, u[VT], ctx, description="Veiligheidstaxatie herhalen (fictief).",
                        deadline=today + 3 * timedelta(days=1), owner_user_id=u[VT].id)
    services.change_status(db, u[POL], ctx, done, status="gereed", comment="Twee controles, huisverbod nageleefd "
                           "(fictief).")
    services.change_status(db, u[LT], ctx, overdue, status="bezig", comment="Eerste afspraak gemaakt (fictief).")
    services.set_next_evaluation(db, u[COORDINATOR], ctx, today + timedelta(days=28))
    for days_ago, scores in ((42, {"VT": 3, "POL": 2, "GGZ": 4, "LT": 3}), (21, {"VT": 4, "POL": 4, "GGZ": 5,
                                                                               "LT": 5}),
                             (7, {"VT": 5, "POL": 6, "GGZ": 6, "LT": 6})):
        key = f"demo-{days_ago}"
        services.record_scores(db, u[COORDINATOR], ctx, meeting_id=None,
                               scores={org[c]: s for c, s in scores.items()}, round_key=key)
        for row in db.exec(select(SafetyScore).where(SafetyScore.case_id == ctx.case.id,
                                                     SafetyScore.round_key == key)):
            row.scored_at = utcnow() - timedelta(days=days_ago)
    version = versions.propose(db, u[COORDINATOR], ctx)
    for lead in ("teamleider.vt@demo.invalid", "teamleider.lt@demo.invalid"):
        versions.approve(db, u[lead], ctx, version, expected_revision=version.revision, kind="teamleiders")
    return 1


def _draft_plan(db: Session) -> int:
    ctx = _context(db, "MDA-2026-0002")
    if ctx is None:
        return 0
    vt, recl, vo = (demo_user(db, e) for e in (VT, "toezicht.recl@demo.invalid", "opvang.vo@demo.invalid"))
    today = utcnow().date()
    services.add_entry(db, vt, ctx, section="voorwaarde", text="Vader zoekt geen contact met moeder, ook niet via "
                       "sociale media (fictief).", party_organisation_id=vt.organisation_id)
    services.add_entry(db, vo, ctx, section="doel", text="Moeder en zoon vinden een eigen woning (fictief).",
                       party_is_family=True)
    services.add_action(db, recl, ctx, description="Meldplicht en contactverbod bespreken met vader (fictief).",
                        deadline=today + timedelta(days=7), owner_user_id=recl.id, category="reclassering")
    services.add_action(db, vo, ctx, description="Inschrijving woningzoekende regelen (fictief).",
                        deadline=today + timedelta(days=21), owner_user_id=vo.id)
    versions.propose(db, demo_user(db, COORDINATOR), ctx)
    return 1


def _failed_actions_plan(db: Session) -> int:
    case = _new_case(db, "MDA-2026-0003", phase="herstel", urgency="normaal", opened_at=utcnow() - timedelta(days=200),
                     reason="Langdurige spanningen en geweld tussen ouders; kinderen getuige (fictief).",
                     goal="Herstel van veiligheid en rust in het gezin Oefenberg (fictief).")
    if case is not None:
        _Builder(db, case).circle(["VT", "LT", "GGZ"], [VT, LT, GGZ])
    ctx = _context(db, "MDA-2026-0003")
    if ctx is None:
        return 0
    vt, lt, ggz = (demo_user(db, e) for e in (VT, LT, GGZ))
    today = utcnow().date()
    services.add_entry(db, vt, ctx, section="voorwaarde", text="Ruzies worden niet uitgevochten waar de kinderen "
                       "bij zijn (fictief).", party_organisation_id=vt.organisation_id)
    moved = services.add_action(db, lt, ctx, description="Gezinsgesprekken thuis in Demodam (fictief).",
                                deadline=today - timedelta(days=20), owner_user_id=lt.id, allow_past_deadline=True)
    missed = services.add_action(db, ggz, ctx, description="Intake relatietherapie plannen (fictief).",
                                 deadline=today - timedelta(days=10), owner_organisation_id=ggz.organisation_id,
                                 allow_past_deadline=True)
    services.add_action(db, lt, ctx, description="Vader zoekt een eigen woning (fictief).",
                        deadline=today + timedelta(days=30), owner_is_family=True)
    services.change_status(db, lt, ctx, moved, status="niet_gelukt", failure_reason="omstandigheden",
                           comment="Het gezin is verhuisd naar een andere gemeente (fictief).")
    services.change_status(db, ggz, ctx, missed, status="niet_gelukt", failure_reason="niet_uitgevoerd",
                           comment="Wachtlijst; intake niet op tijd gepland (fictief).")
    return 1


def seed(db: Session) -> int:
    """Create the demo plans that are missing; return how many plans were made."""
    created = _approved_plan(db) + _draft_plan(db) + _failed_actions_plan(db)
    if created:
        audit.record(db, "create", user_name="demo-data", object_type="demo",
                     summary=f"fictieve demo-veiligheidsplannen geladen: {created}")
    return created
