"""Co-editing a minutes piece over ``/live``: ``stuk_sync`` and ``stuk_update`` between replicas (pycrdt documents
standing in for the browsers' yjs), with the gate of the sharing engine on every byte."""

import base64

import pytest
from pycrdt import Doc, Text, merge_updates
from sqlmodel import select

from mda.cases.models import Item
from mda.core.audit import AuditEvent
from mda.live import crdt
from mda.live.models import LivePiece, LiveRevision
from tests.live.test_working import _started


class Replica:
    """A browser's copy of one piece, talking to the server through a socket test client."""

    def __init__(self, client, piece_id: int):
        self.client, self.piece_id = client, piece_id
        self.doc = Doc()
        self.text = self.doc.get(crdt.TEXT_NAME, type=Text)
        self.inbox = b""
        self.pending: list[bytes] = []  # sent but not acknowledged (re-sent after a reconnect)

    def sync(self) -> dict:
        answer = self.client.send("stuk_sync", {"stuk": self.piece_id,
                                                "vector": base64.b64encode(self.doc.get_state()).decode()})
        if answer["ok"]:
            self._apply(base64.b64decode(answer["update"]))
        return answer

    def type(self, at_end: str) -> bytes:
        before = self.doc.get_state()
        self.text.insert(len(str(self.text)), at_end)
        update = self.doc.get_update(before)
        self.pending.append(update)
        return update

    def flush(self) -> list[dict]:
        answers = []
        for update in list(self.pending):
            answer = self.client.send("stuk_update", {"stuk": self.piece_id,
                                                      "update": base64.b64encode(update).decode()})
            answers.append(answer)
            if answer["ok"]:
                self.pending.remove(update)
        return answers

    def take_pushes(self) -> int:
        got = [m for m in self.client.received() if m["name"] == "stuk_update"]
        for m in got:
            assert m["args"][0]["stuk"] == self.piece_id
            self._apply(base64.b64decode(m["args"][0]["update"]))
        return len(got)

    def _apply(self, update: bytes) -> None:
        self.inbox = merge_updates(self.inbox, update) if self.inbox else update
        self.doc.apply_update(self.inbox)


@pytest.fixture
def victim(world, make_consent):
    """The victim of case A, whose consent lets the police see minutes and risk signals about her (not VT)."""
    person = world["persons"][0]
    make_consent(world["case_a"], person, [world["orgs"]["POL"]], ["overleg", "risicosignalen"], world["coordinator"])
    return person


def _piece(client, meeting, key: str, text: str, person, category: str = "overleg") -> int:
    created = client.send("stuk_nieuw", {"id": f"coedit-{key}", "punt": meeting.item_a, "tekst": text,
                                         "categorie": category, "personen": [person.id]})
    assert created["ok"], created
    return created["stuk"]


def _stored(db, piece_id: int) -> tuple[str, bytes]:
    db.expire_all()
    piece = db.get(LivePiece, piece_id)
    return db.get(Item, piece.item_id).content, piece.crdt_state


def test_two_writers_interleaving_keep_both_texts(app, db, live, world, meeting, victim):
    """When the chair and the police professional type into the same minutes at the same time, do both see the
    same text afterwards, equal to the stored one, holding every word each typed?"""
    chair, (pol,) = _started(live, world, meeting, "POL")
    assert pol.send("punt", {"punt": meeting.item_a})["ok"] and chair.send("punt", {"punt": meeting.item_a})["ok"]
    piece_id = _piece(chair, meeting, "two-0001", "Afspraken:", victim)
    a, b = Replica(chair, piece_id), Replica(pol, piece_id)
    assert a.sync()["schrijven"] and b.sync()["schrijven"]
    for n in range(4):  # both type before seeing the other's words
        a.type(f" voorzitter{n}")
        b.type(f" politie{n}")
        assert all(x["ok"] for x in a.flush() + b.flush())
    a.take_pushes(), b.take_pushes()
    stored, _state = _stored(db, piece_id)
    assert str(a.text) == str(b.text) == stored
    assert all(f"voorzitter{n}" in stored and f"politie{n}" in stored for n in range(4)), stored
    revisions = db.exec(select(LiveRevision).where(LiveRevision.piece_id == piece_id)
                        .order_by(LiveRevision.version)).all()
    chair_id, pol_id = world["coordinator"].id, world["users"]["POL"].id
    assert {r.saved_by_id for r in revisions} == {chair_id, pol_id}  # every change names its author
    assert revisions[-1].content == stored and len(revisions) <= 1 + 2 * 4  # runs of typing, not keystrokes


