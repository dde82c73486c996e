"""Logging in through an organisation's own IdP, against a real OpenID provider (tests/auth/idp.py)."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from mda.sso import client as oidc
from mda.sso import services
from mda.sso.models import SsoIdentity
from tests.auth.idp import TestIdp, log_in_at_idp
from tests.conftest import TEST_PASSWORD, audit_rows, form_post, text_of

ACCOUNTS_A = {
    "alice-sub": {"email": "alice@politie.test", "name": "Alice Agent"},
    "bob-sub": {"email": "bob@politie.test", "name": "Bob Leaver"},
    "ghost-sub": {"email": "ghost@politie.test", "name": "Niet In MDA"},
    "intruder-sub": {"email": "carol@ggz.test", "name": "Vals Adres"},
    "alice-other-sub": {"email": "alice@politie.test", "name": "Alice Tweede Subject"},
}
ACCOUNTS_B = {"carol-sub": {"email": "carol@ggz.test", "name": "Carol Ggz"}}


# the IdP (a Node process) signs its tokens with the machine's time: this module keeps it in the check run
pytestmark = pytest.mark.usefixtures("real_wall_clock")


@pytest.fixture(scope="module")
def idp_a():
    idp = TestIdp(ACCOUNTS_A, client_id="mda-politie", client_secret="geheim-politie")
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def idp_b():
    idp = TestIdp(ACCOUNTS_B, client_id="mda-ggz", client_secret="geheim-ggz")
    yield idp
    idp.stop()


@pytest.fixture(autouse=True)
def _fresh_oidc_cache():
    oidc.forget_cache()
    yield
    oidc.forget_cache()


@pytest.fixture
def configure(app, db):
    """Give an organisation *idp* as its provider."""

    def configure(org, idp: TestIdp, require_mfa: bool = True):
        with app.test_request_context("/"):
            services.save_provider(db, None, org.id, issuer=idp.issuer, client_id=idp.client_id,
                                   client_secret=idp.client_secret, require_mfa=require_mfa, actor_name="test")
            db.commit()

    return configure


@pytest.fixture
def police(make_org, make_user, configure, idp_a):
    """The police with its own IdP, and Alice, a professional there."""
    org = make_org("POL")
    configure(org, idp_a)
    return org, make_user(org=org, email="alice@politie.test")


def idp_address(response) -> str:
    """The IdP address of MDA++'s "on to your organisation's IdP" page (a page: the login form's CSP forbids a
    form post that redirects to another site)."""
    assert response.status_code == 200 and 'id="sso-continue"' in response.text, response.text[:300]
    return html.unescape(response.text.split('id="sso-continue"')[1].split('href="')[1].split('"')[0])


def start_login(app, client, email: str) -> str:
    """Submit only the e-mail address; return the IdP address MDA++ sends the browser to."""
    return idp_address(form_post(app, client, "/login", {"email": email}))


def sso_login(app, client, email: str, sub: str, amr: str = "pwd,otp", acr: str = ""):
    """The whole code flow: MDA++ -> IdP login form -> back to MDA++'s callback; returns the callback's answer."""
    return client.get(log_in_at_idp(start_login(app, client, email), sub, amr, acr))


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_good_login_with_mfa_reaches_home_and_links_the_account(app, client, db, police, idp_a):
    """Does a login at the organisation's IdP with a second factor open MDA++ at once, with no TOTP of its own,
    link the account to (issuer, subject), and name issuer and subject in the audit trail?"""
    _, alice = police
    response = sso_login(app, client, "alice@politie.test", "alice-sub")
    assert response.status_code == 302 and urlparse(response.headers["Location"]).path == "/"
    assert logged_in(client)
    identity = db.exec(SsoIdentity.__table__.select()).one()
    assert (identity.user_id, identity.issuer, identity.subject) == (alice.id, idp_a.issuer, "alice-sub")
    login = audit_rows(db, action="login", user_id=alice.id)
    assert len(login) == 1 and idp_a.issuer in login[0].summary and "alice-sub" in login[0].summary


def test_authorization_request_uses_pkce_state_nonce_and_the_exact_redirect_uri(app, client, police, idp_a):
    """Does MDA++ send the browser to the IdP with PKCE (S256), state, nonce and the one registered redirect URI?"""
    query = parse_qs(urlparse(start_login(app, client, "alice@politie.test")).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["client_id"] == [idp_a.client_id]
    assert query["redirect_uri"] == ["http://mda.test/login/sso/terug"]


def test_a_password_does_not_open_an_account_of_an_sso_organisation(app, client, db, police, idp_a):
    """Does the right password of an account whose organisation has an IdP still send the browser to that IdP,
    without logging in (a leaver's old password must not work)?"""
    _, alice = police
    response = form_post(app, client, "/login", {"email": alice.email, "password": TEST_PASSWORD})
    assert idp_address(response).startswith(idp_a.issuer + "/")
    assert not logged_in(client)
    assert audit_rows(db, action="login", user_id=alice.id) == []


def test_an_account_without_an_idp_gets_the_password_form(app, client, make_user):
    """Does an account of an organisation without an IdP, submitted with its e-mail alone, get asked for its
    password (and not be sent anywhere)?"""
    user = make_user()
    response = form_post(app, client, "/login", {"email": user.email})
    assert response.status_code == 200 and "Vul uw wachtwoord in." in text_of(response.text)


def test_mfa_required_but_amr_only_pwd_is_refused(app, client, db, police):
    """Is a login refused, in Dutch and on record, when the organisation requires the IdP's second factor and the
    ID token shows only a password?"""
    _, alice = police
    response = sso_login(app, client, "alice@politie.test", "alice-sub", amr="pwd")
    assert response.status_code == 403 and "tweede factor" in text_of(response.text)
    assert not logged_in(client)
    refused = audit_rows(db, action="login_failed")
    assert refused and "tweede factor vereist" in refused[-1].summary
    assert db.exec(SsoIdentity.__table__.select()).first() is None  # the refused login linked nothing


def test_a_configured_strong_acr_counts_as_second_factor(app, client, db, make_org, make_user, idp_a):
    """Does an ``acr`` the administrator configured as strong count as the second factor when ``amr`` says
    only ``pwd`` (Keycloak style)?"""
    org = make_org("POL")
    with app.test_request_context("/"):
        services.save_provider(db, None, org.id, issuer=idp_a.issuer, client_id=idp_a.client_id,
                               client_secret=idp_a.client_secret, require_mfa=True,
                               strong_acr_values="urn:mda:test:mfa", actor_name="test")
        db.commit()
    make_user(org=org, email="alice@politie.test")
    response = sso_login(app, client, "alice@politie.test", "alice-sub", amr="pwd", acr="urn:mda:test:mfa")
    assert response.status_code == 302 and logged_in(client)


def test_without_required_mfa_mdas_own_totp_follows(app, client, make_org, make_user, configure, idp_a):
    """Where the organisation does not require the IdP's second factor, does MDA++ ask its own TOTP code before
    anything opens?"""
    org = make_org("POL")
    configure(org, idp_a, require_mfa=False)
    make_user(org=org, email="alice@politie.test")
    response = sso_login(app, client, "alice@politie.test", "alice-sub", amr="pwd")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/tweede-stap")
    assert not logged_in(client)


def test_unknown_subject_is_refused_and_no_account_is_created(app, client, db, police):
    """Is someone the IdP knows but MDA++ has no account for refused with a Dutch explanation, a denied audit row,
    and no account made?"""
    from mda.auth.models import User

    before = len(db.exec(User.__table__.select()).all())
    # the e-mail typed is Alice's (home realm: the police IdP); at the IdP someone else logs in
    response = sso_login(app, client, "alice@politie.test", "ghost-sub")
    assert response.status_code == 403 and "geen actief account" in text_of(response.text)
    assert len(db.exec(User.__table__.select()).all()) == before
    assert "geen account met dit e-mailadres" in audit_rows(db, action="login_failed")[-1].summary
    assert "ghost@politie.test" not in audit_rows(db, action="login_failed")[-1].summary  # no personal data


@pytest.mark.parametrize("linked_before", [False, True])
def test_deactivated_account_is_refused(app, client, db, make_user, police, linked_before):
    """Is a deactivated account of the organisation refused, even with a good IdP login, whether or not it was
    linked to its subject before?"""
    org, _ = police
    bob = make_user(org=org, email="bob@politie.test")
    if linked_before:
        assert sso_login(app, client, "bob@politie.test", "bob-sub").status_code == 302
        form_post(app, client, "/logout")
    bob.active = False
    db.add(bob)
    db.commit()
    response = sso_login(app, client, "alice@politie.test", "bob-sub")
    assert response.status_code == 403 and "gedeactiveerd" in text_of(response.text)
    assert not logged_in(client)


def test_idp_cannot_log_into_an_account_of_another_organisation(app, client, db, make_org, make_user, police,
                                                                 configure, idp_b):
    """Can the police IdP, vouching for the e-mail address of a GGZ account, log into that account? (no)"""
    ggz = make_org("GGZ")
    configure(ggz, idp_b)
    carol = make_user(org=ggz, email="carol@ggz.test")
    response = sso_login(app, client, "alice@politie.test", "intruder-sub")
    assert response.status_code == 403 and not logged_in(client)
    assert "andere organisatie" in audit_rows(db, action="login_failed")[-1].summary
    assert audit_rows(db, action="login", user_id=carol.id) == []


def test_linked_account_follows_the_subject_not_the_email(app, client, db, police):
    """Once linked, does another subject at the IdP with the same e-mail address stay out of the account?"""
    sso_login(app, client, "alice@politie.test", "alice-sub")
    other = app.test_client()  # a second browser
    response = sso_login(app, other, "alice@politie.test", "alice-other-sub")
    assert response.status_code == 403 and not logged_in(other)
    assert "al gekoppeld" in audit_rows(db, action="login_failed")[-1].summary


def test_wrong_state_is_refused(app, client, db, police):
    """Is a way back from the IdP with a state this browser did not send refused?"""
    back = log_in_at_idp(start_login(app, client, "alice@politie.test"), "alice-sub")
    parts = urlparse(back)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "vervalst"}
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 400 and "niet ingelogd" in text_of(response.text)
    assert "state klopt niet" in audit_rows(db, action="login_failed")[-1].summary
    assert not logged_in(client)


