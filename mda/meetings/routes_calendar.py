"""Calendar files: the download per meeting and the personal subscription feed (secret URL)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mda import db
from mda.core.forms import ConfirmForm
from mda.core.permissions import require_permission
from mda.extensions import limiter
from mda.meetings import access, bp, calendars, feeds
from mda.meetings.feed_version import feed_version
from mda.meetings.forms import FeedForm

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="text/calendar")
    response.headers["Content-Type"] = CALENDAR_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/<int:meeting_id>/overleg.ics")
@login_required
def meeting_ics(meeting_id: int):
    """This meeting as a calendar file (a series occurrence brings its series), filtered for the user."""
    s = db.session()
    meeting = access.load_meeting_or_404(s, current_user, meeting_id)
    content = calendars.meeting_calendar(s, current_user, meeting, feeds.reminders_of(s, current_user))
    return _calendar_response(content, f"overleg-{meeting.id}.ics")


@bp.route("/feed/<token>.ics")
# per token, not per address: Outlook and Google fetch many users' feeds from a few shared addresses
@limiter.limit("120 per hour", key_func=lambda: "feed:" + (request.view_args or {}).get("token", ""))
def feed(token: str):
    """The personal subscription feed. An unknown or revoked token is a plain 404, without a hint."""
    s = db.session()
    found = feeds.user_for_token(s, token)
    if found is None:
        abort(404)
    user, feed_row = found
    reminders = feed_row.reminder_minutes
    # the version is read before the file is built: a poll with the current ETag costs a few plain queries
    etag, changed = feed_version(s, user, reminders)
    if request.if_none_match.contains(etag):
        return _with_validators(Response(status=304), etag, changed)
    content, _changed = calendars.feed_with_date(s, user, reminders)
    response = _calendar_response(content, "mda-overleggen.ics")
    response.headers["Content-Disposition"] = 'inline; filename="mda-overleggen.ics"'
    return _with_validators(response, etag, changed)


def _with_validators(response: Response, etag: str, changed) -> Response:
    """ETag (the feed's version) and Last-Modified; a calendar program must ask again each time.

    Only ``If-None-Match`` gives a 304: the file also changes when a circle or an answer changes
    without a meeting's own change date moving, so ``If-Modified-Since`` alone is not trusted.
    """
    response.set_etag(etag)
    response.cache_control.private, response.cache_control.no_cache = True, True
    if changed is not None:
        response.last_modified = changed
    return response


@bp.route("/agenda-abonnement", methods=["GET", "POST"])
@require_permission("meeting.attend")
def subscription():
    """Manage the personal feed: make, renew or revoke the secret address; choose reminders."""
    s = db.session()
    feed_row = feeds.feed_of(s, current_user)
    form = FeedForm(reminders=feed_row.reminder_minutes)
    if form.validate_on_submit():
        try:
            feeds.set_reminders(s, current_user, form.reminders.data or [])
        except feeds.FeedError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            flash("De herinneringen zijn opgeslagen.", "success")
            return redirect(url_for("meetings.subscription"))
    return render_template("meetings/subscription.html", feed=feed_row, form=form, confirm=ConfirmForm(),
                           new_url=None)


@bp.route("/agenda-abonnement/<any(vernieuwen, intrekken):action>", methods=["POST"])
@require_permission("meeting.attend")
def subscription_action(action: str):
    """Renew (new secret address, the old one stops) or revoke the feed."""
    s = db.session()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "intrekken":
        try:
            feeds.revoke_token(s, current_user)
        except feeds.FeedError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            flash("Het agenda-abonnement is ingetrokken; het oude adres werkt niet meer.", "success")
        return redirect(url_for("meetings.subscription"))
    token = feeds.renew_token(s, current_user)
    feed_row = feeds.feed_of(s, current_user)
    form = FeedForm(formdata=None, reminders=feed_row.reminder_minutes)  # not the POST of this button
    return render_template("meetings/subscription.html", feed=feed_row, form=form, confirm=ConfirmForm(),
                           new_url=feeds.feed_url(token))


