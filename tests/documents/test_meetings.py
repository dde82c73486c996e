"""Documents brought with a pre-meeting update: on the meeting page, in the live session (fetched and after a push)
and through the API, each viewer gets what the sharing engine decides for the document's item, never more."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlmodel import select

from mda.documents.models import Document
from tests.conftest import csrf_token, form_post, text_of
from tests.documents.conftest import make_pdf
from tests.live.conftest import MeetingRef

TITLE = "Incidentoverzicht politie (fictief)"
MARKER = "MARKER-UPDATE-DOC-2207"


def _bring(app, client, meeting: MeetingRef, case, person, data=None, title=TITLE, category="justitie"):
    """POST the upload form of a document brought with the update of case item A."""
    return client.post(f"/casussen/{case.id}/documenten/nieuw?punt={meeting.item_a}",
                       content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(app, client), "file": (io.BytesIO(data or make_pdf(MARKER)),
                                                                              "incident.pdf"),
                             "title": title, "category": category, "persons": [str(person.id)]})


def _police_brings_a_report(app, client, auth, db, world, meeting, logout=True):
    """POL writes its update for case A and brings the incident summary (justice data about the victim) with it."""
    auth.login(world["users"]["POL"])
    victim = world["persons"][0]
    refused = _bring(app, client, meeting, world["case_a"], victim)
    assert refused.status_code == 422 and "Schrijf eerst de update" in text_of(refused.text)
    assert form_post(app, client, f"/overleggen/{meeting.id}/punten/{meeting.item_a}/update",
                     {"content": "Melding huiselijk geweld opgenomen."}).status_code == 302
    resp = _bring(app, client, meeting, world["case_a"], victim)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/overleggen/{meeting.id}#updates")
    doc = db.exec(select(Document)).one()
    assert doc.agenda_item_id == meeting.item_a
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert f"Document: {TITLE}" in page and "Document nr. 1 downloaden" in page  # the source sees its own
    if logout:  # (a logout ends every session of the account, its live sockets too)
        auth.logout()
    return doc


def test_a_partner_without_a_basis_sees_niet_gedeeld_on_the_meeting_page_and_in_the_live_session(
        app, client, auth, db, world, meeting, live, make_consent):
    """Without a basis for justice data, does VT see "Niet gedeeld" with the reason for the document brought with
    POL's update on the meeting page, in the live item it fetches and in the case API, never its title, and get no
    bytes; and once the victim consents, do the same channels show the title and give a watermarked copy?"""
    doc = _police_brings_a_report(app, client, auth, db, world, meeting)
    vt = world["users"]["VT"]
    auth.login(vt)
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert "Document: Niet gedeeld: geen toestemming voor Justitiële gegevens" in page and TITLE not in page
    api = client.get(f"/api/v1/cases/{world['case_a'].id}").get_json()
    shown = next(i for i in api["items"] if i["id"] == doc.item_id)
    assert (shown["shared"], shown["content"]) == (False, None)
    assert client.get(f"/casussen/{world['case_a'].id}/documenten/{doc.item_id}/download").status_code == 403
    socket = live(vt)
    assert socket.send("deelnemen", {"overleg": meeting.id})["ok"]
    item = socket.send("punt", {"punt": meeting.item_a})["punt"]
    assert [(d["nummer"], d["zichtbaar"], d["bron"]) for d in item["documenten"]] == [
        (1, False, world["orgs"]["POL"].name)]
    assert "Justitiële gegevens" in item["documenten"][0]["niet_gedeeld"]
    assert TITLE not in socket.everything() and "download" not in item["documenten"][0]

    make_consent(world["case_a"], world["persons"][0], [world["orgs"]["VT"]], ["justitie"], world["coordinator"],
                 given_on=date(2026, 11, 1))
    page = text_of(client.get(f"/overleggen/{meeting.id}").text)
    assert f"Document: {TITLE}" in page and "Document nr. 1 downloaden" in page
    item = socket.send("punt", {"punt": meeting.item_a})["punt"]
    row = item["documenten"][0]
    assert (row["zichtbaar"], row["titel"]) == (True, TITLE)
    got = client.get(row["download"])
    assert got.status_code == 200
    text = PdfReader(io.BytesIO(got.data)).pages[0].extract_text()
    assert MARKER in text and f"gedownload door {vt.name}" in text


def test_a_document_brought_to_an_item_pushes_a_notice_and_each_viewer_fetches_its_own_view(
        app, client, auth, db, world, meeting, live):
    """When POL brings a document while VT and POL have case item A open in the live session, does each socket get
    only a notice with ids (no title), and does each then fetch its own view: POL the title, VT "niet gedeeld"?"""
    pol, vt = world["users"]["POL"], world["users"]["VT"]
    sockets = {}
    for user in (pol, vt):
        sockets[user.id] = live(user)
        assert sockets[user.id].send("deelnemen", {"overleg": meeting.id})["ok"]
        assert sockets[user.id].send("punt", {"punt": meeting.item_a})["punt"]["documenten"] == []
        sockets[user.id].received()
    _police_brings_a_report(app, client, auth, db, world, meeting, logout=False)
    for user in (pol, vt):
        pushed = [m for m in sockets[user.id].received() if m["name"] == "melding"]
        assert {"soort": "punt", "punt": meeting.item_a} in [m["args"][0] for m in pushed], pushed
        assert TITLE not in str(pushed)
    mine = sockets[pol.id].send("punt", {"punt": meeting.item_a})["punt"]["documenten"]
    theirs = sockets[vt.id].send("punt", {"punt": meeting.item_a})["punt"]["documenten"]
    assert (mine[0]["zichtbaar"], mine[0]["titel"]) == (True, TITLE)
    assert theirs[0]["zichtbaar"] is False and "titel" not in theirs[0]


def test_only_participants_bring_documents_to_an_item_and_only_before_the_deadline(app, client, auth, db, world,
                                                                                  meeting):
    """Does the API take a document with agenda_item_id like the page; and is one refused (Dutch, nothing stored)
    after the update deadline, from an invited partner whose organisation wrote no update, and (404) from a
    professional outside the case's circle?"""
    from datetime import timedelta

    from mda.core.timeutil import utcnow
    from mda.meetings.models import Meeting

    auth.login(world["users"]["POL"])
    form_post(app, client, f"/overleggen/{meeting.id}/punten/{meeting.item_a}/update", {"content": "Stand van zaken."})
    resp = client.post(f"/api/v1/cases/{world['case_a'].id}/documents",
                       headers={"X-CSRFToken": csrf_token(app, client)}, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(make_pdf()), "pv.pdf"), "category": "justitie",
                             "agenda_item_id": str(meeting.item_a)})
    assert resp.status_code == 201, resp.text
    assert db.get(Document, resp.get_json()["item_id"]).agenda_item_id == meeting.item_a
    planned = db.get(Meeting, meeting.id)
    planned.update_deadline = utcnow() - timedelta(minutes=1)  # the coordinator's deadline has just passed
    db.add(planned)
    db.commit()
    late = _bring(app, client, meeting, world["case_a"], world["persons"][0])
    planned.update_deadline = None
    db.add(planned)
    db.commit()
    assert late.status_code == 422 and "termijn voor updates is verstreken" in text_of(late.text)
    auth.logout()
    auth.login(world["users"]["VT"])  # in the circle and invited, but VT wrote no update
    resp = _bring(app, client, meeting, world["case_a"], world["persons"][0])
    assert resp.status_code == 422 and "Schrijf eerst de update" in text_of(resp.text)
    auth.logout()
    auth.login(world["users"]["VT2"])
    assert _bring(app, client, meeting, world["case_a"], world["persons"][0]).status_code == 404
    db.expire_all()
    assert len(db.exec(select(Document)).all()) == 1
