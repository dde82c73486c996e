"""Documents brought to a meeting with a pre-meeting update: shown on that case item of the meeting page and of the
live session, each through the sharing engine for the one viewer (a withheld document shows only "Niet gedeeld"
and its reason; its title and bytes stay on the server).

The meeting page gets them through :data:`mda.core.signals.meeting_page` (the meetings room does not import this
one); the live session's item state asks :func:`item_documents` itself, per viewer, on every fetch and push.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import g, has_request_context, url_for
from sqlmodel import Session, select

from mda.core import sharing
from mda.documents.models import Document


@dataclass(frozen=True)
class DocumentView:
    """One document of a case item as one viewer may see it (the engine's view of its item)."""

    document: Document
    view: sharing.ItemView

    @property
    def visible(self) -> bool:
        return self.view.decision.visible

    @property
    def download(self) -> str | None:
        """The page's download address, only when the engine shows the item."""
        if not self.visible:
            return None
        return url_for("documents.download", case_id=self.document.case_id, item_id=self.document.item_id)

    def as_dict(self) -> dict:
        """The live session's shape (Dutch keys, as the rest of the item state): no title when withheld."""
        row = {"nummer": self.document.number, "bron": self.view.source_organisation,
               "categorie": self.view.category_name, "zichtbaar": self.visible}
        if self.visible:
            row |= {"titel": self.view.item.content, "grondslag": self.view.decision.basis,
                    "type": self.document.extension.upper(), "download": self.download}
        else:
            row["niet_gedeeld"] = self.view.decision.withheld_reason
        return row


def item_documents(db: Session, user, contexts: dict[int, sharing.CaseContext], agenda_item_ids: list[int],
                   *, channel: str) -> dict[int, list[DocumentView]]:
    """The documents brought to each of *agenda_item_ids* (agenda item id -> views in upload order), decided and
    audited by the engine for *user* in one call: two statements whatever the number of items or documents."""
    if not agenda_item_ids:
        return {}
    docs = [d for i in agenda_item_ids for d in _rows(db, agenda_item_ids)[i]]
    if not docs:
        return {}
    views = sharing.item_views(db, user, contexts, [d.item_id for d in docs], channel=channel)
    result: dict[int, list[DocumentView]] = defaultdict(list)
    for doc in docs:
        if doc.item_id in views:  # left out: a case the viewer cannot open
            result[doc.agenda_item_id].append(DocumentView(doc, views[doc.item_id]))
    return dict(result)


def _rows(db: Session, agenda_item_ids: list[int]) -> dict[int, list[Document]]:
    """The document rows of these agenda items, read once per request: the meeting page's updates and its live
    panel both show them (each through the engine for its own channel), from one statement."""
    known: dict[int, list[Document]] = g.setdefault("mda_item_documents", {}) if has_request_context() else {}
    missing = sorted({i for i in agenda_item_ids if i not in known})
    if missing:
        for i in missing:
            known[i] = []
        for doc in db.exec(select(Document).where(Document.agenda_item_id.in_(missing), Document.destroyed_at.is_(None))
                           .order_by(Document.uploaded_at, Document.item_id)):
            known[doc.agenda_item_id].append(doc)
    return known


def meeting_page_documents(meeting, *, db, user, view, cases, item_updates, **_extra) -> dict:
    """Receiver of :data:`mda.core.signals.meeting_page`: the documents of the case items whose updates the page
    shows, as ``update_documents`` (agenda item id -> views)."""
    contexts = getattr(cases, "contexts", None) or {}
    return {"update_documents": item_documents(db, user, contexts, list(item_updates or {}), channel="overleg")}
