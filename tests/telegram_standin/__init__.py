"""A local stand-in for the Telegram Bot API, so tests never reach Telegram.

It is a real HTTP server on 127.0.0.1, so the bot under test may run in this process
(``ApplicationBuilder().base_url(standin.base_url)``) or in another one
(``TELEGRAM_API_URL=standin.base_url python bot.py``). Tests inject updates, inspect the
calls the bot made and make the next calls fail the way Telegram does::

    with TelegramStandIn() as telegram:
        telegram.send_message_update("/start", user_id=42)
        reply = telegram.wait_for_message(42, contains="Welcome")

python-telegram-bot sends every parameter as a form field (application/x-www-form-urlencoded,
or multipart/form-data when uploading files) with non-string values JSON-encoded, so
``chat_id=5`` arrives as ``"5"`` and ``reply_markup`` as a JSON string. Recorded params are
decoded back into Python values; text fields such as ``text`` are never decoded.

The package, by seam: ``standin`` (the TelegramStandIn class: lifecycle, injecting updates,
inspecting calls, dispatch), ``bot_api`` (the Bot API methods it answers), ``faults`` (making
calls fail), ``errors`` (Telegram's error answers), ``server`` (the HTTP server and handler)
and ``parsing`` (request parameters, message text and entities).
"""

from .errors import BLOCKED, CONFLICT, NOT_MODIFIED
from .standin import (
    DEFAULT_FIRST_NAME,
    DEFAULT_GROUP_CHAT_ID,
    DEFAULT_USER_ID,
    Call,
    TelegramStandIn,
)

__all__ = [
    "BLOCKED",
    "CONFLICT",
    "DEFAULT_FIRST_NAME",
    "DEFAULT_GROUP_CHAT_ID",
    "DEFAULT_USER_ID",
    "NOT_MODIFIED",
    "Call",
    "TelegramStandIn",
]
