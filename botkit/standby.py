"""One poller per token: stand by while another bot polls, take over when it goes silent.

Every heartbeat asks the dashboard for the polling grant. The grant stays with the current
poller while it keeps beating and passes to a standby once that poller has been silent for
`takeover_after`. A bot asks before it first polls, so a standby never calls getUpdates until
it holds the grant. A 409 Conflict from getUpdates triggers an immediate check. Escalation and
delivery jobs run in both processes: their atomic claims make that safe (a hot standby).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from telegram import Update
from telegram.error import Conflict, TelegramError
from telegram.ext import Application

from botkit.dashboard import DashboardRefused, DashboardUnavailable

log = logging.getLogger(__name__)

STANDING_BY = "another bot instance (%s) polls Telegram; standing by"


@dataclass
class PollingGuard:
    application: Application
    takeover_after: int
    instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    stopped: bool = False

    @property
    def polling(self) -> bool:
        return bool(self.application.updater and self.application.updater.running)

    async def begin(self) -> None:
        """The first check, before this process has called getUpdates: poll only with the grant.

        A bot that gets no answer from the dashboard polls all the same: alone, it must keep
        taking requests into its spool, and beside a poller Telegram's 409 brings it to check().
        """
        async with self.lock:
            answer = await self.heartbeat()
            if answer is None:
                log.warning("no polling grant from the dashboard yet: polling Telegram meanwhile")
                await self.start_polling()
            elif answer.get("poller") == self.instance:
                await self.start_polling()
            else:
                log.warning(STANDING_BY, answer.get("poller"))

    async def check(self) -> None:
        """Heartbeat, then poll or stand by as the dashboard's grant says."""
        async with self.lock:
            if self.stopped:
                return  # shutting down: polling stays stopped
            answer = await self.heartbeat()
            if answer is None:
                return  # without the dashboard, keep doing what we do
            granted = answer.get("poller") == self.instance
            if granted and not self.polling:
                log.warning("taking over polling Telegram (instance %s)", self.instance)
                await self.start_polling()
            elif not granted and self.polling:
                log.warning(STANDING_BY, answer.get("poller"))
                await self.application.updater.stop()

    async def stop(self) -> None:
        """Stop polling for good: a check in flight finishes first, and none starts it again."""
        async with self.lock:
            self.stopped = True
            if self.polling:
                await self.application.updater.stop()

    async def heartbeat(self) -> dict | None:
        """The dashboard's answer to this heartbeat (who may poll), or None without one."""
        desk = self.application.bot_data["desk"]
        try:
            return await desk.post(
                "/heartbeat", {"instance": self.instance, "stale_after": self.takeover_after}
            )
        except (DashboardUnavailable, DashboardRefused) as error:
            log.debug("heartbeat not delivered: %s", error)
            return None

    async def start_polling(self) -> None:
        await self.application.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, error_callback=self.on_polling_error
        )

    def on_polling_error(self, error: TelegramError) -> None:
        if isinstance(error, Conflict):
            log.warning("Telegram says another instance polls this token (409 Conflict)")
            self.application.create_task(self.check())
        else:
            log.warning("polling Telegram failed: %s", error)
