"""Forms shared by every feature: a bare confirmation (CSRF only) and a confirmation with a reason."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

REQUIRED = "Dit veld is verplicht."
REASON_REQUIRED = "Geef een reden op; die wordt bewaard en in de audittrail vastgelegd."


class ConfirmForm(FlaskForm):
    """An empty form for buttons that change something (CSRF only)."""

    submit = SubmitField("Bevestigen")


class ReasonConfirmForm(FlaskForm):
    """Confirmation of a destructive or far-reaching action: a reason is required (stored and audited)."""

    reason = TextAreaField("Reden", validators=[DataRequired(REASON_REQUIRED), Length(max=1000,
                           message="Gebruik hoogstens 1000 tekens.")])
    next = StringField()
    submit = SubmitField("Bevestigen")


def confirm_page(*, title: str, consequences: list[str], form: ReasonConfirmForm, button: str, back_url: str,
                 error: str | None = None, show_scope: bool = False):
    """The shared confirmation page of a destructive action: what will happen, a required reason, one button.

    Returns (html, status): 422 when the form was sent with a problem, so nothing is committed.
    """
    from flask import render_template, request

    failed = bool(error or form.errors) and request.method == "POST"
    html = render_template("core/confirm.html", title=title, consequences=consequences, form=form, button=button,
                           back_url=back_url, error=error, show_scope=show_scope)
    return html, (422 if failed else 200)


def _tekens(text: str) -> str:
    return text.replace("karakters", "tekens").replace("karakter", "teken")


def use_house_wording() -> None:
    """WTForms' Dutch catalogue says "karakters" where the rest of the interface says "tekens": translate its
    messages through one small filter (idempotent)."""
    from flask_wtf import i18n

    if getattr(i18n.Translations, "_mda_wording", False):
        return
    gettext, ngettext = i18n.Translations.gettext, i18n.Translations.ngettext
    i18n.Translations.gettext = lambda self, s: _tekens(gettext(self, s))
    i18n.Translations.ngettext = lambda self, s, p, n: _tekens(ngettext(self, s, p, n))
    i18n.Translations._mda_wording = True


use_house_wording()