def test_a_writer_back_from_a_dropped_connection_loses_nothing(app, db, live, world, meeting, victim):
    """When a writer drops off with typed but unacknowledged words and comes back (re-sending some of them twice),
    is every word stored exactly once and does everyone converge?"""
    chair, (pol,) = _started(live, world, meeting, "POL")
    assert pol.send("punt", {"punt": meeting.item_a})["ok"] and chair.send("punt", {"punt": meeting.item_a})["ok"]
    piece_id = _piece(chair, meeting, "drop-0001", "Begin.", victim)
    a, b = Replica(chair, piece_id), Replica(pol, piece_id)
    a.sync(), b.sync()
    b.type(" offline1")
    b.flush()  # acknowledged
    b.pending.append(b.type(" offline2"))  # typed, and about to be re-sent twice
    pol.disconnect()
    a.type(" intussen")
    a.flush()
    back = live(world["users"]["POL"])
    assert back.send("deelnemen", {"overleg": meeting.id})["ok"] and back.send("punt", {"punt": meeting.item_a})["ok"]
    b.client = back
    assert all(x["ok"] for x in b.flush())
    b.sync()
    a.take_pushes()
    stored, _state = _stored(db, piece_id)
    assert str(a.text) == str(b.text) == stored
    assert stored.count("offline2") == stored.count("offline1") == stored.count("intussen") == 1, stored


def test_whoever_may_not_see_the_piece_gets_no_byte_of_it(app, db, live, world, meeting, victim):
    """Does a partner in the room whom the engine does not show the piece (VT, no consent), or one outside the
    circle (GGZ), get nothing of a co-edited piece, and is their sync refused?"""
    chair, (pol, vt, ggz) = _started(live, world, meeting, "POL", "VT", "GGZ")
    for client in (pol, vt, ggz):
        client.send("punt", {"punt": meeting.item_a})
    piece_id = _piece(chair, meeting, "out-00001", "Begin.", victim)
    a = Replica(chair, piece_id)
    a.sync()
    a.type(" GEHEIM-WOORD")
    assert a.flush()[0]["ok"]
    for outsider in (vt, ggz):
        assert Replica(outsider, piece_id).sync()["ok"] is False
        everything = outsider.everything()
        assert "stuk_update" not in everything and "GEHEIM" not in everything
    assert Replica(pol, piece_id).take_pushes() == 1  # the check can fail: POL in the room did get it


def test_a_partner_may_not_change_another_organisations_piece(app, db, live, world, meeting, victim):
    """May the police professional, who sees Veilig Thuis' risk signals, change them? (No: a Dutch refusal, and
    the text stays Veilig Thuis' own.)"""
    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    piece_id = _piece(vt, meeting, "own-00001", "Signalen van Veilig Thuis (fictief).", victim,
                      category="risicosignalen")
    b = Replica(pol, piece_id)
    synced = b.sync()
    assert synced["ok"] and synced["schrijven"] is False and "andere organisatie" in synced["alleen_lezen"]
    b.type(" OVERSCHREVEN")
    answer = b.flush()[0]
    assert answer["ok"] is False and "alleen die organisatie" in answer["fout"]
    assert _stored(db, piece_id)[0] == "Signalen van Veilig Thuis (fictief)."
    saved = pol.send("stuk_opslaan", {"id": "own-00002", "stuk": piece_id, "versie": 1, "tekst": "OVERSCHREVEN"})
    assert saved["ok"] is False and "alleen die organisatie" in saved["fout"]  # not through the form either
    own = Replica(vt, piece_id)
    own.sync()
    own.type(" aangevuld")
    assert own.flush()[0]["ok"] and _stored(db, piece_id)[0].endswith("aangevuld")  # the check can fail


