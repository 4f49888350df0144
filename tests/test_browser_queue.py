"""The ticket list refreshes itself in a real Chromium: a ticket filed through the API appears
without a reload, on a laptop and on a phone, and the page never scrolls sideways."""

from __future__ import annotations

import pytest
from browser_harness import (
    NEW_PASSWORD,
    WAIT_MS,
    Problems,
    admin_past_password_page,
    api_post,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def message(number: int, text: str) -> dict:
    """A `@support` request from its own user (one user's next message joins their ticket)."""
    return {
        "chat_id": 1000 + number,
        "message_id": number,
        "user_id": 500 + number,
        "first_name": "Alice",
        "username": f"alice{number}",
        "text": text,
    }


@pytest.fixture
def desk(app, live_server):
    """The admin past the password page and one old ticket, filed through the API."""
    from desk.extensions import db

    with app.app_context():
        admin_past_password_page(app)
        db.session.commit()
    api_post(live_server, "/api/support_message", message(1, "Old one"))
    return live_server


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_a_new_ticket_appears_in_the_list_without_a_reload(desk, chromium, width, height):
    base = desk
    problems = Problems()
    phone = width < 700
    context = chromium.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, base, NEW_PASSWORD)
    page.wait_for_url(base + "/")
    page.goto(base + "/tickets/")
    page.wait_for_selector('[data-role="rows"] [data-ticket="1"]')
    # The alerts are offered, off by default.
    assert page.is_visible('[data-alert="sound"]')
    assert not page.is_checked('[data-alert="sound"]')
    page.evaluate("window.__sameDocument = true")  # gone if the page reloaded

    text = "Outlook keeps asking for my password"
    api_post(base, "/api/support_message", message(2, text))
    row = page.wait_for_selector('[data-role="rows"] [data-ticket="2"]')
    assert text in row.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    page.wait_for_function(
        """() => document.querySelector('[data-count="all"]').textContent === "2" """
    )
    assert page.inner_text('[data-role="live-state"]') == "Live"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll

    # A search keeps refreshing with its own query string.
    page.fill("#q", "password outlook")
    page.click("button:has-text('Filter')")
    page.wait_for_url(lambda url: "q=password" in url)
    api_post(base, "/api/support_message", message(3, "Mail bounces"))
    api_post(base, "/api/support_message", message(4, "Outlook password again"))
    page.wait_for_selector('[data-role="rows"] [data-ticket="4"]')
    assert page.query_selector('[data-role="rows"] [data-ticket="3"]') is None
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The sound, once chosen, is remembered.
    page.check('[data-alert="sound"]')
    page.reload()
    page.wait_for_selector('[data-role="rows"] [data-ticket="4"]')
    assert page.is_checked('[data-alert="sound"]')
    assert problems.seen == []
    context.close()


def test_a_refused_poll_says_so_and_breaks_nothing(desk, chromium):
    base = desk
    problems = Problems()
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, base, NEW_PASSWORD)
    page.wait_for_url(base + "/")
    page.goto(base + "/tickets/")
    page.wait_for_selector('[data-role="live-state"]:has-text("Live")')
    context.clear_cookies()  # the session ended elsewhere
    page.wait_for_selector('[data-role="live-state"]:has-text("Logged out")')
    assert page.is_visible('[data-role="rows"] [data-ticket="1"]')  # the list stays
    assert [p for p in problems.seen if "status of 401" not in p] == []
    context.close()


def test_a_keyboard_user_keeps_their_place_when_the_rows_are_rebuilt(desk, chromium):
    base = desk
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    log_in(page, base, NEW_PASSWORD)
    page.wait_for_url(base + "/")
    page.goto(base + "/tickets/")
    page.wait_for_selector('[data-role="rows"] [data-ticket="1"]')
    page.focus('[data-role="rows"] [data-ticket="1"] .col-text a')
    api_post(base, "/api/support_message", message(2, "A new one"))
    page.wait_for_selector('[data-role="rows"] [data-ticket="2"]')  # the rows were rebuilt
    assert page.evaluate(
        """() => {
            const a = document.activeElement;
            return [a.closest("[data-ticket]")?.dataset.ticket, a.closest("td")?.className];
        }"""
    ) == ["1", "col-text"]
    context.close()
