"""Batch views: the items of several cases for several viewers in a few statements (the live session builds
everyone's view of a room after one change). Viewers the rules cannot tell apart are decided once; audit stays per
viewer."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from sqlmodel import Session

from mda.core.sharing import rows as view_rows
from mda.core.timeutil import as_utc, utcnow

if TYPE_CHECKING:
    from mda.auth.models import User
    from mda.core.sharing.rows import ItemRow
from mda.core.sharing.rules import CaseContext, can_open_case, decision_group
from mda.core.sharing.view_audit import _audit_groups, _record_views
from mda.core.sharing.views import CaseView, ItemView, _item_views


def item_views(db: Session, user: User, contexts: dict[int, CaseContext], item_ids,
               *, channel: str = "pagina") -> dict[int, ItemView]:
    """Several items of several cases (contexts by case id) as *user* may see them, in a few queries.

    Like :func:`item_view` for each item (audited when content shows; items of cases the user
    cannot open, of other cases or destroyed are left out), without queries per item or case.
    """
    return item_views_for_users(db, [user], contexts, item_ids, channel=channel)[user.id]


def item_views_for_users(db: Session, users: list[User], contexts: dict[int, CaseContext], item_ids,
                         *, channel: str = "pagina", addresses: dict[int, str] | None = None,
                         ) -> dict[int, dict[int, ItemView]]:
    """:func:`item_views` for several users at once (user id -> item id -> view), in the same few queries.

    The rows (items, their persons, the users' break-glass, the authors' names) are loaded once; the
    decision and the audit rows stay per user, exactly as :func:`item_views` makes them for one user.
    The live session uses it to build the views of everyone in a room after one change; *addresses*
    (user id -> client address) then names each user's own address in that user's audit rows.
    """
    result: dict[int, dict[int, ItemView]] = {u.id: {} for u in users}
    openers = {u.id: {case_id for case_id, ctx in contexts.items() if can_open_case(u, ctx.case, ctx)}
               for u in users}
    wanted_cases = set().union(*openers.values()) if openers else set()
    if not wanted_cases or not item_ids:
        return result
    rows = view_rows.load_items(db, item_ids, [u.id for u in users])  # items, persons, break-glass: one statement
    items = [i for i in rows.items if i.case_id in wanted_cases]
    if not items:
        return result
    persons = rows.item_persons
    now = utcnow()
    for case_id, bg in rows.break_glass:
        if as_utc(bg.expires_at) > now and case_id in contexts:
            contexts[case_id].break_glass[(bg.user_id, bg.item_id)] = bg
    authors = rows.authors
    by_case: dict[int, list[ItemRow]] = defaultdict(list)
    for item in items:
        by_case[item.case_id].append(item)
        contexts[item.case_id].item_persons[item.id] = persons.get(item.id, [])
    # Viewers the rules cannot tell apart get the same decisions: decided once per group, audited per user.
    decided: dict[tuple, tuple[list[ItemView], list[tuple[str, str, list]]]] = {}
    shown: dict[tuple, list[User]] = defaultdict(list)  # who was shown what each group was decided
    for user in users:
        for case_id in sorted(openers[user.id] & by_case.keys()):
            ctx = contexts[case_id]
            key = (case_id, decision_group(user, ctx, by_case[case_id], opens=True))  # openers: may open it
            if key not in decided:
                views = _item_views(db, user, ctx, by_case[case_id], authors)
                visible = [v for v in views if v.decision.visible]
                decided[key] = views, (_audit_groups(CaseView(ctx.case, ctx, [], visible)) if visible else [])
            views, groups = decided[key]
            if groups:
                shown[key].append(user)
            result[user.id].update({v.id: v for v in views})
    for (case_id, _group), viewers in shown.items():
        _record_views(db, viewers, contexts[case_id].case, decided[case_id, _group][1], channel, addresses)
    return result
