"""A second bot process stands by while the first polls, and takes over when it dies."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bot_harness import ROOT, BotProcess, eventually

USER = 4242


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
    second = subprocess.run(
        [sys.executable, str(ROOT / "bot.py")],
        cwd=bot.workdir,
        env=bot.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("bot: configuration error: BOT_SPOOL_PATH: ")
    assert f"pid {bot.process.pid}" in lines[0]
    assert "own BOT_SPOOL_PATH" in lines[0]

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