def test_replayed_callback_is_refused(app, client, db, police):
    """Does the same way back, used a second time (the code replayed), log nobody in?"""
    back = log_in_at_idp(start_login(app, client, "alice@politie.test"), "alice-sub")
    assert client.get(back).status_code == 302
    form_post(app, client, "/logout")
    replay = client.get(back)
    assert replay.status_code == 400 and not logged_in(client)


def test_replayed_code_with_a_new_state_is_refused_by_the_idp(app, client, db, police):
    """Does a code that was already exchanged fail when slipped into a new login of the same browser?"""
    first = parse_qs(urlparse(log_in_at_idp(start_login(app, client, "alice@politie.test"), "alice-sub")).query)
    assert client.get("/login/sso/terug?" + urlencode({k: v[0] for k, v in first.items()})).status_code == 302
    form_post(app, client, "/logout")
    second = parse_qs(urlparse(start_login(app, client, "alice@politie.test")).query)
    forged = {"code": first["code"][0], "state": second["state"][0], "iss": first["iss"][0]}
    response = client.get("/login/sso/terug?" + urlencode(forged))
    assert response.status_code == 403 and not logged_in(client)
    assert "code geweigerd" in audit_rows(db, action="login_failed")[-1].summary


def test_wrong_nonce_is_refused(app, client, db, police):
    """Is an ID token whose nonce is not the one this login sent refused?"""
    back = log_in_at_idp(start_login(app, client, "alice@politie.test"), "alice-sub")
    with client.session_transaction() as session:
        flow = session["sso_flow"]
        session["sso_flow"] = {**flow, "nonce": "een-andere-nonce"}
    response = client.get(back)
    assert response.status_code == 403 and not logged_in(client)
    assert "nonce" in audit_rows(db, action="login_failed")[-1].summary


