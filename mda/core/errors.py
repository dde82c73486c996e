"""Friendly Dutch error pages (and JSON errors under /api); never a stack trace.

The error type of the services (:class:`ServiceError`) and the answers; the handlers that use them are installed
by :mod:`mda.core.error_handlers` (above this module, beside the refusal path and the input guard)."""

from __future__ import annotations

import logging

from flask import abort, current_app, g, jsonify, make_response, render_template, request, session
from markupsafe import escape

log = logging.getLogger(__name__)


MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Ongeldig verzoek",
          "Het verzoek kon niet worden verwerkt. Controleer wat u invulde en probeer het opnieuw."),
    401: ("Niet ingelogd", "Log in om verder te gaan."),
    403: ("Geen toegang", "U heeft geen recht om deze pagina te bekijken of deze handeling uit te voeren."),
    404: ("Niet gevonden", "Deze pagina bestaat niet, of u heeft er geen toegang toe."),
    405: ("Niet toegestaan", "Deze handeling is op deze pagina niet mogelijk."),
    409: ("Kan nu niet", "Dit kan in de huidige toestand niet. Laad de pagina opnieuw en probeer het nog eens."),
    413: ("Te groot",
          "Wat u verstuurde is te groot. Maak het bestand of de tekst kleiner en probeer het opnieuw."),
    415: ("Verkeerd formaat", "Stuur de gegevens als JSON (Content-Type: application/json)."),
    422: ("Ongeldige invoer", "Niet alle velden zijn goed ingevuld."),
    429: ("Te veel pogingen",
          "U heeft te vaak achter elkaar een verzoek gedaan. Wacht even en probeer het dan opnieuw."),
    500: ("Er ging iets mis",
          "Er ging aan onze kant iets mis. Er is niets opgeslagen van deze handeling. Probeer het opnieuw; "
          "blijft het misgaan, neem dan contact op met de beheerder."),
    503: ("Tijdelijk niet beschikbaar",
          "Het platform is tijdelijk niet beschikbaar. Probeer het over enkele minuten opnieuw."),
}
DATABASE_DOWN = ("De database is even niet bereikbaar. Er is niets opgeslagen van deze handeling. "
                 "Probeer het over een minuut opnieuw.")
CSRF_MESSAGE = ("Het formulier is verlopen of ongeldig (beveiligingscode ontbreekt). "
                "Er is niets opgeslagen. Laad de pagina opnieuw en probeer het nog eens.")


class ServiceError(ValueError):
    """A request that cannot be carried out; the message is Dutch and meant for the user.

    The one error type services raise for bad input or a refused action. ``field`` names the
    form field it belongs to (if any); ``status`` is what an API answers (422 by default).
    """

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status

    def details(self) -> dict | None:
        """What the API's ``Error.details`` says beside the message: the field it belongs to (subclasses add more,
        e.g. the valid choices of an impossible local time)."""
        return {"field": self.field} if self.field else None


class ConflictError(ServiceError):
    """The object was changed by someone else in the meantime (a stale version): 409, the user reloads."""

    def __init__(self, message: str, field: str | None = None, status: int = 409):
        super().__init__(message, field=field, status=status)


def wants_json() -> bool:
    """API requests get JSON errors; pages get HTML."""
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None, details: dict | None = None, *,
                   without_database: bool = False):
    """Render the Dutch error for *code* as a page or as JSON.

    *without_database*: the database is what failed, so the page is rendered in the normal layout as for a visitor
    who is not logged in (no user lookup, no menu, none of the context processors that would read it)."""
    title, default = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    message = message or default
    if wants_json():
        body = {"error": code, "title": title, "message": message}
        if details:
            body["details"] = details
        return jsonify(body), code
    if without_database:
        return _page_without_database(code, title, message), code
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # the page layout needs the database (current user); it may be what failed
        log.exception("error page could not be rendered; plain fallback used")
        return FALLBACK_PAGE.format(code=code, title=escape(title), message=escape(message)), code


def _page_without_database(code: int, title: str, message: str) -> str:
    """The error page in the normal layout, from the template alone: Flask's ``render_template`` would run the
    context processors, and Flask-Login's and the menu's read the user from the database."""
    from flask_login import AnonymousUserMixin

    try:
        return current_app.jinja_env.get_template("errors/error.html").render(
            code=code, title=title, message=message, current_user=AnonymousUserMixin(), nav_items=[],
            request=request, session=session, g=g, config=current_app.config)
    except Exception:  # a template error: the bare page still answers
        log.warning("error page without the database could not be rendered; plain fallback used", exc_info=True)
        return FALLBACK_PAGE.format(code=code, title=escape(title), message=escape(message))


#: whether this process is in a database outage (it warned once; quiet until a new connection succeeds)
_database_down = False


def database_unreachable(exc: BaseException) -> None:
    """Note a failed database call: one warning when an outage starts (no traceback, no request details, which
    may carry personal data in the path); the rest of the outage is quiet."""
    global _database_down
    if _database_down:
        return
    _database_down = True
    log.warning("database unreachable (%s); answering 503 until it is back",
                type(getattr(exc, "orig", None) or exc).__name__)


def _database_back(*_args) -> None:
    """A new database connection succeeded: the outage (if any) is over; the next one warns again."""
    global _database_down
    if _database_down:
        _database_down = False
        log.info("database reachable again")


def api_validation_error(_req, _resp, error, _instance, *_args) -> None:
    """Spectree hook: invalid API input gets the documented Dutch error body (422), naming the
    fields but never echoing what was sent (pydantic's own list repeats the input)."""
    if error is None:
        return
    fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in error.errors()})
    abort(make_response(error_response(422, "Niet alle velden zijn goed ingevuld: " + ", ".join(fields) + ".",
                                       details={"fields": fields})))


def api_response_error(_req, _resp, error, _instance, *_args) -> None:
    """Spectree hook: a response that does not match its documented model is our bug; log it
    and answer with the documented 500 body instead of pydantic's error list."""
    if error is None:
        return
    log.error("API response does not match its schema on %s %s: %s", request.method, request.path,
              [(e.get("loc"), e.get("type")) for e in error.errors()])
    abort(make_response(error_response(500)))


FALLBACK_PAGE = ('<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{title} – MDA++</title>'
                 '</head><body><main><h1>{title}</h1><p>{message}</p><p>Foutcode {code}.</p></main></body></html>')
