"""The reports page in a real Chromium on a 390-pixel phone: charts drawn, nothing off-screen."""

from __future__ import annotations

import pytest
from browser_harness import WAIT_MS, Problems, log_in, shot
from conftest import ADMIN_PASSWORD

from desk import ticket_actions

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app_config(app_config):
    return app_config | {"TESTING": False, "WTF_CSRF_ENABLED": True}


def test_the_reports_fit_a_phone(app, admin, db, make_ticket, make_user, live_server, chromium):
    tess = make_user("tess", full_name="T" * 60)  # a long unbroken name in the per-tech table
    for n in range(12):
        ticket = make_ticket(text=f"Ticket {n}")
        if n % 2:
            ticket_actions.answer(ticket, "On it", tess)
            ticket_actions.resolve(ticket, tess)
    db.session.commit()
    problems = Problems()
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, live_server, ADMIN_PASSWORD)
    page.wait_for_url(live_server + "/")
    page.click("nav >> text=Reports")
    page.wait_for_selector("svg.chart")
    shot(page, "reports-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for chart in page.locator("svg.chart").all():
        box = chart.bounding_box()
        assert box["width"] > 300 and box["x"] + box["width"] <= 390
    page.select_option("#range", "7")
    page.click("button:has-text('Show')")
    page.wait_for_url("**/reports/?range=7*")
    assert "(7 days" in page.text_content("[data-role=period]")
    assert problems.seen == []
