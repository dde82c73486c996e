"""The sharing engine: the one place that decides who may open a case and see an item of it.

Every channel that lets personal data leave the server (pages, JSON API, socket events,
DOCX, ICS, e-mail) asks this module; nothing else reads items or persons for display.

Rules, in order (the first that applies is the basis shown to the viewer):

1. Only the circle opens a case: the coordinator, the professionals named in the circle,
   and team leads of an organisation in the circle. Everyone else gets 404 (and a
   ``denied`` audit row), never a hint that the case exists.
2. The source organisation always sees its own items.
3. A legal ground from the region's covenant matrix (``sharing/covenants/<REGION>.toml``)
   for the viewer's organisation type and the item's category. Special categories need
   an explicit rule; a wildcard covers only ordinary categories.
4. Consent of every person the item concerns (or their legal representative), valid today,
   naming the viewer's organisation and the item's category. Withdrawal works at once.
5. A recorded *conflict van plichten* decision for the viewer's organisation and category.
6. Break-glass: a professional who opened this withheld item in acute danger, with a reason,
   for a limited time.

Otherwise the item is not sent at all: the viewer gets a "niet gedeeld" placeholder that
names the missing basis. Every view writes audit rows naming the basis used.

The engine is a package, one module per concern; callers import the package and write ``sharing.x``:

- :mod:`.rules` the rules: :class:`Decision`, rule 1 (:func:`can_open_case`, :func:`load_case_or_404`), :func:`decide`
  and the decisions built on it, break-glass;
- :mod:`.context` :class:`CaseContext`, the facts of a case the rules read, loaded and kept per unit of work;
- :mod:`.rows` the rows a view is built from (plain tuples, one statement per page);
- :mod:`.views` the view types (withheld content is ``None``) and the views of a case, its items, texts, consents;
- :mod:`.batch` the items of several cases for several viewers at once;
- :mod:`.view_audit` the one audit of views, with ``audit_subject`` rows.
"""

from mda.core.sharing.batch import item_views, item_views_for_users
from mda.core.sharing.context import (
    CaseContext,
    _load_contexts,
    _load_items,
    kept,
    load_cases,
    load_context,
    load_contexts,
    load_item_or_404,
    load_organisations,
)
from mda.core.sharing.rules import (
    BREAK_GLASS_DURATION,
    LEAD_ROLES,
    MANAGE_PERMISSIONS,
    Decision,
    _today,
    _visible_case_ids_statement,
    can_manage,
    can_open_case,
    consent_decision,
    consent_is_valid,
    consent_status,
    decide,
    decision_group,
    item_decision,
    load_case_or_404,
    open_break_glass,
    opens_case,
    plan_entry_decision,
    possible_opener_rows,
    possible_openers,
    refuse_foreign,
    visible_case_ids,
    visible_cases_params,
    visible_cases_query,
    visible_cases_statement,
    visible_open_cases_statement,
)
from mda.core.sharing.view_audit import audit_content_view, case_person_ids
from mda.core.sharing.views import (
    CaseView,
    ConsentView,
    DecisionView,
    ItemView,
    PersonView,
    RevisionView,
    TextView,
    _item_views,
    case_texts_view,
    case_view,
    consent_view,
    decision_view,
    item_view,
    items_view,
    person_label,
    person_view,
    revision_views,
    single_consent_view,
    text_views,
)

__all__ = [
    "BREAK_GLASS_DURATION", "LEAD_ROLES", "MANAGE_PERMISSIONS", "CaseContext", "CaseView", "ConsentView", "Decision",
    "DecisionView", "ItemView", "PersonView", "RevisionView", "TextView", "_item_views", "_load_contexts",
    "_load_items", "_today", "_visible_case_ids_statement", "audit_content_view", "can_manage", "can_open_case",
    "case_person_ids", "case_texts_view", "case_view", "consent_decision", "consent_is_valid", "consent_status",
    "consent_view", "decide", "decision_group", "decision_view", "item_decision", "item_view", "item_views",
    "item_views_for_users", "items_view", "kept",
    "load_case_or_404", "load_cases", "load_context", "load_contexts", "load_item_or_404",
    "load_organisations", "open_break_glass", "opens_case", "person_label", "person_view", "plan_entry_decision",
    "possible_opener_rows", "possible_openers", "refuse_foreign", "revision_views", "single_consent_view", "text_views",
    "visible_case_ids", "visible_cases_params", "visible_cases_query", "visible_cases_statement",
    "visible_open_cases_statement",
]
