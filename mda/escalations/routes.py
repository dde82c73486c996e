"""Escalation pages: raise (prefilled from the live session or the plan), show with timeline, the
steps (position, move up, decide, acknowledge, withdraw), dashboards, steering figures, notifications.

Thin views: the case loader (404 outside the circle), then the escalation of that case (404
otherwise), then a service; content is shown only through :mod:`mda.escalations.views`.
A refused step re-renders the page with the Dutch message as a 422: nothing is committed
and what the user typed is kept.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import func, select

from mda import db
from mda.core import audit, refusal, sharing
from mda.core.form_errors import error_lines
from mda.core.permissions import has_permission, require_permission
from mda.core.timeutil import to_local
from mda.escalations import bp, dashboards, notify, services, subjects, views
from mda.escalations.forms import ConfirmForm, DecideForm, MoveUpForm, PositionForm, RaiseForm, WithdrawForm
from mda.escalations.models import SUBJECT_KINDS, Escalation

PER_PAGE = 50


def page_number() -> int:
    value = request.args.get("pagina", "1")
    return max(int(value), 1) if value.isdigit() else 1


def load_escalation(case_id: int, escalation_id: int):
    """The case (404 outside the circle) and its escalation (404 when it belongs to another case)."""
    case, ctx = sharing.load_case_or_404(db.session(), current_user, case_id)
    esc = db.session().get(Escalation, escalation_id)
    if esc is None or esc.case_id != case.id:
        sharing.refuse_foreign(db.session(), current_user, "escalation", escalation_id, ctx)
    return case, ctx, esc


def refused(esc: Escalation, step: str) -> None:
    """A refused step is a denied attempt: audited (it survives the rollback), without the typed content."""
    audit.record(db.session(), "denied", user=current_user, object_type="escalation", object_id=esc.id,
                 case_id=esc.case_id, summary=f"stap '{step}' op escalatie {esc.reference} geweigerd")


#: a step form without its version (or a stale one) comes from a page that is no longer current
EXPIRED = "Het formulier is verlopen; laad de pagina opnieuw en probeer het nog eens."


def _version(form) -> int | None:
    """The escalation's version the form was rendered with; None when missing or not a (reasonable) number."""
    value = (form.version.data or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _csrf_failed(form) -> bool:
    """Did *form* fail on its CSRF token (expired or missing), rather than on what the user typed?"""
    token = getattr(form, "csrf_token", None)  # absent when CSRF is switched off
    return bool(token is not None and token.errors)


# ----------------------------------------------------------------------------- raise
def _other_orgs(ctx) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(o), ctx.org_names.get(o, "")) for o in
                          sorted(ctx.circle_org_ids, key=lambda o: ctx.org_names.get(o, ""))
                          if o != current_user.organisation_id]


def _raise_page(case, ctx, form, error=None, status=200):
    form.subject_ref.choices = subjects.plan_choices(ctx)
    form.besluit.choices = subjects.decision_choices(ctx)
    form.other_organisation_id.choices = _other_orgs(ctx)
    return render_template("escalations/new.html", case=case, form=form, error=error), status


