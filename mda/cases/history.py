"""Correcting what was typed: edit items, persons and the case's reason and goal, keeping every old version.

Each edit stores the values *before* the change as one :class:`EditHistory` row (who, when,
the old values) in the same unit of work as the change and its audit row. Who may see an
old version is decided by the sharing engine exactly as for the current version: an item's
history only when :func:`mda.core.sharing.item_view` shows the item, a person's old name
and birth date only when the identity is visible, the old address only when the address
is; old reasons and goals with the category decision of the current ones, old purposes of a consent with
the decision on its current purpose (:func:`mda.core.sharing.consent_decision`). Destroying stays
the privacy officer's (:mod:`mda.privacy`), which also destroys this history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Field, Session, SQLModel, select

from mda.auth.models import User
from mda.cases import validation
from mda.cases.intake import PersonInput, person_problems
from mda.cases.models import Case, Consent, Item, Person
from mda.core import audit, sharing, signals
from mda.core.errors import ServiceError
from mda.core.timeutil import utcnow

#: what can be corrected -> Dutch name
OBJECT_TYPES = {"item": "gegeven", "person": "persoon", "case": "reden en doel", "consent": "toestemming"}


class EditHistory(SQLModel, table=True):
    """One earlier version of an item, a person or the case's reason and goal (append-only)."""

    __tablename__ = "edit_history"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    object_type: str = Field(max_length=20)
    object_id: int = Field(index=True)
    #: the values before the edit, as JSON (field -> value; dates as ISO strings)
    old_values: str = Field(max_length=20000)
    edited_by_id: int = Field(foreign_key="app_user.id")
    edited_at: datetime

    @property
    def values(self) -> dict:
        return json.loads(self.old_values)


def _keep(db: Session, user: User, ctx: sharing.CaseContext, object_type: str, object_id: int, old: dict) -> None:
    db.add(EditHistory(case_id=ctx.case.id, object_type=object_type, object_id=object_id,
                       old_values=json.dumps(old, default=str, ensure_ascii=False), edited_by_id=user.id,
                       edited_at=utcnow()))


def _correct(db: Session, user: User, ctx: sharing.CaseContext, row: Item | Person | Case | Consent,
             object_type: str, old: dict, new: dict, summary: str,
             person_ids: list[int] | tuple[int, ...] = ()) -> bool:
    """Keep *old* (the values before, as the history stores them), give *row* the *new* values, and audit the
    correction as *summary*. Returns True: something changed."""
    _keep(db, user, ctx, object_type, row.id, old)
    for name, value in new.items():
        setattr(row, name, value)
    db.add(row)
    db.flush()
    audit.record(db, "update", user=user, object_type=object_type, object_id=row.id, case_id=ctx.case.id,
                 person_ids=person_ids, summary=f"{summary} (vorige versie bewaard)")
    return True


def _require_open(ctx: sharing.CaseContext) -> None:
    if ctx.case.purged_at is not None:
        raise ServiceError("De gegevens van deze casus zijn na de bewaartermijn verwijderd.")
    if ctx.case.phase == "afgesloten":
        raise ServiceError("Deze casus is afgesloten; heropen hem eerst (fase wijzigen) om iets te corrigeren.")


# ----------------------------------------------------------------------------- edits
def item_lock_refusal(db: Session, item: Item) -> str | None:
    """Why *item*'s text may not change now, or None. Every path that changes an item's text asks this."""
    for provider in signals.item_lock_providers:
        if refusal := provider(db, item):
            return refusal
    return None


def may_edit_item(user: User, ctx: sharing.CaseContext, item: Item) -> bool:
    """The source organisation corrects its own items (a member of the circle who may work on the case)."""
    return sharing.can_manage(user, ctx, "work") and user.organisation_id == item.source_organisation_id


