"""An organisation's identity provider, set by the administrator: admin page, command line, secret at rest."""

from __future__ import annotations

from sqlalchemy import text

from mda.core import crypto
from mda.sso.models import OidcProvider
from tests.conftest import audit_rows, form_post, text_of


def _stored_secret(db) -> str:
    return db.execute(text("SELECT client_secret FROM oidc_provider")).scalar_one()


def test_cli_sets_lists_and_removes_a_provider(app, runner, db, make_org, tmp_path):
    """Can an operator set, list and remove an organisation's IdP from the command line, the secret read from a
    file and never printed, each change on record?"""
    org = make_org("POL", name="Politie Testland")
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("zeer-geheim-clientwachtwoord\n")
    result = runner.invoke(args=["sso", "set", "--organisation-id", str(org.id), "--issuer",
                                 "https://login.politie.test/tenant", "--client-id", "mda-politie",
                                 "--client-secret-file", str(secret_file), "--no-require-mfa"])
    assert result.exit_code == 0, result.output
    provider = db.exec(OidcProvider.__table__.select()).one()
    assert (provider.issuer, provider.client_id, provider.require_mfa) == (
        "https://login.politie.test/tenant", "mda-politie", False)
    listing = runner.invoke(args=["sso", "list"])
    assert "Politie Testland" in listing.output and "https://login.politie.test/tenant" in listing.output
    assert "zeer-geheim" not in listing.output
    assert runner.invoke(args=["sso", "remove", "--organisation-id", str(org.id)]).exit_code == 0
    assert db.exec(OidcProvider.__table__.select()).first() is None
    assert [r.summary.split(":")[0] for r in audit_rows(db, object_type="oidc_provider")] == [
        "inlogdienst ingesteld", "inlogdienst verwijderd"]


def test_cli_refuses_bad_input_in_dutch(runner, make_org, tmp_path):
    """Does the command line refuse an unknown organisation, a plain-http issuer and a missing secret file
    with a Dutch message instead of a traceback?"""
    org = make_org()
    secret_file = tmp_path / "s"
    secret_file.write_text("x")
    base = ["sso", "set", "--client-id", "c", "--client-secret-file", str(secret_file)]
    unknown = runner.invoke(args=base + ["--organisation-id", "999999", "--issuer", "https://idp.test"])
    assert unknown.exit_code == 1 and "bestaat niet" in unknown.output
    plain = runner.invoke(args=base + ["--organisation-id", str(org.id), "--issuer", "http://idp.test"])
    assert plain.exit_code == 1 and "https" in plain.output
    missing = runner.invoke(args=["sso", "set", "--organisation-id", str(org.id), "--issuer", "https://idp.test",
                                  "--client-id", "c", "--client-secret-file", str(tmp_path / "weg")])
    assert missing.exit_code == 1 and "kan niet worden gelezen" in missing.output
    assert runner.invoke(args=["sso", "remove", "--organisation-id", str(org.id)]).exit_code == 1


def test_client_secret_is_encrypted_at_rest_and_rotated_with_the_totp_keys(app, runner, db, make_org, tmp_path):
    """Is the client secret stored Fernet-encrypted, and re-encrypted by ``rotate-totp-key`` when a new key is
    put first in MDA_TOTP_KEYS?"""
    org = make_org()
    secret_file = tmp_path / "s"
    secret_file.write_text("clientgeheim-123")
    runner.invoke(args=["sso", "set", "--organisation-id", str(org.id), "--issuer", "https://idp.test",
                        "--client-id", "c", "--client-secret-file", str(secret_file)])
    stored = _stored_secret(db)
    assert "clientgeheim" not in stored and crypto.decrypt(stored) == "clientgeheim-123"
    old_keys = app.config["TOTP_KEYS"]
    new_key = crypto.new_key()
    try:
        crypto.configure([new_key, *old_keys])
        assert runner.invoke(args=["rotate-totp-key"]).exit_code == 0
        rotated = _stored_secret(db)
        crypto.configure([new_key])  # the old key is gone: the secret must still read
        assert rotated != stored and crypto.decrypt(rotated) == "clientgeheim-123"
    finally:
        crypto.configure(old_keys)


def test_admin_sets_a_provider_on_the_admin_page(app, client, db, login_as, make_org):
    """Can an administrator set an organisation's IdP on the admin page, is the page showing the redirect URI
    but never the secret, and is the change on record?"""
    admin = login_as(("admin",))
    org = make_org("GGZ")
    page = client.get("/beheer/inlogdiensten")
    assert page.status_code == 200 and "http://mda.test/login/sso/terug" in page.text
    response = form_post(app, client, "/beheer/inlogdiensten", {
        "organisation_id": org.id, "issuer": "https://login.ggz.test", "client_id": "mda-ggz",
        "client_secret": "ggz-geheim-42", "email_claim": "email", "name_claim": "name", "require_mfa": "y"})
    assert response.status_code == 302
    listing = client.get("/beheer/inlogdiensten")
    assert "https://login.ggz.test" in listing.text and "ggz-geheim-42" not in listing.text
    assert audit_rows(db, object_type="oidc_provider", user_id=admin.id)
    edit = client.get(f"/beheer/inlogdiensten?organisatie={org.id}")
    assert 'value="mda-ggz"' in edit.text and "ggz-geheim-42" not in edit.text


def test_admin_page_refuses_a_bad_issuer_in_dutch(app, client, db, login_as, make_org):
    """Does the admin page refuse an issuer that is not https with a Dutch message, storing nothing?"""
    login_as(("admin",))
    org = make_org()
    response = form_post(app, client, "/beheer/inlogdiensten", {
        "organisation_id": org.id, "issuer": "javascript:alert(1)", "client_id": "c", "client_secret": "s",
        "email_claim": "email", "name_claim": "name"})
    assert response.status_code == 422 and "https-adres" in text_of(response.text)
    assert db.exec(OidcProvider.__table__.select()).first() is None


def test_only_administrators_manage_providers(app, client, db, login_as, make_org):
    """Is a coordinator refused the providers page and its removal action, and is the refusal on record?"""
    user = login_as(("coordinator",))
    org = make_org()
    assert client.get("/beheer/inlogdiensten").status_code == 403
    assert form_post(app, client, f"/beheer/inlogdiensten/{org.id}/verwijderen").status_code == 403
    assert audit_rows(db, action="denied", user_id=user.id)


def test_editing_a_provider_without_a_secret_keeps_the_stored_one(app, client, db, login_as, make_org):
    """When the administrator changes a provider and leaves the secret field empty, is the stored secret kept
    (it is never shown, so it cannot be re-entered from the page)?"""
    login_as(("admin",))
    org = make_org("GGZ")
    fields = {"organisation_id": org.id, "issuer": "https://login.ggz.test", "client_id": "mda-ggz",
              "email_claim": "email", "name_claim": "name", "require_mfa": "y"}
    page = "/beheer/inlogdiensten"
    assert form_post(app, client, page, fields | {"client_secret": "eerste-geheim"}).status_code == 302
    assert form_post(app, client, page, fields | {"client_id": "mda-ggz-2"}).status_code == 302
    db.expire_all()
    provider = db.exec(OidcProvider.__table__.select()).one()
    assert provider.client_id == "mda-ggz-2" and crypto.decrypt(_stored_secret(db)) == "eerste-geheim"
