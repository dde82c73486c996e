"""The CRDT under a co-edited minutes piece (pycrdt, the Python bindings of Yrs; the browser runs yjs).

A piece's stored state is the *merge of every update the server accepted* (``pycrdt.merge_updates``),
not a document snapshot: a snapshot drops updates whose causal predecessors have not arrived yet
(a late delivery), a merged update keeps them until they can be integrated. Merging is idempotent
and commutative, so duplicated, reordered or re-sent updates converge to the same text.

The price is that text typed and then deleted stays in the stored bytes as long as the piece
lives; destruction (:func:`mda.live.coedit.forget_states`) therefore drops the whole state.

Pure functions on bytes only: no database, no sockets.
"""

from __future__ import annotations

import base64
import binascii

from pycrdt import Doc, Text, get_update, merge_updates

#: the name of the shared text inside each piece's document (the browser uses ``ydoc.getText("tekst")``)
TEXT_NAME = "tekst"
#: the largest single update accepted (a second of typing is a few dozen bytes; a paste of a whole piece ~8 kB)
MAX_UPDATE_BYTES = 12_000
#: the client id of the initial text: fixed, so that two processes initialising the same piece produce the same
#: bytes (merging them twice is a no-op rather than the text twice)
INITIAL_CLIENT = 1


class CrdtError(ValueError):
    """An update that is not a valid document update (or too large)."""


def _doc(state: bytes | None) -> tuple[Doc, Text]:
    doc = Doc()
    text = doc.get(TEXT_NAME, type=Text)
    if state:
        doc.apply_update(state)
    return doc, text


def initial_state(content: str) -> bytes:
    """The state of a piece that starts with *content* (deterministic: the same text gives the same bytes)."""
    doc = Doc(client_id=INITIAL_CLIENT)
    text = doc.get(TEXT_NAME, type=Text)
    if content:
        text += content
    return doc.get_update()


def text_of(state: bytes | None) -> str:
    """The plain text of a stored state (what the sharing engine, exports and search read)."""
    return str(_doc(state)[1])


def merge(state: bytes, update: bytes) -> tuple[bytes, str]:
    """(the new state, its text) after accepting *update*; raises :class:`CrdtError` on a broken update."""
    if not isinstance(update, bytes | bytearray) or not update or len(update) > MAX_UPDATE_BYTES:
        raise CrdtError("update size")
    try:
        merged = merge_updates(state, bytes(update))
        return merged, text_of(merged)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # ValueError for undecodable bytes; a Rust panic (pyo3) is no Exception
        raise CrdtError(str(exc)) from exc


def missing(state: bytes, state_vector: bytes | None) -> bytes:
    """What a replica with *state_vector* lacks of *state* (all of it without a vector)."""
    if not state_vector:
        return state
    try:
        return get_update(state, state_vector)
    except (ValueError, RuntimeError) as exc:
        raise CrdtError(str(exc)) from exc


def replace_text(state: bytes, new: str) -> tuple[bytes, bytes]:
    """(new state, the update) that turns the state's text into *new* with the smallest edit around the
    common beginning and end, so that concurrent edits elsewhere in the text survive."""
    doc, text = _doc(state)
    old = str(text)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    # pycrdt counts positions in UTF-8 bytes (yjs in UTF-16 units; the update format is the same): the common
    # beginning and end are found in characters, so that no position falls inside one, then given in bytes
    at = len(old[:start].encode())
    removed, inserted = old[start:len(old) - end], new[start:len(new) - end]
    before = doc.get_state()
    with doc.transaction():
        if removed:
            del text[at:at + len(removed.encode())]
        if inserted:
            text.insert(at, inserted)
    update = doc.get_update(before)
    return merge_updates(state, update), update


def encode(data: bytes) -> str:
    """Bytes for a JSON socket message."""
    return base64.b64encode(data).decode("ascii")


def decode(value) -> bytes:
    """Bytes from a socket message's base64 text; raises :class:`CrdtError` when it is not that."""
    if not isinstance(value, str) or len(value) > MAX_UPDATE_BYTES * 4 // 3 + 4:
        raise CrdtError("not base64 text of an allowed size")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CrdtError(str(exc)) from exc
