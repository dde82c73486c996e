"""Forms shared by every feature: a bare confirmation (CSRF only), a confirmation with a reason, and a select
widget for long lists."""

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import Select
from wtforms.widgets import core as _wtforms_widgets

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


#: locale -> wtforms' message catalogue, read once per process (flask_wtf reads the file again for every request)
_catalogues: dict[str, object] = {}


def _wtforms_translations():
    """flask_wtf's ``_get_translations`` with the catalogue kept per process: it is read-only once loaded, and
    reading it from disk took longer than the rest of building a form (a plan page builds seven)."""
    from babel import support
    from flask import current_app, request
    from flask_babel import get_locale
    from wtforms.i18n import messages_path

    if not request or "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    found = _catalogues.get(str(locale))
    if found is None:
        found = _catalogues[str(locale)] = support.Translations.load(messages_path(), [locale], domain="wtforms")
    return found


def use_house_wording() -> None:
    """WTForms' Dutch catalogue says "karakters" where the rest of the interface says "tekens": translate its
    messages through one small filter (idempotent); its catalogue is read once per process."""
    from flask_wtf import i18n

    if getattr(i18n.Translations, "_mda_wording", False):
        return
    gettext, ngettext = i18n.Translations.gettext, i18n.Translations.ngettext
    i18n.Translations.gettext = lambda self, s: _tekens(gettext(self, s))
    i18n.Translations.ngettext = lambda self, s, p, n: _tekens(ngettext(self, s, p, n))
    i18n._get_translations = _wtforms_translations
    i18n.Translations._mda_wording = True


use_house_wording()


def _html_params(**kwargs) -> Markup:
    """wtforms' ``html_params`` with the same output, written with plain string operations: the stock function
    formats each attribute through ``Markup.format`` (a Python-level string formatter), and a page writes dozens
    (every CSRF token, field and button); tested against the stock function."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = _escaped(_wtforms_widgets.clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            shown = str(value.__html__()) if hasattr(value, "__html__") else _escaped(value)
            params.append(f'{key}="{shown.replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 - every key and value escaped above, as the stock function does


_stock_html_params = None


def use_fast_html_params() -> None:
    """Put :func:`_html_params` where wtforms' widgets look for ``html_params`` (idempotent)."""
    global _stock_html_params
    if _stock_html_params is not None:
        return
    import wtforms.widgets

    _stock_html_params = _wtforms_widgets.html_params
    _wtforms_widgets.html_params = wtforms.widgets.html_params = _html_params  # fields call the package's
    for widget in vars(_wtforms_widgets).values():
        if isinstance(widget, type) and "html_params" in vars(widget):
            widget.html_params = staticmethod(_html_params)


use_fast_html_params()


def _escaped(text) -> str:
    """*text* escaped exactly as :func:`markupsafe.escape` escapes a plain string (not Markup)."""
    if hasattr(text, "__html__"):
        return str(escape(text))
    return (str(text).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;")
            .replace('"', "&#34;"))


def _escaped_all(texts: list) -> list[str]:
    """*texts* each escaped as :func:`_escaped` does, in one call of markupsafe's escaping (not one per text)."""
    if any(type(t) is not str for t in texts):
        return [_escaped(t) for t in texts]
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # a text holds the separator itself: one by one
        return [_escaped(t) for t in texts]
    return str(escape(joined)).split("\n") if texts else []


class LongSelect(Select):
    """wtforms' ``Select`` for a long list of plain ``(value, label)`` choices, its options written in one pass.

    The HTML is the stock widget's; a circle's owners and parties on the safety plan can be hundreds of options, and
    the stock widget writes each slowly (an object, a warning check and ``html_params`` per option). Anything else
    (groups, ``multiple``, choices with attributes) goes to the stock widget.
    """

    def __call__(self, field, **kwargs):
        choices = field.choices or []
        # a list of plain pairs has no groups (those come as a dict or as choices naming their group): asking
        # ``has_groups`` would build a choice object per option, most of this widget's time for a long list
        if self.multiple or not isinstance(choices, list | tuple) \
                or any(not isinstance(c, tuple) or len(c) != 2 for c in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {_html_params(name=field.name, **kwargs)}>"]
        data, coerce = field.data, field.coerce
        if coerce is int and all(type(value) is int and label for value, label in choices):
            # int values (case ids) need no escaping nor coercing; the labels are escaped in one pass
            labels = _escaped_all([label for _value, label in choices])
            html.extend([f'<option selected value="{value}">{text}</option>' if value == data
                         else f'<option value="{value}">{text}</option>'
                         for (value, _label), text in zip(choices, labels, strict=True)])
            html.append("</select>")
            return Markup("".join(html))  # noqa: S704 - labels escaped above, attributes by html_params
        for value, label in choices:
            shown = str(value) if isinstance(value, bool) else value
            # an int (a case id) needs no escaping nor coercing; a text is escaped as markupsafe does, without
            # a Markup object per option
            if type(value) is int and coerce is int:
                selected = " selected" if value == data else ""
                text = _escaped(label) if label else str(value)
                html.append(f'<option{selected} value="{value}">{text}</option>')
                continue
            selected = " selected" if coerce(value) == data else ""
            html.append(f'<option{selected} value="{escape(shown)}">{escape(label or shown)}</option>')
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 - values and labels escaped above, attributes by html_params