def test_expired_id_token_is_refused(app, client, db, police, monkeypatch):
    """Is an ID token that has expired by the (real) clock the IdP signs with refused?"""
    back = log_in_at_idp(start_login(app, client, "alice@politie.test"), "alice-sub")
    real_now = oidc._now()
    monkeypatch.setattr(oidc, "_now", lambda: real_now + 2 * 3600)  # the IdP's tokens live an hour
    response = client.get(back)
    assert response.status_code == 403 and "verlopen" in audit_rows(db, action="login_failed")[-1].summary
    assert not logged_in(client)


def test_code_of_idp_a_in_the_flow_of_org_b_is_refused(app, client, db, make_org, make_user, police, configure,
                                                       idp_a, idp_b):
    """Mix-up: is an answer of the police IdP, slipped into a GGZ account's login, refused, whether it names
    its issuer or not?"""
    ggz = make_org("GGZ")
    configure(ggz, idp_b)
    make_user(org=ggz, email="carol@ggz.test")
    attacker = app.test_client()
    answer_a = parse_qs(urlparse(log_in_at_idp(start_login(app, attacker, "alice@politie.test"), "alice-sub")).query)
    for keep_iss in (True, False):
        state_b = parse_qs(urlparse(start_login(app, client, "carol@ggz.test")).query)["state"][0]
        forged = {"code": answer_a["code"][0], "state": state_b} | ({"iss": answer_a["iss"][0]} if keep_iss else {})
        response = client.get("/login/sso/terug?" + urlencode(forged))
        assert response.status_code == 403 and not logged_in(client)
    reasons = [r.summary for r in audit_rows(db, action="login_failed")[-2:]]
    assert "andere inlogdienst" in reasons[0] and idp_b.issuer in reasons[0]
    assert "iss ontbreekt" in reasons[1] or "code geweigerd" in reasons[1]


