"""Changing escalations: raise, add a position, move up, decide, acknowledge, withdraw.

Every function takes the :class:`~mda.core.sharing.CaseContext` that
:func:`~mda.core.sharing.load_case_or_404` returned (the caller is in the circle), checks
who may act, validates everything before it writes (a :class:`ServiceError` carries the
Dutch message and nothing is stored), flushes, records a timeline step and an audit row,
and queues notifications (sent only after the commit). Audit summaries and notifications
name case and escalation numbers only, never the text of a position.

Concurrency: each change bumps ``Escalation.version`` with a conditional UPDATE on the
version the caller read. Two deciders at once: the database lets exactly one UPDATE match;
the second is refused with a message. The job that moves escalations up claims a
:class:`~mda.jobs.models.JobMark` per escalation and level, so it acts once even when it
runs in two processes at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit, clock, sharing
from mda.core.errors import ConflictError, ServiceError
from mda.escalations import ladder as ladders
from mda.escalations import notify
from mda.escalations.access import (
    current_level,
    is_decider,
    is_party,
    ladder_of,
)
from mda.escalations.locks import (
    open_on_subject,
)
from mda.escalations.models import (
    SUBJECT_KINDS,
    URGENCIES,
    Escalation,
    EscalationAck,
    EscalationPosition,
    EscalationStep,
)

MAX_POSITION = 4000
MAX_RISK = 1000
MAX_SUBJECT = 300
MAX_REASON = 2000
PLAN_CONSEQUENCES = {
    "geen": "Geen wijziging van het plan",
    "aanvullen": "Aanvullen: een nieuwe regel in het plan",
    "wijzigen": "Het betwiste onderdeel wijzigen",
    "verwijderen": "Het betwiste onderdeel uit het plan halen",
}


def now() -> datetime:
    """The time of escalation steps: the jobs' clock, which tests can set."""
    return clock.now()


# ----------------------------------------------------------------------------- helpers
def _step(db: Session, esc: Escalation, kind: str, *, actor: User | None = None, note: str = "",
          at: datetime | None = None) -> EscalationStep:
    step = EscalationStep(escalation_id=esc.id, kind=kind, level=esc.level, at=at or now(),
                          actor_id=actor.id if actor else None,
                          source_organisation_id=actor.organisation_id if actor else None, note=note)
    db.add(step)
    return step


def _audit(db: Session, user: User | None, esc: Escalation, action: str, what: str, *, job: str = "") -> None:
    audit.record(db, action, user=user, user_name=f"taak:{job}" if job else None, object_type="escalation",
                 object_id=esc.id, case_id=esc.case_id,
                 summary=f"escalatie {esc.reference} (casus {esc.case_id}, niveau {esc.level}): {what}"[:500])


def _bump(db: Session, esc: Escalation, expected_version: int | None, **values) -> None:
    """Apply *values* to *esc* only if nobody changed it since *expected_version* (else refuse)."""
    version = esc.version if expected_version is None else expected_version
    db.flush()
    result = db.connection().execute(
        update(Escalation).where(Escalation.id == esc.id, Escalation.version == version)
        .values(version=version + 1, **values))
    if result.rowcount != 1:
        db.expire(esc)
        raise ConflictError("Deze escalatie is intussen door iemand anders gewijzigd (bijvoorbeeld al besloten of "
                           "naar een volgend niveau gebracht). Er is niets opgeslagen; bekijk de escalatie opnieuw.")
    db.expire(esc)  # re-read what the UPDATE wrote
    db.refresh(esc)


