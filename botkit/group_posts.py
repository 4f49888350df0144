"""Posts to the team group, one message at a time per group; while one waits for Telegram's
limit (about 20 messages a minute into a group, which AIORateLimiter keeps), the new-ticket
posts behind it pile up and leave together as one digest: "New support tickets: 12" with a
line and a 🙋 button per ticket. A burst of 50 tickets is in the group within seconds, not
spread over six minutes, and never over the limit.

Each ticket's post stays its own outbox message at the dashboard: a digest journals every one
of them (`sending` right before the request leaves, then `sent`) and reports each as sent with
the digest's message id and `digest: true`, so a press on one ticket never rewrites the
digest into that ticket's post. A digest Telegram refuses is reported failed for every post
in it, and the outbox sends them again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from botkit import team_messages
from botkit.context import Desk
from botkit.sending import describe, report, send_journaling, send_notification
from botkit.sending import uncertain as may_have_arrived

log = logging.getLogger(__name__)

DIGEST_MAX = 20  # tickets in one digest: 20 lines and buttons fit Telegram's limits


class GroupPosts:
    """Per group chat: the posts waiting, and the one task sending them in turn."""

    def __init__(self) -> None:
        self.waiting: dict[int, list[tuple[dict, dict | None]]] = {}
        self.senders: dict[int, asyncio.Task] = {}

    def add(self, bot: Bot, desk: Desk, note: dict, ticket: dict | None) -> None:
        """Queue a post; one already waiting, being sent or sent from here is not queued
        again (a filing's answer and an outbox poll may both hand it over)."""
        chat = note["chat_id"]
        waiting = self.waiting.setdefault(chat, [])
        if note["id"] in desk.sending or note["id"] in desk.sent:
            return
        if any(queued["id"] == note["id"] for queued, _ in waiting):
            return
        waiting.append((note, ticket))
        sender = self.senders.get(chat)
        if sender is None or sender.done():
            self.senders[chat] = asyncio.create_task(self.drain(bot, desk, chat))

    async def drain(self, bot: Bot, desk: Desk, chat: int) -> None:
        """Send what waits for `chat` until nothing does: other posts one by one, new-ticket
        posts that piled up as one digest."""
        while self.waiting.get(chat):
            posts, others = [], []
            for note, ticket in self.waiting.pop(chat):
                (posts if note["kind"] == "post" and ticket else others).append((note, ticket))
            for note, ticket in others:
                await send_notification(bot, desk, note, ticket)
            if len(posts) > DIGEST_MAX:
                later = posts[DIGEST_MAX:]
                self.waiting[chat] = later + self.waiting.get(chat, [])
                posts = posts[:DIGEST_MAX]
            if len(posts) == 1:
                await send_notification(bot, desk, *posts[0])
            elif posts:
                await send_digest(bot, desk, chat, posts)


async def send_digest(bot: Bot, desk: Desk, chat: int, posts: list[tuple[dict, Any]]) -> None:
    fresh = [
        (note, ticket)
        for note, ticket in posts
        if note["id"] not in desk.sending and note["id"] not in desk.sent
    ]
    if len(fresh) < 2:
        for note, ticket in fresh:
            await send_notification(bot, desk, note, ticket)
        return
    ids = [note["id"] for note, _ in fresh]
    tickets = [ticket for _, ticket in fresh]
    desk.sending.update(ids)
    try:
        for item in ids:
            desk.spool.claimed("notification", item)

        def journal() -> None:
            for item in ids:
                desk.spool.sending("notification", item)

        lang = desk.settings.team_language
        try:
            sent = await send_journaling(
                bot,
                journal,
                chat_id=chat,
                text=team_messages.digest(tickets, desk.settings.dashboard_url, lang),
                parse_mode=ParseMode.HTML,
                reply_markup=team_messages.digest_buttons(tickets),
            )
        except TelegramError as error:
            log.warning("digest of %s posts to chat %s failed: %s", len(ids), chat, error)
            for item in ids:
                await report(
                    desk,
                    "notification",
                    item,
                    sent=False,
                    error=describe(error),
                    retryable=not isinstance(error, Forbidden),
                    uncertain=may_have_arrived(error),
                )
            return
        for item in ids:
            desk.spool.sent("notification", item, sent.message_id)
            desk.sent.add(item)
        numbers = ", ".join(f"#{t['number']}" for t in tickets)
        log.info("sent a digest of tickets %s to %s", numbers, chat)
        for item in ids:
            await report(
                desk, "notification", item, sent=True, message_id=sent.message_id, digest=True
            )
    finally:
        desk.sending.difference_update(ids)