def edit_item(db: Session, user: User, ctx: sharing.CaseContext, item: Item, *, content: str,
              recorded_on: date | None) -> bool:
    """Correct an item's content or date; returns False when nothing changed. The old version is kept."""
    _require_open(ctx)
    if not may_edit_item(user, ctx, item):
        raise ServiceError("Alleen de organisatie die het gegeven vastlegde, kan het corrigeren.")
    if refusal := item_lock_refusal(db, item):
        raise ServiceError(refusal)
    content = (content or "").strip()
    if problems := validation.item_problems(content, recorded_on):
        raise ServiceError(" ".join(problems))
    if content == item.content and recorded_on == item.recorded_on:
        return False
    return _correct(db, user, ctx, item, "item", {"content": item.content, "recorded_on": item.recorded_on.isoformat()},
                    {"content": content, "recorded_on": recorded_on},
                    f"gegeven nr. {item.id} van {ctx.case.reference} gecorrigeerd",
                    person_ids=ctx.item_persons.get(item.id, []))


def may_edit_person(user: User, ctx: sharing.CaseContext, person: Person) -> bool:
    """Who may work on the case and sees the person's identity and address (one cannot correct what one cannot
    see), as the engine decides."""
    if not sharing.can_manage(user, ctx, "work"):
        return False
    view = sharing.person_view(user, ctx, person)
    return view.identity.visible and view.address_decision.visible


