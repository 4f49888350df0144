"""The screen tells the truth, in a real Chromium (issue #19, items 4 and 5): a deactivated
user's page says the bot does not page them, and no demo ticket shows a page after the
acknowledgement that would have stopped it, nor anything after now."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from browser_harness import WAIT_MS, Problems, log_in
from conftest import ADMIN_PASSWORD

from models import Ticket, User

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app_config(app_config):
    return app_config | {"TESTING": False, "WTF_CSRF_ENABLED": True}


def test_people_pages_and_demo_tickets_say_what_the_bot_does(
    app, admin, db, clock, live_server, chromium
):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    bob = db.session.scalar(sa.select(User).where(User.telegram_user_id.is_not(None)))
    db.session.execute(sa.update(User).where(User.id == bob.id).values(active=False))
    db.session.commit()
    problems = Problems()
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, live_server, ADMIN_PASSWORD)
    page.wait_for_url(live_server + "/")

    page.goto(f"{live_server}/users/{bob.id}")
    said = " ".join(page.text_content("main").split())
    assert "is deactivated: the bot does not page them" in said
    assert "The bot can page" not in said

    now = clock.current
    acknowledged = db.session.scalars(
        sa.select(Ticket).where(Ticket.acknowledged_at.is_not(None))
    ).all()
    assert acknowledged
    for ticket in acknowledged:
        page.goto(f"{live_server}/tickets/{ticket.id}")
        entries = page.locator("li.entry").all()
        seen = [
            (
                e.locator(".entry-what").text_content(),
                datetime.fromisoformat(e.locator("time").get_attribute("datetime")),
            )
            for e in entries
        ]
        assert all(at <= now for _, at in seen), ticket.number
        acks = [at for what, at in seen if what.startswith("acknowledged")]
        pages = [at for what, at in seen if what.startswith("paged ")]
        assert acks and pages, ticket.number
        assert max(pages) <= min(acks), ticket.number
    assert problems.seen == []
