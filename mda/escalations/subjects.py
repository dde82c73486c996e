"""The disputed subject as a user may see it: the choices of the escalation form and the "betwist onderdeel" line of
the escalation page, each with its text as the sharing engine decides for the user (audited like the plan page).

Only numbers users see elsewhere appear: an action's number (the plan's "Nr." column and its reminders); a plan
line or a conference decision is named by its section or meeting and its text, never by a database id.
"""

from __future__ import annotations

from flask_login import current_user
from sqlmodel import select

from mda import db
from mda.core import sharing
from mda.core.timeutil import format_local
from mda.escalations.models import Escalation

#: how much of a subject's text a choice or the page shows
TEXT_CHARS = 80
#: at most this many plan lines, actions and decisions are offered (newest decisions first)
LIMIT = 500
WITHHELD = "niet gedeeld"


def short(text: str) -> str:
    """*text* on one line, cut at :data:`TEXT_CHARS` with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS - 1] + "…"


def _entry_label(v) -> str:
    return f"{v.section_name}: " + (short(v.text) if v.text is not None else WITHHELD)


def _action_label(v) -> str:
    return (f"Actie {v.id} (termijn {v.deadline:%d-%m-%Y}): "
            + (short(v.description) if v.description is not None else WITHHELD))


def plan_choices(ctx: sharing.CaseContext) -> list[tuple[str, str]]:
    """Plan lines and actions of the case to choose from, each with its text as the engine lets the user see it."""
    from mda.safety_plan import views as plan_views
    from mda.safety_plan.models import PlanAction, PlanEntry

    s = db.session()
    entries = s.exec(select(PlanEntry).where(PlanEntry.case_id == ctx.case.id, PlanEntry.removed_at.is_(None))
                     .order_by(PlanEntry.section, PlanEntry.position, PlanEntry.id).limit(LIMIT)).all()
    actions = s.exec(select(PlanAction).where(PlanAction.case_id == ctx.case.id, PlanAction.removed_at.is_(None))
                     .order_by(PlanAction.id).limit(LIMIT)).all()
    entry_views = [plan_views.entry_view(current_user, ctx, e) for e in entries]
    action_views = [plan_views.action_view(current_user, ctx, a, {}) for a in actions]
    plan_views.audit_plan_view(s, current_user, ctx, entry_views, action_views, "escalatieformulier")
    return ([("", "—")] + [(f"plan_entry:{v.id}", _entry_label(v)) for v in entry_views]
            + [(f"plan_action:{v.id}", _action_label(v)) for v in action_views])


def _decision_rows(ctx: sharing.CaseContext, piece_ids: list[int] | None = None):
    from mda.live.models import LivePiece
    from mda.meetings.models import Meeting

    query = (select(LivePiece.id, LivePiece.item_id, Meeting.type_code, Meeting.title, Meeting.starts_at)
             .join(Meeting, Meeting.id == LivePiece.meeting_id)
             .where(LivePiece.case_id == ctx.case.id, LivePiece.kind == "besluit"))
    if piece_ids is not None:
        query = query.where(LivePiece.id.in_(piece_ids))
    return list(db.session().exec(query.order_by(Meeting.starts_at.desc(), LivePiece.id.desc()).limit(LIMIT)))


def _decision_labels(ctx: sharing.CaseContext, rows, channel: str) -> dict[int, str | None]:
    """piece id -> "Besluit in <overleg> van <datum>: <tekst>", or None when the engine withholds the decision."""
    from mda.meetings.agendas import label

    shown = sharing.item_views(db.session(), current_user, {ctx.case.id: ctx}, [r.item_id for r in rows],
                               channel=channel)
    labels: dict[int, str | None] = {}
    for piece_id, item_id, type_code, title, starts_at in rows:
        view = shown.get(item_id)
        visible = view is not None and view.item is not None
        labels[piece_id] = (f"Besluit in {label(type_code, title)} van {format_local(starts_at, '%d-%m-%Y')}: "
                            + short(view.item.content)) if visible else None
    return labels


def decision_choices(ctx: sharing.CaseContext) -> list[tuple[str, str]]:
    """The conference decisions about this case the user may see (newest meeting first), by meeting and text: one
    cannot lock what one cannot see, so a withheld decision is not offered."""
    labels = _decision_labels(ctx, _decision_rows(ctx), "escalatieformulier")
    return [("", "—")] + [(str(piece_id), text) for piece_id, text in labels.items() if text is not None]


def disputed(ctx: sharing.CaseContext, esc: Escalation) -> str | None:
    """The disputed plan line, action or decision as the user may see it now (None for a phase or closing)."""
    from mda.safety_plan import views as plan_views
    from mda.safety_plan.models import PlanAction, PlanEntry

    s = db.session()
    if esc.subject_kind == "besluit":
        rows = _decision_rows(ctx, [esc.subject_id])
        if not rows:
            return "het besluit staat niet meer in de notulen"
        return _decision_labels(ctx, rows, "escalatie")[esc.subject_id] or f"Besluit van een overleg: {WITHHELD}"
    if esc.subject_kind not in ("plan_entry", "plan_action"):
        return None
    row = s.get(PlanEntry if esc.subject_kind == "plan_entry" else PlanAction, esc.subject_id)
    if row is None or row.case_id != ctx.case.id:
        return None
    if esc.subject_kind == "plan_entry":
        view = plan_views.entry_view(current_user, ctx, row)
        plan_views.audit_plan_view(s, current_user, ctx, [view], [], "escalatie")
        text = _entry_label(view)
    else:
        view = plan_views.action_view(current_user, ctx, row, {})
        plan_views.audit_plan_view(s, current_user, ctx, [], [view], "escalatie")
        text = _action_label(view)
    return text + (" (inmiddels uit het plan verwijderd)" if row.removed_at is not None else "")
