"""Every error in one place: a page for the dashboard, JSON for `/api` paths.

Views raise (`abort(404)`, `ApiError`, `InvalidRequest`); nothing else formats an error.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from desk.extensions import db
from desk.validation import InvalidRequest

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please log in", "Your session has ended. Log in again to continue."),
    403: ("Not allowed", "This page or action is for admins only."),
    404: ("Not found", "There is nothing here. The ticket, user or slot may not exist."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    500: ("Something went wrong", "The error has been logged. Try again in a moment."),
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
    if is_api_request():
        return json_error(code, error.description or error.name)
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
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(InvalidRequest, handle_invalid)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(500, handle_server_error)
