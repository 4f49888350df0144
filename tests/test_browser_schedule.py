"""The schedule pages in a real Chromium: an admin makes a rotation, names it in a slot, adds
an override and finds both on the week grid; every schedule page fits a 390-pixel phone."""

from __future__ import annotations

import browser_harness
import pytest
from browser_harness import WAIT_MS, Problems, shot
from conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app_config(app_config):
    # As in production: CSRF on, errors not propagated.
    return app_config | {"TESTING": False, "WTF_CSRF_ENABLED": True}


PHONE_PAGES = [
    "/schedule/",
    "/schedule/final",
    "/schedule/rotations/",
    "/schedule/rotations/new",
    "/schedule/overrides/",
    "/schedule/overrides/new",
    "/schedule/hours/",
]


def log_in(page, base: str) -> None:
    browser_harness.log_in(page, base, ADMIN_PASSWORD)
    page.wait_for_url(base + "/")


def test_an_admin_puts_a_rotation_and_an_override_on_the_grid(
    app, admin, make_user, clock, live_server, chromium
):
    make_user("ann", full_name="Ann Archer")
    make_user("bob", full_name="Bob Baker")
    base = live_server
    problems = Problems()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, base)

    page.goto(base + "/schedule/rotations/new")
    page.fill("#name", "Day desk")
    page.fill("#shift_count", "1")
    page.select_option("#shift_unit", "days")
    page.select_option("#handoff_weekday", "2")
    page.fill("#handoff_time", "08:00")
    page.fill("#start_date", "2026-11-01")
    page.select_option("#member_1", label="Ann Archer")
    page.select_option("#member_2", label="Bob Baker")
    page.click("button:has-text('Add rotation')")
    page.wait_for_selector("text=Added the rotation")
    # Wed 25 Nov 2026 09:00 (the fake clock): daily turns from Wed 4 Nov, Ann's on even days.
    row = page.inner_text("#rotation-1")
    assert "now: Bob Baker's turn, next handoff at Thu 26 Nov 08:00 to Ann Archer" in row
    shot(page, "schedule-rotations")

    page.goto(base + "/schedule/new")
    page.select_option("#weekday", "2")
    page.fill("#start", "08:00")
    page.fill("#end", "16:00")
    page.select_option("#primary", label="Rotation: Day desk")
    page.click("button:has-text('Save slot')")
    page.wait_for_selector("text=Saved the Wednesday 08:00–16:00 slot.")

    page.goto(base + "/schedule/overrides/new")
    page.select_option("#person", label="Ann Archer")
    page.select_option("#kind", "primary")
    page.fill("#starts", "2026-11-25T12:00")
    page.fill("#ends", "2026-11-25T13:30")
    page.click("button:has-text('Save override')")
    page.wait_for_selector("text=Added the override")

    page.goto(base + "/schedule/")
    cells = [c.inner_text() for c in page.query_selector_all("td.slot-cell")]
    assert any("Rotation: Day desk" in c for c in cells)
    overrides = [o.inner_text() for o in page.query_selector_all(".grid-override")]
    assert overrides == ["12:00–13:30 Ann Archer is primary"]
    shot(page, "schedule-grid-rotation-override")

    page.goto(base + "/schedule/final")
    main = page.inner_text("main")
    assert "12:00–Wed 13:30 Ann Archer (primary)" in main
    assert "Gap" in main

    phone = chromium.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(WAIT_MS)
    problems.watch(phone)
    log_in(phone, base)
    for path in PHONE_PAGES:
        phone.goto(base + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    shot(phone, "phone-schedule-final")
    assert problems.seen == []
