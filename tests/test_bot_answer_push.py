"""Answers pushed, not polled, end to end: with a minute between the bot's delivery polls, a
tech's answer still reaches the user at once, because the bot's long poll on the dashboard
is answered the moment the answer is written; and that long poll never holds up a stop."""

from __future__ import annotations

import signal
import time

import pytest
from bot_harness import eventually, running_bot

USER = 4242


@pytest.fixture
def long_polls(live_dashboard) -> list[str]:
    """The query strings of the long polls the dashboard has been asked, as they arrive."""
    seen: list[str] = []
    app = live_dashboard.app
    inner = app.wsgi_app

    def recording(environ, start_response):
        if "wait=" in environ.get("QUERY_STRING", ""):
            seen.append(environ["QUERY_STRING"])
        return inner(environ, start_response)

    app.wsgi_app = recording
    yield seen
    app.wsgi_app = inner


@pytest.fixture
def slow_poll_bot(request, tmp_path, bot_env, telegram, long_polls):
    env = bot_env | {"DELIVERY_POLL_INTERVAL": "60"}
    yield from running_bot(request, tmp_path / "bot", env, telegram)


def answer(live_dashboard, number: int, text: str) -> None:
    from desk import ticket_actions
    from models import Ticket, User

    def write(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.answer(db.session.get(Ticket, number), text, tech)
        db.session.commit()

    live_dashboard.query(write)


def test_an_answer_reaches_the_user_at_once_with_a_minute_between_polls(
    slow_poll_bot, telegram, live_dashboard, team
):
    telegram.send_message_update("@support printer", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    for attempt in ("Is it plugged in?", "Try the other tray"):
        time.sleep(0.5)  # the bot's poll waits at the dashboard again
        answer(live_dashboard, 1, attempt)
        telegram.wait_for_message(USER, contains=attempt, timeout=3)
    texts = [m["text"] for m in telegram.sent_messages(USER)]
    assert sum("plugged" in t for t in texts) == 1 and sum("tray" in t for t in texts) == 1


def test_the_bot_stops_at_once_while_its_long_poll_waits(
    slow_poll_bot, long_polls, telegram, live_dashboard, team
):
    eventually(lambda: long_polls, what="the bot's long poll to reach the dashboard")
    time.sleep(0.5)  # well inside its 20-second wait
    started = time.monotonic()
    slow_poll_bot.process.send_signal(signal.SIGTERM)
    slow_poll_bot.process.wait(10)
    assert time.monotonic() - started < 5
    assert slow_poll_bot.process.returncode == 0
    assert "Traceback" not in slow_poll_bot.log()


def test_a_dashboard_that_answers_at_once_is_not_asked_in_a_busy_loop():
    """An empty answer that comes back at once (a bell rung for another bot's report, or a
    dashboard that does not hold polls) is followed by a pause, not by the next poll."""
    import asyncio

    from botkit.answer_watch import AnswerWatch

    asked = []

    class AnswersAtOnce:
        async def get(self, path, wait):
            asked.append(path)
            return {"responses": []}

        async def aclose(self):
            pass

    async def watch_for(seconds: float) -> None:
        watch = AnswerWatch(bot=None, desk=None, client=AnswersAtOnce())
        watch.start()
        await asyncio.sleep(seconds)
        await watch.stop()

    asyncio.run(watch_for(1.2))
    assert 1 <= len(asked) <= 3
