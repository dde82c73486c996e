"""The retention command: cases closed longer than RETENTION_DAYS are purged to an anonymous stub."""

from datetime import timedelta

from mda.cases.models import Case, Consent, Item, Person
from mda.core.timeutil import utcnow
from tests.conftest import audit_rows


def _close(db, case, days_ago):
    case = db.get(Case, case.id)
    case.phase, case.closed_at = "afgesloten", utcnow() - timedelta(days=days_ago)
    db.add(case)
    db.commit()
    return case


def test_dry_run_lists_but_changes_nothing(app, runner, db, scenario):
    """Does the command without --apply only list the due case?"""
    app.config["RETENTION_DAYS"] = 30
    _close(db, scenario.case, 40)
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0 and scenario.case.reference in result.output and "Droogloop" in result.output
    db.expire_all()
    assert db.get(Case, scenario.case.id).purged_at is None
    assert db.get(Item, scenario.items["health"].id).content.startswith("GEHEIM")


def test_apply_purges_due_cases_and_leaves_a_stub(app, runner, db, scenario, make_case, make_consent):
    """Does --apply blank items, persons and consents of a case closed too long ago, keeping reference, dates, phase?"""
    app.config["RETENTION_DAYS"] = 30
    consent = make_consent(scenario.case, scenario.persons["victim"], [scenario.orgs["POL"]], ["gezondheid"],
                           scenario.users["ggz"])
    _close(db, scenario.case, 40)
    recent = _close(db, make_case(scenario.users["coordinator"]), 10)
    result = runner.invoke(args=["retention", "--apply"])
    assert result.exit_code == 0 and "1 casus(sen) opgeschoond" in result.output
    db.expire_all()
    stub = db.get(Case, scenario.case.id)
    assert stub.purged_at and stub.reference == scenario.case.reference and stub.phase == "afgesloten"
    assert stub.opened_at and stub.closed_at and stub.reason == "" and stub.goal == ""
    assert all(db.get(Item, i.id).content == "" for i in scenario.items.values())
    assert db.get(Person, scenario.persons["victim"].id).name == ""
    assert db.get(Consent, consent.id).given_by == ""
    assert db.get(Case, recent.id).purged_at is None
    assert audit_rows(db, action="delete", object_type="case")
    again = runner.invoke(args=["retention", "--apply"])
    assert "niets te doen" in again.output


def test_purged_case_is_closed_to_the_circle(app, client, switch_to, db, runner, scenario):
    """After purging, does a former circle member get 404 while the coordinator sees only the stub?"""
    app.config["RETENTION_DAYS"] = 1
    _close(db, scenario.case, 5)
    runner.invoke(args=["retention", "--apply"])
    switch_to(scenario.users["pol"])
    assert client.get(f"/casussen/{scenario.case.id}").status_code == 404
    switch_to(scenario.users["coordinator"])
    page = client.get(f"/casussen/{scenario.case.id}")
    assert page.status_code == 200 and "bewaartermijn" in page.text and "GEHEIM" not in page.text


def test_selection_is_made_by_the_database_and_apply_works_in_batches(app, runner, db, scenario, make_case,
                                                                      monkeypatch):
    """Are only the due cases loaded (not every closed case), oldest first, and does --apply purge a backlog
    larger than one batch in several transactions, each case once?"""
    from mda.privacy import retention

    app.config["RETENTION_DAYS"] = 30
    coordinator = scenario.users["coordinator"]
    due = [_close(db, make_case(coordinator), 40 + n) for n in range(5)]
    recent = [_close(db, make_case(coordinator), 5) for _ in range(3)]
    picked = retention.due_cases(db, 30)
    assert [c.id for c in picked] == [c.id for c in reversed(due)]  # oldest closing first, none of the recent
    assert [c.id for c in retention.due_cases(db, 30, limit=2)] == [due[4].id, due[3].id]
    monkeypatch.setattr(retention, "BATCH", 2)
    commits = []
    real = retention.purge_case

    def counting(s, case, now=None):
        commits.append(case.id)
        return real(s, case, now)

    monkeypatch.setattr(retention, "purge_case", counting)
    result = runner.invoke(args=["retention", "--apply"])
    assert result.exit_code == 0 and "5 casus(sen) opgeschoond" in result.output
    assert sorted(commits) == sorted(c.id for c in due)
    db.expire_all()
    assert all(db.get(Case, c.id).purged_at for c in due)
    assert not any(db.get(Case, c.id).purged_at for c in recent)
