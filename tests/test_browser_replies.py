"""Saved replies in a real Chromium: the picker inserts one filled in for the ticket, "/" and
a few letters offer the matching ones to the keyboard, Ctrl+Enter sends."""

from __future__ import annotations

import pytest
from browser_harness import Problems, admin_past_password_page, api_post
from test_browser_drafts import answers_saved, ticket_open

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def replies(app, live_server):
    """The admin past the password page, two saved replies and Alice's ticket #1."""
    from desk.extensions import db
    from message_models import SavedReply

    with app.app_context():
        admin_past_password_page(app)
        db.session.add(SavedReply(title="Reboot", body="Hi {first_name}, please reboot {ticket}."))
        db.session.add(SavedReply(title="VPN reset", body="Hi {first_name}, reset the VPN."))
        db.session.commit()
    message = {"chat_id": 1001, "message_id": 17, "user_id": 555, "first_name": "Alice"}
    api_post(live_server, "/api/support_message", message | {"text": "Laptop will not boot"})
    return live_server


@pytest.mark.parametrize("width", [1366, 390])
def test_a_tech_inserts_saved_replies_and_sends_with_ctrl_enter(app, replies, chromium, width):
    problems = Problems()
    context, page = ticket_open(chromium, replies, problems, width)
    page.select_option('[data-role="reply-picker"]', label="\u2068Reboot\u2069")
    assert page.input_value("#text") == "Hi Alice, please reboot #1."
    page.fill("#text", "")
    page.locator("#text").press_sequentially("/vp")
    options = page.locator("#reply-suggestions [role=option]")
    assert options.all_inner_texts() == ["VPN reset"]
    assert page.get_attribute("#text", "aria-expanded") == "true"
    page.keyboard.press("Enter")
    assert page.input_value("#text") == "Hi Alice, reset the VPN."
    assert page.locator("#reply-suggestions").is_hidden()
    page.locator("#text").press_sequentially(" Thanks!")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Answer queued")
    assert answers_saved(app) == ["Hi Alice, reset the VPN. Thanks!"]
    context.close()
    assert problems.seen == []