def test_idp_down_gives_a_dutch_page(app, client, db, make_org, make_user):
    """When the organisation's IdP cannot be reached, does the user get a Dutch page (503), not a crash?"""
    org = make_org("POL")
    dead = TestIdp({}, client_id="x")
    dead.stop()
    with app.test_request_context("/"):
        services.save_provider(db, None, org.id, issuer=dead.issuer, client_id="x", client_secret="y",
                               require_mfa=True, actor_name="test")
        db.commit()
    user = make_user(org=org)
    response = form_post(app, client, "/login", {"email": user.email})
    assert response.status_code == 503 and "niet bereikbaar" in text_of(response.text)
    assert "niet bereikbaar" in audit_rows(db, action="login_failed")[-1].summary


def test_key_rotation_at_the_idp_is_followed(app, client, db, make_org, make_user, configure):
    """When the IdP signs with a new key after MDA++ cached the old key set, does the next login still work?"""
    idp = TestIdp(ACCOUNTS_A, client_id="mda-rot", client_secret="s-rot", kid="oud")
    try:
        org = make_org("POL")
        configure(org, idp)
        make_user(org=org, email="alice@politie.test")
        assert sso_login(app, client, "alice@politie.test", "alice-sub").status_code == 302
        assert [k.kid for k in oidc._keys[idp.issuer].keys] == ["oud"]
        form_post(app, client, "/logout")
        idp.stop()
        idp.start(kid="nieuw")
        assert sso_login(app, client, "alice@politie.test", "alice-sub").status_code == 302
        assert [k.kid for k in oidc._keys[idp.issuer].keys] == ["nieuw"]
        assert logged_in(client)
    finally:
        idp.stop()


def _logout_token(idp: TestIdp, sub: str, **extra) -> str:
    import json

    import requests

    query = {"sub": sub, "aud": idp.client_id, "extra": json.dumps(extra)}
    return requests.get(f"{idp.issuer}/_test/logout-token", params=query, timeout=10).text


def test_backchannel_logout_ends_the_session_and_the_live_socket(app, client, db, police, idp_a):
    """When the IdP logs the user out over the back channel (a signed logout token, no browser, no CSRF token),
    do the user's MDA++ session and open live socket end at once, on record?"""
    from mda.extensions import socketio
    from tests.conftest import csrf_token

    _, alice = police
    assert sso_login(app, client, "alice@politie.test", "alice-sub").status_code == 302
    socket = socketio.test_client(app, namespace="/live", flask_test_client=client,
                                  auth={"csrf": csrf_token(app, client)})
    try:
        assert socket.is_connected("/live")
        response = app.test_client().post("/login/sso/backchannel-logout",
                                          data={"logout_token": _logout_token(idp_a, "alice-sub")})
        assert response.status_code == 200
        assert not logged_in(client)
        answer = socket.emit("overleg", {}, namespace="/live", callback=True)
        assert answer["ok"] is False and "sessie" in answer["fout"]
        assert not socket.is_connected("/live")
    finally:
        if socket.is_connected("/live"):
            socket.disconnect(namespace="/live")
    assert "back-channel" in audit_rows(db, action="logout", user_id=alice.id)[-1].summary


def test_backchannel_logout_refuses_forged_or_malformed_tokens(app, client, db, police, idp_a, idp_b,
                                                              make_org, configure):
    """Is a logout token refused (400, on record, nobody logged out) when it is for another client, lacks the
    back-channel event, carries a nonce, or comes from an IdP that is not configured?"""
    ggz = make_org("GGZ")
    configure(ggz, idp_b)
    assert sso_login(app, client, "alice@politie.test", "alice-sub").status_code == 302
    machine = app.test_client()
    bad = [
        _logout_token(idp_a, "alice-sub", aud="een-andere-client"),
        _logout_token(idp_a, "alice-sub", events={}),
        _logout_token(idp_a, "alice-sub", nonce="n"),
        _logout_token(idp_b, "alice-sub", iss=idp_a.issuer),  # signed by B, claiming to be A
        "geen.jwt.token",
        "",
    ]
    for token in bad:
        assert machine.post("/login/sso/backchannel-logout", data={"logout_token": token}).status_code == 400
    assert logged_in(client)
    assert len(audit_rows(db, action="denied", object_type="sso_logout")) == len(bad)


