"""The privacy officer's audit page: filters, CSV export (itself audited), Dutch messages for bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from mda.core import audit
from mda.core.audit import Entry
from mda.privacy.services import CSV_COLUMNS
from tests.conftest import audit_rows, text_of


def _entry(action: str, user_name: str, summary: str, when: datetime, case_id: int | None = None) -> Entry:
    return Entry(action=action, occurred_at=when, fields={
        "user_id": None, "user_name": user_name, "organisation_id": None, "organisation_name": "Testorganisatie",
        "on_behalf_of": "", "object_type": "case" if case_id else "user", "object_id": str(case_id or ""),
        "case_id": case_id, "person_ids": "", "basis": "convenant" if case_id else "", "client_address": "10.0.0.1",
        "outcome": "success", "summary": summary})


@pytest.fixture
def trail(db):
    """A small audit trail with known users, cases, days and actions."""
    for entry in [
        _entry("view", "anna@example.test", "ANNA-BEKIJKT-7", datetime(2026, 1, 10, 9, 0, tzinfo=UTC), case_id=7),
        _entry("update", "anna@example.test", "ANNA-WIJZIGT-8", datetime(2026, 1, 20, 9, 0, tzinfo=UTC), case_id=8),
        _entry("view", "bert@example.test", "BERT-BEKIJKT-7", datetime(2026, 1, 20, 23, 30, tzinfo=UTC), case_id=7),
        _entry("export", "bert@example.test", "BERT-EXPORTEERT", datetime(2026, 2, 1, 12, 0, tzinfo=UTC)),
        _entry("login", "carla@example.test", "=HYPERLINK(\"http://evil\")", datetime(2026, 2, 2, 8, 0, tzinfo=UTC)),
    ]:
        audit.queue(db, entry)
    db.commit()
    return db


MARKERS = ["ANNA-BEKIJKT-7", "ANNA-WIJZIGT-8", "BERT-BEKIJKT-7", "BERT-EXPORTEERT", "HYPERLINK"]


@pytest.fixture
def officer(login_as, trail):
    return login_as(("privacy_officer",))


def _shown(resp) -> set[str]:
    return {m for m in MARKERS if m in resp.text}


@pytest.mark.parametrize("query, expected", [
    ("user=anna", {"ANNA-BEKIJKT-7", "ANNA-WIJZIGT-8"}),
    ("user=BERT@example", {"BERT-BEKIJKT-7", "BERT-EXPORTEERT"}),
    ("case_id=7", {"ANNA-BEKIJKT-7", "BERT-BEKIJKT-7"}),
    ("action=update", {"ANNA-WIJZIGT-8"}),
    ("date_from=2026-01-15&date_to=2026-01-20", {"ANNA-WIJZIGT-8"}),
    ("date_from=2026-01-21", {"BERT-BEKIJKT-7", "BERT-EXPORTEERT", "HYPERLINK"}),
    ("date_to=2026-01-10", {"ANNA-BEKIJKT-7"}),
    ("user=bert&case_id=7&action=view", {"BERT-BEKIJKT-7"}),
    ("user=niemand", set()),
], ids=["user", "user-case-insensitive", "case", "action", "range", "from", "to", "combined", "none"])
def test_filters(client, officer, query, expected):
    """Does each filter (user, case, date range in Dutch local days, action) show exactly the matching rows?"""
    resp = client.get(f"/privacy/audit?{query}")
    assert resp.status_code == 200
    assert _shown(resp) == expected


def test_user_filter_finds_addresses_typed_in_capitals_and_treats_wildcards_literally(client, db, login_as):
    """Does the user filter find a failed login typed in capitals, and is '_' not a wildcard?"""
    audit.record(db, "login_failed", user_name="Ghost@Example.test", summary="GHOST-POGING")
    audit.record(db, "login_failed", user_name="ab@example.test", summary="AB-POGING")
    db.commit()
    login_as(("privacy_officer",))
    assert "GHOST-POGING" in client.get("/privacy/audit?user=ghost@example").text
    wildcard = client.get("/privacy/audit?user=a_")
    assert "AB-POGING" not in wildcard.text


def test_dates_are_local_days(client, officer):
    """Is 20 January 23:30 UTC counted as 21 January in Amsterdam (the officer thinks in local days)?"""
    resp = client.get("/privacy/audit?date_from=2026-01-21&date_to=2026-01-21")
    assert _shown(resp) == {"BERT-BEKIJKT-7"}


def test_viewing_the_trail_is_itself_audited(client, officer, db):
    """Is looking at the audit trail recorded, with the filter used?"""
    client.get("/privacy/audit?case_id=7")
    [row] = audit_rows(db, action="view", object_type="audit_log")
    assert row.user_id == officer.id and row.case_id == 7 and "case_id=7" in row.summary


def test_csv_export_contains_the_filtered_rows_and_is_audited(client, officer, db):
    """Does the CSV export hold exactly the filtered rows, and is the export on record?"""
    resp = client.get("/privacy/audit.csv?user=anna")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="audittrail-')
    content = resp.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[0] == CSV_COLUMNS
    assert sorted(r[CSV_COLUMNS.index("omschrijving")] for r in rows[1:]) == ["ANNA-BEKIJKT-7", "ANNA-WIJZIGT-8"]
    assert {r[CSV_COLUMNS.index("gebruiker")] for r in rows[1:]} == {"anna@example.test"}
    [export] = audit_rows(db, action="export", object_type="audit_log")
    assert export.user_id == officer.id and "2 regels" in export.summary and "user=anna" in export.summary


def test_csv_export_is_streamed_in_chunks_and_holds_every_row_once(client, officer, db, monkeypatch):
    """Is a large export streamed chunk by chunk (bounded memory), each matching row exactly once, newest first,
    and does it stop at the trail as it stood when the export was asked for?"""
    from mda.privacy import services

    for n in range(23):
        audit.queue(db, _entry("view", "dirk@example.test", f"DIRK-{n:02d}", datetime(2026, 3, 1, 9, n, tzinfo=UTC)))
    db.commit()
    chunks = []
    real = services.stream_audit_csv

    def spy(engine, flt, up_to, chunk=None):
        for part in real(engine, flt, up_to, chunk=5):
            chunks.append(part)
            yield part

    monkeypatch.setattr("mda.privacy.routes.stream_audit_csv", spy)
    resp = client.get("/privacy/audit.csv?user=dirk")
    assert resp.status_code == 200 and resp.is_streamed
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    summaries = [r[CSV_COLUMNS.index("omschrijving")] for r in rows[1:]]
    assert summaries == [f"DIRK-{n:02d}" for n in reversed(range(23))]
    assert len(chunks) == 1 + 5  # the header, then 5 chunks of at most 5 rows
    [export] = audit_rows(db, action="export", object_type="audit_log")
    assert "23 regels" in export.summary
    # the export's own audit row was written after the snapshot: a second export of all rows does not hold it
    everything = client.get("/privacy/audit.csv").data.decode("utf-8-sig")
    assert "audittrail geëxporteerd" in everything and everything.count("audittrail geëxporteerd (") == 1


def test_csv_export_defuses_spreadsheet_formulas(client, officer):
    """Is a summary that starts like a formula exported as text, so Excel does not run it?"""
    content = client.get("/privacy/audit.csv?user=carla").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1][CSV_COLUMNS.index("omschrijving")].startswith("'=HYPERLINK")


@pytest.mark.parametrize("query, message", [
    ("date_from=2026-02-01&date_to=2026-01-01", "De einddatum ligt vóór de begindatum."),
    ("case_id=abc", "Ongeldig getal."),
    ("case_id=-3", "Vul een positief getal in."),
    ("date_from=31-02-2026", "Ongeldige datum."),
    ("action=hacken", "Ongeldige keuze."),
], ids=["end-before-start", "case-not-a-number", "case-negative", "bad-date", "unknown-action"])
def test_bad_filter_input_gets_a_dutch_message(client, officer, db, query, message):
    """Is bad filter input answered with a Dutch message on the page (never a 500), and nothing exported?"""
    page = client.get(f"/privacy/audit?{query}")
    assert page.status_code == 200
    assert message in text_of(page.text)
    assert not _shown(page)
    export = client.get(f"/privacy/audit.csv?{query}")
    assert export.status_code == 400 and message in text_of(export.text)
    assert audit_rows(db, object_type="audit_log") == []


def test_page_without_filter_shows_the_newest_rows_first(client, officer, db):
    """Does the page open with the whole trail, newest first, and is that look on record too?"""
    resp = client.get("/privacy/audit")
    assert resp.status_code == 200 and _shown(resp) == set(MARKERS)
    assert resp.text.index("HYPERLINK") < resp.text.index("BERT-EXPORTEERT") < resp.text.index("ANNA-BEKIJKT-7")
    [row] = audit_rows(db, object_type="audit_log")
    assert "geen filter" in row.summary


def test_audit_page_searches_by_case_reference_in_dutch_and_pages(app, client, switch_to, db, scenario):
    """Does the audit page find rows by the case reference (not the internal id), name actions and objects in
    Dutch, show at most one page of rows with a link to older ones, and say so when a reference is unknown?"""
    from mda.core import audit as audit_module
    from mda.privacy.services import PAGE_SIZE

    for n in range(PAGE_SIZE + 5):
        audit_module.record(db, "view", user_name="test", object_type="case", object_id=scenario.case.id,
                            case_id=scenario.case.id, summary=f"REGEL-{n}")
    db.commit()
    switch_to(scenario.users["privacy"])
    page = client.get(f"/privacy/audit?case={scenario.case.reference.lower()}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"REGEL-{PAGE_SIZE + 4}" in text and "REGEL-0 " not in text and "bekeken" in text
    assert f"casus {scenario.case.reference}" in text and "Oudere regels" in text
    older = re.search(r'href="([^"]*voor=\d+[^"]*)"', page.text).group(1).replace("&amp;", "&")
    assert "REGEL-0 " in text_of(client.get(older).text)
    unknown = client.get("/privacy/audit?case=MDA-1999-9999")
    assert "Er is geen casus met nummer MDA-1999-9999" in unknown.text


@pytest.fixture
def live_view(db):
    """A live view row like the engine writes: a count in its summary, 60 persons and items in audit_subject."""
    from mda.core.audit_subjects import Subject

    subjects = [Subject(100 + n, 500 + n, "toestemming: nr. 9", "notulen") for n in range(60)]
    audit.record(db, "view", object_type="case", object_id=77, case_id=77, user_name="dana@example.test",
                 basis="toestemming: nr. 9", subjects=subjects,
                 summary="casus X via live overleg: 60 persoon/personen, 60 gegeven(s), 60 onderdelen "
                         "(zie audit_subject)")
    db.commit()
    return audit_rows(db, user_name="dana@example.test")[0]


def test_the_audit_page_lists_what_a_live_view_showed_page_by_page(client, login_as, db, live_view):
    """Does the privacy officer get from a row that only counts to the persons and items it names (audit_subject),
    fifty at a time, every one once, with the reading itself on record?"""
    login_as(("privacy_officer",))
    page = client.get("/privacy/audit?user=dana")
    link = f"/privacy/audit/{live_view.seq}/gezien"
    assert link in page.text and "Wat is gezien: 60 onderdelen" in text_of(page.text)
    seen, url = [], link
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        seen += re.findall(r"gegeven nr\. (\d+)", resp.text)
        found = re.search(r'href="([^"]+)" rel="next"', resp.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(int(n) for n in seen) == list(range(500, 560))
    assert "persoon nr. 100" in client.get(link).text and "notulen" in client.get(link).text
    assert [r for r in audit_rows(db, action="view", object_type="audit_log") if r.object_id == str(live_view.seq)]


def test_the_csv_export_names_what_each_row_says_was_seen(client, login_as, db, live_view):
    """Does the CSV export's "gezien" column name every person and item of a live view row?"""
    login_as(("privacy_officer",))
    resp = client.get("/privacy/audit.csv?user=dana")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    [row] = [r for r in rows[1:] if r[CSV_COLUMNS.index("gebruiker")] == "dana@example.test"]
    seen = row[CSV_COLUMNS.index("gezien")].split("; ")
    assert len(seen) == 60
    assert seen[0] == "persoon nr. 100 · gegeven nr. 500 · notulen (toestemming: nr. 9)"


