"""A conference decision under escalation: marked "in escalatie" live and on the page, locked until decided;
an escalation names only a decision of its own case."""

import pytest
from sqlmodel import select

from mda.escalations.models import Escalation
from mda.live.models import LivePiece
from tests.conftest import form_post, text_of
from tests.live.test_working import _started


def _decision(chair, item_id: int, text: str = "Besluit: vader ziet de kinderen alleen begeleid",
              persons=()) -> int:
    answer = chair.send("stuk_nieuw", {"id": f"besluit-{item_id}-{len(text)}", "punt": item_id, "soort": "besluit",
                                       "tekst": text, "personen": list(persons)})
    assert answer["ok"], answer
    return answer["stuk"]


def _prefilled(html: str) -> str:
    """The decision chosen in the raise form's list of decisions ("" for none)."""
    import re

    select_ = re.search(r'<select[^>]*name="besluit"[^>]*>.*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option selected value="([^"]*)"', select_)
    return chosen.group(1) if chosen else ""


def _raise(app, client, case_id: int, piece_id: int, other_org_id: int):
    return form_post(app, client, f"/casussen/{case_id}/escalaties/nieuw", {
        "subject_kind": "besluit", "besluit": str(piece_id), "subject_text": "besluit over contact",
        "urgency": "regulier", "other_organisation_id": str(other_org_id),
        "position": "Begeleid contact is niet veilig genoeg", "risk_argument": ""})


def test_a_disputed_decision_is_marked_and_locked_until_the_escalation_ends(app, db, live, world, meeting,
                                                                           make_consent):
    """Is a decision under an open escalation marked "in escalatie" live and on the page, refused when saved
    live or corrected as an item, and free again once the escalation is withdrawn?"""
    victim = world["persons"][0]
    make_consent(world["case_a"], victim, [world["orgs"]["POL"], world["orgs"]["VT"]], ["overleg"],
                 world["coordinator"])
    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    piece_id = _decision(chair, meeting.item_a, persons=[victim.id])
    resp = _raise(app, pol.http, world["case_a"].id, piece_id, world["orgs"]["VT"].id)
    assert resp.status_code == 302, text_of(resp.text)[:500]
    db.expire_all()
    esc = db.exec(select(Escalation).where(Escalation.subject_kind == "besluit")).one()
    assert esc.subject_id == piece_id

    state = vt.send("punt", {"punt": meeting.item_a})["punt"]
    row = next(s for s in state["stukken"] if s["id"] == piece_id)
    assert row["in_escalatie"]["referentie"] == esc.reference and "escalatie_url" not in row
    page = text_of(vt.http.get(f"/overleggen/{meeting.id}").text)
    assert "In escalatie" in page and esc.reference in page

    refused = vt.send("stuk_opslaan", {"id": "opslaan-in-esc", "stuk": piece_id, "versie": 1, "tekst": "Anders"})
    assert refused["ok"] is False and esc.reference in refused["fout"]
    piece = db.get(LivePiece, piece_id)
    edit = form_post(app, chair.http, f"/casussen/{world['case_a'].id}/gegevens/{piece.item_id}/bewerken",
                     {"content": "Stiekem aangepast", "recorded_on": "2026-11-01"})
    assert edit.status_code in (403, 404, 422)
    db.expire_all()
    assert db.get(LivePiece, piece_id).version == 1

    withdraw = form_post(app, pol.http, f"/casussen/{world['case_a'].id}/escalaties/{esc.id}/intrekken",
                         {"reason": "Toch eens geworden in het overleg", "version": str(esc.version)})
    assert withdraw.status_code in (200, 302)
    db.expire_all()
    assert not db.get(Escalation, esc.id).is_open
    assert vt.send("stuk_opslaan", {"id": "opslaan-na-esc", "stuk": piece_id, "versie": 1,
                                    "tekst": "Besluit na intrekking"})["ok"]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999999999999999999", "2147483648", "1e3"])
def test_a_nonsense_decision_number_in_the_link_gets_a_dutch_message(app, live, world, meeting, value):
    """Does the raise page opened with a nonsense ``besluit=`` answer 200 with a Dutch message, prefilling nothing?"""
    pol = live(world["users"]["POL"])
    resp = pol.http.get(f"/casussen/{world['case_a'].id}/escalaties/nieuw?besluit={value}")
    assert resp.status_code == 200
    assert "hoort niet bij een overleg over deze casus" in text_of(resp.text)


