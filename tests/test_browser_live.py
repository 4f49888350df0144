"""Live pages wake on the desk's mark, not on their once-a-minute refresh: in a real Chromium
a ticket filed through the API shows on the open overview and ticket list, and a user's
follow-up on the open ticket page, within two seconds, while an idle page fetches no data."""

from __future__ import annotations

import pytest
from browser_harness import NEW_PASSWORD, WAIT_MS, Problems, admin_past_password_page, api_post
from browser_harness import log_in as browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SHOWN_WITHIN_MS = 2_000


@pytest.fixture
def app_config(app_config):
    # A minute between the pages' own refreshes: only the mark can explain a quick update.
    return app_config | {"LIVE_POLL_MS": 60_000}


def message(number: int, text: str, user: int | None = None) -> dict:
    user = number if user is None else user
    return {
        "chat_id": 1000 + user,
        "message_id": number,
        "user_id": 500 + user,
        "first_name": "Alice",
        "text": text,
    }


@pytest.fixture
def page(app, live_server, chromium):
    from desk.extensions import db

    with app.app_context():
        admin_past_password_page(app)
        db.session.commit()
    api_post(live_server, "/api/support_message", message(1, "Old one"))
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems = Problems()
    problems.watch(page)
    browser_log_in(page, live_server, NEW_PASSWORD)
    page.wait_for_url(live_server + "/")
    yield page
    assert problems.seen == []
    context.close()


def data_fetches(page) -> list[str]:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "live.json" in r.url else None)
    return fetched


def test_a_new_ticket_shows_on_the_overview_and_the_list_at_once(page, live_server):
    for path, rows in (
        ("/", "#overview [data-ticket"),
        ("/tickets/", '[data-role="rows"] [data-ticket'),
    ):
        page.goto(live_server + path)
        page.wait_for_selector('[data-role="live-state"]:has-text("Live")')
        fetched = data_fetches(page)
        page.wait_for_timeout(1_500)  # three marks asked, nothing changed
        assert fetched == []
        number = 2 if path == "/" else 3
        api_post(live_server, "/api/support_message", message(number, f"Printer {number}"))
        page.wait_for_selector(f'{rows}="{number}"]', timeout=SHOWN_WITHIN_MS)


def test_a_follow_up_shows_on_the_open_ticket_page_at_once(page, live_server):
    page.goto(live_server + "/tickets/1")
    page.wait_for_selector('[data-role="live-state"]:has-text("Live")')
    # The user's reply to the bot about ticket #1 (the bot names the ticket it replies to).
    reply = message(2, "It is on fire now", user=1) | {
        "reply_to_message_id": 99,
        "reply_to_ticket": 1,
    }
    api_post(live_server, "/api/support_message", reply)
    page.wait_for_selector("text=It is on fire now", timeout=SHOWN_WITHIN_MS)
