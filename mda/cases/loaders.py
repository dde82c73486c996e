"""Loaders beside the services: the case of a request, checked for the circle and the action.

Pages, the JSON API and socket handlers all load a case through :func:`load_case`, so the
object check (404 outside the circle, 403 for an action that is not the user's) is one.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlmodel import Session, select

from mda import db
from mda.cases.models import Case
from mda.core import audit, sharing


def case_id_for_reference(db: Session, reference: str) -> int | None:
    """The internal id of the case with this reference, typed in any case with spaces around it (None when
    unknown). Whether the user may open it is the caller's to ask the engine."""
    return db.exec(select(Case.id).where(Case.reference == reference.strip().upper())).first()


def load_case(case_id: int, action: str | None = None, *, object_type: str = "case", what: str = "casus"):
    """The case and its context (404 outside the circle); 403 when *action* is not the user's to do, audited as
    denied on *object_type* (a feature of the case names itself: ``safety_plan``, "het plan van")."""
    # the user object itself, not the request-local proxy: the engine reads it for every decision
    user = current_user._get_current_object()
    case, ctx = sharing.load_case_or_404(db.session(), user, case_id)
    if action is not None and not sharing.can_manage(user, ctx, action):
        audit.record(db.session(), "denied", user=user, object_type=object_type, object_id=case.id,
                     case_id=case.id, summary=f"handeling '{action}' op {what} {case.reference} geweigerd")
        abort(403)
    return case, ctx
