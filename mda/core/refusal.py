"""The one refusal path: how a :class:`~mda.core.errors.ServiceError` reaches the user.

A service refuses by raising a :class:`~mda.core.errors.ServiceError` (Dutch message, HTTP status,
optionally the form field it belongs to). Routes do not catch it. One handler, registered on the
app by :func:`init_app`, undoes the unit of work and answers for the channel:

* **pages**: the route declared, before it acted, which page a refusal shows again
  (:func:`form_page` for a template with its form, :func:`on_refusal` for any other page). The
  page is rendered again with the user's typed input (the form is the request's form), the
  message as an error flash at the top and on its field when it names one; status
  ``exc.status`` (422 unless the service said otherwise). A
  route that declared nothing gets the error page with the message. 403 and 404 always get the
  error page (no hint about what exists);
* **API** (``/api/``): the documented ``Error`` schema, ``details`` from :meth:`ServiceError.details` (the field);
* **socket events**: :mod:`mda.live.guard` sends the ``fout`` event and acknowledgement;
* **CLI commands** decorated with :func:`cli_refusal`: click's error (the message, exit status 1).

Transaction semantics stay those of every failed request: the handler rolls back first (nothing
half-stored), the audit rows that must outlive a refusal (``denied`` attempts, views) survive the
rollback (:func:`mda.db.rollback`), and the page rendered afterwards writes its own view rows,
committed although the status is an error. A route that wants a refused step on record as a denied
attempt registers that with :func:`when_refused`; it runs after the rollback, for every channel.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, flash, g, make_response, render_template
from flask.typing import ResponseReturnValue

from mda.core.errors import ServiceError, error_response, wants_json

#: the page a refused request shows again (set by the route, read by the handler)
_PAGE = "refusal_page"
#: what runs when the request is refused, after the rollback (e.g. a denied-attempt audit row)
_CALLBACKS = "refusal_callbacks"


def on_refusal(render: Callable[[ServiceError], ResponseReturnValue], form=None, *, not_found: bool = False) -> None:
    """Declare the page this request shows again when a service refuses: ``render(exc)`` returns the response.

    The handler has already rolled back and placed the message (as a flash, and on its field of *form*) when
    *render* runs. A later declaration replaces an earlier one. 403 and 404 refusals get the error page, unless
    *not_found*: the page says no more than "not found" (e.g. a used link), so a 404 shows it too."""
    setattr(g, _PAGE, (render, form, not_found))


def when_refused(callback: Callable[[ServiceError], Any]) -> None:
    """Run ``callback(exc)`` if this request (or socket event) is refused, after the rollback, so that what it
    records (a ``denied`` audit row) survives."""
    g.setdefault(_CALLBACKS, []).append(callback)


def form_page(template: str, form=None, **context) -> Callable[[], ResponseReturnValue]:
    """Declare *template* (with *form* and *context*) as the page a refusal shows again; return its renderer.

    The route calls the renderer itself for the normal answer (200, or 422 when the form has errors)::

        page = refusal.form_page("cases/person_form.html", form, case=case)
        if form.validate_on_submit():
            services.add_person(...)          # a ServiceError shows ``page`` again, input kept
            return redirect(...)
        return page()
    """
    def render(exc: ServiceError | None = None) -> ResponseReturnValue:
        return render_form(template, form, exc, **context)

    on_refusal(render, form)
    return render


def render_form(template: str, form=None, exc: ServiceError | None = None, **context) -> ResponseReturnValue:
    """Render a form page: the refusal's status, else 422 when the form has errors (nothing is committed), else
    200. For a page whose context is gathered when it is shown, declared with :func:`on_refusal`."""
    status = exc.status if exc is not None else (422 if form is not None and form.errors else 200)
    return render_template(template, form=form, **context), status


def place_message(exc: ServiceError, form=None) -> None:
    """Put the refusal's message where the user looks: an error flash at the top of the page (every page shows
    it, whatever forms it holds) and, when it names a field of *form*, on that field too."""
    flash(exc.message, "error")
    if form is not None and exc.field and exc.field in form:
        field = form[exc.field]
        field.errors = [*field.errors, exc.message]  # form.errors is built from the fields on each read


def reset() -> None:
    """Forget what an earlier request or event declared (a test may run several in one application context)."""
    g.pop(_PAGE, None)
    g.pop(_CALLBACKS, None)


def undo(exc: ServiceError) -> None:
    """Roll back the unit of work (the surviving audit rows are kept) and run what the request registered for a
    refusal. Shared by the HTTP handler and the socket guard."""
    from mda import db

    db.rollback()
    callbacks = g.pop(_CALLBACKS, [])
    for callback in callbacks:
        callback(exc)
    if callbacks:  # what they recorded that must survive (a denied attempt) is stored now, the rest undone
        db.rollback()


def answer(exc: ServiceError) -> ResponseReturnValue:
    """The HTTP answer to a refused request (after :func:`undo`): JSON for the API, else the declared page."""
    if wants_json():
        return error_response(exc.status, exc.message, details=exc.details())
    declared = g.pop(_PAGE, None)
    if declared is None or exc.status in (401, 403) or (exc.status == 404 and not declared[2]):
        return error_response(exc.status, None if exc.status == 404 else exc.message)  # 404: never a hint
    render, form, _not_found = declared
    place_message(exc, form)
    response = make_response(render(exc))
    if not 300 <= response.status_code < 400:  # a page back to where the form was (a redirect) stays one
        response.status_code = exc.status  # whatever the page would answer by itself, a refusal is not a success
    return response


def init_app(app: Flask) -> None:
    """Register the one handler of :class:`ServiceError` for every route of *app*."""

    app.before_request(reset)

    @app.errorhandler(ServiceError)
    def _handle_refusal(exc: ServiceError):
        undo(exc)
        return answer(exc)


def cli_refusal(command: Callable) -> Callable:
    """Decorate a CLI command: a refusal is click's error (the Dutch message, exit status 1), never a traceback.
    The command's :func:`mda.db.unit_of_work` has already rolled back."""
    import click

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None

    return run
