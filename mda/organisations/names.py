"""Display names of organisations and regions, kept per process: reference data, never access.

Every page names the user's organisation (the header, each audit row) and the case page
its region; these names change perhaps once a year, so each process keeps them instead of
asking the database on every request. Only names: an organisation's *type* decides what it
may see (the covenant) and is always read from the database with the case, as are circles,
consents, roles and sessions.

A name is at most :data:`TTL_SECONDS` old. A change made through this process (an
organisation or region inserted, updated or deleted through the ORM) empties the cache at
once, and again when that unit of work ends, so a rolled-back rename is not kept either;
other processes see the change within :data:`TTL_SECONDS`. The cache is kept per database
engine, so two applications in one process (tests) never share names.
"""

from __future__ import annotations

import time
import weakref

from sqlalchemy import event
from sqlmodel import Session, select

from mda.organisations.models import Organisation, Region

#: how long another process may show an old name after a rename
TTL_SECONDS = 60.0
_CHANGED = "mda_reference_names_changed"

#: engine -> (model, id) -> (name, loaded at)
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lookup(db: Session, model, ids) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    bind = db.get_bind()
    engine = getattr(bind, "engine", bind)
    names = _cache.get(engine)
    if names is None:
        names = _cache.setdefault(engine, {})
    now = time.monotonic()
    found, missing = {}, set()
    for i in wanted:
        hit = names.get((model, i))
        if hit is not None and now - hit[1] < TTL_SECONDS:
            found[i] = hit[0]
        else:
            missing.add(i)
    if missing:
        rows = dict(db.exec(select(model.id, model.name).where(model.id.in_(missing))).all())
        found.update(rows)
        if not db.info.get(_CHANGED):  # a unit of work that renamed something reads, but does not store
            names.update({(model, i): (name, now) for i, name in rows.items()})
    return found


def organisation_name(db: Session, organisation_id: int | None) -> str:
    """The organisation's name ("" when there is none)."""
    return _lookup(db, Organisation, [organisation_id]).get(organisation_id, "")


def organisation_names(db: Session, organisation_ids) -> dict[int, str]:
    """Names of several organisations (id -> name); unknown ids are left out."""
    return _lookup(db, Organisation, organisation_ids)


def region_name(db: Session, region_id: int | None) -> str:
    """The region's name ("" when there is none)."""
    return _lookup(db, Region, [region_id]).get(region_id, "")


def forget() -> None:
    """Empty the cache of every engine (after a change, or in a test)."""
    for names in list(_cache.values()):
        names.clear()


def _changed(_mapper, _connection, target) -> None:
    forget()
    session = Session.object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


def _unit_of_work_ended(session, *_args) -> None:
    if session.info.pop(_CHANGED, False):
        forget()


for _model in (Organisation, Region):
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _name, _changed)
for _name in ("after_commit", "after_rollback"):
    event.listen(Session, _name, _unit_of_work_ended)
