"""Signals: where a lower room tells higher ones that something happened, without importing them.

Declared here, in one place, each with what it means and what it sends; receivers connect when their
feature is imported by ``create_app`` (Indico's ``signals``). Receivers run inside the sender's unit of work:
they ``flush()`` and audit there, they never commit.
"""

from __future__ import annotations

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
The meeting page is being gathered. Sent by :mod:`mda.meetings.routes` once per page, before rendering, so that a
higher room adds its part from what the page read already instead of its template loading data. The sender is the
:class:`~mda.meetings.models.Meeting`, with keywords ``db``, ``user``, ``view`` (the user's
:class:`~mda.meetings.access.MeetingView`), ``cases`` (its :class:`~mda.meetings.access.CaseAccess`, with the
loaded case contexts) and ``item_updates`` (:func:`mda.meetings.updates.page_updates` for the visible case items). A
receiver returns a dict of template variables (e.g. the live panel, the open plan actions).
""")

case_page = _signals.signal("case-page", doc="""
The case page is being gathered. Sent by :mod:`mda.cases.routes` once per page, before rendering, so that a higher
room (meetings, escalations) adds its panel's data instead of its template loading it. The sender is the
:class:`~mda.cases.models.Case`, with keywords ``db``, ``user`` (the user object) and ``ctx`` (the loaded case
context). A receiver returns a dict of template variables (``case_meetings``, ``case_escalations``).
""")
