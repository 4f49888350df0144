"""The settings page: run-time escalation settings with range checks, kept in SystemConfig."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk import runtime_settings
from models import SystemConfig

# What the page submits untouched: every number field at its default, a checkbox that is on
# by default ticked (one left off is simply absent, as a browser sends it).
DEFAULTS = {
    key: str(setting.default)
    for key, setting in runtime_settings.SETTINGS.items()
    if not setting.switch
} | {
    key: "y"
    for key, setting in runtime_settings.SETTINGS.items()
    if setting.switch and setting.default
}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_settings_page_shows_the_current_values_and_limits(app, admin_client):
    app.config["ESCALATION_TIMEOUT"] = 600  # from the environment
    page = text_of(admin_client.get("/settings/"))
    # Minutes on the page, seconds in the environment and the store.
    assert re.search(r'id="escalation_timeout"[^>]*value="10"', page)
    assert re.search(r'id="ack_timeout"[^>]*value="30"', page)
    assert "Escalation timeout (minutes)" in page
    assert "Allowed: 1–1440." in page
    assert "How long a level has to react before the next one is paged." in page


def test_saving_a_setting_stores_it_for_the_escalation_logic(admin_client, admin, db):
    response = admin_client.post("/settings/", data=DEFAULTS | {"escalation_timeout": "5"})
    assert response.location == "/settings/"
    page = text_of(admin_client.get("/settings/"))
    assert "Saved Escalation timeout (minutes). It applies from the next escalation step." in page
    assert runtime_settings.get_int("escalation_timeout") == 300
    row = db.session.get(SystemConfig, "escalation_timeout")
    assert (row.value, row.updated_by_id) == ("300", admin.id)
    # Untouched settings are not pinned: they keep following the environment's default.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SystemConfig)) == 1


def test_saving_unchanged_settings_stores_nothing(admin_client, db):
    response = admin_client.post("/settings/", data=DEFAULTS)
    assert "Nothing changed." in text_of(admin_client.get(response.location))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SystemConfig)) == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("escalation_timeout", "0", "Must be between 1 and 1440."),
        ("escalation_timeout", "1441", "Must be between 1 and 1440."),
        ("ack_timeout", "ten", "Not a valid integer value."),
        ("escalation_repeats", "11", "Must be between 0 and 10."),
        ("escalation_repeats", "", "Give a whole number."),
    ],
)
def test_an_out_of_range_setting_is_refused_next_to_the_field(
    admin_client, db, key, value, message
):
    response = admin_client.post("/settings/", data=DEFAULTS | {key: value})
    assert response.status_code == 422
    assert re.search(rf'id="{key}-errors">\s*<li>{re.escape(message)}', text_of(response))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SystemConfig)) == 0


def test_zero_repeats_is_a_valid_choice(admin_client):
    admin_client.post("/settings/", data=DEFAULTS | {"escalation_repeats": "0"})
    assert runtime_settings.get_int("escalation_repeats") == 0


def test_a_shorter_timeout_applies_to_tickets_already_escalating(
    admin_client, api, clock, on_call_team, support_payload
):
    api.post("/api/support_message", support_payload())
    api.post("/api/escalate/1")  # Ann paged; Bob due in 15 minutes
    admin_client.post("/settings/", data=DEFAULTS | {"escalation_timeout": "2"})
    clock.advance(minutes=2)
    assert [t["id"] for t in api.get("/api/escalations/due").get_json()["tickets"]] == [1]


def test_owner_silence_setting_makes_a_taken_ticket_page_the_chain_again(admin_client, db):
    from desk import escalation_steps

    admin_client.post("/settings/", data=DEFAULTS | {"owner_silence": "45"})
    with admin_client.application.app_context():
        assert escalation_steps.policy().owner_silence == timedelta(minutes=45)


def test_seconds_that_are_no_whole_minute_are_said_and_kept_until_changed(app, admin_client, db):
    app.config["ESCALATION_TIMEOUT"] = 90  # a test set-up's environment, in seconds
    page = text_of(admin_client.get("/settings/"))
    assert re.search(r'id="escalation_timeout"[^>]*value="2"', page)
    assert "Now 90 seconds (from the environment)" in page
    # Saving the page untouched keeps the 90 seconds instead of pinning 2 minutes.
    untouched = DEFAULTS | {"escalation_timeout": "2"}
    assert "Nothing changed." in text_of(
        admin_client.get(admin_client.post("/settings/", data=untouched).location)
    )
    assert runtime_settings.get_int("escalation_timeout") == 90
    admin_client.post("/settings/", data=DEFAULTS | {"escalation_timeout": "3"})
    assert runtime_settings.get_int("escalation_timeout") == 180
