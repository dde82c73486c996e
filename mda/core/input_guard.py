"""Input that no view should have to think about, refused in one place before any view runs.

- ids in URL paths are bounded to the database's integer range (a larger id is a 404, not an
  overflow in the database driver);
- a NUL byte in the path, a query value, a form field or a header is a 400 with a Dutch message
  (PostgreSQL cannot store it, and no legitimate client sends one); live events are refused the same way,
  with the same message, by :mod:`mda.live.guard` (:func:`contains_nul`, :func:`is_db_int`);
- API bodies: form-encoded bodies, malformed JSON and JSON nested deeper than any of our
  documents get a 4xx in the documented ``{error, title, message}`` shape;
- anonymous writes to the API get 401 (not the CSRF 400 meant for browsers);
- text: ONE rule for every channel (forms, API, socket events, jobs). A NUL byte is refused where it
  arrives (above, and in the live guard); every other character that XML 1.0 cannot hold (the C0 control
  characters other than tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF) is cleaned
  out by :func:`clean_text` when the text is stored: a session hook applies it to every text column of
  every row written through the ORM, whatever channel brought it. A vertical tab or form feed (what Word
  puts on the clipboard for a manual line or page break) becomes a newline; the rest is dropped.
  Documents apply the same function at their own boundary, for rows stored before this rule;
- dates: ONE rule for what is stored, by the same hook: a date outside 1900-2199 refuses the unit of work
  with a Dutch message (:func:`check_stored_date`), whether it came from a form, the API or a live event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime

from flask import Flask, abort, make_response, request
from sqlalchemy import event
from sqlmodel import Session
from werkzeug.routing import IntegerConverter

#: the largest id a PostgreSQL ``integer`` (and so every primary key here) can hold
MAX_DB_INT = 2**31 - 1
#: no request body of ours is nested deeper than this
MAX_JSON_DEPTH = 32

NUL_MESSAGE = ("Uw invoer bevat een ongeldig teken (een nul-teken). Er is niets opgeslagen. "
               "Verwijder het teken, bijvoorbeeld door de tekst opnieuw te typen in plaats van te plakken.")
JSON_ONLY_MESSAGE = "Stuur de gegevens als JSON, met de header Content-Type: application/json."
BAD_JSON_MESSAGE = "De gegevens zijn geen geldige JSON. Controleer haakjes, aanhalingstekens en komma's."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
DEEP_JSON_MESSAGE = f"De JSON is te diep genest (hoogstens {MAX_JSON_DEPTH} niveaus)."


#: called (without arguments, in the request) just before a NUL byte is refused, e.g. to audit a
#: login attempt that carried one; the refusal itself stays here, in one place
NUL_REFUSAL_HOOKS: list[Callable[[], None]] = []


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that only matches ids the database can hold; anything larger is a 404.

    The limit is in the pattern, not only in ``max``: werkzeug answers a path whose number its converter rejects
    afterwards with 405 when another rule (e.g. the GET of a POST) has the same path, instead of 404."""

    #: 0 to 2^31-1 (2147483647), leading zeros allowed
    regex = (r"0*(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def is_db_int(value: int) -> bool:
    """Whether *value* fits the database's ``integer`` (ids, versions): larger numbers can name nothing."""
    return -MAX_DB_INT - 1 <= value <= MAX_DB_INT


def form_id(value: str | None) -> int:
    """An id typed into a form or sent in a select, or 0 when it is not one the database can hold."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 10 and int(value) <= MAX_DB_INT else 0


def is_out_of_range(exc: BaseException) -> bool:
    """Whether *exc* (or what caused it) is a number too large for the database: a backstop for
    ids that reach a query without passing :func:`form_id` or the path converter."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OverflowError) or type(exc).__name__ == "NumericValueOutOfRange":
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def register_converters(app: Flask) -> None:
    """Replace the ``int`` converter app-wide; call before any route is added."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    """Install the checks that run before the session and CSRF checks."""
    app.before_request(_refuse_nul_bytes)
    app.before_request(_refuse_anonymous_api_writes)


def init_app_after_session(app: Flask) -> None:
    """Install the API body check; it runs after CSRF (a forged request is refused as forged)."""
    app.before_request(_check_api_body)


def _refuse(code: int, message: str):
    from mda.core.errors import error_response

    abort(make_response(error_response(code, message)))


def _refuse_nul():
    for hook in NUL_REFUSAL_HOOKS:
        hook()
    _refuse(400, NUL_MESSAGE)


def _has_nul(values) -> bool:
    """A NUL in any of *values* (a multipart part whose name cannot be read arrives as None: nothing to look at)."""
    return any(v is not None and "\x00" in v for v in values)


def _refuse_nul_bytes():
    """A NUL byte anywhere a user can type is refused before it reaches a view or the database."""
    if "\x00" in request.path or "%00" in request.query_string.decode("latin-1").lower():
        _refuse_nul()
    if _has_nul(request.headers.keys()) or _has_nul(request.headers.values()):
        _refuse_nul()
    if _has_nul(request.args.keys()) or _has_nul(v for vs in request.args.listvalues() for v in vs):
        _refuse_nul()
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in FORM_TYPES:
        form = request.form
        if _has_nul(form.keys()) or _has_nul(v for vs in form.listvalues() for v in vs):
            _refuse_nul()


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in *text* (strings skipped), without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


#: API endpoints that take a file as multipart/form-data (added by their feature); every other API write is JSON
FILE_ENDPOINTS: set[str] = set()


def _is_api_write() -> bool:
    return request.path.startswith("/api/") and request.method not in ("GET", "HEAD", "OPTIONS")


def _refuse_anonymous_api_writes():
    """An API write without a valid session or token is a 401 (log in), before the CSRF check."""
    from flask_login import current_user

    if _is_api_write() and not current_user.is_authenticated:
        _refuse(401, "Log in, of stuur een persoonlijk API-token mee (Authorization: Bearer mda_…).")


def _check_api_body():
    """API writes: a JSON body that parses and is not absurdly deep (or no body at all)."""
    if not _is_api_write():
        return
    if request.endpoint in FILE_ENDPOINTS and request.mimetype == "multipart/form-data":
        return  # a file upload: its service checks the file, the form's fields are checked like any form
    if request.mimetype in FORM_TYPES and (request.content_length or request.form):
        _refuse(415, JSON_ONLY_MESSAGE)
    body = request.get_data(cache=True)
    if not body:
        return
    if not request.is_json:
        _refuse(415, JSON_ONLY_MESSAGE)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        _refuse(400, BAD_JSON_MESSAGE)
    if json_depth(text) > MAX_JSON_DEPTH:
        _refuse(400, DEEP_JSON_MESSAGE)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        _refuse(400, BAD_JSON_MESSAGE)
    if contains_nul(parsed):
        _refuse_nul()


def contains_nul(value) -> bool:
    """Whether a NUL byte is anywhere in *value* (a JSON-like structure: strings, dict keys and values, lists);
    the API body check and the live events both ask this."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# ----------------------------------------------------------------------------- the text rule
#: characters XML 1.0 (and so Word, LibreOffice and every document we build) cannot hold
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def clean_text(value: str) -> str:
    """*value* without the characters no document can hold: vertical tab and form feed become a newline,
    the other C0 control characters (tab, newline and carriage return stay), lone surrogates and U+FFFE/U+FFFF
    are dropped. The one text rule of MDA++ (see the module docstring)."""
    if not _NOT_XML.search(value):
        return value
    return _NOT_XML.sub("", value.translate(_LINE_BREAKS))


def check_stored_date(value: date | datetime) -> None:
    """The date rule of MDA++ for what is stored: a :class:`~mda.core.errors.ServiceError` (422, Dutch) for a
    day outside 1900-2199 (:func:`mda.core.timeutil.check_date_range`)."""
    from mda.core.errors import ServiceError
    from mda.core.timeutil import LocalTimeError, check_date_range

    try:
        check_date_range(value.date() if isinstance(value, datetime) else value)
    except LocalTimeError as exc:
        raise ServiceError(str(exc)) from None


@event.listens_for(Session, "before_flush")
def _check_stored_values(db: Session, _context, _instances) -> None:
    """The text and date rules, applied to every row about to be written whatever channel brought it: text
    columns are cleaned (:func:`clean_text`); a date outside 1900-2199 refuses the whole unit of work with a
    Dutch :class:`~mda.core.errors.ServiceError` (forms, API and live events all answer those in Dutch).

    Of a changed row only the changed columns are checked: an old row is not refused for a value it already had.
    """
    for obj in (*db.new, *db.dirty):
        state = getattr(obj, "_sa_instance_state", None)
        if state is None:
            continue
        changed = None if state.key is None else state.committed_state
        for attr in state.mapper.column_attrs:
            key = attr.key
            if changed is not None and key not in changed:
                continue
            value = state.dict.get(key)
            if isinstance(value, str):
                if _NOT_XML.search(value):
                    setattr(obj, key, clean_text(value))
            elif isinstance(value, date):
                try:
                    check_stored_date(value)
                except ValueError:
                    # drop the refused value from the session, so that the page that shows the refusal (which
                    # reads the database, flushing again) does not meet it a second time; the request's unit of
                    # work is rolled back anyway
                    if state.key is None:
                        db.expunge(obj)
                    else:
                        db.expire(obj, [key])
                    raise