@pytest.mark.parametrize("url", ["/privacy/audit/99999/gezien", "/privacy/audit/99999999999999999999/gezien"])
def test_what_was_seen_of_an_unknown_row_is_not_found(client, login_as, url):
    """Does asking what an unknown (or impossible) audit row number showed answer 404, not a 500?"""
    login_as(("privacy_officer",))
    assert client.get(url).status_code == 404


def test_only_the_privacy_officer_reads_what_was_seen(client, login_as, live_view):
    """Is the list of what a row says was seen refused to a coordinator (403)?"""
    login_as(("coordinator",))
    assert client.get(f"/privacy/audit/{live_view.seq}/gezien").status_code == 403


def test_the_audit_page_shows_outcomes_and_object_types_in_dutch(client, officer, db):
    """Does the audit page leave a success unsaid, call a refused or failed row "geweigerd" / "mislukt" (once), and
    name object types such as the safety plan and an escalation in Dutch, never the English codes?"""
    audit.record(db, "view", user_name="eva@example.test", object_type="safety_plan", object_id=5, summary="PLAN")
    audit.record(db, "update", user_name="eva@example.test", object_type="plan_action", object_id=6,
                 outcome="denied", summary="ACTIE")
    audit.record(db, "denied", user_name="eva@example.test", object_type="escalation", object_id=7, summary="ESC")
    audit.record(db, "login_failed", user_name="eva@example.test", object_type="user", outcome="failure",
                 summary="LOGIN")
    db.commit()
    text = text_of(client.get("/privacy/audit?user=eva").text)
    for code in ("(success)", "(denied)", "(failure)", "safety_plan", "plan_action", "escalation"):
        assert code not in text, code
    assert "bekeken veiligheidsplan 5" in text and "gewijzigd (geweigerd) actie uit het plan 6" in text
    assert "geweigerd escalatie 7" in text and "geweigerd (geweigerd)" not in text
    assert "inloggen mislukt gebruiker" in text and "mislukt (mislukt)" not in text


