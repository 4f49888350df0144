"""The bot's long-lived resources, kept in `application.bot_data["desk"]`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.ext import ContextTypes

if TYPE_CHECKING:
    from botkit.group_posts import GroupPosts

from botkit.alarms import Alarm
from botkit.dashboard import DashboardClient
from botkit.settings import BotSettings
from botkit.spool import Spool


@dataclass
class Desk:
    settings: BotSettings
    client: DashboardClient
    spool: Spool
    started_at: float = field(default_factory=time.monotonic)
    # Requests a handler is filing right now; the spool flusher leaves them alone.
    in_flight: set[tuple[int, int]] = field(default_factory=set)
    # Outbox messages this process is sending now: a replayed claim or the outbox poll may
    # offer one again, and it must not go out twice from here.
    sending: set[int] = field(default_factory=set)
    # Outbox messages this process has handed to Telegram: a replay that raced their report
    # must not send them again once the journal has forgotten them.
    sent: set[int] = field(default_factory=set)
    # When the next escalation step falls due (botkit/alarms.py); set once the JobQueue runs.
    alarm: Alarm = field(default_factory=Alarm)
    escalation_turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The team group's posts in turn, a burst as one digest (botkit/group_posts.py); None
    # sends each post as it comes.
    group_posts: GroupPosts | None = None

    def not_filed_yet(self, chat_id: int, message_id: int) -> bool:
        """The message is being filed right now, or waits in the spool: what changes it (an
        edit, its file) must wait for it."""
        return (chat_id, message_id) in self.in_flight or self.spool.holds_request(
            chat_id, message_id
        )

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self.client.get, path, **params)

    async def post(self, path: str, json: Any = None) -> dict[str, Any]:
        return await asyncio.to_thread(self.client.post, path, json)

    async def upload(
        self, path: str, fields: dict[str, str], file_path: Path | None
    ) -> dict[str, Any]:
        return await asyncio.to_thread(self.client.upload, path, fields, file_path)

    async def download(self, path: str) -> bytes:
        return await asyncio.to_thread(self.client.download, path)

    async def claim(self, path: str, json: Any = None) -> dict[str, Any]:
        return await asyncio.to_thread(self.client.post_allow_conflict, path, json)

    def close(self) -> None:
        self.client.close()
        self.spool.close()


def desk(context: ContextTypes.DEFAULT_TYPE) -> Desk:
    return context.bot_data["desk"]
