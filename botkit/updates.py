"""No update lost to a crash: each one is journalled before python-telegram-bot confirms it.

The updater asks Telegram for updates with an offset that confirms every earlier one, at once,
while the handlers of the last batch may still be running. A bot killed then would lose the
requests of that batch for good: Telegram never sends a confirmed update again. So the bot
writes every update to its spool the moment it arrives, marks it handled after the last
handler group ran, and hands the unhandled ones to the application again at start-up. Filing
is idempotent on (chat, message), so an update handled twice files one ticket.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ContextTypes, ExtBot

from botkit.spool import Spool

log = logging.getLogger(__name__)

# After every handler: a TypeHandler in this group runs once the others are done with an update.
LAST_GROUP = 1_000


class JournalingBot(ExtBot):
    """ExtBot whose get_updates journals what it fetched before anyone confirms it."""

    __slots__ = ("_journal",)

    def __init__(self, *args, journal: Spool, **kwargs) -> None:
        self._journal = journal  # before ExtBot's __init__ freezes the object
        super().__init__(*args, **kwargs)

    async def get_updates(self, *args, **kwargs):
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            self._journal.keep_updates({u.update_id: u.to_json() for u in updates})
        return updates


async def update_handled(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last handler group: the update has been dealt with, it need not be replayed."""
    if isinstance(update, Update):
        context.bot_data["desk"].spool.update_handled(update.update_id)


async def replay_unhandled(application: Application, spool: Spool) -> int:
    """Hand the updates a killed run fetched but never finished back to the application."""
    payloads = spool.unhandled_updates()
    for payload in payloads:
        await application.update_queue.put(Update.de_json(payload, application.bot))
    if payloads:
        log.warning("replaying %s update(s) the previous run did not finish", len(payloads))
    return len(payloads)
