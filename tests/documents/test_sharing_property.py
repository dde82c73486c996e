"""Property: a document reaches a viewer exactly when the rules let them see a typed item of the same category,
source and persons, in every channel: the case page, the JSON API, the download, the meeting page and the live
session's item (the state its socket fetches), and the privacy officer's export lists every document of a person
and every look at it.

The worlds, the oracle and the world builder are those of ``tests/cases/test_sharing_property.py`` (written from
docs/sharing.md, apart from the engine); some of the generated items are made documents here, brought with a
pre-meeting update to the case's item of a planned meeting.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from mda.core.timeutil import utcnow
from mda.documents import storage
from mda.documents.models import Document
from tests.cases.test_sharing_property import (  # noqa: F401  (covenants: a fixture)
    _plan_meeting,
    build,
    covenants,
    oracle,
    session_login,
    worlds,
)
from tests.documents.conftest import make_pdf


def _documents(app, db, built, chosen: list[int], agenda_item_id: int) -> dict[int, Document]:
    """Make the *chosen* items documents (bytes stored through the configured storage), brought to the meeting's
    case item; item index -> document row."""
    store = storage.from_config(app.config)
    made = {}
    for number, k in enumerate(chosen, start=1):
        item = built["items"][k]
        data = make_pdf(f"BYTES{built['token']}I{k}X")
        doc = Document(item_id=item.id, case_id=built["case"].id, agenda_item_id=agenda_item_id, number=number,
                       storage_key=store.put(db, data), content_type="application/pdf", extension="pdf",
                       size=len(data), sha256=__import__("hashlib").sha256(data).hexdigest(), scanned_with="clamav",
                       uploaded_at=utcnow())
        db.add(doc)
        made[k] = doc
    db.commit()
    return made


def _live_documents(app, user, meeting_id: int, agenda_item_id: int) -> list[dict] | None:
    """The documents of the case item in the live state this user's socket fetches (``punt``), or None when the
    user cannot open the case."""
    from mda import db as mdadb
    from mda.auth.models import User
    from mda.live import state
    from mda.meetings.models import AgendaItem, Meeting

    with app.test_request_context():
        s = mdadb.session()
        states = state.items_state(s, s.get(User, user.id), s.get(Meeting, meeting_id),
                                   [s.get(AgendaItem, agenda_item_id)])
        mdadb.commit()
    return states[agenda_item_id]["documenten"] if agenda_item_id in states else None


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds(), data=st.data())
def test_documents_reach_exactly_whom_the_rules_allow_in_every_channel(app, client, db, make_user, covenants,  # noqa: F811
                                                                      world, data):
    """For every user around a generated case, does each document show its title and download link, give its bytes
    (watermarked) and appear in the meeting page's and live session's item exactly when the oracle allows a typed
    item of its category, source and persons; "Niet gedeeld" and 403 without a byte otherwise; 404 outside the
    circle; and does the privacy officer's export list each document of a person and every look at it?"""
    from mda.meetings.models import AgendaItem
    from mda.organisations.models import Organisation

    built = build(db, world, make_user, covenants)
    case = built["case"]
    chosen = sorted(data.draw(st.sets(st.integers(0, len(world.items) - 1), min_size=1), label="documents"))
    meeting_id = _plan_meeting(app, built["users"][0], case)
    agenda_item_id = db.exec(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id,
                                                         AgendaItem.case_id == case.id)).one()
    docs = _documents(app, db, built, chosen, agenda_item_id)
    looked: dict[int, set[int]] = {k: set() for k in range(len(world.person_sources))}  # person -> users
    for viewer, user in enumerate(built["users"]):
        allowed = {k: oracle(world, viewer, world.items[k][1], world.items[k][0], world.items[k][2], k) is not None
                   for k in chosen}
        session_login(client, user)
        page, api = client.get(f"/casussen/{case.id}"), client.get(f"/api/v1/cases/{case.id}")
        if not world.in_circle[viewer]:
            assert (page.status_code, api.status_code) == (404, 404)
        api_items = {i["id"]: i for i in api.get_json()["items"]} if api.status_code == 200 else {}
        live = _live_documents(app, user, meeting_id, agenda_item_id)
        assert (live is None) == (not world.in_circle[viewer])
        live_rows = {row["nummer"]: row for row in live or []}
        for k, doc in docs.items():
            item = built["items"][k]
            want = allowed[k]
            link = f"Document nr. {doc.number} downloaden"
            assert (item.content in page.text, link in page.text) == (want, want), (viewer, k, "page")
            if world.in_circle[viewer]:
                shown = api_items[item.id]
                assert (shown["content"] == item.content, "download" in shown["document"]) == (want, want)
                row = live_rows[doc.number]
                assert (row["zichtbaar"], row.get("titel") == item.content, "download" in row) == (want,) * 3
            got = client.get(f"/casussen/{case.id}/documenten/{item.id}/download")
            expected = 200 if want else 403 if world.in_circle[viewer] else 404
            assert got.status_code == expected, (viewer, k, got.status_code)
            if want:
                assert got.data.startswith(b"%PDF")
            else:
                assert b"%PDF" not in got.data and b"BYTES" not in got.data
            if world.in_circle[viewer]:
                for person in world.items[k][2]:
                    looked[person].add(user.id)
        if viewer == 0:  # the coordinator plans the meeting: its page shows the documents brought to the item
            meeting_page = client.get(f"/overleggen/{meeting_id}").text
            for k, doc in docs.items():
                assert (built["items"][k].content in meeting_page) == allowed[k], (k, "meeting page")
    officer = make_user(roles=("privacy_officer",), org=db.get(Organisation, built["users"][0].organisation_id))
    session_login(client, officer)
    for p, person in enumerate(built["persons"]):
        export = client.get(f"/privacy/personen/{person.id}/export.json").get_json()
        listed = {g["nummer"] for g in export["gegevens"] if g["document"]}
        assert listed == {built["items"][k].id for k in docs if p in world.items[k][2]}, (p, "export")
        names = {row["gebruiker"] for row in export["inzage"]}
        assert {u.email for u in built["users"] if u.id in looked[p]} <= names, (p, "inzage")  # (named by address)
