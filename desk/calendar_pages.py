"""Calendar feeds and reminders: the account page's on-call part, and the feed URLs.

The feed routes need no login and no bearer token: a calendar app carries only the URL, so the
secret in it is the credential, and a wrong or retired one is a plain 404.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from desk import calendar_feed
from desk.extensions import db
from forms import REMINDER_CHOICES, EmptyForm, ReminderForm

bp = Blueprint("calendar", __name__)

SECRET_IN_PATH = re.compile(r"/calendar/[^/\s]+/")


class HideFeedSecrets(logging.Filter):
    """The request log line of a feed names its path, and the path holds the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "/calendar/" in text:
            record.msg, record.args = SECRET_IN_PATH.sub("/calendar/<secret>/", text), ()
        return True


@bp.record_once
def hide_secrets_in_request_logs(_state) -> None:
    request_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, HideFeedSecrets) for f in request_log.filters):
        request_log.addFilter(HideFeedSecrets())


@bp.app_context_processor
def reminder_choices() -> dict[str, object]:
    """The account page's reminder menu (its view lives in desk/auth.py)."""
    return {"reminder_choices": REMINDER_CHOICES}


@bp.post("/account/calendar")
@login_required
def create_feed():
    """Make (or remake) one's secret feed URL and show it, this once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    renewed = current_user.calendar_token_hash is not None
    secret = calendar_feed.issue_token(current_user)
    db.session.commit()
    response = Response(
        render_template(
            "auth/calendar_created.html",
            mine=url_for("calendar.mine", token=secret, _external=True),
            team=url_for("calendar.team", token=secret, _external=True),
            renewed=renewed,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the page holds the secret
    return response


@bp.post("/account/calendar/retire")
@login_required
def retire_feed():
    """Turn the feed URL off without making a new one."""
    if EmptyForm().validate_on_submit():
        calendar_feed.retire_token(current_user)
        db.session.commit()
        flash("Your calendar URL no longer works.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/reminders")
@login_required
def reminders():
    """Set how long before a shift the bot reminds one, or turn reminders off."""
    form = ReminderForm()
    if form.validate_on_submit():
        current_user.reminder_minutes = form.reminder_minutes()
        db.session.commit()
        minutes = current_user.reminder_minutes
        flash(
            "Shift reminders are off."
            if minutes is None
            else f"The bot reminds you {minutes} minutes before each shift.",
            "success",
        )
    else:
        flash("Choose one of the reminder times.", "error")
    return redirect(url_for("auth.account"))


def _feed(token: str, mine: bool) -> Response:
    user = calendar_feed.user_for_token(token)
    if user is None:
        abort(404)
    if mine:
        body = calendar_feed.render(user.id, f"On call: {user.display_name}")
    else:
        body = calendar_feed.render(None, "On call: the team")
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/calendar/<token>/mine.ics")
def mine(token: str):
    """The secret feed of one's own shifts."""
    return _feed(token, mine=True)


@bp.get("/calendar/<token>/team.ics")
def team(token: str):
    """The team's feed: everyone's shifts, reachable with any user's secret."""
    return _feed(token, mine=False)
