"""A changed minutes piece or decision is pushed to each viewer as the sharing engine decides for that viewer."""

from datetime import timedelta

from sqlalchemy import event
from sqlmodel import select

from mda import db as unit
from mda.core.audit import AuditEvent
from mda.core.timeutil import utcnow
from mda.live import push
from mda.live.guard import SOCKETS
from tests.live.test_working import _started

SECRET = "Vader dreigde met een mes, zegt de buurvrouw (fictief)"


def _pushed(client, item_id: int, messages: list[dict] | None = None) -> list[dict]:
    messages = client.received() if messages is None else messages
    return [m["args"][0] for m in messages if m["name"] == "stuk" and m["args"][0]["punt"] == item_id]


def _noticed(messages, item_id: int) -> bool:
    return any(m["name"] == "melding" and m["args"][0].get("punt") == item_id for m in messages)


def _viewing(meeting, *clients):
    for client in clients:
        assert client.send("punt", {"punt": meeting.item_a})["ok"]
        client.received()


def _sid(client) -> str:
    return next(sid for sid, state in SOCKETS.items() if state.user_id == client.user.id)


def test_each_viewer_gets_the_change_as_the_engine_decides_for_them(app, db, live, world, meeting, make_consent):
    """Does a saved piece reach every viewer without a fetch, with the text only for the one the consent names?"""
    victim = world["persons"][0]
    make_consent(world["case_a"], victim, [world["orgs"]["POL"]], ["overleg"], world["coordinator"])
    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    _viewing(meeting, chair, pol, vt)
    created = chair.send("stuk_nieuw", {"id": "push-0000001", "punt": meeting.item_a, "tekst": "Begin (fictief)",
                                        "personen": [victim.id]})
    pol.received(), vt.received()
    saved = chair.send("stuk_opslaan", {"id": "push-0000002", "stuk": created["stuk"], "versie": 1, "tekst": SECRET})
    assert saved["ok"], saved
    pol_messages = pol.received()
    pol_got, vt_got = _pushed(pol, meeting.item_a, pol_messages), _pushed(vt, meeting.item_a)
    assert [r["versie"] for m in pol_got for r in m["stukken"]] == [2]
    assert pol_got[0]["stukken"][0]["tekst"] == SECRET and pol_got[0]["stukken"][0]["zichtbaar"]
    assert vt_got and vt_got[0]["stukken"][0]["zichtbaar"] is False and "tekst" not in vt_got[0]["stukken"][0]
    assert SECRET not in vt.everything()
    assert not _noticed(pol_messages, meeting.item_a)  # pushed, so no notice and no fetch of the whole item
    views = db.exec(select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.case_id == world["case_a"].id,
                                             AuditEvent.user_id == world["users"]["POL"].id)).all()
    pushed_views = [v for v in views if "live overleg" in v.summary]
    assert pushed_views and all(v.client_address != "cli" for v in pushed_views)  # the viewer's own address


def test_a_viewer_whose_session_went_idle_gets_only_the_notice(app, db, live, world, meeting):
    """Does a socket whose login session passed the idle timeout get no pushed text, only the id notice?"""
    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    _viewing(meeting, chair, pol, vt)
    SOCKETS[_sid(vt)].last_seen = utcnow() - timedelta(days=1)
    assert chair.send("stuk_nieuw", {"id": "push-idle-01", "punt": meeting.item_a, "tekst": SECRET})["ok"]
    got = vt.received()
    assert _noticed(got, meeting.item_a) and not [m for m in got if m["name"] == "stuk"]
    assert SECRET not in vt.everything()
    assert _pushed(pol, meeting.item_a)  # the check can fail: the other viewer did get it


def test_a_viewer_whose_invitation_was_withdrawn_gets_nothing_of_the_change(app, db, live, world, meeting):
    """Does a socket still in the room after its invitation was withdrawn get no pushed text (and a refused fetch)?"""
    from mda.meetings.models import Invitation

    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    _viewing(meeting, chair, pol, vt)
    inv = db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                           Invitation.user_id == world["users"]["VT"].id)).one()
    inv.withdrawn_at = utcnow()
    db.add(inv)
    db.commit()
    assert chair.send("stuk_nieuw", {"id": "push-gone-01", "punt": meeting.item_a, "tekst": SECRET})["ok"]
    assert not [m for m in vt.received() if m["name"] == "stuk"]
    assert vt.send("punt", {"punt": meeting.item_a})["ok"] is False
    assert SECRET not in vt.everything()
    assert _pushed(pol, meeting.item_a)


