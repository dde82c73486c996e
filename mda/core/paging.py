"""Paging for every list that can grow: one way to read ``page``/``per_page`` and to slice a query.

A list shows ``per_page`` rows (default :data:`DEFAULT_PER_PAGE`, at most
:data:`MAX_PER_PAGE`) of page ``page`` (from 1). Out-of-range or non-numeric values are
clamped, never an error: a bookmarked page 9 of a list that shrank shows the last page.
Each page costs two queries whatever the length of the list: a count and one slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import func, select
from sqlmodel import Session

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
#: lists counted only this far (``total`` then says "at least"): counting 40,000 rows to show 50 is waste
COUNT_CAP = 1000


@dataclass
class Page:
    """One page of a list, with what a pager needs."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    more: bool = False  # the list is longer than ``total`` (counted up to COUNT_CAP)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def meta(self) -> dict[str, Any]:
        """The paging fields of a JSON collection."""
        return {"page": self.page, "per_page": self.per_page, "total": self.total, "pages": self.pages,
                "more": self.more}


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default


def page_args(default_per_page: int = DEFAULT_PER_PAGE, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int]:
    """``(page, per_page)`` from the query string, clamped to 1.. and 1..*max_per_page*."""
    page = max(1, _int_arg("page", 1))
    per_page = min(max(1, _int_arg("per_page", default_per_page)), max_per_page)
    return page, per_page


def paginate(db: Session, stmt, page: int, per_page: int, *, scalars: bool = True) -> Page:
    """Count *stmt* and fetch page *page*; a page past the end shows the last one."""
    total = db.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    last = max(1, -(-total // per_page))
    page = min(page, last)
    sliced = stmt.limit(per_page).offset((page - 1) * per_page)
    rows = db.exec(sliced).all() if scalars else db.execute(sliced).all()
    return Page(list(rows), page, per_page, total)


def paginate_ids(db: Session, ids_up_to, load, page: int, per_page: int, cap: int = COUNT_CAP) -> Page:
    """Page through a list given as ids: *ids_up_to(n)* selects the first *n* ids in display order
    (cheaply, at any length); *load(ids)* returns the rows for those ids. Counted up to *cap*.
    """
    counted = db.execute(select(func.count()).select_from(ids_up_to(cap + 1).subquery())).scalar_one()
    total = min(counted, cap)
    page = min(page, max(1, -(-total // per_page)))
    ids = list(db.execute(ids_up_to(page * per_page).limit(per_page).offset((page - 1) * per_page)).scalars())
    rows = {row.id: row for row in load(ids)} if ids else {}
    return Page([rows[i] for i in ids if i in rows], page, per_page, total, more=counted > cap)


def paginate_list(items: list, page: int, per_page: int) -> Page:
    """Page through a list already in memory (e.g. the changes between two plan versions, computed from
    two snapshots): only the shown page goes through the engine, its audit and the template."""
    total = len(items)
    page = min(page, max(1, -(-total // per_page)))
    return Page(items[(page - 1) * per_page:page * per_page], page, per_page, total)

