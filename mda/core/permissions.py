"""The one place that decides who may do what.

Role permissions are declared here, once; an unknown permission name raises, so a
typo cannot silently open or close a door. Object-level decisions (may this user
open this case, see this item, and on what basis) live in :mod:`mda.core.sharing`,
which builds on this module.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import abort
from flask_login import current_user

from mda import db

if TYPE_CHECKING:
    from mda.auth.models import User

#: permission name -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin.manage": frozenset({"admin"}),
    "audit.read": frozenset({"privacy_officer"}),
    "outbox.read": frozenset({"admin"}),
    "case.request": frozenset({"coordinator", "professional", "team_lead"}),
    "case.triage": frozenset({"coordinator"}),
    "case.work": frozenset({"coordinator", "professional", "team_lead", "manager", "bestuurder"}),
    "case.coordinate": frozenset({"coordinator"}),
    "case.duty_conflict": frozenset({"coordinator", "team_lead"}),
    "case.break_glass": frozenset({"coordinator", "professional"}),
    "privacy.manage": frozenset({"privacy_officer"}),
    "meeting.plan": frozenset({"coordinator"}),
    "escalation.steering": frozenset({"coordinator", "team_lead", "manager", "bestuurder"}),
    "meeting.attend": frozenset({"coordinator", "professional", "team_lead"}),
    "plan.approve": frozenset({"coordinator", "team_lead"}),
    "action.assign": frozenset({"team_lead"}),
    "plan.export": frozenset({"coordinator", "team_lead"}),
}

#: roles that can see personal data and therefore must use two-factor authentication
PERSONAL_DATA_ROLES = frozenset({"coordinator", "professional", "team_lead", "manager", "bestuurder",
                                 "privacy_officer"})


def has_permission(user: User | Any, name: str) -> bool:
    """Whether *user* holds permission *name* through one of its roles."""
    if name not in PERMISSIONS:
        raise KeyError(f"unknown permission {name!r}")
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(PERMISSIONS[name] & user.roles)


def require_permission(name: str) -> Callable:
    """View decorator: 403 unless the logged-in user holds permission *name*."""
    if name not in PERMISSIONS:
        raise KeyError(f"unknown permission {name!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not has_permission(current_user, name):
                from mda.core import audit

                audit.record(
                    db.session(),
                    "denied",
                    user=current_user,
                    object_type="permission",
                    object_id=name,
                    summary=f"geen recht {name}",
                )
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
