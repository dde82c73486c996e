"""Organisation names kept per process: a rename shows at once here, within the TTL elsewhere, never undone."""

from __future__ import annotations

from sqlalchemy import update

from mda.organisations import names
from mda.organisations.models import Organisation
from tests.conftest import audit_rows, form_post


def _header(client) -> str:
    page = client.get("/")
    assert page.status_code == 200
    return page.text


def test_renamed_organisation_shows_its_new_name(app, client, db, login_as):
    """Does the header (and the next audit row) name an organisation by its new name right after a rename?"""
    admin = login_as(("admin",))
    org = db.get(Organisation, admin.organisation_id)
    old = org.name
    assert old in _header(client)  # the name is now kept by this process
    resp = form_post(app, client, f"/beheer/organisaties/{org.id}",
                     {"name": "Hernoemde organisatie", "type_code": org.type_code, "region_id": org.region_id})
    assert resp.status_code in (200, 302), resp.text[:300]
    page = _header(client)
    assert "Hernoemde organisatie" in page and old not in page
    client.get("/beheer/organisaties")  # an audited look: the row names the organisation
    assert audit_rows(db, user_id=admin.id)[-1].organisation_name == "Hernoemde organisatie"


def test_rename_by_another_process_shows_within_the_ttl(app, client, db, login_as, monkeypatch):
    """Does a rename this process did not make (another gunicorn process) show once the cached name is older
    than the TTL, and not before?"""
    user = login_as()
    org = db.get(Organisation, user.organisation_id)
    old = org.name
    assert old in _header(client)
    with app.extensions["mda_engine"].begin() as conn:  # no ORM events: as another process would
        conn.execute(update(Organisation).where(Organisation.id == org.id).values(name="Elders hernoemd"))
    assert old in _header(client)
    monkeypatch.setattr(names, "TTL_SECONDS", 0.0)
    assert "Elders hernoemd" in _header(client)


def test_a_rolled_back_rename_is_not_kept(app, db, make_org):
    """Does a rename that is rolled back leave the cache with the stored name, not the undone one?"""
    org = make_org("GGZ", name="GGZ Oud")
    assert names.organisation_name(db, org.id) == "GGZ Oud"
    org.name = "GGZ Nooit opgeslagen"
    db.add(org)
    db.flush()
    assert names.organisation_name(db, org.id) == "GGZ Nooit opgeslagen"  # this unit of work sees its own change
    db.rollback()
    assert names.organisation_name(db, org.id) == "GGZ Oud"
