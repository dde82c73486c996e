"""The start page: "Mijn casussen" and the tasks waiting (pre-meeting updates), bounded and within the circle."""

from tests.conftest import form_post, text_of
from tests.meetings.conftest import case_items, invite, plan, service, world  # noqa: F401  (fixtures)


def test_my_cases_lists_the_newest_cases_of_my_circles_only(client, auth, world, make_case):  # noqa: F811
    """Does "Mijn casussen" show my circle's newest cases by reference (5 at most), never another circle's?"""
    foreign = make_case(world["users"]["OM"])  # OM's case: POL is not in its circle
    auth.login(world["users"]["POL"])
    page = text_of(client.get("/").text)
    assert "Mijn casussen" in page and world["case_a"].reference in page
    assert world["case_b"].reference not in page and foreign.reference not in page
    for _ in range(6):
        make_case(world["coordinator"], members=[world["users"]["POL"]])
    page = client.get("/").text
    import re

    panel = page.split('id="my-cases-panel-title"', 1)[1].split("</section>", 1)[0]
    assert len(re.findall(r'href="/casussen/\d+"', panel)) == 5 and "Alle casussen" in panel


def test_missing_pre_meeting_updates_are_tasks_until_given(app, client, auth, db, world, plan, invite):  # noqa: F811
    """Does an invited professional see the pre-meeting update their organisation still owes, and not after giving it?
    Does someone invited for another case not see it?"""
    meeting = plan()
    items = case_items(db, meeting)
    invite(meeting, world["coordinator"], world["users"]["POL"], [items[world["case_a"].id]])
    invite(meeting, world["coordinator"], world["users"]["GGZ"], [items[world["case_b"].id]])
    auth.login(world["users"]["POL"])
    assert "1 update(s) vooraf" in text_of(client.get("/").text)
    resp = form_post(app, client, f"/overleggen/{meeting.id}/punten/{items[world['case_a'].id]}/update",
                     {"content": "Voortgang van de politie (fictief)."})
    assert resp.status_code in (200, 302)
    assert "update(s) vooraf" not in text_of(client.get("/").text)
    auth.logout()
    auth.login(world["users"]["GGZ"])
    assert "1 update(s) vooraf" in text_of(client.get("/").text)  # case B only: one task, not two


def test_the_start_page_query_count_does_not_grow(app, client, auth, db, world, plan, invite, make_case):  # noqa: F811
    """Does the start page run as many queries with 8 cases and 3 meetings as with 1 case and 1 meeting?"""
    from sqlalchemy import event

    def count() -> int:
        statements = []

        def before(_c, _cur, statement, *_a):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                statements.append(statement)

        engine = app.extensions["mda_engine"]
        event.listen(engine, "before_cursor_execute", before)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(statements)

    pol = world["users"]["POL"]
    meeting = plan(cases=[world["case_a"]])
    invite(meeting, world["coordinator"], pol)
    auth.login(pol)
    few = count()
    for _ in range(7):
        make_case(world["coordinator"], members=[pol])
    from tests.meetings.conftest import future_monday

    for weeks in (3, 4):
        other = plan(cases=[world["case_a"]], start=future_monday(weeks))
        invite(other, world["coordinator"], pol)
    assert count() == few