@bp.route("/casussen/<int:case_id>/escalaties/nieuw", methods=["GET", "POST"])
@require_permission("case.work")
def new(case_id: int):
    """Raise an escalation; ``?besluit=<id>`` or ``?entry=<id>`` / ``?actie=<id>`` prefill the subject."""
    case, ctx = sharing.load_case_or_404(db.session(), current_user, case_id)
    form = RaiseForm()
    if request.method == "GET":
        besluit, entry, action = (request.args.get(k, "") for k in ("besluit", "entry", "actie"))
        error = None
        if besluit:
            piece = services.decision_of_case(db.session(), ctx, int(besluit) if besluit.isdigit()
                                              and len(besluit) <= 10 else None)
            if piece is None:
                error = ("Het besluit in de link hoort niet bij een overleg over deze casus. Start de escalatie "
                         "vanuit het overleg, bij het besluit, of kies hieronder waarover het verschil gaat.")
            else:
                form.subject_kind.data, form.besluit.data = "besluit", str(piece.id)
        elif entry.isdigit():
            form.subject_kind.data, form.subject_ref.data = "plan_entry", f"plan_entry:{entry}"
        elif action.isdigit():
            form.subject_kind.data, form.subject_ref.data = "plan_action", f"plan_action:{action}"
        vt = [o for o in ctx.circle_org_ids if ctx.org_types.get(o) == "VT" and o != current_user.organisation_id]
        if vt:
            form.other_organisation_id.data = str(vt[0])
        return _raise_page(case, ctx, form, error)
    if not form.validate_on_submit():
        # the fields say what is wrong with them (summary and field); only an expired form needs a word of its own
        expired = _csrf_failed(form)
        return _raise_page(case, ctx, form, "Het formulier is verlopen of onvolledig; controleer de velden."
                           if expired else None, 422)
    kind = form.subject_kind.data
    subject_id = None
    if kind in ("plan_entry", "plan_action"):
        ref_kind, _, number = (form.subject_ref.data or "").partition(":")
        if ref_kind != kind and ref_kind in SUBJECT_KINDS:
            kind = ref_kind  # the chosen plan line says which kind it is
        subject_id = int(number) if number.isdigit() else None
    elif kind == "besluit":
        subject_id = int(form.besluit.data) if (form.besluit.data or "").isdigit() else None
    other = form.other_organisation_id.data
    refusal.on_refusal(lambda exc: _raise_page(case, ctx, form), form)
    esc = services.raise_escalation(
        db.session(), current_user, ctx, subject_kind=kind, subject_id=subject_id,
        subject_text=form.subject_text.data, urgency=form.urgency.data,
        other_organisation_id=int(other) if (other or "").isdigit() else None,
        position=form.position.data, risk_argument=form.risk_argument.data or "")
    flash(f"Escalatie {esc.reference} is gestart. De andere partij is gevraagd haar standpunt toe te voegen.",
          "success")
    return redirect(url_for("escalations.show", case_id=case.id, escalation_id=esc.id))


