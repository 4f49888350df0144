"""Browser-test fixtures: the real dashboard on a free port and Debian's Chromium through
Playwright (never `playwright install`). Without Chromium a browser test is skipped, unless
REQUIRE_BROWSER=1 (CI), which makes that a failure."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import requests
from conftest import API_TOKEN
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
NEW_PASSWORD = "browser-pass-123"
WAIT_MS = 10_000


def require_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright is not installed (pip install -r requirements-dev.txt)"
    if missing and os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{missing}, and REQUIRE_BROWSER=1 says the browser tests must run")
    if missing:
        pytest.skip(f"{missing}; set REQUIRE_BROWSER=1 to turn this skip into a failure")


@pytest.fixture
def live_server(app):
    """The real dashboard on 127.0.0.1 and a free port, served from a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def chromium():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Problems:
    """Console errors and uncaught exceptions; a CSP violation shows up here too."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda m: self.seen.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.seen.append(str(error)))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def api_post(base: str, path: str, payload: dict) -> dict:
    response = requests.post(
        base + path, json=payload, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def api_upload(base: str, fields: dict[str, str], content: bytes, name: str) -> dict:
    """POST a file to the JSON API as the bot does: multipart, bearer token."""
    response = requests.post(
        base + "/api/attachments",
        data=fields,
        files={"file": (name, content, "application/octet-stream")},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def log_in(page, base: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", "admin")
    page.fill("#password", password)
    page.click("button:has-text('Log in')")


def fill_login(page, password: str, username: str = "admin") -> None:
    """Log in on the login page the browser is on now (keeping its `next`)."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Log in')")


def admin_past_password_page(app):
    """The bootstrap admin with NEW_PASSWORD, no longer held on the password page."""
    import sqlalchemy as sa

    from desk.extensions import db
    from models import User

    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    admin.set_password(NEW_PASSWORD)
    admin.must_change_password = False
    return admin