def test_a_socket_showing_another_item_gets_the_notice_not_the_rows(app, live, world, meeting):
    """Does a socket in the room that now shows another item get only the notice (it fetches when it returns)?"""
    chair, (pol,) = _started(live, world, meeting, "POL")
    _viewing(meeting, chair, pol)
    assert chair.send("punt", {"punt": meeting.item_b})["ok"]
    pol.send("stuk_nieuw", {"id": "push-else-01", "punt": meeting.item_a, "tekst": "Elders (fictief)"})
    got = chair.received()
    assert _noticed(got, meeting.item_a) and not [m for m in got if m["name"] == "stuk"]


def test_a_push_that_fails_to_build_loses_nothing_and_logs_no_view(app, db, live, world, meeting, monkeypatch):
    """When building the pushed rows fails, is the change still stored, the viewers told to fetch, and no view of
    the failed push on record?"""
    from mda.live import state as live_state
    from mda.live.models import LivePiece

    chair, (pol,) = _started(live, world, meeting, "POL")
    _viewing(meeting, chair, pol)
    created = chair.send("stuk_nieuw", {"id": "push-fail-01", "punt": meeting.item_a, "tekst": "Begin (fictief)"})
    pol.received()

    def live_views() -> int:  # the writer (the chair) may see the text: a built push records the chair's view
        return len([e for e in db.exec(select(AuditEvent).where(AuditEvent.action == "view")) if
                    "live overleg" in e.summary])

    before = live_views()

    def broken(*_args, **_kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(live_state, "piece_rows", broken)  # after the engine queued the views' audit rows
    saved = chair.send("stuk_opslaan", {"id": "push-fail-02", "stuk": created["stuk"], "versie": 1, "tekst": SECRET})
    assert saved["ok"], saved
    db.expire_all()
    assert db.get(LivePiece, created["stuk"]).version == 2
    got = pol.received()
    assert _noticed(got, meeting.item_a) and not [m for m in got if m["name"] == "stuk"]
    assert live_views() == before


def test_a_round_asks_the_database_as_often_for_three_viewers_as_for_two(app, db, live, world, meeting):
    """Does one push round cost the same number of queries whatever the number of viewers (two or three)?"""
    chair, (pol, vt) = _started(live, world, meeting, "POL", "VT")
    created = chair.send("stuk_nieuw", {"id": "push-count-1", "punt": meeting.item_a, "tekst": "Tel (fictief)"})
    engine = app.extensions["mda_engine"]

    def queries_with(clients) -> int:
        for state in SOCKETS.values():
            state.viewing = None
        _viewing(meeting, *clients)
        count = [0]

        def counter(*_args):
            count[0] += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            with app.app_context(), unit.unit_of_work() as s:
                assert len(push.build(s, meeting.item_a, {created["stuk"]}).pushed) == len(clients)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count[0]

    assert queries_with([chair, pol]) == queries_with([chair, pol, vt])


def test_who_may_enter_is_the_same_asked_for_all_at_once_as_for_each(app, db, world, meeting):
    """Does the one question for all viewers (access.enterers, which may_enter also asks) answer as the rule of
    joining reads, asked per user: may join the meeting, invited for the item (or its coordinator), may open
    the case?"""
    from mda import db as unit
    from mda.auth.models import User
    from mda.cases.models import Case
    from mda.core import sharing
    from mda.live import access
    from mda.meetings import access as meeting_access
    from mda.meetings.models import AgendaItem, Meeting

    def rule(s, user, m, item) -> bool:
        if not access.may_join(s, user, m):
            return False
        if user.id != m.coordinator_id:
            inv = meeting_access.my_invitation(s, user, m)
            if inv is None or not (inv.whole_meeting or item.id in meeting_access.invited_item_ids(s, inv)):
                return False
        return sharing.can_open_case(user, s.get(Case, item.case_id))

    with app.test_request_context():
        s = unit.session()
        m = s.get(Meeting, meeting.id)
        users = list(s.exec(select(User)))
        for item_id in (meeting.item_a, meeting.item_b):
            item = s.get(AgendaItem, item_id)
            each = {u.id for u in users if rule(s, u, m, item)}
            assert access.enterers(s, users, m, item) == each
            assert {u.id for u in users if access.may_enter(s, u, m, item)} == each
            assert each and each != {u.id for u in users}  # the check can fail both ways
        unit.rollback()


def test_a_save_and_its_push_load_the_case_context_once(app, db, live, world, meeting):
    """Does the writer's save and the push it builds in the same unit of work load the case's consents (the case
    context) once, not again after the save's flush (which wrote only the piece, its text and revision)?"""
    from mda.auth.models import User
    from mda.live import services
    from mda.meetings.models import Meeting

    chair, (pol,) = _started(live, world, meeting, "POL")
    _viewing(meeting, chair, pol)
    created = chair.send("stuk_nieuw", {"id": "push-ctx-001", "punt": meeting.item_a, "tekst": "Begin (fictief)"})
    engine = app.extensions["mda_engine"]
    consent_loads = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT consent.id"):
            consent_loads.append(statement)

    with app.test_request_context():
        s = unit.session()
        writer = s.get(User, world["coordinator"].id)
        event.listen(engine, "before_cursor_execute", count)
        try:
            services.save_piece(s, writer, s.get(Meeting, meeting.id), created["stuk"], base_version=1,
                                content="Tweede versie (fictief)")
            delivery = push.build(s, meeting.item_a, {created["stuk"]})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        unit.rollback()
    assert len(delivery.pushed) == 2  # the push was built for both viewers, with the context it had
    assert len(consent_loads) == 1


def _police_editing(live, world, meeting, invite, make_consent, prefix: str):
    """A piece about the victim (shared with the police) in item A, viewed by the chair and two police users of whom
    the first has said they are editing it: (chair, pol, lead, the created piece's answer)."""
    victim = world["persons"][0]
    make_consent(world["case_a"], victim, [world["orgs"]["POL"]], ["overleg"], world["coordinator"])
    invite(meeting, world["coordinator"], world["users"]["LEAD_POL"], [meeting.item_a])
    chair, (pol, lead) = _started(live, world, meeting, "POL", "LEAD_POL")
    _viewing(meeting, chair, pol, lead)
    created = chair.send("stuk_nieuw", {"id": f"{prefix}-01", "punt": meeting.item_a, "tekst": "Begin (fictief)",
                                        "personen": [victim.id]})
    assert pol.send("bewerken", {"stuk": created["stuk"]})["ok"]
    return chair, pol, lead, created


def test_colleagues_decided_alike_each_get_their_own_being_edited_by(app, db, live, world, meeting, invite,
                                                                     make_consent):
    """When two police users whom the engine decides alike get a pushed piece while one of them is editing it, does
    the editor get rows without their own name under "being edited by" and the colleague rows naming the editor
    (rows built once per group, but not across that difference)?"""
    chair, pol, lead, created = _police_editing(live, world, meeting, invite, make_consent, "push-edit")
    pol.received(), lead.received()
    saved = chair.send("stuk_opslaan", {"id": "push-edit-02", "stuk": created["stuk"], "versie": 1,
                                        "tekst": "Tweede versie (fictief)"})
    assert saved["ok"], saved
    pol_row, lead_row = (_pushed(client, meeting.item_a)[-1]["stukken"][0] for client in (pol, lead))
    assert pol_row["zichtbaar"] and lead_row["zichtbaar"]
    assert pol_row["bewerkt_door"] == [] and lead_row["bewerkt_door"] == [world["users"]["POL"].name]


def test_an_editors_own_save_clears_being_edited_by_for_the_others(app, db, live, world, meeting, invite,
                                                                  make_consent):
    """When a police user marks a piece as being edited and then saves it, do the others' pushed rows stop naming
    them under "being edited by", and does a later save by them (no longer editing) still go through?"""
    _chair, pol, lead, created = _police_editing(live, world, meeting, invite, make_consent, "push-clear")
    saved = pol.send("stuk_opslaan", {"id": "push-clear-02", "stuk": created["stuk"], "versie": 1,
                                      "tekst": "Tweede versie (fictief)"})
    assert saved["ok"], saved
    lead.received()
    again = pol.send("stuk_opslaan", {"id": "push-clear-03", "stuk": created["stuk"], "versie": 2,
                                      "tekst": "Derde versie (fictief)"})
    assert again["ok"], again
    row = _pushed(lead, meeting.item_a)[-1]["stukken"][0]
    assert row["zichtbaar"] and row["versie"] == 3 and row["bewerkt_door"] == []
