"""Two-factor login in a real Chromium: set up from the page, then a login that asks for a code.

The dashboard's clock is a fake one here, so the test steps past the code used to confirm the
setup without waiting 30 seconds for the app's next code.
"""

from __future__ import annotations

import pyotp
import pytest
from browser_harness import WAIT_MS, Problems, log_in, shot
from conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app_config(app_config):
    # As in production: CSRF on, errors not propagated.
    return app_config | {"TESTING": False, "WTF_CSRF_ENABLED": True}


def test_an_admin_turns_on_two_factor_and_the_next_login_asks_for_a_code(
    app, admin, clock, live_server, chromium
):
    base = live_server
    problems = Problems()
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, base, ADMIN_PASSWORD)
    page.wait_for_url(base + "/")

    page.goto(base + "/account")
    page.click("a:has-text('Set up two-factor')")
    page.click("button:has-text('Set up two-factor')")
    qr = page.locator(".qr svg")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] <= 390  # the code fits a phone, quiet zone and all
    shot(page, "two-factor-setup-390")
    totp = pyotp.TOTP(page.text_content("[data-role=totp-secret]").replace(" ", ""))
    page.fill("#code", totp.at(clock()))
    page.click("button:has-text('Turn on two-factor')")
    codes = page.locator("[data-role=recovery-codes] code").all_text_contents()
    assert len(codes) == 10
    page.click("a:has-text('I have saved them')")
    assert "10 recovery codes left" in page.text_content("[data-role=two-factor]")

    page.click("button:has-text('Log out')")
    clock.advance(seconds=30)
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(base + "/login/code")
    page.fill("#code", "000000" if totp.at(clock()) != "000000" else "111111")
    page.click("button:has-text('Verify')")
    assert "That code is not right" in page.text_content("[role=alert]")
    page.fill("#code", totp.at(clock()))
    page.click("button:has-text('Verify')")
    page.wait_for_url(base + "/")
    # The wrong code's page came with a 422, which Chromium reports; nothing else may show.
    assert [seen for seen in problems.seen if "status of 422" not in seen] == []
