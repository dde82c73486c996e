"""Destruction reaches the live session's copies: revisions of minutes and decisions lose their text with the data."""

from sqlmodel import select

from mda.live.models import LivePiece, LiveRevision
from tests.conftest import today
from tests.live.test_working import _started


def _write(chair, meeting, persons) -> int:
    piece = chair.send("stuk_nieuw", {"id": "vernietig-01", "punt": meeting.item_a, "tekst": "GEHEIM-EERSTE versie",
                                      "personen": persons})
    assert piece["ok"], piece
    assert chair.send("stuk_opslaan", {"id": "vernietig-02", "stuk": piece["stuk"], "versie": 1,
                                       "tekst": "GEHEIM-TWEEDE versie", "reden": ""})["ok"]
    return piece["stuk"]


def _texts(db, piece_id: int) -> list[str]:
    db.expire_all()
    return [r.content for r in db.exec(select(LiveRevision).where(LiveRevision.piece_id == piece_id))]


def test_end_of_retention_blanks_every_revision_of_the_case(app, db, live, world, meeting):
    """After the case is purged at the end of retention, is no text of its live revisions left in the database?"""
    from mda.privacy.retention import purge_case

    chair, _ = _started(live, world, meeting)
    piece_id = _write(chair, meeting, [])
    assert _texts(db, piece_id) == ["GEHEIM-EERSTE versie", "GEHEIM-TWEEDE versie"]
    with app.test_request_context():
        from mda import db as unit

        s = unit.session()
        purge_case(s, s.get(type(world["case_a"]), world["case_a"].id))
        unit.commit()
    assert _texts(db, piece_id) == ["", ""]


def test_destruction_on_request_blanks_the_revisions_of_that_persons_texts(app, db, live, world, meeting, make_user):
    """When a person's data is destroyed on request, do the revisions of live texts about them lose their text,
    while a live text about nobody in particular keeps its revisions?"""

    from mda.privacy import subjects

    victim = world["persons"][0]
    chair, _ = _started(live, world, meeting)
    about_victim = _write(chair, meeting, [victim.id])
    other = chair.send("stuk_nieuw", {"id": "vernietig-03", "punt": meeting.item_a, "tekst": "Algemene afspraak"})
    officer = make_user(roles=("privacy_officer",))
    with app.test_request_context():
        from mda import db as unit

        s = unit.session()
        subjects.destroy(s, s.get(type(officer), officer.id), subjects.load_subject(s, victim.id),
                         requested_by="Betrokkene zelf (fictief)",
                         requested_on=today(), reason="Vermoeden weerlegd door onderzoek (fictief)",
                         refuted=True)
        unit.commit()
    assert _texts(db, about_victim) == ["", ""]
    assert _texts(db, other["stuk"]) == ["Algemene afspraak"]
    assert db.get(LivePiece, about_victim) is not None  # the row stays: version numbers, who saved when