def _recorded_object_types() -> set[str]:
    """Every object type the code under mda/ writes to the audit trail, read from the source: the keyword
    ``object_type="..."``, the helpers that take it positionally (``refuse_foreign``, ``confirmations.record``,
    the edit history's ``_correct``), and the tables the safety plan names its rows by."""
    from pathlib import Path

    import mda
    from mda.safety_plan.models import PlanAction, PlanEntry

    patterns = [r'object_type="(\w+)"', r'refuse_foreign\([^,()]+,[^,()]+,\s*"(\w+)"',
                r'confirmations\.record\([^,()]+,[^,()]+,[^,()]+,\s*"(\w+)"',
                r'_correct\(db, user, ctx, \w+, "(\w+)"']
    found = {PlanAction.__tablename__, PlanEntry.__tablename__}
    for path in Path(mda.__file__).parent.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for pattern in patterns:
            found |= set(re.findall(pattern, source))
    return found


def test_every_object_type_the_code_records_has_a_dutch_name():
    """Does every object type written anywhere in the code (read from the source, so a new one cannot slip through)
    have a Dutch name on the audit page?"""
    from mda.privacy.services import OBJECT_NAMES

    recorded = _recorded_object_types()
    assert {"case", "safety_plan", "plan_action", "escalation", "demo", "access_log"} <= recorded  # the scan works
    assert sorted(recorded - set(OBJECT_NAMES)) == []
