"""Logging in to the dashboard through its real login form (CSRF token included).

The dataset gives the bootstrap admin a known password and clears must_change_password, so
one POST of the form opens a session, in Flask's test client or over HTTP alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient

from bench.dataset import ADMIN_PASSWORD
from bench.report import require

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    require(match is not None, "the login page carries no CSRF token")
    assert match is not None
    return match.group(1)


def login_form(get: Callable[[], str], post: Callable[[dict[str, str]], int]) -> None:
    token = csrf_token(get())
    status = post({"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token})
    require(status == 302, f"logging in answered {status}, not a redirect")


def test_client_session(app: Flask) -> FlaskClient:
    """A test client logged in as the admin."""
    client = app.test_client()

    def post(data: dict[str, Any]) -> int:
        return client.post("/login", data=data).status_code

    login_form(lambda: client.get("/login").get_data(as_text=True), post)
    return client


def http_session(base_url: str) -> requests.Session:
    """A requests session logged in as the admin on a running dashboard."""
    session = requests.Session()
    session.trust_env = False  # loopback only; a proxy from the environment must not apply

    def post(data: dict[str, Any]) -> int:
        return session.post(
            f"{base_url}/login", data=data, allow_redirects=False, timeout=10
        ).status_code

    login_form(lambda: session.get(f"{base_url}/login", timeout=10).text, post)
    return session
