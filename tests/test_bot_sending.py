"""Retry rules of the bot's sending: resend only when Telegram certainly sent nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from botkit.context import Desk
from botkit.sending import deliver_answer
from botkit.settings import load_bot_settings
from botkit.spool import Spool


class FakeDashboard:
    """Records what the bot reports; every claim succeeds."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, dict]] = []

    def post_allow_conflict(self, path, json=None):
        return DELIVERY | {"delivery_state": "sending"}

    def post(self, path, json=None):
        self.reports.append((path, json))
        return {}

    def close(self) -> None:
        pass


class FlakyBot:
    """A bot whose send_message fails with `errors` in turn, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.attempts = 0

    async def send_message(self, **kwargs):
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return type("Sent", (), {"message_id": 321})()


DELIVERY = {
    "id": 7,
    "ticket_number": 3,
    "chat_id": 42,
    "reply_to_message_id": 5,
    "text": "hello",
    "author": "Bob",
}


@pytest.fixture
def desk(tmp_path):
    settings = load_bot_settings(
        {"BOT_TOKEN": "123456:TEST-token", "BOT_API_TOKEN": "x", "BOT_SPOOL_PATH": "s.db"}
    )
    bot_desk = Desk(settings=settings, client=FakeDashboard(), spool=Spool(tmp_path / "s.db"))
    yield bot_desk
    bot_desk.close()


def connection_refused() -> NetworkError:
    error = NetworkError("httpx.ConnectError: refused")
    error.__cause__ = httpx.ConnectError("refused")
    return error


def test_a_timeout_is_not_resent_and_is_reported_uncertain(desk):
    bot = FlakyBot(TimedOut())
    asyncio.run(deliver_answer(bot, desk, DELIVERY))
    assert bot.attempts == 1
    path, body = desk.client.reports[-1]
    assert path == "/responses/7/result"
    assert body["sent"] is False
    assert body["retryable"] is False
    assert "uncertain" in body["error"]


def test_a_refused_connection_is_retried_and_delivered_once(desk):
    bot = FlakyBot(connection_refused())
    asyncio.run(deliver_answer(bot, desk, DELIVERY))
    assert bot.attempts == 2
    assert desk.client.reports[-1] == (
        "/responses/7/result",
        {
            "sent": True,
            "telegram_message_id": 321,
        },
    )
    assert desk.spool.unsettled() == []


def test_a_broken_connection_mid_request_is_not_resent(desk):
    error = NetworkError("httpx.ReadError: connection reset")
    error.__cause__ = httpx.ReadError("reset")
    bot = FlakyBot(error)
    asyncio.run(deliver_answer(bot, desk, DELIVERY))
    assert bot.attempts == 1
    body = desk.client.reports[-1][1]
    assert (body["sent"], body["retryable"]) == (False, False)
    assert "uncertain" in body["error"]


def test_a_message_waiting_in_the_rate_limiter_is_journalled_sending_only_when_it_leaves(
    desk, telegram
):
    """A page queued behind the group's rate limit never reached Telegram: were the bot to die
    now, it must be sent after the restart, not written off as "delivery uncertain"."""
    from telegram.ext import ExtBot

    from botkit.sending import JournalingRateLimiter, send_journaled

    async def scenario() -> tuple[str, str]:
        limiter = JournalingRateLimiter(group_max_rate=1, group_time_period=2)
        bot = ExtBot("123456:TEST-token", base_url=telegram.base_url, rate_limiter=limiter)
        async with bot:
            for item in (1, 2):
                desk.spool.claimed("notification", item)
            first = asyncio.create_task(
                send_journaled(bot, desk, "notification", 1, chat_id=-100555, text="one")
            )
            second = asyncio.create_task(
                send_journaled(bot, desk, "notification", 2, chat_id=-100555, text="two")
            )
            await first
            await asyncio.sleep(0.3)
            waiting = desk.spool.entry("notification", 2).state
            await second
            return desk.spool.entry("notification", 1).state, waiting

    first_state, waiting_state = asyncio.run(scenario())
    assert first_state == "sending"  # it left; only Telegram's answer makes it `sent`
    assert waiting_state == "claimed"
    assert desk.spool.entry("notification", 2).state == "sending"
    assert [m["text"] for m in telegram.sent_messages(-100555)] == ["one", "two"]