def test_a_decision_of_another_case_cannot_be_disputed_from_this_case(app, db, live, world, meeting, make_consent):
    """Is a decision of case B neither prefilled nor accepted when raising an escalation in case A (where a
    decision POL may see is)?"""
    make_consent(world["case_a"], world["persons"][0], [world["orgs"]["POL"], world["orgs"]["VT"]], ["overleg"],
                 world["coordinator"])
    chair, _ = _started(live, world, meeting)
    other = _decision(chair, meeting.item_b, "Besluit in casus B")
    own = _decision(chair, meeting.item_a, persons=[world["persons"][0].id])
    pol = live(world["users"]["POL"])
    page = text_of(pol.http.get(f"/casussen/{world['case_a'].id}/escalaties/nieuw?besluit={other}").text)
    assert "hoort niet bij een overleg over deze casus" in page
    assert _prefilled(pol.http.get(f"/casussen/{world['case_a'].id}/escalaties/nieuw?besluit={other}").text) == ""
    assert _prefilled(pol.http.get(f"/casussen/{world['case_a'].id}/escalaties/nieuw?besluit={own}").text) == str(own)
    resp = _raise(app, pol.http, world["case_a"].id, other, world["orgs"]["VT"].id)
    assert resp.status_code == 422 and "geen besluit van een overleg over deze casus" in text_of(resp.text)
    db.expire_all()
    assert db.exec(select(Escalation)).first() is None


def test_a_decision_the_raiser_may_not_see_cannot_be_escalated(app, db, live, world, meeting):
    """Can a partner escalate (and so lock) a conference decision about the victim that the engine does not let
    them see (no consent for their organisation)? Refused (422) as if it were no decision of the case, nothing
    stored."""
    victim = world["persons"][0]
    chair, (pol,) = _started(live, world, meeting, "POL")
    piece_id = _decision(chair, meeting.item_a, persons=[victim.id])
    resp = _raise(app, pol.http, world["case_a"].id, piece_id, world["orgs"]["VT"].id)
    assert resp.status_code == 422
    assert "Het gekozen besluit is geen besluit van een overleg over deze casus" in text_of(resp.text)
    db.expire_all()
    assert db.exec(select(Escalation)).all() == []


def test_the_raise_form_offers_decisions_by_meeting_and_text_without_a_number(app, db, live, world, meeting,
                                                                              make_consent):
    """Does the raise form list the case's decisions the user may see by meeting, date and text (no number to type,
    no id shown), leave out a decision the engine withholds, and show the chosen one's text on the escalation
    page?"""
    import re

    victim = world["persons"][0]
    chair, (pol,) = _started(live, world, meeting, "POL")
    hidden = _decision(chair, meeting.item_a, "Besluit: GEHEIM over het slachtoffer", persons=[victim.id])
    make_consent(world["case_a"], world["persons"][1], [world["orgs"]["POL"], world["orgs"]["VT"]], ["overleg"],
                 world["coordinator"])
    open_ = _decision(chair, meeting.item_a, "Besluit: school meldt verzuim aan het wijkteam",
                      persons=[world["persons"][1].id])
    html = pol.http.get(f"/casussen/{world['case_a'].id}/escalaties/nieuw").text
    page = text_of(html)
    assert "Nummer van het besluit" not in page and 'name="besluit_id"' not in html
    options = dict(re.findall(r'<option value="(\d+)">([^<]*)</option>',
                              re.search(r'<select[^>]*name="besluit".*?</select>', html, re.S).group(0)))
    assert list(options) == [str(open_)] and str(hidden) not in options
    assert re.fullmatch(r"Besluit in .+ van \d\d-\d\d-\d{4}: Besluit: school meldt verzuim aan het wijkteam",
                        options[str(open_)])
    resp = _raise(app, pol.http, world["case_a"].id, open_, world["orgs"]["VT"].id)
    assert resp.status_code == 302, text_of(resp.text)[:500]
    shown = text_of(pol.http.get(resp.headers["Location"]).text)
    assert "Betwist onderdeel" in shown and "school meldt verzuim" in shown
    assert f"Besluit van een overleg {open_}" not in shown