def test_each_delivered_update_is_audited_for_its_viewer(app, db, live, world, meeting, victim):
    """Is every viewer who was pushed an update named in an audit row of that piece's item, and the writer named
    as the author of the change?"""
    chair, (pol,) = _started(live, world, meeting, "POL")
    pol.send("punt", {"punt": meeting.item_a}), chair.send("punt", {"punt": meeting.item_a})
    piece_id = _piece(chair, meeting, "audit-0001", "Begin.", victim)
    item_id = db.get(LivePiece, piece_id).item_id
    db.expire_all()
    before = len(db.exec(select(AuditEvent)).all())
    a = Replica(chair, piece_id)
    a.sync()
    a.type(" nieuw")
    assert a.flush()[0]["ok"]
    assert Replica(pol, piece_id).take_pushes() == 1
    for word in (" nog", " meer"):  # the chair's run of typing: one revision, kept up to date
        a.type(word)
        assert a.flush()[0]["ok"]
    db.expire_all()
    revisions = db.exec(select(LiveRevision).where(LiveRevision.piece_id == piece_id)).all()
    assert [r.content for r in sorted(revisions, key=lambda r: r.version)] == ["Begin.", "Begin. nieuw nog meer"]
    db.expire_all()
    rows = db.exec(select(AuditEvent)).all()[before:]
    pol_id, chair_id = world["users"]["POL"].id, world["coordinator"].id
    assert any(r.user_id == pol_id and r.action == "view" for r in rows), [(r.user_id, r.action) for r in rows]
    assert any(r.user_id == chair_id and r.action == "update" and str(r.object_id) == str(item_id) for r in rows)


def test_a_viewer_s_view_rows_of_a_typed_piece_are_batched_per_minute(app, db, live, world, meeting, victim):
    """When the chair types several keystrokes that are pushed to the police professional within a minute, is the
    professional named in one view row of the piece's item (not one per keystroke), and in a new one for what is
    pushed after that minute?"""
    from datetime import timedelta

    from mda.core import clock
    from mda.live.coedit import VIEW_AUDIT_WINDOW

    chair, (pol,) = _started(live, world, meeting, "POL")
    pol.send("punt", {"punt": meeting.item_a}), chair.send("punt", {"punt": meeting.item_a})
    piece_id = _piece(chair, meeting, "batch-0001", "Begin.", victim)
    item_id = str(db.get(LivePiece, piece_id).item_id)
    a, b = Replica(chair, piece_id), Replica(pol, piece_id)
    a.sync(), b.sync()
    pol_id = world["users"]["POL"].id

    def pol_view_rows() -> int:
        db.expire_all()
        return len(db.exec(select(AuditEvent).where(AuditEvent.user_id == pol_id, AuditEvent.action == "view",
                                                    AuditEvent.object_id == item_id)).all())

    before = pol_view_rows()
    for word in (" een", " twee", " drie", " vier"):
        a.type(word)
        assert a.flush()[0]["ok"]
    assert b.take_pushes() == 4  # every keystroke reached the viewer, decided by the engine each time
    assert pol_view_rows() == before + 1  # ... and one row names it (the check can fail: it was 4)
    clock.set_now(clock.now() + VIEW_AUDIT_WINDOW + timedelta(seconds=1), tick=True)
    a.type(" vijf")
    assert a.flush()[0]["ok"] and b.take_pushes() == 1
    assert pol_view_rows() == before + 2
    assert str(b.text) == _stored(db, piece_id)[0]


def test_final_minutes_are_read_only(app, db, live, world, meeting, victim):
    """Once the minutes are final, is a co-editing update refused and the text unchanged?"""
    from mda.live.models import LiveMeeting

    chair, _ = _started(live, world, meeting)
    piece_id = _piece(chair, meeting, "final-0001", "Vastgesteld.", victim)
    a = Replica(chair, piece_id)
    a.sync()
    live_row = db.exec(select(LiveMeeting).where(LiveMeeting.meeting_id == meeting.id)).one()
    live_row.minutes_status = "definitief"
    db.add(live_row)
    db.commit()
    a.type(" later")
    answer = a.flush()[0]
    assert answer["ok"] is False and "definitief" in answer["fout"]
    assert _stored(db, piece_id)[0] == "Vastgesteld."


