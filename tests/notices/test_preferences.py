"""Notification preferences: the settings page, the defaults, and notices moved into the daily digest."""

from __future__ import annotations

import re

import pytest

from mda.core import sharing
from mda.core.mail import outbox_messages
from mda.notices.models import DEFAULTS, DIGEST, DIRECT, KINDS
from mda.safety_plan import services as plan
from tests.conftest import audit_rows, form_post, text_of, working_day
from tests.notices.conftest import at, held, run_job

DEADLINE = working_day(20)


def _mails_to(app, user) -> list:
    return [m for _n, m in reversed(outbox_messages(app, limit=500)) if user.email in m["To"]]


@pytest.fixture
def action(db, scenario):
    """An open action of the LT professional (its text must never reach a mail)."""
    ctx = sharing.load_context(db, scenario.case)
    made = plan.add_action(db, scenario.users["pol"], ctx, description="GEHEIM-ACTIE Huisbezoek",
                           deadline=DEADLINE, owner_user_id=scenario.users["lt"].id)
    db.commit()
    return made


def test_a_new_user_gets_every_notice_at_once_by_default(app, db, client, login_as):
    """Does someone who never chose see 'Direct per e-mail' chosen for every kind on the settings page?"""
    from mda.notices import services

    user = login_as(("professional",))
    assert services.preferences(db, user) == dict.fromkeys(KINDS, DIRECT) == DEFAULTS
    page = client.get("/account/meldingen")
    assert page.status_code == 200
    checked = re.findall(r'<input checked[^>]*name="(\w+)"[^>]*value="(\w+)"', page.text)
    assert sorted(checked) == sorted((kind, DIRECT) for kind in KINDS)
    assert "E-mailinstellingen" in text_of(client.get("/").text)  # reachable from the user menu on every page


def test_the_settings_page_stores_the_choice_and_audits_it(app, db, client, login_as):
    """Does saving the page store 'in het dagelijkse overzicht' for actions, with one audit row naming the kinds
    (no personal data), and is a form without CSRF token refused without a change?"""
    from mda.notices import services

    user = login_as(("professional",))
    choices = dict.fromkeys(KINDS, DIRECT) | {"acties": DIGEST}
    assert client.post("/account/meldingen", data=choices).status_code == 400
    assert services.preferences(db, user)["acties"] == DIRECT
    resp = form_post(app, client, "/account/meldingen", choices)
    assert resp.status_code == 302
    db.expire_all()
    assert services.preferences(db, user) == dict.fromkeys(KINDS, DIRECT) | {"acties": DIGEST}
    (row,) = audit_rows(db, object_type="notice_preference", action="update")
    assert row.summary == "meldingsvoorkeuren gewijzigd: acties=overzicht" and row.user_id == user.id
    bad = form_post(app, client, "/account/meldingen", choices | {"notulen": "nooit"})
    assert bad.status_code == 422 and "Controleer de keuzes" in text_of(bad.text)


def test_switching_actions_to_the_digest_moves_the_reminder_into_one_daily_mail(app, db, scenario, action, choose):
    """With actions set to the digest, does the deadline reminder leave no e-mail but a held notice, and does the
    digest job send it the next working day in one e-mail (once, however often the job runs)?"""
    lt = scenario.users["lt"]
    choose(lt, acties=DIGEST)
    before = len(_mails_to(app, lt))
    assert run_job(app, "actieherinneringen", at(DEADLINE, 0, 5)) == 1  # the deadline's reminder, after midnight
    assert len(_mails_to(app, lt)) == before and held(db, lt) == 1
    assert run_job(app, "dagelijks_overzicht", at(DEADLINE, 6, 55)) == 0  # before seven: not yet
    assert run_job(app, "dagelijks_overzicht", at(DEADLINE, 7, 5)) == 1
    assert run_job(app, "dagelijks_overzicht", at(DEADLINE, 9, 0)) == 0
    (digest,) = _mails_to(app, lt)[before:]
    assert digest["Subject"] == "Dagelijks overzicht MDA++ (1 melding)"
    body = digest.get_content()
    assert f"Termijn vandaag: actie {action.id}, casus {scenario.case.reference}" in body
    assert "GEHEIM" not in body and held(db, lt) == 0
    assert audit_rows(db, object_type="notice_preference", action="create")


