"""Signals and registries: where a lower room learns of higher ones without importing them.

Every extension point of the house is declared here, in one place, each with what it means and what it
carries (Indico's ``signals``). Features connect to them in their ``init_app`` (or blueprint registration),
which :func:`mda.create_app` calls when it builds the application, never at import time.

Two kinds, chosen by what the sender needs back:

- a **signal** (blinker) tells that something happened; receivers act, the sender uses no answer (or collects
  template variables). Receivers run inside the sender's unit of work: they ``flush()`` and audit there, they
  never commit.
- a **registry** (:class:`Registry`) is an ordered set of providers whose answers the sender combines: the
  first refusal wins, counts add up, panels are shown in their position. Connecting twice (tests build many
  apps) keeps one entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from blinker import Namespace

_signals = Namespace()

account_credentials_ended = _signals.signal("account-credentials-ended", doc="""
Every credential derived from an account must stop working now: its password changed or was reset, or the
account was deactivated or reactivated. Sent by :mod:`mda.auth.services` after it ended the sessions (and so
the live sockets) and the API tokens; the sender is the :class:`~mda.auth.models.User`, with keywords ``db``
(the unit of work) and ``why`` (a Dutch reason for the audit trail). A feature that hands out its own secret
for an account (the calendar feed's address) revokes it here.
""")

meeting_page = _signals.signal("meeting-page", doc="""
The meeting page is being gathered. Sent by :func:`mda.meetings.pages.meeting_page` once per page, before
rendering, so that a higher room adds its part from what the page read already instead of its template loading
data. The sender is the :class:`~mda.meetings.models.Meeting`, with keywords ``db``, ``user``, ``view`` (the user's
:class:`~mda.meetings.access.MeetingView`), ``cases`` (its :class:`~mda.meetings.access.CaseAccess`, with the
loaded case contexts) and ``item_updates`` (:func:`mda.meetings.updates.page_updates` for the visible case items). A
receiver returns a dict of template variables (e.g. the live panel, the open plan actions).
""")


class Registry:
    """An ordered set of providers connected by features when the app is built.

    Iterating yields the providers by *position* (then in the order they were connected); connecting a
    provider that is already there changes nothing, so building a second app does not double it.
    """

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._entries: list[tuple[int, int, Any]] = []

    def connect(self, provider: Any, *, position: int = 50) -> Any:
        """Add *provider* (once) at *position*; returns it, so that this works as a decorator too."""
        if provider not in self:
            self._entries.append((position, len(self._entries), provider))
            self._entries.sort(key=lambda entry: entry[:2])
        return provider

    def disconnect(self, provider: Any) -> None:
        """Remove *provider* (tests that plant one take it away again)."""
        self._entries = [entry for entry in self._entries if entry[2] is not provider]

    def __contains__(self, provider: object) -> bool:
        return any(entry[2] is provider or entry[2] == provider for entry in self._entries)

    def __iter__(self) -> Iterator[Any]:
        return iter([entry[2] for entry in self._entries])

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self)}>"


plan_lock_providers = Registry("plan-lock-providers", """
Functions ``(db, entry) -> bool`` that may lock a safety-plan entry or action against changes. Asked by
:func:`mda.safety_plan.services.entry_is_locked` on every change path; connected by the escalations feature (an
open escalation disputes the entry).
""")

item_lock_providers = Registry("item-lock-providers", """
Functions ``(db, item) -> str | None``: a Dutch refusal when a case item's text may not change now. Asked by
:func:`mda.cases.history.item_lock_refusal` on every path that changes an item's text; connected by the
escalations feature (an open escalation about a conference decision locks that decision until it is decided).
""")

phase_lock_providers = Registry("phase-lock-providers", """
Functions ``(db, case, new_phase) -> str | None``: a Dutch refusal of a phase change. Asked by
:func:`mda.cases.services.change_phase`; connected by the escalations feature (an open escalation disputes the
phase or closing).
""")

forget_providers = Registry("forget-providers", """
Functions ``(db, case_id, object_type, object_ids) -> int`` that destroy their copies of a case's texts with the
data (destruction on request, end of retention) and say how many. Called by :func:`mda.cases.history.forget`;
connected by the documents feature (the files) and the live session (revisions of minutes and decisions, co-edit
states).
""")

circle_left = Registry("circle-left", """
Functions ``(db, user, ctx) -> None``: the circle of ``ctx.case`` shrank (*user*, the coordinator, took a
professional or an organisation off it). Called by :mod:`mda.cases.circle` in the same unit of work, after the
circle's rows and *ctx* changed. Connected by the safety plan: open actions whose owner can no longer open the case
go to the owner's organisation, to be picked up there (or, when the organisation left too, to the coordinator's
overview of actions without a person), instead of staying with someone the case is now closed to.
""")

account_moved = Registry("account-moved", """
Functions ``(db, admin, user) -> None``: the administrator *admin* moved *user*'s account to another organisation
(``user.organisation_id`` is the new one). Called by :func:`mda.auth.services.update_user` in the same unit of
work. Connected by cases: the account leaves the circles it was named in (rule 1 closes those cases to it), with
what :data:`circle_left` does for each.
""")

escalation_meeting_invitees = Registry("escalation-meeting-invitees", """
Functions ``(db, user, escalation_id) -> (escalation, [users]) | None``: for a meeting planned from an open
escalation (``?escalatie=<id>`` on the planning form), the escalation and whom to invite; None when *user* may not
see it. Asked by :mod:`mda.meetings.routes`; connected by the escalations feature, so that meetings need not import
it.
""")

item_documents = Registry("item-documents", """
Functions ``(db, case_id) -> {item id: document}``: the documents stored with a case's items (numbers, types and
sizes; no personal data), for the case page and API to link them. Asked through :func:`item_documents_of` by
:mod:`mda.cases`; connected by the documents feature (which builds on cases, so cases may not import it).
""")


def item_documents_of(db, case_id: int) -> dict:
    """The documents of *case_id* by item id, from every connected :data:`item_documents` provider."""
    return {item_id: document for provider in item_documents for item_id, document in provider(db, case_id).items()}


api_token_users = Registry("api-token-users", """
Functions ``(db, raw_token) -> User | None``: the active user behind a bearer token of the JSON API. Asked by
:mod:`mda.core.security` for ``Authorization: Bearer ...`` on ``/api/``; connected by the auth feature (which owns
the tokens). Without one, no bearer token logs anyone in.
""")

home_panels = Registry("home-panels", """
Functions ``(user) -> (template, context) | None``: the start page's panels, shown by position
(:func:`mda.core.routes.home`). Connected by cases, meetings, safety plan, escalations and privacy; a panel shows
counts and references only, never personal data.
""")

meeting_item_changed = _signals.signal("meeting-item-changed", doc="""
Something shown on a meeting's case item changed outside the live session (a document brought with a pre-meeting
update). Sent by :mod:`mda.documents.services` inside the unit of work; the sender is the
:class:`~mda.meetings.models.AgendaItem`, with keyword ``db``. The live session queues a notice (ids only) for the
item's room, sent after the commit; each client then fetches its own view through the engine.
""")

plan_page = _signals.signal("plan-page", doc="""
The safety plan page is being gathered. Sent by :func:`mda.safety_plan.pages.plan_page` once per page, before
rendering and only when the page shows entries or actions, so that a higher room (escalations) adds what it marks
beside them instead of its template loading it. The sender is the :class:`~mda.cases.models.Case`, with keywords
``db``, ``user`` and ``ctx`` (the loaded case context). A receiver returns a dict of template variables
(``escalation_marks``: (subject kind, id) -> its escalation).
""")

case_page = _signals.signal("case-page", doc="""
The case page is being gathered. Sent by :mod:`mda.cases.routes` once per page, before rendering, so that a higher
room (meetings, escalations) adds its panel's data instead of its template loading it. The sender is the
:class:`~mda.cases.models.Case`, with keywords ``db``, ``user`` (the user object) and ``ctx`` (the loaded case
context). A receiver returns a dict of template variables (``case_meetings``, ``case_escalations``).
""")
