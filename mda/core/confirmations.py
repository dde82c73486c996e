"""Reasons for destructive or far-reaching actions, stored beside the audit trail.

Cancelling a meeting, taking a case off an agenda, removing an organisation from a circle,
withdrawing a consent, revoking a conflict-of-duties decision, closing a case: each asks
for confirmation and a reason (:class:`mda.core.forms.ReasonConfirmForm`). The reason is
stored here (it may mention people, so it never goes into an audit summary); the audit row
written in the same unit of work names the action, the object and this row's number.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Field, Session, SQLModel

from mda.core import audit
from mda.core.errors import ServiceError
from mda.core.timeutil import utcnow

if TYPE_CHECKING:
    from mda.auth.models import User

#: action code -> Dutch name (shown in the audit trail and to the privacy officer)
ACTIONS: dict[str, str] = {
    "overleg_annuleren": "overleg geannuleerd",
    "agendapunt_verwijderen": "casus van de agenda gehaald",
    "uitnodiging_intrekken": "uitnodiging ingetrokken",
    "kring_organisatie_verwijderen": "organisatie uit de kring gehaald",
    "toestemming_intrekken": "toestemming ingetrokken",
    "besluit_intrekken": "besluit conflict van plichten ingetrokken",
    "casus_afsluiten": "casus afgesloten",
}
MIN_REASON = 5


class ActionReason(SQLModel, table=True):
    """Who did which destructive action on what, when, and why (append-only)."""

    __tablename__ = "action_reason"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    user_id: int = Field(foreign_key="app_user.id", index=True)
    action: str = Field(max_length=40)
    object_type: str = Field(max_length=40)
    object_id: int
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    reason: str = Field(max_length=1000)


def check_reason(reason: str | None) -> str:
    """The reason stripped, or a Dutch refusal when it is missing or too short to mean anything."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ServiceError(f"Geef een reden op (minstens {MIN_REASON} tekens); die wordt bewaard en vastgelegd "
                           "in de audittrail.")
    return reason[:1000]


def record(db: Session, user: User, action: str, object_type: str, object_id: int, reason: str, *,
           case_id: int | None = None) -> ActionReason:
    """Store the reason of *action* and audit it (same unit of work); refuses a missing reason."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    row = ActionReason(at=utcnow(), user_id=user.id, action=action, object_type=object_type, object_id=object_id,
                       case_id=case_id, reason=check_reason(reason))
    db.add(row)
    db.flush()
    audit.record(db, "update", user=user, object_type=object_type, object_id=object_id, case_id=case_id,
                 summary=f"{ACTIONS[action]}, met reden (reden nr. {row.id})")
    return row


def forget_reasons(db: Session, case_id: int) -> None:
    """Blank the reasons given on a case whose data is destroyed (the rows and their audit rows stay)."""
    from sqlmodel import select

    for row in db.exec(select(ActionReason).where(ActionReason.case_id == case_id)):
        row.reason = ""
        db.add(row)
