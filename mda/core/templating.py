"""Template filters, globals and the feature navigation shared by every page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user

from mda.core.form_errors import error_lines
from mda.core.permissions import PERMISSIONS, has_permission
from mda.core.timeutil import format_local


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str | None = None
    #: place in the menu (lower first); features sit between Start (0) and the administration (90+)
    position: int = 50


#: Menu entries contributed by features, in menu order.
NAV_ITEMS: list[NavItem] = []


def register_nav(label: str, endpoint: str, permission: str | None = None, position: int = 50) -> None:
    """Add a main-menu entry, shown to users who hold *permission* (or to everyone)."""
    if permission is not None and permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    item = NavItem(label, endpoint, permission, position)
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda i: i.position)  # stable: registration order within a position


class UrlPattern:
    """The address of one endpoint for many ids, built with ``url_for`` once per page.

    ``url_pattern('cases.item_history', 'item_id', case_id=case.id)`` in a template gives a callable:
    ``pattern(v.id)`` is what ``url_for('cases.item_history', case_id=case.id, item_id=v.id)`` gives,
    without routing every link of a long list through Werkzeug again (only the id differs).
    """

    _MARK = 918273645546372819  # an id no table reaches; it marks where the id goes in the built address

    def __init__(self, endpoint: str, slot: str, *, build=url_for, **values):
        """*build*: ``url_for`` (the default) or another builder with its signature, e.g.
        :func:`mda.core.mail.public_url` for absolute links in calendar files and e-mail."""
        self._endpoint, self._slot, self._values, self._build = endpoint, slot, values, build
        self._parts: tuple[str, str] | None = None  # built at the first link: a page without one builds none

    def __call__(self, value: int) -> str:
        if self._parts is None:
            built = self._build(self._endpoint, **self._values, **{self._slot: self._MARK})
            if built.count(str(self._MARK)) != 1:
                raise ValueError(f"{self._endpoint}: cannot build a pattern for {self._slot}")
            head, _, tail = built.partition(str(self._MARK))
            self._parts = head, tail
        return f"{self._parts[0]}{int(value)}{self._parts[1]}"


def dutch_decimal(value, digits: int = 1, grouping: bool = True) -> str:
    """*value* with a decimal comma and *digits* decimals ("50,0", "1.234,5") through Flask-Babel's locale."""
    from flask_babel import format_decimal

    if value is None:
        return ""
    return format_decimal(value, format=("#,##0." if grouping else "0.") + "0" * digits)


def init_app(app: Flask) -> None:
    """Register filters (local time) and the navigation helpers."""
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["localdate"] = lambda v: format_local(v, "%d-%m-%Y")
    app.jinja_env.filters["decimal"] = dutch_decimal
    app.jinja_env.filters["error_lines"] = error_lines
    app.jinja_env.globals["can"] = lambda name: has_permission(current_user, name)
    app.jinja_env.globals["url_pattern"] = UrlPattern

    #: (script root, endpoint) -> address: a menu entry's address never changes while the process runs
    addresses: dict[tuple[str, str], str] = {}

    def address(endpoint: str) -> str:
        key = (request.script_root, endpoint)
        if key not in addresses:
            addresses[key] = url_for(endpoint)
        return addresses[key]

    @app.context_processor
    def _navigation():
        if not current_user.is_authenticated:
            return {"nav_items": []}
        user = current_user._get_current_object()
        # who sees an entry is decided on every request, from the roles read with the user
        items = [
            {"label": i.label, "url": address(i.endpoint), "current": False}
            for i in NAV_ITEMS
            if i.permission is None or has_permission(user, i.permission)
        ]
        # the current page: the entry whose address is the longest start of this page's path
        path = request.path
        matching = [i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
        if matching:
            max(matching, key=lambda i: len(i["url"]))["current"] = True
        return {"nav_items": items}