def test_destruction_erases_the_text_from_the_stored_co_editing_state(app, db, live, world, meeting, victim):
    """After the case is purged, is no byte of a word ever typed (even one typed and deleted again) left in the
    stored co-editing state?"""
    from mda.privacy.retention import purge_case

    chair, _ = _started(live, world, meeting)
    piece_id = _piece(chair, meeting, "forget-001", "Begin.", victim)
    a = Replica(chair, piece_id)
    a.sync()
    a.type(" VERWIJDERD-WOORD")
    a.flush()
    before = a.doc.get_state()
    del a.text[len("Begin."):]
    a.pending.append(a.doc.get_update(before))
    a.type(" BLIJVEND-WOORD")
    assert all(x["ok"] for x in a.flush())
    text, state = _stored(db, piece_id)
    assert b"VERWIJDERD-WOORD" in state and "BLIJVEND-WOORD" in text  # the check can fail: the history holds it
    with app.test_request_context():
        from mda import db as unit

        s = unit.session()
        purge_case(s, s.get(type(world["case_a"]), world["case_a"].id))
        unit.commit()
    _text, state = _stored(db, piece_id)
    assert state is None or (b"VERWIJDERD" not in state and b"BLIJVEND" not in state)


def test_a_form_save_and_a_co_editor_both_keep_their_words(app, db, live, world, meeting, victim):
    """When the chair saves a corrected text through the form while the police professional types at its end,
    does the stored text hold the correction and the typed words, and does a sync bring the writer the same?"""
    chair, (pol,) = _started(live, world, meeting, "POL")
    piece_id = _piece(chair, meeting, "form-0001", "Moeder belt de wijkagent.", victim)
    b = Replica(pol, piece_id)
    b.sync()
    b.type(" POLITIE-AANVULLING")
    saved = chair.send("stuk_opslaan", {"id": "form-0002", "stuk": piece_id, "versie": 1,
                                        "tekst": "Moeder belt Veilig Thuis."})
    assert saved["ok"], saved
    assert all(x["ok"] for x in b.flush())
    b.sync()
    stored, _state = _stored(db, piece_id)
    assert stored == str(b.text) and "Veilig Thuis" in stored and "POLITIE-AANVULLING" in stored, stored


def test_destruction_on_request_erases_the_co_editing_state_of_that_persons_pieces(app, db, live, world, meeting,
                                                                                   victim, make_user):
    """When the victim's data is destroyed on request, is no byte of the words typed into a piece about her left in
    its stored co-editing state, while a piece about nobody in particular keeps its state?"""
    from mda.privacy import subjects
    from tests.conftest import today

    chair, _ = _started(live, world, meeting)
    about_her = _piece(chair, meeting, "forget-002", "Over haar.", victim)
    a = Replica(chair, about_her)
    a.sync()
    a.type(" GETYPT-OVER-HAAR")
    assert a.flush()[0]["ok"]
    general = chair.send("stuk_nieuw", {"id": "coedit-forget-003", "punt": meeting.item_a, "tekst": "ALGEMENE-TEKST"})
    assert b"GETYPT-OVER-HAAR" in _stored(db, about_her)[1]  # the check can fail
    officer = make_user(roles=("privacy_officer",))
    with app.test_request_context():
        from mda import db as unit

        s = unit.session()
        subjects.destroy(s, s.get(type(officer), officer.id), subjects.load_subject(s, victim.id),
                         requested_by="Betrokkene zelf (fictief)", requested_on=today(),
                         reason="Vermoeden weerlegd door onderzoek (fictief)", refuted=True)
        unit.commit()
    _text, state = _stored(db, about_her)
    assert state is None or b"GETYPT" not in state
    assert b"ALGEMENE-TEKST" in _stored(db, general["stuk"])[1]
