"""A second bot process stands by while the first polls, and takes over when it dies."""

from __future__ import annotations

import signal
import time

import pytest
from bot_harness import ROOT, BotProcess, eventually, one_line_error, run_python

USER = 4242
# The stand-in tells processes apart only by the token they call with, and the polling grant is
# the dashboard's, blind to tokens: a standby with a token of its own is a standby all the same.
STANDBY_TOKEN = "654321:STANDBY-token"
POLLING_CALLS = {"deleteWebhook", "getUpdates"}  # Updater.start_polling's bootstrap, then polls


def start_standby(bot_env, tmp_path, **env: str) -> BotProcess:
    workdir = tmp_path / "standby"
    workdir.mkdir()
    settings = bot_env | {"BOT_SPOOL_PATH": str(workdir / "s.sqlite3")} | env
    return BotProcess(workdir, settings).start()


def test_second_bot_stands_by_then_takes_over_when_the_first_dies(
    bot, telegram, live_dashboard, team, bot_env, tmp_path
):
    workdir = tmp_path / "standby"
    workdir.mkdir()
    standby = BotProcess(workdir, bot_env | {"BOT_SPOOL_PATH": str(workdir / "s.sqlite3")})
    standby.start()
    try:
        eventually(lambda: "standing by" in standby.log(), what="the second bot to stand by")
        assert "standing by" not in bot.log()

        telegram.send_message_update("@support first", user_id=USER)
        assert "#1" in telegram.wait_for_message(USER, contains="Ticket")["text"]

        bot.stop(kill=True)
        eventually(lambda: "taking over polling" in standby.log(), timeout=15, what="the takeover")
        telegram.send_message_update("@support second", user_id=USER)
        assert telegram.wait_for_message(USER, contains="#2", timeout=10)
        confirmations = [m for m in telegram.sent_messages(USER) if "filed" in m["text"]]
        assert len(confirmations) == 2  # each request answered once, by one of the two
    finally:
        standby.stop()


def test_a_second_bot_on_the_same_spool_refuses_to_start(bot, telegram, live_dashboard, team):
    """Started by mistake in the same working directory, it would share the first bot's spool
    and identity: both would poll and file every spooled request twice."""
    second = run_python(str(ROOT / "bot.py"), cwd=bot.workdir, env=bot.env, timeout=30)
    line = one_line_error(second)
    assert line.startswith("bot: configuration error: BOT_SPOOL_PATH: ")
    assert f"pid {bot.process.pid}" in line
    assert "own BOT_SPOOL_PATH" in line

    telegram.send_message_update("@support still there?", user_id=USER)
    assert "#1" in telegram.wait_for_message(USER, contains="Ticket")["text"]
    assert "standing by" not in bot.log()


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
def test_a_restarted_bot_keeps_polling_at_once(bot, telegram, live_dashboard, team, kill):
    """Its identity survives the restart, so it does not wait out its own old grant; a bot
    killed outright leaves no lock on its spool behind."""
    telegram.send_message_update("@support one", user_id=USER)
    telegram.wait_for_message(USER, contains="#1")
    bot.stop(kill=kill)
    bot.start()
    telegram.send_message_update("@support two", user_id=USER)
    assert telegram.wait_for_message(USER, contains="#2", timeout=5)
    assert "standing by" not in bot.log()


def test_a_standby_never_polls_telegram(bot, telegram, live_dashboard, bot_env, tmp_path):
    """Not even once at start: its getUpdates would take the poller's updates or knock the
    poller off with a 409 Conflict."""
    standby = start_standby(bot_env, tmp_path, BOT_TOKEN=STANDBY_TOKEN)
    try:
        eventually(lambda: "standing by" in standby.log(), what="the second bot to stand by")
        time.sleep(1)  # three more heartbeats, each one refused the grant
        standby_calls = [c.method for c in telegram.calls if c.token == STANDBY_TOKEN]
        assert "getMe" in standby_calls  # it did start, and talks to Telegram
        assert POLLING_CALLS.isdisjoint(standby_calls), standby_calls
    finally:
        standby.stop()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_ends_the_poller_and_the_standby_cleanly(
    bot, telegram, live_dashboard, bot_env, tmp_path, signum
):
    standby = start_standby(bot_env, tmp_path)
    eventually(lambda: "standing by" in standby.log(), what="the second bot to stand by")
    for process in (standby, bot):
        process.process.send_signal(signum)
        assert process.process.wait(5) == 0
        assert "Traceback" not in process.log()


def test_a_bot_that_cannot_reach_the_dashboard_at_start_polls_and_spools(
    telegram, live_dashboard, team, bot_env, tmp_path
):
    """Without an answer about the grant it polls all the same: alone, it must keep taking
    requests."""
    live_dashboard.stop()
    workdir = tmp_path / "cold"
    workdir.mkdir()
    cold = BotProcess(workdir, bot_env).start()
    try:
        telegram.wait_for("getUpdates", timeout=20)
        telegram.send_message_update("@support dashboard is down", user_id=USER)
        assert "saved" in telegram.wait_for_message(USER, contains="Received")["text"]
        live_dashboard.start()
        assert "#1" in telegram.wait_for_message(USER, contains="is now ticket", timeout=15)["text"]
    finally:
        cold.stop()


def test_a_409_conflict_makes_the_poller_check_its_grant_and_carry_on(
    bot, telegram, live_dashboard, team
):
    telegram.conflict_polling()
    eventually(lambda: "409 Conflict" in bot.log(), what="the bot to notice the conflict")
    telegram.conflict_polling(False)
    telegram.send_message_update("@support after the conflict", user_id=USER)
    assert "#1" in telegram.wait_for_message(USER, contains="Ticket", timeout=10)["text"]
    assert "standing by" not in bot.log()
