"""The live item view asks the database a bounded number of times, however much was written."""

from mda.auth.models import User
from mda.live import scores, services, state
from mda.meetings.models import AgendaItem, Meeting


def _queries_for_item_state(app, count_queries, world, meeting) -> int:
    from mda import db as mdadb

    with app.test_request_context():
        s = mdadb.session()
        user, m = s.get(User, world["coordinator"].id), s.get(Meeting, meeting.id)
        item = s.get(AgendaItem, meeting.item_a)
        with count_queries() as counted:
            state.item_state(s, user, m, item)
        mdadb.rollback()
        return len(counted)


def _write(app, world, meeting, n: int) -> None:
    from mda import db as mdadb

    with app.test_request_context():
        s = mdadb.session()
        chair, m = s.get(User, world["coordinator"].id), s.get(Meeting, meeting.id)
        item = s.get(AgendaItem, meeting.item_a)
        for i in range(n):
            piece = services.create_piece(s, chair, m, item, kind="besluit", content=f"Besluit {i} (fictief)")
            services.add_dissent(s, chair, m, piece.id, f"Niet eens met {i} (fictief)")
        mdadb.commit()


def test_item_view_query_count_does_not_grow_with_the_pieces(app, count_queries, world, meeting):
    """Does the live view of a case item take as many queries with 12 decisions as with 2?"""
    _write(app, world, meeting, 2)
    few = _queries_for_item_state(app, count_queries, world, meeting)
    _write(app, world, meeting, 10)
    many = _queries_for_item_state(app, count_queries, world, meeting)
    assert many == few, (few, many)


def _work_on(app, world, meeting, item_id: int) -> None:
    """A decision with dissent, an action and an open score round on one case item (chair: the coordinator)."""
    from datetime import timedelta

    from mda import db as mdadb
    from mda.core.timeutil import utcnow

    with app.test_request_context():
        s = mdadb.session()
        chair, m = s.get(User, world["coordinator"].id), s.get(Meeting, meeting.id)
        item = s.get(AgendaItem, item_id)
        piece = services.create_piece(s, chair, m, item, kind="besluit", content="Besluit (fictief)")
        services.add_dissent(s, chair, m, piece.id, "Niet eens (fictief)")
        services.add_action(s, chair, m, item, description="Huisbezoek (fictief)",
                            deadline=(utcnow() + timedelta(days=7)).date().isoformat(), owner_is_family=True)
        scores.open_round(s, chair, m, item)
        mdadb.commit()


def _panel_selects(app, count_queries, world, meeting) -> tuple[int, dict]:
    from mda import db as mdadb

    with app.test_request_context():
        s = mdadb.session()
        user, m = s.get(User, world["coordinator"].id), s.get(Meeting, meeting.id)
        with count_queries() as counted:
            panel = state.panel(s, user, m)
        mdadb.rollback()
        return sum(1 for st in counted.statements if st.upper().startswith("SELECT")), panel


def test_meeting_panel_reads_as_often_with_work_on_two_cases_as_on_one(app, count_queries, world, meeting):
    """With decisions, dissent, actions and score rounds on both case items, does the meeting page's live
    panel read the database as often as with them on one (and still show both items' work, engine-decided)?"""
    _work_on(app, world, meeting, meeting.item_a)
    one, _ = _panel_selects(app, count_queries, world, meeting)
    _work_on(app, world, meeting, meeting.item_b)
    two, panel = _panel_selects(app, count_queries, world, meeting)
    assert two == one, (one, two)
    for item_id in (meeting.item_a, meeting.item_b):
        item = panel["punten"][item_id]
        [piece] = item["stukken"]
        assert piece["zichtbaar"] and piece["tekst"] == "Besluit (fictief)"
        assert piece["afwijkend"][0]["tekst"] == "Niet eens (fictief)"
        assert item["acties"][0]["tekst"] == "Huisbezoek (fictief)" and item["score"]["open"] is not None


def test_item_state_is_the_panels_view_of_one_item(app, count_queries, world, meeting):
    """Does the socket's item_state give the same view of an item as the meeting page's batched panel?"""
    from mda import db as mdadb

    _work_on(app, world, meeting, meeting.item_a)
    _, panel = _panel_selects(app, count_queries, world, meeting)
    with app.test_request_context():
        s = mdadb.session()
        single = state.item_state(s, s.get(User, world["coordinator"].id), s.get(Meeting, meeting.id),
                                  s.get(AgendaItem, meeting.item_a))
        mdadb.rollback()
    assert single == panel["punten"][meeting.item_a]


def test_meeting_panel_audits_what_it_shows_per_case(app, world, meeting):
    """Does the panel audit, per case, the live texts (via the engine) and the plan actions it shows?"""
    from mda import db as mdadb
    from mda.core import audit

    _work_on(app, world, meeting, meeting.item_a)
    _work_on(app, world, meeting, meeting.item_b)
    with app.test_request_context():
        s = mdadb.session()
        s.info.pop(audit._PENDING_KEY, None)
        state.panel(s, s.get(User, world["coordinator"].id), s.get(Meeting, meeting.id))
        rows = [(e.fields["case_id"], e.fields["summary"]) for e in s.info.get(audit._PENDING_KEY, [])
                if e.action == "view"]
        mdadb.rollback()
    for case in (world["case_a"], world["case_b"]):
        summaries = [summary for case_id, summary in rows if case_id == case.id]
        assert any("via live overleg: " in t and "gegeven(s)" in t for t in summaries), summaries
        assert any("via live overleg: actie:" in t for t in summaries), summaries
