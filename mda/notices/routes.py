"""The user's own notification preferences page (reached from the user menu)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from mda import db
from mda.notices import bp, services
from mda.notices.digest import DIGEST_HOUR
from mda.notices.forms import PreferencesForm
from mda.notices.models import KINDS


@bp.route("/account/meldingen", methods=["GET", "POST"])
@login_required
def preferences():
    """Choose per kind of notice: at once by e-mail or in the daily digest (the change is audited)."""
    current = services.preferences(db.session(), current_user)
    form = PreferencesForm(data=current)
    if form.validate_on_submit():
        changed = services.set_preferences(db.session(), current_user, {k: getattr(form, k).data for k in KINDS})
        flash("Uw keuzes voor meldingen zijn opgeslagen." if changed else "Er is niets gewijzigd.", "success")
        return redirect(url_for("notices.preferences"))
    return render_template("notices/preferences.html", form=form, kinds=list(KINDS), digest_hour=DIGEST_HOUR,
                           error="Controleer de keuzes hieronder." if form.errors else None), \
        422 if form.errors else 200
