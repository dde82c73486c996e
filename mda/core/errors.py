"""Friendly Dutch error pages (and JSON errors under /api); never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Ongeldig verzoek",
          "Het verzoek kon niet worden verwerkt. Controleer wat u invulde en probeer het opnieuw."),
    401: ("Niet ingelogd", "Log in om verder te gaan."),
    403: ("Geen toegang", "U heeft geen recht om deze pagina te bekijken of deze handeling uit te voeren."),
    404: ("Niet gevonden", "Deze pagina bestaat niet, of u heeft er geen toegang toe."),
    405: ("Niet toegestaan", "Deze handeling is op deze pagina niet mogelijk."),
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


def wants_json() -> bool:
    """API requests get JSON errors; pages get HTML."""
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None, details: dict | None = None):
    """Render the Dutch error for *code* as a page or as JSON."""
    title, default = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    message = message or default
    if wants_json():
        body = {"error": code, "title": title, "message": message}
        if details:
            body["details"] = details
        return jsonify(body), code
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # the page layout needs the database (current user); it may be what failed
        log.exception("error page could not be rendered; plain fallback used")
        return FALLBACK_PAGE.format(code=code, title=escape(title), message=escape(message)), code


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


def init_app(app: Flask) -> None:
    """Register handlers for every HTTP error and for unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code == 401 and not wants_json():
            from mda.extensions import login_manager

            return login_manager.unauthorized()
        message = None
        if e.code in (400, 422) and e.description and not e.description.startswith(
            ("The browser", "The server", "Bad Request")
        ):
            message = e.description  # our own aborts carry a Dutch description
        resp = make_response(error_response(e.code or 500, message))
        if e.code == 405 and getattr(e, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(e.valid_methods)
        return resp

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def _unexpected(e):
        original = getattr(e, "original_exception", None) or e
        if isinstance(original, HTTPException) and not isinstance(original, InternalServerError):
            return _http(original)
        from mda import db
        from mda.core.input_guard import is_out_of_range

        if is_out_of_range(original):  # an id beyond the database's range can name nothing: not found
            log.warning("number out of the database's range on %s %s", request.method, request.path)
            try:
                db.rollback()
            except Exception:  # nothing to undo
                log.exception("rollback after an out-of-range number failed")
            return error_response(404)

        if isinstance(original, ServiceError):  # refused where no view caught it (e.g. by a rule at the commit)
            try:
                db.rollback()
            except Exception:  # nothing to undo
                log.exception("rollback after a refused request failed")
            return error_response(original.status, original.message)

        if isinstance(original, OperationalError):  # database down or restarting: 503, the pool pre-pings
            log.error("database unreachable on %s %s: %s", request.method, request.path,
                      type(getattr(original, "orig", original)).__name__)
            try:
                db.rollback()
            except Exception:  # still unreachable: nothing to undo
                log.warning("rollback while the database is unreachable failed")
            resp = make_response(error_response(503, DATABASE_DOWN))
            resp.headers["Retry-After"] = "30"
            return resp
        log.exception("unhandled error on %s %s", request.method, request.path,
                      exc_info=original)

        try:
            db.rollback()
        except Exception:  # e.g. the database is unreachable: nothing to undo, still answer
            log.exception("rollback after an unhandled error failed")
        return error_response(500)
