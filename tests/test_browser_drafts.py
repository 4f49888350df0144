"""Nothing typed is lost: an answer's draft survives an ended session and a logout in another
tab, in a real Chromium, and is dropped only once the dashboard confirmed the answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from browser_harness import (
    NEW_PASSWORD,
    WAIT_MS,
    Problems,
    admin_past_password_page,
    api_post,
    fill_login,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LONG_ANSWER = "Please hold the power button for ten seconds, then " * 12
NOT_SENT = "Your answer was not sent yet"


@pytest.fixture
def desk(app, live_server):
    """The admin past the password page and one ticket, filed through the API."""
    from desk.extensions import db

    with app.app_context():
        admin_past_password_page(app)
        db.session.commit()
    message = {"chat_id": 1001, "message_id": 17, "user_id": 555, "first_name": "Alice"}
    api_post(live_server, "/api/support_message", message | {"text": "Laptop will not boot"})
    return live_server


def answers_saved(app) -> list[str]:
    from desk.extensions import db
    from models import SupportResponse

    with app.app_context():
        return db.session.scalars(sa.select(SupportResponse.text)).all()


def refused_polls_only(problems: Problems) -> bool:
    """The live poll of a signed-out page is refused (401), which the page says; nothing else
    went wrong."""
    return [p for p in problems.seen if "status of 401" not in p] == []


def ticket_open(chromium, base: str, problems: Problems, width: int = 1366):
    """A tech's browser, signed in, with the ticket open."""
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, base, NEW_PASSWORD)
    page.wait_for_url(base + "/")
    page.goto(base + "/tickets/1")
    return context, page


def writing(chromium, base: str, problems: Problems):
    """A tech's browser with the ticket open and a long answer typed, not sent."""
    context, page = ticket_open(chromium, base, problems)
    page.fill("#text", LONG_ANSWER)
    return context, page


def send_after_logging_in_again(page, base: str, app) -> None:
    """The login leads back to the ticket; the draft is there, said to be unsent; sending it
    works once, and then the draft is gone for good."""
    page.wait_for_url(lambda url: url.startswith(f"{base}/login?next="))
    # A live poll the ticket page sent just before it left may be answered (401) after the login
    # page loaded; that answer can race the login page's CSRF cookie, and the login then asks
    # once more (a known glitch, see the closing note of issue #19). The draft stays either way.
    with page.expect_navigation():
        fill_login(page, NEW_PASSWORD)
    if "/login" in page.url:  # the glitch above: the login asked once more, as a user would see
        fill_login(page, NEW_PASSWORD)
    page.wait_for_url(lambda url: url.split("#")[0] == f"{base}/tickets/1")
    assert page.input_value("#text") == LONG_ANSWER
    assert NOT_SENT in page.inner_text('[data-role="draft-notice"]')
    assert answers_saved(app) == []
    page.click("button:has-text('Send answer')")
    page.wait_for_selector("text=Answer queued")
    assert answers_saved(app) == [LONG_ANSWER.strip()]
    page.reload()
    assert page.input_value("#text") == ""
    assert page.is_hidden('[data-role="draft-notice"]')


def test_a_draft_survives_a_logout_in_another_tab(app, desk, chromium):
    problems = Problems()
    context, page = writing(chromium, desk, problems)
    other_tab = context.new_page()
    other_tab.goto(desk + "/")
    other_tab.click("button:has-text('Log out')")
    other_tab.wait_for_url(desk + "/login")
    page.click("button:has-text('Send answer')")
    send_after_logging_in_again(page, desk, app)
    context.close()
    assert refused_polls_only(problems)


def test_a_draft_survives_an_expired_session(app, desk, chromium):
    problems = Problems()
    context, page = writing(chromium, desk, problems)
    context.clear_cookies()  # the session cookie expired, or the browser dropped it
    page.click("button:has-text('Send answer')")
    assert "nothing was saved" in page.inner_text(".flashes")
    send_after_logging_in_again(page, desk, app)
    context.close()
    assert refused_polls_only(problems)


def test_a_draft_survives_an_error_page(app, desk, chromium, monkeypatch):
    """The database refuses the answer: the error page says nothing was saved, and the ticket
    page, opened again, still has the draft."""
    from werkzeug.exceptions import ServiceUnavailable

    def refused(*args, **kwargs):
        raise ServiceUnavailable("The database refused a write: the disk is full.")

    monkeypatch.setattr("desk.ticket_actions.answer", refused)
    problems = Problems()
    context, page = writing(chromium, desk, problems)
    page.click("button:has-text('Send answer')")
    page.wait_for_selector("text=Nothing was saved")
    page.goto(desk + "/tickets/1")
    assert page.input_value("#text") == LONG_ANSWER
    assert NOT_SENT in page.inner_text('[data-role="draft-notice"]')
    context.close()
    # The browser reports the 503 itself; nothing else went wrong.
    assert [p for p in problems.seen if "503" not in p] == []


@pytest.mark.parametrize("width", [1366, 390])
def test_the_note_switch_says_what_the_button_will_do_and_the_note_stays_internal(
    app, desk, chromium, width
):
    from desk.extensions import db
    from models import TicketNote

    problems = Problems()
    context, page = ticket_open(chromium, desk, problems, width)
    button = page.locator('[data-role="answer-submit"]')
    assert button.inner_text() == "Send answer"
    page.check('[data-role="note-switch"]')
    assert button.inner_text() == "Save note"
    page.fill("#text", "Asked Bob: the disk is failing")
    button.click()
    page.wait_for_selector("text=Note saved for the team")
    note = page.locator(".entry-note")
    assert "for the team only" in note.inner_text()
    assert "Asked Bob: the disk is failing" in note.inner_text()
    box = note.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width  # nothing off a phone's screen
    assert page.input_value("#text") == ""  # the draft is gone once saved
    assert answers_saved(app) == []
    with app.app_context():
        assert db.session.scalars(sa.select(TicketNote.text)).all() == [
            "Asked Bob: the disk is failing"
        ]
    context.close()
    assert problems.seen == []
