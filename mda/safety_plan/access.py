"""Loaders for the plan's pages and API: the case (404 outside the circle), then the object in it."""

from __future__ import annotations

from flask_login import current_user
from sqlmodel import select

from mda import db
from mda.auth.models import User
from mda.cases import loaders
from mda.cases.models import CaseMember
from mda.core import sharing
from mda.safety_plan import services


def load_case(case_id: int, action: str | None = None):
    """The case and its context (404 outside the circle); 403 when *action* is not the user's to do."""
    return loaders.load_case(case_id, action, object_type="safety_plan", what="het plan van")


def load_entry(ctx: sharing.CaseContext, entry_id: int):
    """An entry of this case's plan, or 404."""
    entry = services.load_entry(db.session(), ctx, entry_id)
    if entry is None:
        sharing.refuse_foreign(db.session(), current_user, "plan_entry", entry_id, ctx)
    return entry


def load_action(ctx: sharing.CaseContext, action_id: int):
    """An action of this case's plan, or 404."""
    action = services.load_action(db.session(), ctx, action_id)
    if action is None:
        sharing.refuse_foreign(db.session(), current_user, "plan_action", action_id, ctx)
    return action


def owner_choices(ctx: sharing.CaseContext) -> list[tuple[str, str]]:
    """Who can own an action: the circle's professionals, its organisations, and the family."""
    s = db.session()
    members = s.exec(select(CaseMember.user_id).where(CaseMember.case_id == ctx.case.id,
                                                      CaseMember.removed_at.is_(None)))
    user_ids = set(members) | {ctx.case.coordinator_id}
    users = s.exec(select(User).where(User.id.in_(user_ids), User.active.is_(True)).order_by(User.name))
    choices = [(f"u:{u.id}", f"{u.name} ({ctx.org_names.get(u.organisation_id, '')})") for u in users
               if u.organisation_id in ctx.circle_org_ids]
    choices += [(f"o:{oid}", f"{ctx.org_names.get(oid, '')} (organisatie)")
                for oid in sorted(ctx.circle_org_ids, key=lambda o: ctx.org_names.get(o, ""))]
    return choices + [("gezin", "Het gezin")]


def party_choices(ctx: sharing.CaseContext) -> list[tuple[str, str]]:
    """Who said it / acts / watches: a circle organisation or the family (or nobody in particular)."""
    return [("", "—"), ("gezin", "Het gezin")] + [
        (f"o:{oid}", ctx.org_names.get(oid, "")) for oid in sorted(ctx.circle_org_ids,
                                                                    key=lambda o: ctx.org_names.get(o, ""))]


def parse_owner(value: str | None) -> dict:
    """``u:12`` / ``o:3`` / ``gezin`` as keyword arguments for the services (unknown values: no owner)."""
    value = (value or "").strip()
    if value == "gezin":
        return {"owner_is_family": True}
    kind, _, number = value.partition(":")
    if number.isdigit() and kind in ("u", "o"):
        return {"owner_user_id" if kind == "u" else "owner_organisation_id": int(number)}
    return {}


def parse_party(value: str | None) -> dict:
    """``o:3`` / ``gezin`` / empty as keyword arguments for the entry services."""
    value = (value or "").strip()
    if value == "gezin":
        return {"party_is_family": True}
    kind, _, number = value.partition(":")
    if kind == "o" and number.isdigit():
        return {"party_organisation_id": int(number)}
    return {}
