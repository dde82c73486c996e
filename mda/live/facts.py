"""What a co-edited piece's writer and viewers may do, remembered between keystrokes.

Every keystroke asks the same questions: may its writer still reach the piece, and which of the room's sockets may
still see it. The answers are those of the room's rules (:mod:`mda.live.access`) and the sharing engine; here the
"yes" answers are kept per process under the access epochs (:mod:`mda.core.epoch`) of the piece's case, its
meeting and everything, which every write they are made from raises in its own transaction, whichever process
makes it. A keystroke reads those three epochs (one statement) and uses an answer again only while

- the epochs are those it was made under (a circle, consent, invitation, account ... changed anywhere: made anew),
- the user's account reads as it did (organisation, roles, active, session version are part of the key; the
  accounts are read fresh on every keystroke, with the session checks),
- it was made today (consents are valid per day) and less than :data:`MAX_AGE` ago,
- its basis was not a break-glass opening (which runs out by the clock: asked every time).

A refusal is never kept: it is made, and audited, the full way every time. An answer is kept only after the unit
of work that made it has committed, and not at all when that unit of work raised an epoch itself (its answers may
rest on what it wrote). The view audit stays as :mod:`mda.live.coedit` keeps it: a viewer due an audit row is
decided by the engine again, which writes the row.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from mda import db as unit
from mda.core import epoch
from mda.core.sharing import rows as view_rows
from mda.core.timeutil import LOCAL_TZ, utcnow

#: how long an answer is used at most, whatever the epochs say (a safety net, not the rule)
MAX_AGE = timedelta(seconds=60)
#: rooms kept per database and process; the oldest go first
MAX_ROOMS = 2000
#: decisions on these bases run out by the clock and are never kept
CLOCKED_BASES = frozenset({"doorbraak"})

#: accounts kept per database and process
MAX_ACCOUNTS = 20_000

_lock = threading.RLock()
_ROOMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {(case, meeting): _Room}
_ACCOUNTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {user id: (epoch "*", row)}


@dataclass
class _Room:
    epochs: tuple[int, ...]
    day: date
    facts: dict[tuple, datetime]  # fact -> when it was made


@dataclass(frozen=True)
class Stamp:
    """The epochs of one piece's case and meeting, read at the start of a keystroke (before any answer is made)."""

    room: tuple[int, int]
    epochs: tuple[int, ...]
    at: datetime
    day: date


def fingerprint(user) -> tuple:
    """What of an account an answer rests on: a change of any of these is another key."""
    return (user.id, user.organisation_id, user.roles_text, user.active, user.session_version)


def stamp(db: Session, case_id: int, meeting_id: int) -> Stamp:
    now = utcnow()
    epochs = epoch.read(db, (epoch.case_scope(case_id), epoch.meeting_scope(meeting_id), epoch.EVERYTHING,
                             epoch.SESSIONS))
    return Stamp((case_id, meeting_id), epochs, now, now.astimezone(LOCAL_TZ).date())


def _of_database(db: Session, kept: weakref.WeakKeyDictionary) -> dict:
    bind = db.get_bind()
    with _lock:
        return kept.setdefault(getattr(bind, "engine", bind), {})


def _rooms(db: Session) -> dict:
    return _of_database(db, _ROOMS)


def accounts(db: Session, at: Stamp, user_ids: set[int]) -> dict[int, view_rows.ViewerRow]:
    """The accounts *user_ids* as a push reads them (:func:`mda.core.sharing.rows.load_viewers`): every attribute
    of such a row raises the epoch ``*`` when it changes (:data:`mda.core.epoch.READ_ATTRIBUTES`), or, the session
    version, the epoch ``sessions``; so a row read under *at*'s epochs of both is the account as it is; the others
    are read (one statement) and kept."""
    kept = _of_database(db, _ACCOUNTS)
    everything = at.epochs[2:]  # the accounts' attributes and their session versions
    with _lock:
        found = {uid: hit[1] for uid in user_ids if (hit := kept.get(uid)) is not None and hit[0] == everything}
    missing = set(user_ids) - found.keys()
    if missing:
        read = view_rows.load_viewers(db, missing)
        found.update(read)

        def keep() -> None:
            if epoch.last_commit_raised(db):
                return
            with _lock:
                if len(kept) >= MAX_ACCOUNTS:
                    kept.clear()
                kept.update({uid: (everything, row) for uid, row in read.items()})

        if not epoch.raised_here(db):
            unit.after_commit(keep)
    return found


def known(db: Session, at: Stamp, fact: tuple) -> bool:
    """Was *fact* answered "yes" under the epochs of *at*, today, within :data:`MAX_AGE`?"""
    with _lock:
        room = _rooms(db).get(at.room)
        if room is None:
            return False
        if room.epochs != at.epochs or room.day != at.day:
            return False
        made = room.facts.get(fact)
        return made is not None and timedelta(0) <= at.at - made < MAX_AGE


def remember(db: Session, at: Stamp, facts: list[tuple]) -> None:
    """Keep *facts* (answered "yes" under *at*) once this unit of work has committed without raising an epoch."""
    if not facts:
        return
    rooms = _rooms(db)

    def keep() -> None:
        if epoch.last_commit_raised(db):
            return
        with _lock:
            room = rooms.get(at.room)
            if room is None or room.epochs != at.epochs or room.day != at.day:
                if room is not None and (room.epochs > at.epochs or room.day > at.day):
                    return  # a newer keystroke already moved the room on: these answers are older
                if len(rooms) >= MAX_ROOMS:
                    for key in list(rooms)[: MAX_ROOMS // 10]:
                        del rooms[key]
                room = rooms[at.room] = _Room(at.epochs, at.day, {})
            for fact in facts:
                room.facts[fact] = at.at

    if not epoch.raised_here(db):
        unit.after_commit(keep)


def clear() -> None:
    """Forget every answer and account (tests; a process that wants to start over)."""
    with _lock:
        _ROOMS.clear()
        _ACCOUNTS.clear()
