"""The family version of the Word export: whom to call, and what to do when it is not safe (B1)."""

import io

from docx import Document

from mda.organisations.models import Organisation
from mda.safety_plan import views
from tests.safety_plan.test_export import all_text, plan  # noqa: F401 - the fixture


def _family_text(client, auth, s) -> str:
    auth.login(s.users["lt_lead"])
    resp = client.get(f"/casussen/{s.case.id}/plan/export-gezin.docx")
    assert resp.status_code == 200
    return all_text(resp.data)


def test_the_family_version_names_the_coordinator_as_contact_person(client, auth, plan, db):  # noqa: F811
    """Does 'Heeft u vragen?' name the contact person (the case's coordinator) and her organisation, instead of
    an unnamed 'vaste contactpersoon', and invent no telephone number (none is stored)?"""
    coordinator = plan.users["coordinator"]
    organisation = db.get(Organisation, coordinator.organisation_id).name
    text = _family_text(client, auth, plan)
    assert (f"Heeft u vragen? Neem dan contact op met uw vaste contactpersoon: {coordinator.name}, "
            f"procesregisseur bij {organisation}.") in text
    assert "Bel dan uw vaste contactpersoon." not in text
    assert "telefoonnummer" not in text


def test_the_family_version_shows_the_contacts_phone_when_the_view_has_one(client, auth, plan, monkeypatch):  # noqa: F811
    """When the contact view holds a telephone number, does the family version print it beside the name?"""
    monkeypatch.setattr(views, "contact_view", lambda db, ctx: views.ContactView(
        name="Anna Procesregisseur", organisation="Zorg- en Veiligheidshuis", phone="010-1234567"))
    text = _family_text(client, auth, plan)
    assert "Anna Procesregisseur, procesregisseur bij Zorg- en Veiligheidshuis. Het telefoonnummer is " \
           "010-1234567." in text


def test_the_family_version_holds_the_fallback_scenario_in_plain_words(client, auth, plan):  # noqa: F811
    """Does the family version have a section 'Als het toch niet veilig is' with the plan's signals, 112, Veilig
    Thuis's number and the contact person, under what the family already agreed?"""
    auth.login(plan.users["lt_lead"])
    doc = Document(io.BytesIO(client.get(f"/casussen/{plan.case.id}/plan/export-gezin.docx").data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Als het toch niet veilig is" in headings
    assert headings.index("Als het toch niet veilig is") > headings.index("Afspraken over veiligheid")
    signals = next(t for t in doc.tables if t.rows[0].cells[0].text == "Waar we op letten")
    assert [r.cells[0].text for r in signals.rows[1:]] == ["Nieuwe melding van geweld"]
    text = all_text(client.get(f"/casussen/{plan.case.id}/plan/export-gezin.docx").data)
    assert "Is er nu gevaar? Bel dan meteen 112." in text and "Bel Veilig Thuis: 0800-2000" in text
    assert f"Vertel het daarna ook aan {plan.users['coordinator'].name}, uw vaste contactpersoon." in text


def test_the_contact_view_finds_the_coordinator_outside_the_context(db, plan):  # noqa: F811
    """When the case context did not load the coordinator's name and organisation, does the contact view still
    name her and her organisation (read from the account)?"""
    from mda.core import sharing

    ctx = sharing.load_context(db, plan.case)
    ctx.user_names.clear()
    ctx.user_orgs.clear()
    ctx.org_names.clear()
    coordinator = plan.users["coordinator"]
    contact = views.contact_view(db, ctx)
    assert (contact.name, contact.organisation, contact.phone) == (
        coordinator.name, db.get(Organisation, coordinator.organisation_id).name, None)