def test_the_digest_carries_nothing_the_direct_mail_did_not(app, db, scenario, action, choose):
    """Is every line of the digest a line of the direct e-mail the same reminder gave, its subject, or the digest's
    own fixed text (greeting, heading, footer), so that it carries no personal data beyond what mails carry today?"""
    from sqlmodel import delete, select

    from mda.jobs.models import JobMark
    from mda.notices.digest import compose
    from mda.notices.models import DigestNotice

    lt = scenario.users["lt"]
    run_job(app, "actieherinneringen", at(DEADLINE, 0, 5))
    (direct,) = _mails_to(app, lt)
    choose(lt, acties=DIGEST)
    db.exec(delete(JobMark))  # the same reminder once more, now held for the digest
    db.commit()
    run_job(app, "actieherinneringen", at(DEADLINE, 0, 5))
    db.expire_all()
    notices = list(db.exec(select(DigestNotice)))
    assert [(n.subject, n.body) for n in notices] == [(direct["Subject"], direct.get_content().rstrip("\n"))]
    with app.app_context():
        _subject, body, _att = compose(db.get(type(lt), lt.id), notices)
        fixed = set(compose(db.get(type(lt), lt.id), [])[1].splitlines())
    allowed = {line.strip() for line in direct.get_content().splitlines()} | {direct["Subject"], "Acties", "======"}
    extra = [line for line in body.splitlines()
             if line not in fixed and line.strip().removeprefix("* ") not in allowed]
    assert extra == ["Dit is uw dagelijkse overzicht met 1 melding(en) die u hier in plaats van per losse e-mail "
                     "ontvangt. Meldingen die niet mogen wachten krijgt u altijd direct."]


def test_a_closed_account_gets_no_digest_and_its_notices_go(app, db, scenario, action, choose):
    """Are the held notices of an account closed before the digest deleted without a mail?"""
    lt = scenario.users["lt"]
    choose(lt, acties=DIGEST)
    run_job(app, "actieherinneringen", at(DEADLINE, 0, 5))
    assert held(db, lt) == 1
    user = db.get(type(lt), lt.id)
    user.active = False
    db.commit()
    before = len(_mails_to(app, lt))
    assert run_job(app, "dagelijks_overzicht", at(DEADLINE, 8)) == 0
    assert held(db, lt) == 0 and len(_mails_to(app, lt)) == before


def test_a_notice_about_a_case_the_user_left_is_not_in_the_digest(app, db, scenario, action, choose):
    """Taken off the case's circle after a reminder was held, does the professional's digest leave that notice
    out (the engine asked again at sending), while a held notice about no case still goes, and does the audit
    row count the dropped notice without naming the case?"""
    from mda.cases import circle
    from mda.notices import services

    lt = scenario.users["lt"]
    choose(lt, acties=DIGEST, uitnodigingen=DIGEST)
    run_job(app, "actieherinneringen", at(DEADLINE, 0, 5))
    services.send(db, db.get(type(lt), lt.id), "uitnodigingen", "Uitnodiging: casuïstiekoverleg", "Beste X,\n\nTekst")
    db.commit()
    assert held(db, lt) == 2
    circle.remove_member(db, scenario.users["coordinator"], sharing.load_context(db, scenario.case), lt.id)
    db.commit()
    before = len(_mails_to(app, lt))
    assert run_job(app, "dagelijks_overzicht", at(DEADLINE, 8)) == 1
    (digest,) = _mails_to(app, lt)[before:]
    body = digest.get_content()
    assert digest["Subject"] == "Dagelijks overzicht MDA++ (1 melding)" and "casuïstiekoverleg" in body
    assert scenario.case.reference not in body and f"actie {action.id}" not in body
    assert held(db, lt) == 0
    (row,) = audit_rows(db, object_type="notice_preference", action="create")
    assert row.summary.endswith("; 1 vervallen (geen toegang meer tot de casus)")
    assert scenario.case.reference not in row.summary


def test_a_digest_with_only_notices_the_user_may_no_longer_have_is_not_sent(app, db, scenario, action, choose):
    """When every held notice is about a case the user has left, is no e-mail sent and are the notices gone?"""
    from mda.cases import circle

    lt = scenario.users["lt"]
    choose(lt, acties=DIGEST)
    run_job(app, "actieherinneringen", at(DEADLINE, 0, 5))
    circle.remove_member(db, scenario.users["coordinator"], sharing.load_context(db, scenario.case), lt.id)
    db.commit()
    before = len(_mails_to(app, lt))
    assert run_job(app, "dagelijks_overzicht", at(DEADLINE, 8)) == 0
    assert len(_mails_to(app, lt)) == before and held(db, lt) == 0
    (row,) = audit_rows(db, object_type="notice_preference", action="create")
    assert row.summary.startswith("dagelijks overzicht met 0 melding(en) niet verstuurd")


def test_the_settings_page_explains_what_always_comes_at_once_without_sending_to_the_repository(client, login_as):
    """Does the settings page explain in Dutch, on the page itself, which mails always come at once (meetings within
    two working days, escalations, account mail, an organisation's mailbox), instead of pointing a partner
    professional to a repository file (docs/notifications.md) they cannot open?"""
    login_as(("professional",))
    text = text_of(client.get("/account/meldingen").text)
    assert "docs/" not in text and ".md" not in text and "documentatie" not in text
    assert "binnen twee werkdagen" in text and "mailbox van een organisatie" in text
    assert "Waarom: een dagelijks overzicht kan te laat komen." in text
