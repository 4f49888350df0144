"""The Telegram stand-in of the test suite, with the moment each update is handed out.

tests/telegram_standin/ records when each Bot API call arrives; for getUpdates that is the
start of the long poll, not the moment an update leaves. This subclass notes, per update, when
getUpdates returned it: the start of every paging-latency measurement.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

# tests/ sits beside bench/, so wherever `bench` imports from, tests/ imports as a namespace
# package (it has no __init__.py); the suite imports the same code as `telegram_standin`.
from tests.telegram_standin import Call, TelegramStandIn

__all__ = ["Call", "TimedStandIn", "numbers_in"]


class TimedStandIn(TelegramStandIn):
    """TelegramStandIn that remembers when each update was first handed to a bot."""

    def __init__(self, **kwargs: Any) -> None:
        self.handed_out: dict[int, float] = {}
        super().__init__(**kwargs)

    def _api_getUpdates(  # noqa: N802 - the stand-in routes by Bot API method name
        self, token: str, params: dict[str, Any], client_gone: Callable[[], bool]
    ) -> list[dict]:
        updates = super()._api_getUpdates(token, params, client_gone)
        now = time.time()  # the same clock as Call.time
        for update in updates:
            self.handed_out.setdefault(update["update_id"], now)
        return updates

    def sends_to(self, chat_id: int) -> list[Call]:
        """Successful sendMessage calls to `chat_id`, in the order they arrived."""
        return [
            call
            for call in self.calls
            if call.method == "sendMessage"
            and not call.failed
            and call.params["chat_id"] == chat_id
        ]

    def polled(self) -> bool:
        """True once a bot has long-polled for updates: it is up and listening."""
        return any(call.method == "getUpdates" for call in self.calls)

    def count_sends(self, chat_id: int) -> int:
        return len(self.sends_to(chat_id))


def numbers_in(calls: list[Call], pattern: str) -> dict[int, Call]:
    """The first call whose sent text matches `pattern`, by the number the pattern captures."""
    regex = re.compile(pattern)
    found: dict[int, Call] = {}
    for call in calls:
        match = regex.search(call.result["text"])
        if match:
            found.setdefault(int(match.group(1)), call)
    return found
