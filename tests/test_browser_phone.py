"""Every page fits a 390-pixel phone, even with 60-character unbroken names, usernames, URLs
and ticket texts, and every button stays on the screen."""

from __future__ import annotations

from datetime import time

import pytest
from browser_harness import (
    AS_IN_PRODUCTION,
    NEW_PASSWORD,
    WAIT_MS,
    Problems,
    admin_past_password_page,
    api_post,
    log_in,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LONG = "W" * 60  # wide letters and no place to break
LONG_URL = "https://intranet.example.com/" + "reports/" * 8 + "x" * 30
PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/tickets/", "/tickets/1", "/schedule/", "/users/", "/users/2", "/audit/"]


@pytest.fixture
def app_config(app_config):
    return app_config | AS_IN_PRODUCTION


@pytest.fixture
def long_names(app, live_server):
    """A tech and a sender whose names, usernames and texts never break by themselves."""
    from desk.extensions import db
    from models import ScheduleBackup, ScheduleSlot, User

    with app.app_context():
        admin = admin_past_password_page(app)
        tech = User(username="w" * 60, full_name=LONG, telegram_user_id=9001)
        tech.telegram_username = "t" * 32
        tech.set_password("tech-first-pass")
        db.session.add(tech)
        db.session.flush()
        for weekday in range(7):
            slot = ScheduleSlot(
                weekday=weekday, start_time=time(0), end_time=time(0), primary_id=tech.id
            )
            slot.backups = [ScheduleBackup(user_id=admin.id, position=0)]
            db.session.add(slot)
        db.session.commit()
    message = {
        "chat_id": 1001,
        "message_id": 17,
        "user_id": 555,
        "username": "u" * 32,
        "first_name": LONG,
        "last_name": LONG,
        "chat_title": LONG,
        "text": f"{LONG} see {LONG_URL}",
    }
    api_post(live_server, "/api/support_message", message)
    return live_server


# Elements whose right edge is past the viewport: what a phone user could not reach.
OFF_SCREEN = """() => Array.from(document.querySelectorAll("a, button, input, select, textarea"))
  .filter((e) => {
    const box = e.getBoundingClientRect();
    const style = getComputedStyle(e);
    if (!box.width || style.visibility === "hidden") return false;
    // inside a scroller the user can swipe (the week grid) is reachable
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (p.scrollWidth > p.clientWidth && getComputedStyle(p).overflowX === "auto") return false;
    }
    return box.right > window.innerWidth + 1 || box.left < -1;
  })
  .map((e) => `${e.tagName} ${(e.textContent || e.name || "").trim().slice(0, 30)}`)"""


def test_every_page_fits_a_phone_with_long_unbroken_names(long_names, chromium):
    base = long_names
    problems = Problems()
    phone = chromium.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(WAIT_MS)
    problems.watch(phone)
    log_in(phone, base, NEW_PASSWORD)
    phone.wait_for_url(base + "/")
    too_wide, unreachable = {}, {}
    for path in PAGES:
        phone.goto(base + path)
        shot(phone, "phone-long" + path.replace("/", "-").rstrip("-"))
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
        if off := phone.evaluate(OFF_SCREEN):
            unreachable[path] = off
    assert (too_wide, unreachable) == ({}, {})
    assert problems.seen == []
