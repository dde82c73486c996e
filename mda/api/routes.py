"""API views: who am I, organisations."""

from __future__ import annotations

import copy

from flask import abort, jsonify, request
from flask_login import current_user
from spectree import Response
from sqlmodel import select

from mda import db
from mda.api import bp
from mda.api.schemas import (
    MAX_ID,
    Error,
    MeOut,
    OrganisationIn,
    OrganisationList,
    OrganisationOut,
    UserList,
)
from mda.auth.models import User
from mda.core.errors import api_validation_error
from mda.core.permissions import require_permission
from mda.extensions import api_spec
from mda.organisations.models import Organisation
from mda.organisations.services import list_organisations, save_organisation

#: what any operation can answer besides its success, each in the one ``Error`` shape: 400 (a NUL byte anywhere,
#: :mod:`mda.core.input_guard`), 401, 403, 404 (an object outside the caller's circle, or none: no hint) and 503
#: (the database is unreachable, with ``Retry-After``)
ERRORS = {"HTTP_400": Error, "HTTP_401": Error, "HTTP_403": Error, "HTTP_404": Error, "HTTP_503": Error}
#: and a write: 409 (a request with the same ``Idempotency-Key`` still running, or a stale version), 413 (a body
#: larger than MDA_MAX_REQUEST_KB), 415 (not JSON) and 422 (a field or a rule of the service, Dutch message)
WRITE_ERRORS = {**ERRORS, "HTTP_409": Error, "HTTP_413": Error, "HTTP_415": Error, "HTTP_422": Error}


def require_login() -> None:
    """401 for anonymous callers (JSON, no redirect)."""
    if not current_user.is_authenticated:
        abort(401)


def organisation_out(org: Organisation) -> dict:
    return OrganisationOut(id=org.id, name=org.name, type_code=org.type_code,
                           type_name=org.type_name, region=org.region.name).model_dump()


@bp.get("/me")
@api_spec.validate(resp=Response(HTTP_200=MeOut, **ERRORS), tags=["account"])
def me():
    """The caller's own account."""
    require_login()
    return jsonify(id=current_user.id, email=current_user.email, name=current_user.name,
                   roles=sorted(current_user.roles),
                   organisation=organisation_out(current_user.organisation))


@bp.get("/organisations")
@api_spec.validate(resp=Response(HTTP_200=OrganisationList, **ERRORS), tags=["organisations"])
def organisations():
    """The partner organisations (names and types are not personal data)."""
    require_login()
    return jsonify(organisations=[organisation_out(o) for o in list_organisations(db.session())])


#: kept for the views that name it; every validated view uses it (set on the SpecTree)
dutch_validation_error = api_validation_error


@bp.post("/organisations")
@require_permission("admin.manage")
@api_spec.validate(json=OrganisationIn, resp=Response(HTTP_201=OrganisationOut, **WRITE_ERRORS),
                   tags=["organisations"], before=dutch_validation_error)
def create_organisation():
    """Create an organisation (administrators only)."""
    body: OrganisationIn = request.context.json
    org = save_organisation(db.session(), current_user, None, name=body.name,
                            type_code=body.type_code, region_id=body.region_id)
    return jsonify(organisation_out(org)), 201


@bp.get("/users")
@require_permission("admin.manage")
@api_spec.validate(resp=Response(HTTP_200=UserList, **ERRORS), tags=["organisations"])
def users():
    """Every account (administrators only)."""
    rows = db.session().exec(select(User).order_by(User.id)).all()
    return jsonify(users=[dict(id=u.id, email=u.email, name=u.name, roles=sorted(u.roles),
                               active=u.active, organisation_id=u.organisation_id) for u in rows])


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API, generated from the validated views."""
    return jsonify(document())


_DOCUMENT: dict = {}


def document() -> dict:
    """The OpenAPI document: spectree's, with what the views' path converters enforce stated (an id in a path is 1
    to 2^31-1: a larger number names nothing and is a 404, :class:`mda.core.input_guard.BoundedIntConverter`)."""
    if not _DOCUMENT:
        spec = copy.deepcopy(api_spec.spec)
        for item in spec.get("paths", {}).values():
            for operation in item.values():
                for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                    schema = parameter.get("schema", {})
                    if parameter.get("in") == "path" and schema.get("type") == "integer":
                        schema.update(minimum=1, maximum=MAX_ID)
        _DOCUMENT.update(spec)
    return _DOCUMENT
