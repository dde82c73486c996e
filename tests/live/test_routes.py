"""The live page and the plain-form fallback on the meeting page (no websockets needed)."""

import re

import pytest
from sqlmodel import select

from mda.live.models import LiveMeeting, LivePiece
from tests.conftest import form_post, text_of


@pytest.fixture
def as_chair(auth, world):
    assert auth.login(world["coordinator"]).status_code == 302


def _started(app, client, meeting):
    assert form_post(app, client, f"/overleggen/{meeting.id}/live/voorzitter/starten").status_code == 302


def test_meeting_page_shows_the_live_panel_with_plain_forms(app, client, as_chair, meeting):
    """Does the meeting page show the live panel (current item, forms) without any script?"""
    _started(app, client, meeting)
    page = client.get(f"/overleggen/{meeting.id}")
    assert page.status_code == 200
    html = page.text
    assert "Live overleg" in html and "Nu aan de orde" in html
    assert f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/stukken" in html
    assert "<script>" not in html


def test_before_the_start_the_meeting_page_shows_the_panel_without_item_forms(app, client, as_chair, meeting):
    """Before the chair starts the meeting (nothing written live yet), does the meeting page show the live panel's
    status, the start button and the link to the live view, but not yet the items' forms, which appear once it
    has started?"""
    stukken = f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/stukken"
    html = client.get(f"/overleggen/{meeting.id}").text
    assert "Live overleg" in html and "Overleg starten" in html and "verschijnen hier zodra" in html
    assert stukken not in html
    _started(app, client, meeting)
    html = client.get(f"/overleggen/{meeting.id}").text
    assert stukken in html and "verschijnen hier zodra" not in html


def test_plain_form_adds_minutes_and_the_page_shows_them(app, client, as_chair, meeting, db):
    """Can minutes be added with a plain form and read back on the meeting page?"""
    _started(app, client, meeting)
    resp = form_post(app, client, f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/stukken",
                     {"soort": "notulen", "categorie": "overleg", "tekst": "Afspraak via formulier (fictief)"})
    assert resp.status_code == 302
    assert "Afspraak via formulier (fictief)" in client.get(f"/overleggen/{meeting.id}").text


def test_stale_plain_form_save_shows_both_texts_with_422(app, client, as_chair, meeting, db):
    """Is a stale save by plain form refused with 422, showing the current text and keeping the user's own?"""
    _started(app, client, meeting)
    form_post(app, client, f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/stukken",
              {"soort": "notulen", "tekst": "Versie een"})
    piece = db.exec(select(LivePiece)).one()
    url = f"/overleggen/{meeting.id}/live/stukken/{piece.id}"
    assert form_post(app, client, url, {"versie": "1", "tekst": "Versie twee"}).status_code == 302
    resp = form_post(app, client, url, {"versie": "1", "tekst": "Mijn late tekst"})
    assert resp.status_code == 422
    assert "Versie twee" in resp.text and "Mijn late tekst" in resp.text and "Iemand anders" in resp.text


def test_empty_minutes_by_plain_form_are_refused_in_dutch(app, client, as_chair, meeting, db):
    """Is an empty text refused with a Dutch message (422) and nothing stored?"""
    _started(app, client, meeting)
    resp = form_post(app, client, f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/stukken",
                     {"soort": "notulen", "tekst": "  "})
    assert resp.status_code == 422 and "leeg" in text_of(resp.text)
    assert db.exec(select(LivePiece)).all() == []


def test_minutes_lifecycle_and_revision_comparison(app, client, as_chair, meeting, db):
    """Do minutes go concept -> review -> final, need a reason to correct, and compare revisions side by side?"""
    _started(app, client, meeting)
    base = f"/overleggen/{meeting.id}/live"
    form_post(app, client, f"{base}/punten/{meeting.item_a}/stukken", {"tekst": "Eerste tekst"})
    piece = db.exec(select(LivePiece)).one()
    assert form_post(app, client, f"{base}/notulen/review").status_code == 422  # meeting still open
    form_post(app, client, f"{base}/voorzitter/sluiten")
    assert form_post(app, client, f"{base}/notulen/review").status_code == 302
    assert form_post(app, client, f"{base}/notulen/definitief").status_code == 302
    db.expire_all()
    assert db.exec(select(LiveMeeting)).one().minutes_status == "definitief"
    refused = form_post(app, client, f"{base}/stukken/{piece.id}", {"versie": "1", "tekst": "Correctie"})
    assert refused.status_code == 422 and "reden" in refused.text
    ok = form_post(app, client, f"{base}/stukken/{piece.id}", {"versie": "1", "tekst": "Correctie",
                                                               "reden": "Naam van de school was fout"})
    assert ok.status_code == 302
    page = client.get(f"{base}/stukken/{piece.id}/revisies?a=1&b=2")
    assert page.status_code == 200
    columns = re.findall(r'<section aria-label="Versie (\d)"', page.text)
    assert columns == ["1", "2"] and "Eerste tekst" in page.text and "Naam van de school was fout" in page.text


def test_live_page_loads_its_script_from_static_files_only(app, client, as_chair, meeting):
    """Does the live view load only local scripts (CSP: no inline script, no CDN)?"""
    page = client.get(f"/overleggen/{meeting.id}/live")
    assert page.status_code == 200
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts and all('src="/static/' in s for s in scripts)