def _require_text(value: str | None, maximum: int, missing: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(missing)
    if len(value) > maximum:
        raise ServiceError(f"{label} mag hoogstens {maximum} tekens zijn.")
    return value


def _subject_check(db: Session, user: User, ctx: sharing.CaseContext, kind: str,
                   subject_id: int | None) -> int | None:
    """The subject's id when *user* may raise an escalation about it: it belongs to this case and the engine
    lets *user* see it (raising locks the subject, so nobody may lock what they cannot see). A subject the user
    may not see is refused with the same words as one that does not exist."""
    from werkzeug.exceptions import NotFound

    from mda.safety_plan.models import PlanAction, PlanEntry

    if kind not in SUBJECT_KINDS:
        raise ServiceError("Kies waarover het verschil van inzicht gaat.")
    if kind in ("plan_entry", "plan_action"):
        model = PlanEntry if kind == "plan_entry" else PlanAction
        row = db.get(model, subject_id) if subject_id else None
        if (row is None or row.case_id != ctx.case.id or row.removed_at is not None
                or not sharing.plan_entry_decision(user, ctx, row).visible):
            raise ServiceError("Kies het onderdeel van het veiligheidsplan van deze casus waarover het verschil gaat.")
        return row.id
    if kind == "besluit":
        if not subject_id or subject_id < 1:
            raise ServiceError("Kies het besluit van het overleg waarover het verschil gaat.")
        piece = decision_of_case(db, ctx, subject_id)
        try:  # the decision's item, with its persons (the engine decides on them)
            item = sharing.load_item_or_404(db, user, ctx, piece.item_id) if piece is not None else None
        except NotFound:
            item = None
        if item is None or not sharing.item_decision(user, ctx, item).visible:
            raise ServiceError("Het gekozen besluit is geen besluit van een overleg over deze casus. Kies het "
                               "besluit vanuit het overleg (knop 'Escalatie starten' bij het besluit).")
        return subject_id
    return None


def decision_of_case(db: Session, ctx: sharing.CaseContext, piece_id: int | None):
    """The conference decision (written live) with this number in this case, or None (also for nonsense)."""
    from mda.core.input_guard import MAX_DB_INT
    from mda.live.models import LivePiece

    if not isinstance(piece_id, int) or not 0 < piece_id <= MAX_DB_INT:
        return None
    piece = db.get(LivePiece, piece_id)
    if piece is None or piece.kind != "besluit" or piece.case_id != ctx.case.id:
        return None
    return piece


# ----------------------------------------------------------------------------- raise
def raise_escalation(db: Session, user: User, ctx: sharing.CaseContext, *, subject_kind: str,
                     subject_id: int | None, subject_text: str, urgency: str, other_organisation_id: int | None,
                     position: str, risk_argument: str = "") -> Escalation:
    """Start an escalation at level 1 with the raiser's position; the other party is asked for theirs."""
    if not sharing.can_manage(user, ctx, "work"):
        raise ServiceError("U kunt in deze casus geen escalatie starten.")
    if ctx.case.phase == "afgesloten" or ctx.case.purged_at is not None:
        raise ServiceError("Deze casus is afgesloten: een escalatie starten kan niet meer.")
    problems = []
    if urgency not in URGENCIES:
        problems.append("Kies de urgentie: acuut of regulier.")
    if not (position or "").strip():
        problems.append("Schrijf uw standpunt; een escalatie zonder standpunt wordt niet gestart.")
    if not (subject_text or "").strip():
        problems.append("Omschrijf kort (zonder namen) waarover het verschil gaat.")
    if other_organisation_id is None or other_organisation_id not in ctx.circle_org_ids:
        problems.append("Kies de organisatie uit de kring waarmee u van mening verschilt.")
    elif other_organisation_id == user.organisation_id:
        problems.append("U kunt niet escaleren tegen uw eigen organisatie; kies de andere partij.")
    if user.organisation_id not in ctx.circle_org_ids:
        problems.append("Uw organisatie hoort niet bij de kring van deze casus.")
    if problems:
        raise ServiceError(" ".join(problems))
    subject_id = _subject_check(db, user, ctx, subject_kind, subject_id)
    subject_text = _require_text(subject_text, MAX_SUBJECT, "", "De omschrijving")
    position = _require_text(position, MAX_POSITION, "", "Het standpunt")
    risk_argument = (risk_argument or "").strip()
    if len(risk_argument) > MAX_RISK:
        raise ServiceError(f"Het risico-argument mag hoogstens {MAX_RISK} tekens zijn.")
    if open_on_subject(db, ctx.case.id, subject_kind, subject_id) is not None:
        raise ServiceError("Over dit onderdeel loopt al een escalatie. Voeg daar uw standpunt toe.")
    at = now()
    level = ladder_of(ctx).level(1)
    esc = Escalation(case_id=ctx.case.id, subject_kind=subject_kind, subject_id=subject_id,
                     subject_text=subject_text, urgency=urgency, status="open", level=1, level_started_at=at,
                     deadline_at=ladders.deadline(level, urgency, at), raised_by_id=user.id,
                     raiser_organisation_id=user.organisation_id, other_organisation_id=other_organisation_id,
                     created_at=at)
    db.add(esc)
    db.flush()
    db.add(EscalationPosition(escalation_id=esc.id, organisation_id=user.organisation_id, author_id=user.id,
                              text=position, risk_argument=risk_argument, created_at=at))
    _step(db, esc, "raised", actor=user, at=at)
    db.flush()
    _audit(db, user, esc, "create", f"gestart ({subject_kind}, {urgency})")
    notify.escalation_event(db, ctx, esc, "raised", exclude={user.id})
    return esc


# ----------------------------------------------------------------------------- positions
def positions(db: Session, esc: Escalation) -> list[EscalationPosition]:
    return list(db.exec(select(EscalationPosition).where(EscalationPosition.escalation_id == esc.id)
                        .order_by(EscalationPosition.id)))


def add_position(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, *, text: str,
                 risk_argument: str = "", expected_version: int | None = None) -> EscalationPosition:
    """The other party (or the raiser's organisation, once) writes its own position."""
    _require_open(esc)
    if not is_party(user, ctx, esc):
        raise ServiceError("Alleen de twee partijen van deze escalatie schrijven een standpunt.")
    text = _require_text(text, MAX_POSITION, "Schrijf uw standpunt; een leeg standpunt wordt niet opgeslagen.",
                         "Het standpunt")
    risk_argument = (risk_argument or "").strip()
    if len(risk_argument) > MAX_RISK:
        raise ServiceError(f"Het risico-argument mag hoogstens {MAX_RISK} tekens zijn.")
    existing = {p.organisation_id for p in positions(db, esc)}
    if user.organisation_id in existing:
        raise ServiceError("Uw organisatie heeft al een standpunt gegeven in deze escalatie.")
    both = existing | {user.organisation_id} >= {esc.raiser_organisation_id, esc.other_organisation_id}
    _bump(db, esc, expected_version, status="in_behandeling" if both else esc.status)
    position = EscalationPosition(escalation_id=esc.id, organisation_id=user.organisation_id, author_id=user.id,
                                  text=text, risk_argument=risk_argument, created_at=now())
    db.add(position)
    _step(db, esc, "position", actor=user)
    db.flush()
    _audit(db, user, esc, "update", "standpunt toegevoegd")
    notify.escalation_event(db, ctx, esc, "position", exclude={user.id})
    return position


def _require_open(esc: Escalation) -> None:
    if not esc.is_open:
        raise ServiceError(_no_longer_open(esc))


def _no_longer_open(esc: Escalation) -> str:
    """The refusal of a step on an escalation past its decision (the status named as the pages show it)."""
    return f"Deze escalatie heeft de status ‘{esc.status_name}’; hierop kan niet meer worden gehandeld."


# ----------------------------------------------------------------------------- move up
def _to_next_level(db: Session, ctx: sharing.CaseContext, esc: Escalation, *, at: datetime,
                   expected_version: int | None) -> ladders.Level:
    ladder = ladder_of(ctx)
    if esc.level >= ladder.top:
        raise ServiceError(f"Deze escalatie is al op het hoogste niveau ({ladder.level(ladder.top).label}); "
                           "hoger kan niet. Het besluit ligt nu bij de houder van doorzettingsmacht.")
    nxt = ladder.level(esc.level + 1)
    _bump(db, esc, expected_version, level=nxt.number, level_started_at=at,
          deadline_at=ladders.deadline(nxt, esc.urgency, at),
          status="in_behandeling" if esc.status == "open" else esc.status)
    return nxt


def move_up(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, *, reason: str,
            expected_version: int | None = None) -> Escalation:
    """"Naar volgend niveau": a party or a decider of the current level moves it up, with a reason."""
    _require_open(esc)
    if not (is_party(user, ctx, esc) or is_decider(user, ctx, esc)):
        raise ServiceError("Alleen de partijen en de beslissers op dit niveau kunnen de escalatie hoger leggen.")
    reason = _require_text(reason, MAX_REASON, "Geef de reden om naar het volgende niveau te gaan.", "De reden")
    at = now()
    nxt = _to_next_level(db, ctx, esc, at=at, expected_version=expected_version)
    _step(db, esc, "moved_up", actor=user, note=reason, at=at)
    _after_level_change(db, ctx, esc, nxt, at)
    _audit(db, user, esc, "update", f"naar niveau {nxt.number} gebracht")
    notify.escalation_event(db, ctx, esc, "moved_up", exclude={user.id})
    return esc


def _after_level_change(db: Session, ctx: sharing.CaseContext, esc: Escalation, level: ladders.Level,
                        at: datetime) -> None:
    if level.meeting:
        _step(db, esc, "meeting_proposed", at=at)
    db.flush()


# ----------------------------------------------------------------------------- decide
def decide(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, *, decision: str, reasons: str,
           consequence: str = "geen", consequence_text: str = "", expected_version: int | None = None) -> Escalation:
    """Record the decision of a decider at the current level, and make its plan change in the same step.

    The plan change goes through the safety plan's own services (and their rules); when
    they refuse, the decision is refused too and nothing is stored.
    """
    _require_open(esc)
    if not is_decider(user, ctx, esc):
        raise ServiceError(f"Alleen een beslisser op {current_level(ctx, esc).label} kan over deze escalatie "
                           "besluiten.")
    decision = _require_text(decision, 4000, "Schrijf het besluit.", "Het besluit")
    reasons = _require_text(reasons, 4000, "Schrijf de motivering van het besluit; een besluit zonder redenen "
                                          "wordt niet opgeslagen.", "De motivering")
    if consequence not in PLAN_CONSEQUENCES:
        raise ServiceError("Kies wat het besluit betekent voor het veiligheidsplan.")
    consequence_text = (consequence_text or "").strip()
    if consequence in ("aanvullen", "wijzigen") and not consequence_text:
        raise ServiceError("Schrijf de nieuwe tekst voor het veiligheidsplan.")
    if consequence in ("wijzigen", "verwijderen") and esc.subject_kind not in ("plan_entry", "plan_action"):
        raise ServiceError("Deze escalatie gaat niet over een onderdeel van het plan: kies 'geen wijziging' of "
                           "'aanvullen'.")
    if consequence == "wijzigen" and esc.subject_kind == "plan_action":
        raise ServiceError("Een actie wijzigt u op de planpagina; kies hier 'aanvullen' of 'verwijderen'.")
    at = now()
    # the version check first: a second decider is refused before anything else is written
    _bump(db, esc, expected_version, status="besluit", decided_at=at, decided_by_id=user.id,
          decider_organisation_id=user.organisation_id, decided_level=esc.level, decision=decision,
          reasons=reasons, plan_consequence=_consequence_summary(consequence, consequence_text))
    ref = _plan_change(db, user, ctx, esc, consequence, consequence_text)
    if ref:
        esc.plan_change_ref = ref
    _step(db, esc, "decided", actor=user, at=at)
    db.flush()
    _audit(db, user, esc, "update", f"besluit op niveau {esc.level}; plan: {consequence}"
           + (f" ({ref})" if ref else ""))
    notify.escalation_event(db, ctx, esc, "decided", exclude={user.id})
    return esc


#: the escalation's own summary of the plan change (its column's length); the plan keeps the whole new text
SUMMARY_LENGTH = 2000


def _consequence_summary(consequence: str, text: str) -> str:
    """What the decision means for the plan, as the escalation records it: shortened to fit its column (the
    plan line itself holds the whole text, up to the plan's own limit, which its service checks)."""
    summary = PLAN_CONSEQUENCES[consequence] + (f": {text}" if text else "")
    return summary if len(summary) <= SUMMARY_LENGTH else summary[:SUMMARY_LENGTH - 1] + "…"


def _plan_change(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, consequence: str,
                 text: str) -> str | None:
    from mda.safety_plan import services as plan
    from mda.safety_plan.models import PlanAction, PlanEntry

    if consequence == "geen":
        return None
    if consequence == "aanvullen":
        section = "voorwaarde"
        if esc.subject_kind == "plan_entry":
            entry = db.get(PlanEntry, esc.subject_id)
            section = entry.section if entry is not None else section
        new = plan.add_entry(db, user, ctx, section=section, text=text)
        return f"plan_entry:{new.id}"
    model = PlanEntry if esc.subject_kind == "plan_entry" else PlanAction
    target = db.get(model, esc.subject_id)
    if target is None or target.removed_at is not None:
        raise ServiceError("Het betwiste onderdeel staat niet meer in het plan.")
    # the decider carries out the decision, also on a line another organisation brought in (decide() checked
    # that *user* decides at this level); the plan's audit rows name the escalation
    if consequence == "wijzigen":
        plan.update_entry(db, user, ctx, target, text=text, detail=target.detail,
                          party_organisation_id=target.party_organisation_id, party_is_family=target.party_is_family,
                          decision=esc.reference)
    elif model is PlanEntry:
        plan.remove_entry(db, user, ctx, target, decision=esc.reference)
    else:
        plan.remove_action(db, user, ctx, target, decision=esc.reference)
    return f"{esc.subject_kind}:{target.id}"


# ----------------------------------------------------------------------------- acknowledge, withdraw
def acks(db: Session, esc: Escalation) -> list[EscalationAck]:
    return list(db.exec(select(EscalationAck).where(EscalationAck.escalation_id == esc.id)))


def acknowledge(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation,
                expected_version: int | None = None) -> Escalation:
    """A party acknowledges the decision; when both did, the escalation is closed."""
    if esc.status != "besluit":
        raise ServiceError("Er is (nog) geen besluit om te bevestigen." if esc.is_open else
                           _no_longer_open(esc))
    if not is_party(user, ctx, esc):
        raise ServiceError("Alleen de twee partijen bevestigen het besluit.")
    done = {a.organisation_id for a in acks(db, esc)}
    if user.organisation_id in done:
        raise ServiceError("Uw organisatie heeft het besluit al bevestigd.")
    both = done | {user.organisation_id} >= {esc.raiser_organisation_id, esc.other_organisation_id}
    at = now()
    _bump(db, esc, expected_version, status="afgesloten" if both else "besluit", closed_at=at if both else None)
    db.add(EscalationAck(escalation_id=esc.id, organisation_id=user.organisation_id, user_id=user.id, at=at))
    _step(db, esc, "acknowledged", actor=user, at=at)
    if both:
        _step(db, esc, "closed", at=at)
    db.flush()
    _audit(db, user, esc, "update", "besluit bevestigd" + ("; afgesloten" if both else ""))
    if both:
        notify.escalation_event(db, ctx, esc, "closed", exclude={user.id})
    return esc


def may_withdraw(user: User, ctx: sharing.CaseContext, esc: Escalation) -> bool:
    """The raiser, or a team lead of the raiser's organisation."""
    return sharing.can_open_case(user, ctx.case, ctx) and (
        user.id == esc.raised_by_id
        or ("team_lead" in user.roles and user.organisation_id == esc.raiser_organisation_id))


def withdraw(db: Session, user: User, ctx: sharing.CaseContext, esc: Escalation, *, reason: str,
             expected_version: int | None = None) -> Escalation:
    """The raiser withdraws the escalation; the disputed subject is released."""
    _require_open(esc)
    if not may_withdraw(user, ctx, esc):
        raise ServiceError("Alleen wie de escalatie startte (of diens teamleider) kan haar intrekken.")
    reason = _require_text(reason, MAX_REASON, "Geef de reden om de escalatie in te trekken.", "De reden")
    at = now()
    _bump(db, esc, expected_version, status="ingetrokken", withdrawn_at=at, closed_at=at)
    _step(db, esc, "withdrawn", actor=user, note=reason, at=at)
    db.flush()
    _audit(db, user, esc, "update", "ingetrokken")
    notify.escalation_event(db, ctx, esc, "withdrawn", exclude={user.id})
    return esc