def edit_person(db: Session, user: User, ctx: sharing.CaseContext, person: Person, data: PersonInput) -> bool:
    """Correct a person's name, birth date or address (role and BSN are not edited here); old version kept."""
    _require_open(ctx)
    if not may_edit_person(user, ctx, person):
        raise ServiceError("U kunt alleen een persoon corrigeren van wie u naam en adres mag zien.")
    data.role, data.bsn = person.role, None
    problems = person_problems(data)
    if problems:
        raise ServiceError(" ".join(problems))
    new = {"name": data.name.strip(), "date_of_birth": data.date_of_birth, "address": (data.address or "").strip()}
    if new == {"name": person.name, "date_of_birth": person.date_of_birth, "address": person.address}:
        return False
    return _correct(db, user, ctx, person, "person", {
        "name": person.name, "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "address": person.address}, new, f"persoon nr. {person.id} van {ctx.case.reference} gecorrigeerd",
        person_ids=[person.id])


def edit_reason_goal(db: Session, user: User, ctx: sharing.CaseContext, *, reason: str, goal: str) -> bool:
    """The coordinator corrects the case's reason and goal; the old text is kept."""
    _require_open(ctx)
    if not sharing.can_manage(user, ctx, "coordinate"):
        raise ServiceError("Alleen de procesregisseur van de casus past reden en doel aan.")
    reason, goal = (reason or "").strip(), (goal or "").strip()
    if not reason or not goal:
        raise ServiceError("Vul zowel de reden als het doel in.")
    case = ctx.case
    if reason == case.reason and goal == case.goal:
        return False
    return _correct(db, user, ctx, case, "case", {"reason": case.reason, "goal": case.goal},
                    {"reason": reason, "goal": goal}, f"reden en doel van {case.reference} aangepast")


def edit_consent(db: Session, user: User, ctx: sharing.CaseContext, consent: Consent, *, purpose: str,
                 method: str) -> bool:
    """Correct a typo in a consent's purpose or how it was obtained. What it covers (recipients, categories,
    dates) is a new consent, not a correction; a withdrawn consent stays as it was."""
    _require_open(ctx)
    if not sharing.can_manage(user, ctx, "work"):
        raise ServiceError("U kunt toestemmingen van deze casus niet corrigeren.")
    if consent.case_id != ctx.case.id:
        raise ServiceError("Deze toestemming hoort niet bij deze casus.")
    if not sharing.consent_decision(user, ctx, consent).visible:
        raise ServiceError("U kunt alleen een toestemming corrigeren waarvan u het doel mag zien.")
    if consent.withdrawn_at is not None:
        raise ServiceError("Een ingetrokken toestemming wordt niet meer gewijzigd.")
    purpose = (purpose or "").strip()
    if not purpose or method not in ("mondeling", "schriftelijk"):
        raise ServiceError("Vul het doel in en kies mondeling of schriftelijk.")
    if purpose == consent.purpose and method == consent.method:
        return False
    return _correct(db, user, ctx, consent, "consent", {"purpose": consent.purpose, "method": consent.method},
                    {"purpose": purpose[:1000], "method": method},
                    f"toestemming nr. {consent.id} van {ctx.case.reference} gecorrigeerd",
                    person_ids=[consent.person_id])


# ----------------------------------------------------------------------------- showing the history
@dataclass
class Version:
    """One earlier version as a viewer may see it: withheld fields are None."""

    edited_at: datetime
    edited_by: str
    values: dict  # only the fields this viewer may see


def history(db: Session, user: User, ctx: sharing.CaseContext, object_type: str, object_id: int) -> list[Version]:
    """The earlier versions of an object, newest first, filtered by the engine (and audited when shown).

    Callers load the object first (404 outside the case); this never returns what the viewer may not see
    of the current version.
    """
    rows = list(db.exec(select(EditHistory).where(EditHistory.case_id == ctx.case.id,
                                                  EditHistory.object_type == object_type,
                                                  EditHistory.object_id == object_id)
                        .order_by(EditHistory.edited_at.desc(), EditHistory.id.desc()).limit(50)))
    if not rows:
        return []
    allowed: set[str]
    if object_type == "item":
        view = sharing.item_view(db, user, ctx, object_id, channel="geschiedenis")  # audited when visible
        allowed = {"content", "recorded_on"} if view.decision.visible else set()
    elif object_type == "person":
        person = db.get(Person, object_id)
        view = sharing.person_view(user, ctx, person)
        allowed = ({"name", "date_of_birth"} if view.identity.visible else set()) | (
            {"address"} if view.address_decision.visible else set())
        if allowed:
            basis = view.identity if view.identity.visible else view.address_decision
            audit.record(db, "view", user=user, object_type="person", object_id=person.id, case_id=ctx.case.id,
                         person_ids=[person.id], basis=f"{basis.kind}: {basis.basis}",
                         summary=f"eerdere versies van persoon nr. {person.id} van {ctx.case.reference} bekeken")
    elif object_type == "case":  # each text with the decision of its current version (audited when shown)
        texts = {t.kind: t for t in sharing.case_texts_view(db, user, ctx, channel="geschiedenis")}
        allowed = ({"reason"} if texts["aanleiding"].decision.visible else set()) | (
            {"goal"} if texts["doel"].decision.visible else set())
    elif object_type == "consent":  # the method is shown to the circle, the purpose only as the engine decides
        consent = db.get(Consent, object_id)
        view = sharing.single_consent_view(db, user, ctx, consent, channel="geschiedenis")
        allowed = {"method"} | ({"purpose"} if view.purpose is not None else set())
    else:
        raise KeyError(object_type)
    if not allowed:
        return []
    names = {u.id: u.name for u in db.exec(select(User).where(User.id.in_({r.edited_by_id for r in rows})))}
    return [Version(r.edited_at, names.get(r.edited_by_id, ""),
                    {k: _shown_value(k, v) for k, v in r.values.items() if k in allowed}) for r in rows]


#: stored values that are dates (ISO strings in the JSON), shown the Dutch way
DATE_KEYS = frozenset({"recorded_on", "date_of_birth"})


def _shown_value(key: str, value):
    """A stored earlier value as the page shows it: dates as dd-mm-jjjj, the rest as stored."""
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return value


def forget(db: Session, case_id: int, object_type: str | None = None, object_ids: list[int] | None = None) -> int:
    """Destroy earlier versions with the data they belong to (destruction on request, end of retention):
    every version of the case, or only those of *object_type* with *object_ids*. Returns how many."""
    query = select(EditHistory).where(EditHistory.case_id == case_id)
    if object_type is not None:
        if not object_ids:
            return 0
        query = query.where(EditHistory.object_type == object_type, EditHistory.object_id.in_(object_ids))
    rows = list(db.exec(query))
    for row in rows:
        db.delete(row)
    db.flush()
    return len(rows) + sum(provider(db, case_id, object_type, object_ids) for provider in signals.forget_providers)