# ----------------------------------------------------------------------------- case list and show
@bp.get("/casussen/<int:case_id>/escalaties")
@require_permission("case.work")
def case_list(case_id: int):
    """The escalations of one case, newest first (paged)."""
    case, ctx = sharing.load_case_or_404(db.session(), current_user, case_id)
    s, page = db.session(), page_number()
    total = s.exec(select(func.count()).select_from(Escalation).where(Escalation.case_id == case.id)).one()
    rows = s.exec(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id.desc())
                  .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    subjects = views.subject_views(s, current_user, rows, contexts={case.id: ctx})
    return render_template("escalations/case_list.html", case=case, rows=rows, subjects=subjects, page=page,
                           pages=max(1, -(-total // PER_PAGE)), org_names=ctx.org_names,
                           can_raise=sharing.can_manage(current_user, ctx, "work"))


def _show_page(case, ctx, esc, *, error=None, status=200, forms=None):
    view = views.escalation_view(db.session(), current_user, ctx, esc)
    forms = forms or {}
    version = str(esc.version)
    page_forms = {
        "position": forms.get("position") or PositionForm(formdata=None, version=version),
        "move_up": forms.get("move_up") or MoveUpForm(formdata=None, version=version),
        "decide": forms.get("decide") or DecideForm(formdata=None, version=version),
        "confirm": ConfirmForm(formdata=None, version=version),
        "withdraw": forms.get("withdraw") or WithdrawForm(formdata=None, version=version),
    }
    for form in page_forms.values():
        form.version.data = version
    countdown = views.countdown(esc.deadline_at, services.now()) if esc.is_open else None

    return render_template("escalations/show.html", case=case, view=view, esc=esc, forms=page_forms, error=error,
                           countdown=countdown, disputed=subjects.disputed(ctx, esc),
                           can_plan_meeting=has_permission(current_user, "meeting.plan")), status


@bp.get("/casussen/<int:case_id>/escalaties/<int:escalation_id>")
@require_permission("case.work")
def show(case_id: int, escalation_id: int):
    """One escalation: subject, both positions, level and deadline, decision, timeline."""
    case, ctx, esc = load_escalation(case_id, escalation_id)
    return _show_page(case, ctx, esc)


def _refusal_page(case, ctx, esc, error: str | None, key: str, form):
    """Undo the step, then show the page again (422) with the message and what was typed.

    The view of the page is audited like any other (rule: views are audited whatever the
    status): after the rollback only the audit rows are pending, and they are committed.
    """
    db.rollback()
    db.session().refresh(esc)
    response = _show_page(case, ctx, esc, error=error, status=422, forms={key: form})
    db.commit()
    return response


def _step(case_id: int, escalation_id: int, form_cls, key: str, action, done: str):
    case, ctx, esc = load_escalation(case_id, escalation_id)
    form = form_cls()
    # the page has no summary of its own: say here what to put right. Without the version it was rendered with, a
    # form cannot be checked against what others did since, so it counts as expired.
    if not form.validate_on_submit() or _version(form) is None:
        message = (EXPIRED if _csrf_failed(form) or _version(form) is None
                   else "Controleer wat u invulde. " + " ".join(line.text for line in error_lines(form)))
        return _refusal_page(case, ctx, esc, message, key, form)
    refusal.when_refused(lambda exc: refused(esc, key))
    refusal.on_refusal(lambda exc: _refusal_page(case, ctx, esc, None, key, form), form)
    action(ctx, esc, form)
    flash(done, "success")
    return redirect(url_for("escalations.show", case_id=case.id, escalation_id=esc.id))


@bp.post("/casussen/<int:case_id>/escalaties/<int:escalation_id>/standpunt")
@require_permission("case.work")
def add_position(case_id: int, escalation_id: int):
    """The other party adds its position."""
    return _step(case_id, escalation_id, PositionForm, "position", lambda ctx, esc, f: services.add_position(
        db.session(), current_user, ctx, esc, text=f.text.data, risk_argument=f.risk_argument.data or "",
        expected_version=_version(f)), "Uw standpunt is toegevoegd.")


@bp.post("/casussen/<int:case_id>/escalaties/<int:escalation_id>/hoger")
@require_permission("case.work")
def move_up(case_id: int, escalation_id: int):
    """Naar volgend niveau, with a reason."""
    return _step(case_id, escalation_id, MoveUpForm, "move_up", lambda ctx, esc, f: services.move_up(
        db.session(), current_user, ctx, esc, reason=f.reason.data, expected_version=_version(f)),
        "De escalatie ligt nu op het volgende niveau; de beslissers zijn bericht.")


@bp.post("/casussen/<int:case_id>/escalaties/<int:escalation_id>/besluit")
@require_permission("case.work")
def decide(case_id: int, escalation_id: int):
    """A decider at the current level decides; the plan change is made in the same step."""
    return _step(case_id, escalation_id, DecideForm, "decide", lambda ctx, esc, f: services.decide(
        db.session(), current_user, ctx, esc, decision=f.decision.data, reasons=f.reasons.data,
        consequence=f.consequence.data or "geen", consequence_text=f.consequence_text.data or "",
        expected_version=_version(f)), "Het besluit is vastgelegd. Beide partijen worden gevraagd het te bevestigen.")


@bp.post("/casussen/<int:case_id>/escalaties/<int:escalation_id>/bevestigen")
@require_permission("case.work")
def acknowledge(case_id: int, escalation_id: int):
    """A party acknowledges the decision."""
    return _step(case_id, escalation_id, ConfirmForm, "confirm", lambda ctx, esc, f: services.acknowledge(
        db.session(), current_user, ctx, esc, expected_version=_version(f)), "U heeft het besluit bevestigd.")


@bp.post("/casussen/<int:case_id>/escalaties/<int:escalation_id>/intrekken")
@require_permission("case.work")
def withdraw(case_id: int, escalation_id: int):
    """The raiser withdraws the escalation."""
    return _step(case_id, escalation_id, WithdrawForm, "withdraw", lambda ctx, esc, f: services.withdraw(
        db.session(), current_user, ctx, esc, reason=f.reason.data, expected_version=_version(f)),
        "De escalatie is ingetrokken.")


# ----------------------------------------------------------------------------- dashboards
VIEWS = {"beslissen": "Op mijn niveau", "partij": "Mijn organisatie is partij", "regie": "Mijn casussen (regie)"}


@bp.get("/escalaties")
@require_permission("case.work")
def dashboard():
    """Open escalations at the user's level, where their organisation is a party, or of their cases."""
    s, now = db.session(), services.now()
    default = "regie" if "coordinator" in current_user.roles else (
        "beslissen" if sharing.LEAD_ROLES & current_user.roles else "partij")
    which = request.args.get("weergave") if request.args.get("weergave") in VIEWS else default
    rows = {"beslissen": dashboards.for_decider, "partij": dashboards.for_party,
            "regie": dashboards.for_coordinator}[which](s, current_user, now)
    page = page_number()
    pages = max(1, -(-len(rows) // PER_PAGE))
    shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    subjects = views.subject_views(s, current_user, [r.esc for r in shown], channel="dashboard")
    return render_template("escalations/dashboard.html", rows=shown, subjects=subjects, total=len(rows),
                           which=which, views=VIEWS,
                           page=page, pages=pages, overdue=sum(r.state == "overdue" for r in rows),
                           soon=sum(r.state == "soon" for r in rows))


def _period() -> tuple[date, date]:
    today = to_local(services.now()).date()
    try:
        start = date.fromisoformat(request.args.get("van", ""))
    except ValueError:
        start = today.replace(day=1) - timedelta(days=365)
        start = start.replace(day=1)
    try:
        end = date.fromisoformat(request.args.get("tot", ""))
    except ValueError:
        end = today
    if end < start:
        start, end = end, start
    return start, end


def _steering_figures(action: str, how: str):
    """The period asked for and the region's steering figures for it; audited as *action* (view or export)."""
    start, end = _period()
    figures = dashboards.steering(db.session(), current_user, start, end)
    audit.record(db.session(), action, user=current_user, object_type="escalation_figures", object_id="regio",
                 summary=f"stuurinformatie escalaties {start.isoformat()} t/m {end.isoformat()} {how}")
    return start, end, figures


@bp.get("/escalaties/stuurinformatie")
@require_permission("escalation.steering")
def steering():
    """Steering figures of the user's region for a period, with bar charts (aggregates only)."""
    start, end, figures = _steering_figures("view", "bekeken")
    return render_template("escalations/steering.html", f=figures,
                           level_bars=dashboards.bars({f"Niveau {k}": v for k, v in figures.by_level.items()}),
                           urgency_bars=dashboards.bars(figures.by_urgency))


@bp.get("/escalaties/stuurinformatie.csv")
@require_permission("escalation.steering")
def steering_csv():
    """The steering figures as CSV: measures and counts, no names, no case references."""
    start, end, figures = _steering_figures("export", "als CSV")
    return Response(dashboards.steering_csv(figures), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=escalaties-{start}-{end}.csv"})


# ----------------------------------------------------------------------------- notifications
@bp.get("/meldingen")
@require_permission("case.work")
def notifications():
    """The user's notifications (pseudonymous references only), newest first."""
    page = page_number()
    rows, total = notify.page(db.session(), current_user, page=page, per_page=PER_PAGE)
    return render_template("escalations/notifications.html", rows=rows, page=page,
                           pages=max(1, -(-total // PER_PAGE)), form=ConfirmForm(formdata=None))


@bp.post("/meldingen/gelezen")
@require_permission("case.work")
def notifications_read():
    """Mark every notification read."""
    if ConfirmForm().validate_on_submit():
        notify.mark_read(db.session(), current_user)
        flash("Alle meldingen zijn als gelezen gemarkeerd.", "success")
    return redirect(url_for("escalations.notifications"))
