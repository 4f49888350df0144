"""The escalation alarm end to end: with the poll once a minute and a 2-second timeout, each
step is still taken when it falls due, because the dashboard tells the bot when that is."""

from __future__ import annotations

import pytest
from bot_harness import ANN, BOB, CID, eventually, running_bot

USER = 4242


@pytest.fixture
def dashboard_config():
    return {"ESCALATION_TIMEOUT": 2, "ACK_TIMEOUT": 2}


@pytest.fixture
def slow_poll_bot(request, tmp_path, bot_env, telegram):
    env = bot_env | {"ESCALATION_POLL_INTERVAL": "60"}
    yield from running_bot(request, tmp_path / "bot", env, telegram)


def test_each_step_is_taken_when_it_falls_due_not_at_the_next_poll(
    slow_poll_bot, telegram, live_dashboard, team
):
    telegram.send_message_update("@support vpn down", user_id=USER)
    telegram.wait_for_message(ANN, contains="New support ticket")
    # The next poll is a minute away: only the alarm the filing set pages Bob in time, and
    # only the one set after his step pages Cid.
    telegram.wait_for_message(BOB, contains="Escalated ticket (level 2)", timeout=8)
    telegram.wait_for_message(CID, contains="Escalated ticket (level 3)", timeout=8)


def test_an_acknowledgement_moves_the_alarm_to_the_reminder(
    slow_poll_bot, telegram, live_dashboard, team
):
    telegram.send_message_update("@support db slow", user_id=USER)
    page = telegram.wait_for_message(ANN, contains="New support ticket")
    telegram.press_button(page, "ack:1", user_id=ANN, first_name="Ann")
    eventually(telegram.callback_answers, what="the acknowledgement answered")
    # The alarm set for the escalation wakes to find nothing due, and sets itself for the
    # reminder the acknowledgement scheduled; nobody else was paged meanwhile.
    reminder = telegram.wait_for_message(ANN, contains="Reminder", timeout=8)
    assert "db slow" in reminder["text"]
    assert telegram.sent_messages(BOB) == []
