"""What every dashboard page shares: time display, labels, user text, layout, security headers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, request
from markupsafe import Markup

from desk import clock
from forms import PRIORITY_LABELS, STATUS_LABELS, WEEKDAYS
from models import Priority, Status
from user_text import isolate, visible

# The live pages fetch their data once a minute, and whenever the mark they ask twice a second
# moves (desk/live_marks.py).
DEFAULT_POLL_MS = 60_000
DEFAULT_MARK_MS = 500

# Every script and style comes from static/, so the browser may refuse anything else; user text
# that slipped through escaping still could not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def localtime(value: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
    """An instant as wall-clock time of the configured TIMEZONE, the one the team lives in."""
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime(fmt)


def ago(value: datetime | None) -> str:
    """A short relative age ("just now", "5 min ago", "3 h ago", "2 d ago")."""
    if value is None:
        return ""
    seconds = max((clock.now() - value) / timedelta(seconds=1), 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


DURATION_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration(span: timedelta) -> str:
    """A span in at most its two largest units, rounded down: "40 s", "2 min 40 s", "15 min"."""
    left = max(int(span / timedelta(seconds=1)), 0)
    parts: list[str] = []
    for unit, size in DURATION_UNITS:
        amount, left = divmod(left, size)
        if amount and len(parts) < 2:
            parts.append(f"{amount} {unit}")
        elif parts:
            break  # "1 h 5 s" would hide the minutes in between; "1 h" does not pretend
    return " ".join(parts) or "0 s"


def status_label(value: Status | str) -> str:
    return STATUS_LABELS[Status(value)]


def priority_label(value: Priority | str) -> str:
    return PRIORITY_LABELS[Priority(value)]


def weekday_name(value: int) -> str:
    return WEEKDAYS[value]


def user_text(value: str | None) -> Markup:
    """What a user wrote, for a page: escaped, controls shown, in a <bdi> (its own direction).

    Every ticket text, follow-up, answer and name a template shows goes through this filter;
    `static/js/desk.js` (`desk.userText`) builds the same element for the live scripts.
    """
    if not value:
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(visible(str(value)))


def isolated(value: str | None) -> str:
    """What a user wrote, where no markup can go (a page's <title>): between FSI and PDI."""
    return isolate(str(value or ""))


def layout_context() -> dict[str, object]:
    return {
        "timezone_name": current_app.config["TIMEZONE"],
        "poll_ms": int(current_app.config.get("LIVE_POLL_MS", DEFAULT_POLL_MS)),
        "mark_ms": int(current_app.config.get("LIVE_MARK_MS", DEFAULT_MARK_MS)),
        "live_mark": g.get("live_mark", -1),
    }


def security_headers(response: Response) -> Response:
    if request.path.startswith("/api"):
        return response
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages show tickets; a shared computer's back button must not bring them back.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(ago)
    app.add_template_filter(duration)
    app.add_template_filter(status_label)
    app.add_template_filter(priority_label)
    app.add_template_filter(weekday_name)
    app.add_template_filter(user_text)
    app.add_template_filter(isolated)
    from desk import reach  # it uses this module's formatting

    app.add_template_filter(reach.as_person)
    app.context_processor(layout_context)
    app.after_request(security_headers)
