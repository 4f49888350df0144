"""Error pages for the dashboard; API paths keep their JSON errors."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from desk.extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please log in", "Your session has ended. Log in again to continue."),
    403: ("Not allowed", "This page or action is for admins only."),
    404: ("Not found", "There is nothing here. The ticket, user or slot may not exist."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    500: ("Something went wrong", "The error has been logged. Try again in a moment."),
}


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def render_error(error: HTTPException, detail: str | None = None):
    code = error.code or 500
    if is_api_request():
        return jsonify({"error": error.description or error.name}), code
    title, message = MESSAGES.get(code, (error.name, error.description))
    return render_template("error.html", code=code, title=title, message=detail or message), code


def handle_csrf_error(error: CSRFError):
    """A form without a valid token: expired page, or a post forged by another site."""
    return render_error(
        error,
        "The form had expired or did not come from this dashboard. "
        "Go back, reload the page and try again.",
    )


def handle_server_error(error: InternalServerError):
    # The request's transaction may be half done; the error page must not reuse it.
    db.session.rollback()
    return render_error(error)


def init_app(app: Flask) -> None:
    for code in (400, 401, 403, 404, 405):
        app.register_error_handler(code, render_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(500, handle_server_error)
