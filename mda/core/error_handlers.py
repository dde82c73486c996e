"""The app's error handlers: every HTTP error, a refusal raised past its page, an out-of-range id, the database
down and anything unexpected get a Dutch page or the API's error body (:mod:`mda.core.errors`), never a trace."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, make_response, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from mda import db
from mda.core import refusal
from mda.core.errors import (
    CSRF_MESSAGE,
    DATABASE_DOWN,
    ServiceError,
    _database_back,
    database_unreachable,
    error_response,
    wants_json,
)
from mda.core.input_guard import is_out_of_range
from mda.extensions import login_manager

log = logging.getLogger("mda.core.errors")  # the same logger name as before: log filters and tests find it


def init_app(app: Flask) -> None:
    """Register handlers for every HTTP error and for unexpected exceptions."""
    refusal.init_app(app)  # the one path of a ServiceError (pages, API)
    if not event.contains(Engine, "connect", _database_back):  # every engine of the process (tests build several)
        event.listen(Engine, "connect", _database_back)

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code == 401 and not wants_json():
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
        if is_out_of_range(original):  # an id beyond the database's range can name nothing: not found
            log.warning("number out of the database's range on %s %s", request.method, request.path)
            try:
                db.rollback()
            except Exception:  # nothing to undo
                log.exception("rollback after an out-of-range number failed")
            return error_response(404)

        if isinstance(original, ServiceError):  # raised past the handler (e.g. while rendering the refusal page)
            refusal.undo(original)
            return error_response(original.status, original.message)

        if isinstance(original, OperationalError):  # database down or restarting: 503, the pool pre-pings
            database_unreachable(original)  # an expected condition: one warning per outage
            with contextlib.suppress(Exception):  # still unreachable: nothing to undo, and the outage was logged
                db.rollback()
            resp = make_response(error_response(503, DATABASE_DOWN, without_database=True))
            resp.headers["Retry-After"] = "30"
            return resp
        log.exception("unhandled error on %s %s", request.method, request.path,
                      exc_info=original)

        try:
            db.rollback()
        except Exception:  # e.g. the database is unreachable: nothing to undo, still answer
            log.exception("rollback after an unhandled error failed")
        return error_response(500)
