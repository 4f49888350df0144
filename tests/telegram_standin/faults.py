"""Making calls fail the way Telegram does: errors, lost answers, conflicts, blocked chats."""

import random
import re
import threading
from collections import deque
from typing import Any

from .errors import BLOCKED, _ApiError, _fault

# Methods answered with 403 while their chat_id is blocked.
_BLOCKABLE = re.compile(r"(send|copy|forward)[A-Z]\w*")


class FaultInjection:
    """The fault half of TelegramStandIn; its state is set by TelegramStandIn.reset()."""

    _cond: threading.Condition
    _faults: dict[str, deque]
    _random_faults: dict[str, tuple[random.Random, float, tuple[int, ...]]]
    _lost: dict[str, int]
    _blocked: set[int]
    _conflict: bool

    def fail_next(
        self,
        method: str,
        status: int = 429,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `method` with Telegram's error for `status`."""
        with self._cond:
            self._faults.setdefault(method.lower(), deque()).extend(
                [_fault(status, retry_after, description)] * count
            )

    def fail_randomly(
        self,
        method: str,
        rate: float,
        statuses: tuple[int, ...] = (429, 500, 502),
        seed: int = 0,
    ) -> None:
        """Until stop_failing(), answer each call of `method` with probability `rate` with
        Telegram's error for a status drawn from `statuses` (a 429 says retry after 1 s).

        Seeded: the n-th call of `method` to arrive fails the same way in every run, so a
        failure found once can be replayed (calls from concurrent senders may arrive in
        another order). fail_next() faults are answered first.
        """
        if not 0 <= rate <= 1 or not statuses:
            raise ValueError("rate must be within 0..1 and statuses not empty")
        with self._cond:
            self._random_faults[method.lower()] = (random.Random(seed), rate, tuple(statuses))

    def lose_answers(self, method: str, count: int = 1) -> None:
        """Carry out the next `count` successful calls of `method` (a sendMessage is stored
        and listed in sent_messages) but close the connection without answering: Telegram had
        the request, the bot never learns the outcome."""
        with self._cond:
            self._lost[method.lower()] = self._lost.get(method.lower(), 0) + count

    def stop_failing(self, method: str | None = None) -> None:
        """Forget the faults injected for `method` (every method when None): fail_next,
        fail_randomly and lose_answers."""
        with self._cond:
            for faults in (self._faults, self._random_faults, self._lost):
                if method is None:
                    faults.clear()
                else:
                    faults.pop(method.lower(), None)

    def conflict_polling(self, enabled: bool = True) -> None:
        """While enabled, getUpdates answers 409 Conflict, as when another instance polls."""
        with self._cond:
            self._conflict = enabled
            self._cond.notify_all()

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot: sending to `chat_id` answers 403 Forbidden."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._cond:
            self._blocked.discard(chat_id)

    # -- request handling (call with the lock held) ---------------------------------------------

    def _raise_injected_fault(self, method: str, params: dict[str, Any]) -> None:
        """Raise the error injected for this call of `method`, if any."""
        faults = self._faults.get(method.lower())
        if faults:
            raise _ApiError(*faults.popleft())
        self._maybe_fail_randomly(method)
        chat_id = params.get("chat_id")
        if _BLOCKABLE.fullmatch(method) and isinstance(chat_id, int) and chat_id in self._blocked:
            raise _ApiError(403, BLOCKED)

    def _maybe_fail_randomly(self, method: str) -> None:
        chance = self._random_faults.get(method.lower())
        if chance is None:
            return
        rng, rate, statuses = chance
        if rng.random() < rate:
            raise _ApiError(*_fault(rng.choice(statuses)))

    def _take_lost_answer(self, method: str) -> bool:
        """True when this successful call of `method` is to go unanswered (lose_answers)."""
        lost = self._lost.get(method.lower(), 0) > 0
        if lost:
            self._lost[method.lower()] -= 1
        return lost
