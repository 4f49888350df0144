"""One poller per token: stand by while another bot polls, take over when it goes silent.

Every heartbeat asks the dashboard for the polling grant. The grant stays with the current
poller while it keeps beating and passes to a standby once that poller has been silent for
`takeover_after`. A 409 Conflict from getUpdates triggers an immediate check. Escalation and
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


@dataclass
class PollingGuard:
    application: Application
    takeover_after: int
    instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def polling(self) -> bool:
        return bool(self.application.updater and self.application.updater.running)

    async def check(self) -> None:
        """Heartbeat, then poll or stand by as the dashboard's grant says."""
        desk = self.application.bot_data["desk"]
        async with self.lock:
            try:
                answer = await desk.post(
                    "/heartbeat", {"instance": self.instance, "stale_after": self.takeover_after}
                )
            except (DashboardUnavailable, DashboardRefused) as error:
                log.debug("heartbeat not delivered: %s", error)
                return  # without the dashboard, keep doing what we do
            granted = answer.get("poller") == self.instance
            if granted and not self.polling:
                log.warning("taking over polling Telegram (instance %s)", self.instance)
                await self.start_polling()
            elif not granted and self.polling:
                log.warning(
                    "another bot instance (%s) polls Telegram; standing by", answer.get("poller")
                )
                await self.application.updater.stop()

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