def test_sending_the_minutes_for_review_mails_each_participant_once(app, client, as_chair, meeting, world, db):
    """Does "ter review" e-mail every invited participant (not the chair) once, with a link and no content?"""
    from mda.core.mail import outbox_messages

    _started(app, client, meeting)
    base = f"/overleggen/{meeting.id}/live"
    form_post(app, client, f"{base}/punten/{meeting.item_a}/stukken", {"tekst": "GEHEIM-NOTULEN over het gezin"})
    form_post(app, client, f"{base}/voorzitter/sluiten")
    before = {name for name, _m in outbox_messages(app, 500)}
    assert form_post(app, client, f"{base}/notulen/review").status_code == 302
    assert form_post(app, client, f"{base}/notulen/review").status_code == 422  # already sent: nothing again
    new = [m for name, m in outbox_messages(app, 500) if name not in before]
    review = [m for m in new if m["Subject"].startswith("Notulen ter controle")]
    invited = {world["users"][k].email for k in ("POL", "GGZ", "LT", "VT")}
    assert sorted(m["To"] for m in review) == sorted(invited)
    for m in review:
        body = m.get_content()
        assert f"/overleggen/{meeting.id}" in body and "GEHEIM-NOTULEN" not in body
        assert all(p.name not in body for p in world["persons"])


def test_revisions_reach_the_template_only_as_the_engines_views(app, client, auth, as_chair, meeting, world, db):
    """In a region without a covenant, does the revisions page hand its template the engine's revision views
    (never stored revision rows to be masked there) for the chair, and does the police (invited to the case, not
    the minutes' source) get a 404 without the text?"""
    from flask import template_rendered

    from mda.core.sharing import RevisionView
    from mda.live.models import LiveRevision

    _started(app, client, meeting)
    base = f"/overleggen/{meeting.id}/live"
    form_post(app, client, f"{base}/punten/{meeting.item_a}/stukken", {"tekst": "GEHEIM-NOTULEN eerste versie"})
    piece = db.exec(select(LivePiece)).one()
    form_post(app, client, f"{base}/stukken/{piece.id}", {"versie": "1", "tekst": "GEHEIM-NOTULEN tweede versie"})
    url = f"{base}/stukken/{piece.id}/revisies?a=1&b=2"
    contexts = []

    def keep(_app, template, context, **_extra):
        contexts.append(context)

    template_rendered.connect(keep, app)
    try:
        page = text_of(client.get(url).text)
    finally:
        template_rendered.disconnect(keep, app)
    assert "GEHEIM-NOTULEN eerste versie" in page and "GEHEIM-NOTULEN tweede versie" in page
    (context,) = contexts
    handed = [*context["revisions"], context["left"], context["right"]]
    assert all(isinstance(r, RevisionView) for r in handed)
    assert not any(isinstance(v, LiveRevision) for v in [*handed, *context.values()])
    auth.logout()
    assert auth.login(world["users"]["POL"]).status_code == 302
    resp = client.get(url)
    assert resp.status_code == 404 and "GEHEIM-NOTULEN" not in resp.text


def test_a_correction_without_reason_keeps_the_text_in_a_form_to_finish(app, client, as_chair, meeting, db):
    """When final minutes are corrected without a reason, does the refusal offer the same form filled with the
    corrected text, the reason field marked required, so that adding the reason saves it (nothing retyped)?"""
    _started(app, client, meeting)
    base = f"/overleggen/{meeting.id}/live"
    form_post(app, client, f"{base}/punten/{meeting.item_a}/stukken", {"tekst": "Eerste tekst"})
    piece = db.exec(select(LivePiece)).one()
    form_post(app, client, f"{base}/voorzitter/sluiten")
    form_post(app, client, f"{base}/notulen/review")
    form_post(app, client, f"{base}/notulen/definitief")
    refused = form_post(app, client, f"{base}/stukken/{piece.id}",
                        {"versie": "1", "tekst": "Lange getypte correctie", "reden": "kort"})
    assert refused.status_code == 422
    form = re.search(r'<form method="post" action="[^"]*/stukken/\d+">.*?</form>', refused.text, re.S).group(0)
    assert ">Lange getypte correctie</textarea>" in form and 'name="versie" value="1"' in form
    assert 'name="reden" value="kort" required' in form and "(verplicht)" in form
    ok = form_post(app, client, f"{base}/stukken/{piece.id}", {"versie": "1", "tekst": "Lange getypte correctie",
                                                               "reden": "Naam van de school was fout"})
    assert ok.status_code == 302


def test_a_score_round_opened_without_anyone_connected_expects_the_invited_organisations(app, db, client, auth,
                                                                                         world, meeting):
    """Opened from the meeting page's plain form while nobody is connected (one screen in the room), does a score
    round on case A expect POL and VT, the organisations invited for it, instead of none (a round that never
    closes), and does it close by itself once both have scored?"""
    from mda.live.models import LiveScoreRound

    auth.login(world["coordinator"])
    _started(app, client, meeting)
    url = f"/overleggen/{meeting.id}/live/punten/{meeting.item_a}/score"
    assert form_post(app, client, url, {"stap": "openen"}).status_code == 302
    db.expire_all()
    rnd = db.exec(select(LiveScoreRound).where(LiveScoreRound.agenda_item_id == meeting.item_a)).one()
    expected = {int(o) for o in rnd.expected_org_ids.split(",") if o}
    assert expected == {world["orgs"]["POL"].id, world["orgs"]["VT"].id}
    for key in ("POL", "VT"):
        auth.logout()
        auth.login(world["users"][key])
        assert form_post(app, client, url, {"stap": "score", "score": "6"}).status_code == 302
    db.expire_all()
    assert db.get(LiveScoreRound, rnd.id).closed_at is not None
