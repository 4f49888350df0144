"""Every error in one place: a page for the dashboard, JSON for `/api` paths.

Views raise (`abort(404)`, `ApiError`, `InvalidRequest`); nothing else formats an error.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, ServiceUnavailable

from desk.database import WriteRefusal, driver_error_name, write_refusal
from desk.extensions import db
from desk.validation import InvalidRequest

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please log in", "Your session has ended. Log in again to continue."),
    403: ("Not allowed", "This page or action is for admins only."),
    404: ("Not found", "There is nothing here. The ticket, user or slot may not exist."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    500: ("Something went wrong", "The error has been logged. Try again in a moment."),
    503: ("Nothing was saved", "The dashboard cannot write to its database right now."),
}

# The cause and what an administrator must do; the page's title (or the API's 503) says that
# nothing was saved.
REFUSED_WRITES = {
    WriteRefusal.READ_ONLY: (
        "The database refused a write: it is read-only (a read-only file, disk or server). "
        "An administrator must make it writable again; reading still works."
    ),
    WriteRefusal.DISK_FULL: (
        "The database refused a write: the disk is full. "
        "An administrator must free space on the database's disk."
    ),
}


class ApiError(Exception):
    """A refusal of the JSON API: its status, a message and, for bad input, the fields."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def wants_json() -> bool:
    """The API and the pages' live data (polled by scripts): JSON errors, and no page that
    would mint a session and a CSRF token as a side effect."""
    return is_api_request() or request.path.endswith(".json")


def json_error(status: int, message: str, fields: dict[str, str] | None = None):
    body: dict[str, Any] = {"error": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def handle_api_error(error: ApiError):
    return json_error(error.status, error.message, error.fields)


def handle_invalid(error: InvalidRequest):
    """Bad input names the fields: JSON for the API, a 400 page elsewhere."""
    if is_api_request():
        return json_error(400, error.message, error.fields)
    return render_error(BadRequest(error.message))


def render_error(error: HTTPException, detail: str | None = None):
    """JSON for API paths (including 404/405 raised by routing), the page elsewhere."""
    code = error.code or 500
    if wants_json():
        return json_error(code, error.description or error.name)
    title, message = MESSAGES.get(code, (error.name, error.description))
    return render_template("error.html", code=code, title=title, message=detail or message), code


def handle_csrf_error(error: CSRFError):
    """A form without a valid token: a page from an ended session, or a post forged by another
    site. A form of ours goes back to its page (through the login when the session ended),
    where an answer being written is restored from the browser; nothing was saved."""
    page = same_site_referrer()
    if page is None or is_api_request():
        return render_error(
            error,
            "The form had expired or did not come from this dashboard. "
            "Go back, reload the page and try again.",
        )
    if not current_user.is_authenticated:
        flash("Your session had ended, so nothing was saved. Log in to continue.", "warning")
        if urlsplit(page).path == url_for("auth.login"):
            # The login form itself (its token raced a poll): back to it, keeping its ?next=
            # instead of nesting it into a login whose next is the login.
            return redirect(page)
        return redirect(url_for("auth.login", next=page))
    flash("The page had expired, so nothing was saved. Check it and try again.", "warning")
    return redirect(page)


def same_site_referrer() -> str | None:
    """The path of the page that sent this request, when it is a page of this dashboard."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme not in {"http", "https"} or referrer.netloc != request.host:
        return None
    path = referrer.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{referrer.query}" if referrer.query else "")


def handle_server_error(error: InternalServerError):
    # The request's transaction may be half done; the error page must not reuse it.
    db.session.rollback()
    return render_error(error)


def handle_database_error(error: DBAPIError):
    """A write the database refused (read-only, disk full) is a 503 that says so.

    Any other database error is a bug or an outage: it goes on, unchanged, to Flask's logging
    and the 500 page. Neither answer carries the statement or its parameters.
    """
    refusal = write_refusal(error)
    if refusal is None:
        raise error
    db.session.rollback()
    log.error(
        "%s %s: the database refused a write (%s): %s",
        request.method,
        request.path,
        refusal.value,
        driver_error_name(error),
    )
    return render_error(ServiceUnavailable(REFUSED_WRITES[refusal]), REFUSED_WRITES[refusal])


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(InvalidRequest, handle_invalid)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(500, handle_server_error)
    app.register_error_handler(DBAPIError, handle_database_error)
