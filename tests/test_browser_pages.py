"""Every page fits a 390-pixel phone, even with 60-character unbroken names, usernames, URLs
and ticket texts, and every button stays on the screen; and axe-core (vendored in
tests/vendor/axe-core) finds no serious or critical WCAG 2.2 AA violation on any page, at
1366 px and at 390 px."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from browser_harness import (
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
DESKTOP = {"width": 1366, "height": 900}
PAGES = [
    "/",
    "/tickets/",
    "/tickets/1",
    "/schedule/",
    "/schedule/final",
    "/reports/",
    "/users/",
    "/users/2",
    "/audit/",
]
# Every page a signed-in admin reaches, and the error page.
ALL_PAGES = [
    *PAGES,
    "/tickets/?status=open",
    "/schedule/new",
    "/schedule/1/edit",
    "/users/new",
    "/account",
    "/account/password",
    "/account/two-factor/",
    "/schedule/rotations/new",
    "/schedule/overrides/new",
    "/schedule/hours/",
    "/settings/",
    "/tickets/999",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target).join(", ")}`);
}"""


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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "390px"])
def test_axe_finds_no_serious_violation_on_any_page(long_names, chromium, viewport):
    base = long_names
    # An init script, not a <script> tag: the pages' Content-Security-Policy stays as it is.
    context = chromium.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(base + "/login")
    found = {"/login": page.evaluate(AXE_RUN)}
    log_in(page, base, NEW_PASSWORD)
    page.wait_for_url(base + "/")
    for path in ALL_PAGES:
        page.goto(base + path)
        found[path] = page.evaluate(AXE_RUN)
    context.close()
    assert {path: v for path, v in found.items() if v} == {}


def test_keyboard_skips_to_the_content_and_scrolls_the_phone_week_grid(long_names, chromium):
    base = long_names
    phone = chromium.new_page(viewport=PHONE, is_mobile=True)
    phone.set_default_timeout(WAIT_MS)
    log_in(phone, base, NEW_PASSWORD)
    phone.wait_for_url(base + "/")
    phone.goto(base + "/schedule/")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Skip to the content"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
    for _ in range(12):  # through the page's controls to the grid
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.classList.contains('grid-wrap')"):
            break
    grid = phone.query_selector(".grid-wrap")
    assert phone.evaluate("document.activeElement.classList.contains('grid-wrap')")
    assert grid.evaluate("(e) => e.scrollWidth > e.clientWidth")  # wider than the phone
    phone.keyboard.press("ArrowRight")
    phone.wait_for_function("() => document.querySelector('.grid-wrap').scrollLeft > 0")
