"""``Idempotency-Key`` on the API's writes: a retried request is applied once.

A client whose answer was lost (a dropped connection, a server process killed mid-request)
cannot tell whether its POST was stored. With an ``Idempotency-Key`` header (8–64 characters:
letters, digits, ``-``, ``_``, ``.``, ``:``) it simply sends the request again:

- the first request with a key claims it in the request's own transaction (``INSERT … ON CONFLICT
  DO NOTHING``; a concurrent second request with the same key waits for the first to commit);
- when the request succeeds the claim is stored with the status and the created resource's id,
  committed together with the work; when it fails (4xx/5xx) the claim is rolled back with the work,
  so the same key can be used for a corrected retry;
- a repeat within 24 hours gets the original status and ``{"herhaald": true, "id": …}`` with the
  header ``Idempotent-Replayed: true``, and nothing is done again. The original body is not stored:
  it may hold personal data, and the client reads the resource's current state (through the engine,
  audited) with a GET;
- the same key with a different method, path or body is refused (422), as is a request still being
  processed (409).

Keys are per user; rows hold no personal data (a hash of the request) and are removed after 24 hours.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from flask import Blueprint, Response, g, jsonify, make_response, request
from flask_login import current_user
from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, UniqueConstraint, select

from mda import db
from mda.core.errors import error_response
from mda.core.timeutil import as_utc, utcnow
from mda.jobs import job

HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
#: how long a key is remembered
TTL = timedelta(hours=24)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ApiIdempotencyKey(SQLModel, table=True):
    """One claimed ``Idempotency-Key`` of one user: what was asked (a hash) and how it was answered."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(max_length=64)
    #: sha256 of method, path and body
    fingerprint: str = Field(max_length=64)
    #: the answer's status; 0 while the first request is still being processed
    status: int = 0
    resource_id: str = Field(default="", max_length=40)
    created_at: datetime = Field(index=True)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.path.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _error(status: int, message: str):
    """The documented ``Error`` body (one shape for every API error), naming the header."""
    return make_response(error_response(status, message, details={"field": HEADER}))


def _row(s: Session, key: str) -> ApiIdempotencyKey | None:
    return s.exec(select(ApiIdempotencyKey).where(ApiIdempotencyKey.user_id == current_user.id,
                                                  ApiIdempotencyKey.key == key)).first()


def _claim(s: Session, user_id: int, key: str, fingerprint: str) -> bool:
    """Insert the claim in the request's transaction; False when the key was already claimed."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(ApiIdempotencyKey).values(user_id=user_id, key=key, fingerprint=fingerprint, status=0,
                                            resource_id="", created_at=utcnow()).on_conflict_do_nothing(
        index_elements=["user_id", "key"]).returning(ApiIdempotencyKey.__table__.c.id)
    return s.connection().execute(stmt).first() is not None


def before_write():
    """Blueprint ``before_request``: claim the key, or answer a repeat without doing the work again."""
    if request.method not in WRITE_METHODS or HEADER not in request.headers:
        return None
    key = request.headers[HEADER].strip()
    if not KEY_RE.match(key):
        return _error(422, "De Idempotency-Key moet 8 tot 64 tekens zijn: letters, cijfers, '-', '_', '.' of ':'.")
    if not current_user.is_authenticated:
        return None  # refused further on, as every anonymous write
    s = db.session()
    fingerprint = _fingerprint()
    row = _row(s, key)
    if row is not None and as_utc(row.created_at) < utcnow() - TTL:
        s.delete(row)  # forgotten: the key may be used again
        s.flush()
        row = None
    if row is None:
        if _claim(s, current_user.id, key, fingerprint):
            g.idempotency_key = key
            return None
        row = _row(s, key)
        if row is None:  # pragma: no cover - the other claim was rolled back between our insert and select
            return _error(409, "Een verzoek met deze Idempotency-Key wordt al verwerkt. Probeer het zo opnieuw.")
    if row.fingerprint != fingerprint:
        return _error(422, "Deze Idempotency-Key is al gebruikt voor een ander verzoek. Kies een nieuwe sleutel.")
    if row.status == 0:
        return _error(409, "Een verzoek met deze Idempotency-Key wordt al verwerkt. Probeer het zo opnieuw.")
    if row.status == 204:  # "no content" stays without a body
        response = Response(status=204)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    body = {"herhaald": True, "melding": "Dit verzoek was al verwerkt; er is niets opnieuw gedaan."}
    if row.resource_id:
        body["id"] = int(row.resource_id) if row.resource_id.isdigit() else row.resource_id
    response = jsonify(body)
    response.status_code = row.status
    response.headers["Idempotent-Replayed"] = "true"
    return response


def after_write(response):
    """Blueprint ``after_request`` (runs before the unit of work commits): store how the claim was answered."""
    key = g.pop("idempotency_key", None)
    if key is None or response.status_code >= 400:
        return response  # a failed request's claim is rolled back with its work
    resource_id = ""
    if response.is_json:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("id"), (int, str)):
            resource_id = str(body["id"])[:40]
    s = db.session()
    row = _row(s, key)
    row.status, row.resource_id = response.status_code, resource_id
    s.add(row)
    return response


def forget_expired(s: Session, now: datetime) -> int:
    """Remove keys older than 24 hours."""
    return s.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < now - TTL)).rowcount or 0


@job("api_sleutels")
def forget_expired_keys(s: Session, now: datetime) -> int:
    """Idempotency-Keys van de API vergeten die ouder zijn dan 24 uur."""
    return forget_expired(s, now)


def install(blueprint: Blueprint) -> None:
    """Hook the claim and its answer into *blueprint* (the API's)."""
    blueprint.before_request(before_write)
    blueprint.after_request(after_write)
