"""Answers reach the user as soon as a tech sends them: the bot keeps one long poll open on
the dashboard (GET /api/responses/pending?wait=), which answers the moment an answer is
written (desk/doorbell.py), delivers what it hands out, and asks again.

It replaces a short poll every DELIVERY_POLL_INTERVAL seconds: an answer took about half an
interval to leave, and an idle bot cost the database a query every interval. The watch runs
beside the Application as one task from start to stop; a dashboard that is down or refuses
is asked again after DELIVERY_POLL_INTERVAL, longer while it stays down.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot

from botkit.context import Desk
from botkit.dashboard import DashboardRefused, DashboardUnavailable, LongPollClient
from botkit.sending import deliver_answers

log = logging.getLogger(__name__)

WAIT = 20.0  # seconds the dashboard may hold a poll (its MAX_WAIT)
LONGEST_PAUSE = 30.0  # seconds between two tries while the dashboard stays unreachable
QUICK = 0.5  # seconds: an empty answer sooner than this is followed by a pause this long


class AnswerWatch:
    def __init__(self, bot: Bot, desk: Desk, client: LongPollClient) -> None:
        self.bot = bot
        self.desk = desk
        self.client = client
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="answer watch")

    async def stop(self) -> None:
        """Cancel the poll in flight (its connection closes) and wait for the task to end."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.client.aclose()

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                await self.round()
                failures = 0
            except (DashboardUnavailable, DashboardRefused) as error:
                failures += 1
                log.debug("answer delivery: %s", error)
            except Exception:  # noqa: BLE001 - the watch must outlive any one round
                failures += 1
                log.exception("answer delivery round failed")
            if failures:
                interval = self.desk.settings.delivery_interval
                await asyncio.sleep(min(interval * failures, LONGEST_PAUSE))

    async def round(self) -> None:
        """One long poll, then the delivery of what it handed out."""
        started = time.monotonic()
        pending = (await self.client.get("/responses/pending", WAIT))["responses"]
        if pending:
            count = await deliver_answers(self.bot, self.desk, pending)
            if count:
                log.info("delivered %s answer(s)", count)
        elif time.monotonic() - started < QUICK:
            # Nothing, at once: a bell rung for another bot's report, or a dashboard that does
            # not hold polls. A short pause keeps either from becoming a busy loop.
            await asyncio.sleep(QUICK)