def test_logout_offers_the_idps_logout_only_after_an_idp_account(app, client, auth, make_user, police, idp_a):
    """After logging out of MDA++, is an IdP account offered a working link to log out at its IdP too, and a
    password account no such link?"""
    import requests

    assert sso_login(app, client, "alice@politie.test", "alice-sub").status_code == 302
    page = client.get(form_post(app, client, "/logout").headers["Location"])
    link = page.text.split('id="idp-logout"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlparse(link).query)
    assert link.startswith(idp_a.issuer + "/") and query["client_id"] == [idp_a.client_id]
    assert query["post_logout_redirect_uri"] == ["http://mda.test/login"]
    assert requests.get(link, timeout=10).status_code == 200  # the IdP accepts it (its confirmation page)
    assert not logged_in(client)

    other = app.test_client()
    auth_other = type(auth)(app, other, auth._db)
    auth_other.login(make_user())
    page = other.get(auth_other.logout().headers["Location"])
    assert "U bent uitgelogd" in text_of(page.text) and 'id="idp-logout"' not in page.text


def test_idp_refusal_is_shown_in_dutch(app, client, db, police):
    """When the IdP sends the browser back with an error (the user cancelled), is that a Dutch page and on record?"""
    state = parse_qs(urlparse(start_login(app, client, "alice@politie.test")).query)["state"][0]
    response = client.get("/login/sso/terug?" + urlencode({"error": "access_denied", "state": state,
                                                            "iss": services.provider_of(db, police[0].id).issuer}))
    assert response.status_code == 403 and "afgebroken of geweigerd" in text_of(response.text)
    assert "access_denied" in audit_rows(db, action="login_failed")[-1].summary


def test_a_login_left_at_the_idp_too_long_is_refused(app, client, db, police):
    """Is the way back refused when the login was started more than ten minutes ago (by the application's clock)?"""
    from datetime import timedelta

    from mda.core import clock

    back = log_in_at_idp(start_login(app, client, "alice@politie.test"), "alice-sub")
    clock.set_now(clock.now() + timedelta(minutes=11))
    response = client.get(back)
    assert response.status_code == 400 and not logged_in(client)
    assert "verlopen" in audit_rows(db, action="login_failed")[-1].summary


def test_an_unreadable_client_secret_gives_a_dutch_page(app, client, db, make_org, make_user, configure, idp_a):
    """When MDA_TOTP_KEYS no longer holds the key the client secret was stored with, does the user get a Dutch
    page (503) instead of a server error?"""
    from mda.core import crypto

    org = make_org("POL")
    configure(org, idp_a)
    make_user(org=org, email="alice@politie.test", totp=False)  # no TOTP seed of its own under the old key
    old_keys = app.config["TOTP_KEYS"]
    crypto.configure([crypto.new_key()])
    try:
        response = form_post(app, client, "/login", {"email": "alice@politie.test"})
    finally:
        crypto.configure(old_keys)
    assert response.status_code == 503 and "niet goed ingesteld" in text_of(response.text)


def test_only_an_unknown_key_id_makes_mda_fetch_the_keys_again(app, client, db, police, idp_a, monkeypatch):
    """Does a token with a known key id but a forged signature leave the cached key set alone, while a token
    naming an unknown key id makes MDA++ fetch the IdP's key set exactly once?"""
    import base64
    import json

    assert sso_login(app, client, "alice@politie.test", "alice-sub").status_code == 302
    fetched = []
    real_get_json = oidc._get_json
    monkeypatch.setattr(oidc, "_get_json", lambda url: fetched.append(url) or real_get_json(url))
    header, claims, signature = _logout_token(idp_a, "alice-sub").split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"
    machine = app.test_client()
    assert machine.post("/login/sso/backchannel-logout", data={"logout_token": forged}).status_code == 400
    assert fetched == []
    other_kid = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "onbekend"}).encode()).decode().rstrip("=")
    assert machine.post("/login/sso/backchannel-logout",
                        data={"logout_token": f"{other_kid}.{claims}.{signature}"}).status_code == 400
    assert len(fetched) == 1 and "jwks" in fetched[0]
    assert logged_in(client)
