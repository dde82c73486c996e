"""The audit of views: one row per basis used, with every person and item shown named in ``audit_subject``
(NEN 7513: each view shows in the person's access log). Every view the engine builds is audited here."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from mda.cases.models import (
    Case,
    Person,
)
from mda.core import audit

if TYPE_CHECKING:
    from mda.auth.models import User
    from mda.core.sharing.views import CaseView
from mda.core.sharing.rules import CaseContext, Decision


def _record_views(db: Session, users: list[User], case: Case, groups: list[tuple[str, str, list]], channel: str,
                  addresses: dict[int, str] | None) -> None:
    """:func:`_record_view` for each of *users*, who were all shown the same: the rows are built for the first
    and copied for the others with their own user, organisation and address (*addresses*; None: the request's)."""
    def address(user: User) -> str | None:
        return addresses.get(user.id, "") if addresses is not None else None

    first, *others = users
    mark = audit.pending_mark(db)
    with audit.acting_from(address(first)):
        _record_view(db, first, case, groups, channel)
    rows = audit.pending_since(db, mark)
    organisations: dict[int | None, tuple[int | None, str]] = {}  # a room holds a few organisations, many users
    for user in others:
        key = getattr(user, "organisation_id", None)
        if key not in organisations:
            organisations[key] = audit.organisation_of(db, user)
        for entry in rows:
            audit.queue(db, entry.by(db, user, address(user), organisations[key]))


def _audit_view(db: Session, user: User, case: Case, view: CaseView, channel: str) -> None:
    """One audit row per basis used; every person and item shown is named in ``audit_subject``.

    The summary only counts; which persons, items, texts, consents and decisions were
    seen, and on what basis, is in the indexed link rows (no truncation).
    """
    _record_view(db, user, case, _audit_groups(view), channel)


def _audit_groups(view: CaseView) -> list[tuple[str, str, list]]:
    """What :func:`_audit_view` writes for *view*, per basis used: (kind, basis, subjects). The same for every
    viewer who got the same view, so a batch builds it once per group of viewers."""
    from mda.core.audit_subjects import Subject

    groups: dict[tuple[str, str], list[Subject]] = {}

    def add(decision: Decision, person_ids, item_id: int | None, what: str) -> None:
        basis = f"{decision.kind}: {decision.basis}"
        rows = groups.setdefault((decision.kind, decision.basis), [])
        rows += [Subject(pid, item_id, basis, what) for pid in person_ids] or [Subject(None, item_id, basis, what)]

    for p in view.persons:
        for what, decision in (("persoon", p.identity), ("adres", p.address_decision)):
            if decision.visible:
                add(decision, [p.id], None, what)
    for item in view.items:
        if item.decision.visible:
            add(item.decision, item.person_ids, item.id, "item")
    all_persons = [p.id for p in view.persons]
    for text in view.texts:
        if text.decision.visible and text.text:
            add(text.decision, text.person_ids or all_persons, None, text.kind)
    for consent in view.consents:
        if consent.decision.visible and (consent.given_by or consent.purpose):
            add(consent.decision, [consent.person_id], None, f"toestemming nr. {consent.id}")
        if consent.withdrawal_reason and consent.withdrawal_decision.visible:
            add(consent.withdrawal_decision, [consent.person_id], None, f"intrekking toestemming nr. {consent.id}")
    for dec in view.decisions:
        if dec.decision.visible and dec.reason:
            add(dec.decision, [dec.person_id] if dec.person_id else all_persons, None, f"besluit nr. {dec.id}")
    return [(kind, basis, subjects) for (kind, basis), subjects in groups.items()]


def case_person_ids(db: Session, case_ids) -> dict[int, list[int]]:
    """The persons (not destroyed) of each case, in one statement: whom content about the household is about."""
    result: dict[int, list[int]] = defaultdict(list)
    if case_ids:
        for case_id, person_id in db.exec(select(Person.case_id, Person.id).where(
                Person.case_id.in_(set(case_ids)), Person.destroyed_at.is_(None)).order_by(Person.id)):
            result[case_id].append(person_id)
    return result


def audit_content_view(db: Session, user: User, ctx: CaseContext, shown, channel: str, *, object_type: str,
                       object_id: int, label: str, person_ids: list[int] | None = None,
                       quiet: bool = False) -> None:
    """The audit of content about the household as a whole (plan entries and actions, escalation content),
    decided with :func:`decide` without single persons: one row per basis used, with every person of the case
    (*person_ids*; None: loaded) named in ``audit_subject`` for each piece seen, so that the view shows in each
    person's access log. *shown*: (decision, what) pairs, *what* naming the piece ("regel:12", "standpunt").
    Nothing visible: one row saying so, or none when *quiet* (a list that shows nothing personal)."""
    from mda.core.audit_subjects import Subject

    groups: dict[tuple[str, str], list[str]] = {}
    for decision, what in shown:
        if decision.visible:
            groups.setdefault((decision.kind, decision.basis), []).append(what)
    case = ctx.case
    if not groups:
        if not quiet:
            audit.record(db, "view", user=user, object_type=object_type, object_id=object_id, case_id=case.id,
                         summary=f"{label} bekeken via {channel}; geen inhoud zichtbaar")
        return
    if person_ids is None:
        person_ids = case_person_ids(db, [case.id]).get(case.id, [])
    head = f"{label} via {channel}: "
    for (kind, basis), whats in groups.items():
        full = f"{kind}: {basis}"
        for chunk in _chunks(whats, 500 - len(head)):  # a summary holds 500 characters: never cut a name off
            subjects = [Subject(pid, None, full, what) for what in chunk for pid in person_ids] or [
                Subject(None, None, full, what) for what in chunk]
            audit.record(db, "view", user=user, object_type=object_type, object_id=object_id, case_id=case.id,
                         person_ids=person_ids, basis=full, subjects=subjects, summary=head + ", ".join(chunk))


def _chunks(whats: list[str], width: int) -> list[list[str]]:
    """*whats* in as few groups as possible whose ', '-joined text is at most *width* characters."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for what in whats:
        if current and len(", ".join([*current, what])) > width:
            chunks.append(current)
            current = []
        current.append(what)
    return [*chunks, current] if current else chunks


def _record_view(db: Session, user: User, case: Case, groups: list[tuple[str, str, list]], channel: str) -> None:
    """The audit rows of one viewer's view: one per basis in *groups* (or one saying nothing personal showed)."""
    if not groups:
        audit.record(db, "view", user=user, object_type="case", object_id=case.id, case_id=case.id,
                     summary=f"casus {case.reference} bekeken via {channel}; geen persoonsgegevens zichtbaar")
    for kind, basis, subjects in groups:
        pids = sorted({s.person_id for s in subjects if s.person_id is not None})
        n_items = len({s.item_id for s in subjects if s.item_id is not None})
        audit.record(db, "view", user=user, object_type="case", object_id=case.id, case_id=case.id,
                     person_ids=pids, basis=f"{kind}: {basis}", subjects=subjects,
                     summary=f"casus {case.reference} via {channel}: {len(pids)} persoon/personen, "
                             f"{n_items} gegeven(s), {len(subjects)} onderdelen (zie audit_subject)")
