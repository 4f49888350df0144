"""The live pages' cheap question, "has anything changed?": GET /live/mark answers the DESK
doorbell's mark (desk/doorbell.py), which every commit touching tickets, answers, notes,
follow-ups, history or pages moves. The pages' script (static/js/desk.js) asks it twice a
second and fetches its live.json only when the mark moved, or once a minute for what time
alone changes (an SLA running out, a handover).

So a new ticket shows within about half a second, and an idle page costs the database less
than the live.json it used to fetch every 5 seconds: the mark reads a file, and checks the
browser's login session against the database once every SESSION_CHECK per worker. A session
ended meanwhile still sees the mark move (nothing else) until that check.
"""

from __future__ import annotations

import time

from flask import Blueprint, current_app, g, jsonify, request, session

from desk import doorbell, sessions

bp = Blueprint("live", __name__, url_prefix="/live")

SESSION_CHECK = 15.0  # seconds a checked login session is trusted by this worker's mark


@bp.before_app_request
def note_mark() -> None:
    """The mark before a page reads the database: its script compares later marks with it,
    so a change committed while the page was being built still shows."""
    if request.blueprint not in ("api", "live") and request.endpoint != "static":
        g.live_mark = doorbell.mark(doorbell.DESK)


@bp.get("/mark")
def mark():
    if not checked_session(session.get("_user_id")):
        return jsonify({"error": "log in to see live changes"}), 401
    response = jsonify({"mark": doorbell.mark(doorbell.DESK)})
    response.headers["Cache-Control"] = "no-store"
    return response


def checked_session(cookie_id: object) -> bool:
    """Whether `cookie_id` (Flask-Login's session key) names a live session of an active
    user, from this worker's memory of the last SESSION_CHECK seconds or from the database."""
    if not isinstance(cookie_id, str) or not cookie_id:
        return False
    checked: dict[str, float] = current_app.extensions.setdefault("desk.live_sessions", {})
    now = time.monotonic()
    if checked.get(cookie_id, 0.0) > now:
        return True
    user = sessions.load(cookie_id)
    if user is None or not user.active or user.must_change_password:
        checked.pop(cookie_id, None)
        return False
    if len(checked) > 10_000:  # sessions come and go: forget the expired ones now and then
        for key in [k for k, until in checked.items() if until <= now]:
            del checked[key]
    checked[cookie_id] = now + SESSION_CHECK
    return True
