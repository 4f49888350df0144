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
"""

import copy
import email.parser
import email.policy
import html
import html.parser
import itertools
import json
import logging
import random
import re
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)

DEFAULT_USER_ID = 1001
DEFAULT_FIRST_NAME = "Alice"
DEFAULT_GROUP_CHAT_ID = {"group": -1001, "supergroup": -1001000000001}

BLOCKED = "Forbidden: bot was blocked by the user"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# Parameters whose form value is the string itself, never JSON (a text of "42" stays "42").
_TEXT_FIELDS = frozenset(
    "text caption parse_mode callback_query_id action url description short_description "
    "name title language_code inline_message_id business_connection_id emoji query "
    "secret_token question address first_name last_name phone_number message_effect_id "
    "payload currency provider_token start_parameter custom_title invite_link ip_address "
    "next_offset switch_pm_text switch_pm_parameter".split()
)
# Methods answered with 403 while their chat_id is blocked.
_BLOCKABLE = re.compile(r"(send|copy|forward)[A-Z]\w*")
_ROUTE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>\w+)/?")


@dataclass(frozen=True)
class Call:
    """One Bot API request as the stand-in received and answered it."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    result: Any = None
    description: str | None = None
    token: str = ""
    answer_lost: bool = False  # carried out, but the connection closed before the answer

    @property
    def failed(self) -> bool:
        """True when the bot got an error instead of a result."""
        return self.status != 200


class _ApiError(Exception):
    """An error answer in Telegram's format."""

    def __init__(self, status: int, description: str | None = None, parameters=None):
        super().__init__(description)
        self.status = status
        self.description = description or _DESCRIPTIONS.get(status, "Error")
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _Abandoned(Exception):
    """The client closed the connection while its long poll waited."""


class TelegramStandIn:
    """A fake Bot API server with a thread-safe control API for tests."""

    def __init__(
        self,
        *,
        username: str = "support_desk_bot",
        first_name: str = "Support Desk",
        poll_cap: float = 1.0,
    ) -> None:
        self.username = username
        self.first_name = first_name
        self.poll_cap = poll_cap
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Counters survive reset(): a running bot's getUpdates offset must stay meaningful.
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._last_message_id: dict[int, int] = {}
        self._poll_generation: dict[str, int] = {}
        self._handlers = {
            name[len("_api_") :].lower(): (name[len("_api_") :], getattr(self, name))
            for name in dir(self)
            if name.startswith("_api_")
        }
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "TelegramStandIn":
        """Start serving on a free port of 127.0.0.1 in a background thread."""
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._stopping = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"telegram-standin-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; returns once every request thread has finished."""
        if self._server is None:
            return
        with self._cond:
            self._stopping = True  # wakes long polls at once
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()  # joins the request threads
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> "TelegramStandIn":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Value for ApplicationBuilder().base_url(); PTB appends the token and method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ApplicationBuilder().base_file_url()."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- injecting what users do -------------------------------------------------------------

    def send_message_update(
        self,
        text: str,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = DEFAULT_FIRST_NAME,
        last_name: str | None = None,
        username: str | None = None,
        reply_to: dict | int | None = None,
        entities: list[dict] | None = None,
        chat_title: str | None = None,
    ) -> dict:
        """Queue an Update in which a user writes `text`; returns the update."""
        user = _compact(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        if chat_type == "private":
            if chat_id not in (None, user_id):
                raise ValueError("a private chat's id is the user's id")
            chat = _compact(
                id=user_id,
                type="private",
                first_name=first_name,
                last_name=last_name,
                username=username,
            )
        elif chat_type in DEFAULT_GROUP_CHAT_ID:
            chat_id = DEFAULT_GROUP_CHAT_ID[chat_type] if chat_id is None else chat_id
            if chat_id >= 0:
                raise ValueError("group chat ids are negative")
            chat = {"id": chat_id, "type": chat_type, "title": chat_title}
        else:
            raise ValueError(f"unsupported chat_type {chat_type!r}")
        entities = list(entities or [])
        if text.startswith("/") and not any(
            e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities
        ):
            command = text.split(None, 1)[0]
            entities.insert(0, {"type": "bot_command", "offset": 0, "length": _utf16(command)})
        with self._cond:
            if chat_type != "private" and chat["title"] is None:
                known = self._chats.get(chat["id"], {})
                chat["title"] = known.get("title") or f"Test {chat_type} {chat['id']}"
            self._chats[chat["id"]] = chat
            message = {
                "message_id": self._next_message_id(chat["id"]),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            if entities:
                message["entities"] = entities
            if reply_to is not None:
                message["reply_to_message"] = self._reply_target(chat["id"], reply_to)
            self._messages[chat["id"], message["message_id"]] = message
            return self._enqueue({"message": message})

    def press_button(
        self,
        message: dict | int,
        data: str,
        user_id: int | None = None,
        first_name: str = DEFAULT_FIRST_NAME,
        username: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> dict:
        """Queue a callback_query Update: a user presses the button with `data`.

        `message` is a recorded bot message (or its message_id together with `chat_id`); the
        button must be on the message's current inline keyboard. `user_id` defaults to the
        private chat's user.
        """
        if isinstance(message, dict):
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        elif chat_id is None:
            raise ValueError("pass chat_id along with a bare message_id")
        else:
            message_id = message
        with self._cond:
            current = self._messages.get((chat_id, message_id))
            if current is None or not current["from"]["is_bot"]:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            buttons = [
                button.get("callback_data")
                for row in current.get("reply_markup", {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in buttons:
                raise ValueError(f"message {message_id} has no button {data!r}; it has {buttons}")
            chat = current["chat"]
            if user_id is None:
                if chat["type"] != "private":
                    raise ValueError("pass user_id for a button in a group")
                user_id = chat["id"]
                first_name = chat.get("first_name", first_name)
                username = chat.get("username", username)
            query = {
                "id": str(next(self._callback_ids)),
                "from": _compact(
                    id=user_id, is_bot=False, first_name=first_name, username=username
                ),
                "message": current,
                "chat_instance": f"instance{chat_id}",
                "data": data,
            }
            return self._enqueue({"callback_query": query})

    # -- what the bot did ----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request answered so far (getUpdates included), in the order answered.

        A long poll whose client hung up before the answer is not a call.
        """
        with self._cond:
            return list(self._calls)

    def sent_messages(self, chat_id: int | None = None) -> list[dict]:
        """Messages the bot sent with sendMessage, in order."""
        return self._results("sendMessage", chat_id)

    def edits(self, chat_id: int | None = None) -> list[dict]:
        """Messages as editMessageText / editMessageReplyMarkup left them, in order."""
        return self._results(("editMessageText", "editMessageReplyMarkup"), chat_id)

    def callback_answers(self) -> list[dict]:
        """Params of every successful answerCallbackQuery."""
        with self._cond:
            return [
                copy.deepcopy(c.params)
                for c in self._calls
                if c.method == "answerCallbackQuery" and not c.failed
            ]

    def wait_for(
        self,
        predicate_or_method: str | Callable[[Call], bool],
        timeout: float = 5.0,
        *,
        since: int = 0,
        description: str | None = None,
    ) -> Call:
        """Block until a call (from index `since` of `calls` on) matches; return it.

        A string matches calls of that method, failed ones included.
        """
        if isinstance(predicate_or_method, str):
            wanted = predicate_or_method.lower()
            what = description or f"a {predicate_or_method} call"

            def predicate(call: Call) -> bool:
                return call.method.lower() == wanted
        else:
            predicate = predicate_or_method
            name = getattr(predicate, "__name__", repr(predicate))
            what = description or f"a call matching {name}"
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self._calls[since:]:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"Telegram stand-in: waited {timeout}s for {what} in vain. "
                        f"Calls received:\n{self._describe_calls()}"
                    )
                self._cond.wait(remaining)

    def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> dict:
        """Block until the bot successfully sends a message to `chat_id`; return it."""

        def message_to_chat(call: Call) -> bool:
            return (
                call.method == "sendMessage"
                and not call.failed
                and call.result["chat"]["id"] == chat_id
                and (contains is None or contains in call.result["text"])
            )

        what = f"a message to chat {chat_id}"
        if contains is not None:
            what += f" containing {contains!r}"
        call = self.wait_for(message_to_chat, timeout, since=since, description=what)
        return copy.deepcopy(call.result)

    # -- faults --------------------------------------------------------------------------------

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

    def reset(self) -> None:
        """Forget calls, messages, pending updates and faults (ids keep increasing)."""
        with self._cond:
            self._calls: list[Call] = []
            self._pending: list[dict] = []
            self._messages: dict[tuple[int, int], dict] = {}
            self._chats: dict[int, dict] = {}
            self._commands: dict[str, list] = {}
            self._faults: dict[str, deque] = {}
            self._random_faults: dict[str, tuple[random.Random, float, tuple[int, ...]]] = {}
            self._lost: dict[str, int] = {}
            self._blocked: set[int] = set()
            self._conflict = False
            self._cond.notify_all()

    # -- request handling (called from the server's threads) -----------------------------------

    def _dispatch(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        client_gone: Callable[[], bool] = lambda: False,
    ) -> tuple[int, dict, bool] | None:
        """Answer one call and record it: (status, payload, whether to drop the answer); None
        when the client left a long poll early."""
        received = time.time()
        name, handler = self._handlers.get(method.lower(), (method, None))
        with self._cond:
            try:
                if handler is None:
                    raise _ApiError(404, "Not Found: method not found")
                faults = self._faults.get(name.lower())
                if faults:
                    raise _ApiError(*faults.popleft())
                self._maybe_fail_randomly(name)
                chat_id = params.get("chat_id")
                if (
                    _BLOCKABLE.fullmatch(name)
                    and isinstance(chat_id, int)
                    and chat_id in self._blocked
                ):
                    raise _ApiError(403, BLOCKED)
                if name == "getUpdates":
                    result = handler(token, params, client_gone)
                else:
                    result = handler(token, params)
            except _Abandoned:
                return None
            except _ApiError as err:
                status, payload = err.status, err.payload()
                call = Call(name, params, received, status, None, err.description, token)
            else:
                status, payload = 200, {"ok": True, "result": result}
                lost = self._lost.get(name.lower(), 0) > 0
                if lost:
                    self._lost[name.lower()] -= 1
                call = Call(name, params, received, 200, result, None, token, lost)
            self._calls.append(call)
            self._cond.notify_all()
            return status, copy.deepcopy(payload), call.answer_lost

    def _maybe_fail_randomly(self, method: str) -> None:
        chance = self._random_faults.get(method.lower())
        if chance is None:
            return
        rng, rate, statuses = chance
        if rng.random() < rate:
            raise _ApiError(*_fault(rng.choice(statuses)))

    def _api_getMe(self, token, params):
        return self._bot_user(token) | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_deleteWebhook(self, token, params):
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _api_getWebhookInfo(self, token, params):
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    def _api_setMyCommands(self, token, params):
        self._commands[_commands_key(params)] = params.get("commands") or []
        return True

    def _api_getMyCommands(self, token, params):
        return self._commands.get(_commands_key(params), [])

    def _api_deleteMyCommands(self, token, params):
        self._commands.pop(_commands_key(params), None)
        return True

    def _api_logOut(self, token, params):
        return True

    def _api_close(self, token, params):
        return True

    def _api_getUpdates(self, token, params, client_gone):
        # A newer getUpdates for the same token terminates a waiting one, as Telegram does.
        generation = self._poll_generation.get(token, 0) + 1
        self._poll_generation[token] = generation
        self._cond.notify_all()
        offset = int(params.get("offset") or 0)
        if offset > 0:  # confirms every update before offset
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        allowed = params.get("allowed_updates")
        if allowed:  # Telegram never delivers the other kinds
            self._pending = [u for u in self._pending if _update_kind(u) in allowed]
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        wait = min(max(float(params.get("timeout") or 0), 0.0), self.poll_cap)
        deadline = time.monotonic() + wait
        while True:
            if client_gone():  # e.g. PTB cancelled this poll on shutdown: nobody to answer
                raise _Abandoned
            if self._conflict or self._poll_generation[token] != generation:
                raise _ApiError(409, CONFLICT)
            remaining = deadline - time.monotonic()
            if self._pending or remaining <= 0 or self._stopping:
                return self._pending[:limit]
            self._cond.wait(remaining)

    def _api_sendMessage(self, token, params):
        chat_id = _chat_id(params)
        text, entities = _message_text_and_entities(params)
        chat = self._chats.get(chat_id) or _unknown_chat(chat_id)
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(token),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {"message_id": params["reply_to_message_id"]}
        if isinstance(reply, dict):
            replied = self._messages.get((reply.get("chat_id", chat_id), reply.get("message_id")))
            if replied is not None:
                message["reply_to_message"] = _without_reply(replied)
        if _is_inline_keyboard(params.get("reply_markup")):
            message["reply_markup"] = params["reply_markup"]
        self._messages[chat_id, message["message_id"]] = message
        return message

    def _api_editMessageText(self, token, params):
        message = self._editable(token, params)
        if message is None:
            return True  # inline messages are answered with True
        text, entities = _message_text_and_entities(params)
        edited = {**message, "text": text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        if entities:
            edited["entities"] = entities
        return self._store_edit(message, edited, params.get("reply_markup"))

    def _api_editMessageReplyMarkup(self, token, params):
        message = self._editable(token, params)
        if message is None:
            return True
        edited = {**message, "edit_date": int(time.time())}
        return self._store_edit(message, edited, params.get("reply_markup"))

    def _api_answerCallbackQuery(self, token, params):
        return True

    def _api_sendChatAction(self, token, params):
        _chat_id(params)
        return True

    def _api_deleteMessage(self, token, params):
        self._messages.pop((_chat_id(params), params.get("message_id")), None)
        return True

    # -- helpers (call with the lock held) ------------------------------------------------------

    def _enqueue(self, payload: dict) -> dict:
        update = {"update_id": next(self._update_ids), **payload}
        self._pending.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _reply_target(self, chat_id: int, reply_to: dict | int) -> dict:
        if isinstance(reply_to, dict):
            if reply_to["chat"]["id"] != chat_id:
                raise ValueError("a user can only reply to a message in the same chat")
            reply_to = reply_to["message_id"]
        target = self._messages.get((chat_id, reply_to))
        if target is None:
            raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
        return _without_reply(target)

    def _bot_user(self, token: str) -> dict:
        prefix = token.split(":", 1)[0]
        return {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def _editable(self, token: str, params: dict) -> dict | None:
        if params.get("inline_message_id"):
            return None
        message = self._messages.get((_chat_id(params), params.get("message_id")))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message["from"] != self._bot_user(token):
            raise _ApiError(400, "Bad Request: message can't be edited")
        return message

    def _store_edit(self, message: dict, edited: dict, markup: Any) -> dict:
        # Omitting reply_markup in an edit removes the inline keyboard.
        edited.pop("reply_markup", None)
        if _is_inline_keyboard(markup):
            edited["reply_markup"] = markup
        fields = ("text", "entities", "reply_markup")
        if all(message.get(f) == edited.get(f) for f in fields):
            raise _ApiError(400, NOT_MODIFIED)
        self._messages[message["chat"]["id"], message["message_id"]] = edited
        return edited

    def _results(self, methods: str | tuple[str, ...], chat_id: int | None) -> list[dict]:
        methods = (methods,) if isinstance(methods, str) else methods
        with self._cond:
            return [
                copy.deepcopy(c.result)
                for c in self._calls
                if c.method in methods
                and isinstance(c.result, dict)
                and (chat_id is None or c.result["chat"]["id"] == chat_id)
            ]

    def _describe_calls(self, last: int = 40) -> str:
        lines: list[str] = []
        polls = 0
        for call in self._calls[-last:]:
            if call.method == "getUpdates" and not call.failed and not call.result:
                polls += 1
                continue
            if polls:
                lines.append(f"  getUpdates (empty) x{polls}")
                polls = 0
            if call.failed:
                outcome = f"-> {call.status} {call.description}"
            elif call.method == "getUpdates":
                outcome = f"-> {len(call.result)} update(s)"
            elif call.answer_lost:
                outcome = "-> done, answer lost"
            else:
                outcome = ""
            params = json.dumps(call.params, default=repr, ensure_ascii=False)
            lines.append(f"  {call.method} {_shorten(params)} {outcome}".rstrip())
        if polls:
            lines.append(f"  getUpdates (empty) x{polls}")
        return "\n".join(lines) or "  (none)"


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    standin: TelegramStandIn

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name, which can stall without a network.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes each connection after its answer, so stop() never waits on idle sockets.
    protocol_version = "HTTP/1.0"
    server_version = "TelegramStandIn/1.0"
    timeout = 10
    server: _Server

    def do_POST(self) -> None:
        """Answer a Bot API call."""
        url = urlsplit(self.path)
        route = _ROUTE.fullmatch(url.path)
        try:
            if route is None:
                status, payload = 404, _ApiError(404).payload()
            else:
                try:
                    params = _parse_params(self.headers, self._read_body(), url.query)
                except ValueError as err:
                    status, payload = 400, _ApiError(400, f"Bad Request: {err}").payload()
                else:
                    answer = self.server.standin._dispatch(
                        route["token"], route["method"], params, self._client_gone
                    )
                    if answer is None:
                        return
                    status, payload, lost = answer
                    if lost:
                        self.close_connection = True  # no status line, no body: just close
                        return
        except Exception as err:  # a bug in the stand-in: tell the client, keep serving
            logger.exception("Telegram stand-in failed on %s", self.path)
            status, payload = 500, _ApiError(500, f"Internal Server Error: {err!r}").payload()
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (e.g. a cancelled long poll)
            pass

    do_GET = do_POST

    def _client_gone(self) -> bool:
        """True once the client has closed its end of the connection."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def _fault(
    status: int, retry_after: int | None = None, description: str | None = None
) -> tuple[int, str | None, dict | None]:
    """_ApiError's arguments for an injected error; a 429 always carries retry_after."""
    if status != 429 and retry_after is None:
        return status, description, None
    retry_after = 1 if retry_after is None else retry_after
    if description is None and status == 429:
        description = f"Too Many Requests: retry after {retry_after}"
    return status, description, {"retry_after": retry_after}


def _parse_params(headers, body: bytes, query: str) -> dict[str, Any]:
    """Decode query string and body (JSON, urlencoded or multipart) into Python values."""
    fields: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    content_type = headers.get("Content-Type", "")
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        pass
    elif kind == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        fields.update(data)
    elif kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        if not form.is_multipart():
            raise ValueError("unreadable multipart body")
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            content = part.get_payload(decode=True) or b""
            if part.get_filename() is None:
                fields[name] = content.decode()
            else:
                fields[name] = {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "content": content,
                }
    else:
        fields.update(parse_qsl(body.decode(), keep_blank_values=True))
    return {name: _decode_field(name, value) for name, value in fields.items()}


def _decode_field(name: str, value: Any) -> Any:
    """Turn a JSON-encoded field value ("5", "true", '{"inline_keyboard": ...}') into Python."""
    if not isinstance(value, str) or name in _TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


def _chat_id(params: dict) -> int:
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise _ApiError(400, "Bad Request: chat_id is empty")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise _ApiError(400, "Bad Request: chat not found")
    return chat_id


def _message_text(params: dict) -> str:
    text, _ = _message_text_and_entities(params)
    return text


def _message_text_and_entities(params: dict) -> tuple[str, list[dict] | None]:
    """The text as the user sees it. With parse_mode HTML the markup is parsed the way
    Telegram does, so unescaped user text (a stray "<" or "&") fails as it would for real."""
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    entities = params.get("entities")
    if str(params.get("parse_mode", "")).lower() == "html":
        text, entities = _parse_html(text)
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
    if len(text) > 4096:
        raise _ApiError(400, "Bad Request: message is too long")
    return text, entities


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}


class _TelegramHtml(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.length = 0  # in UTF-16 code units, as Telegram counts offsets
        self.open: list[tuple[str, int, dict]] = []
        self.entities: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _HTML_TAGS:
            raise _ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append((tag, self.length, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            raise _ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        _, start, attrs = self.open.pop()
        entity = {"type": _HTML_TAGS[tag], "offset": start, "length": self.length - start}
        if tag == "a":
            entity["url"] = attrs.get("href", "")
        if entity["length"]:
            self.entities.append(entity)

    def handle_data(self, data):
        if "<" in data or ">" in data:
            raise _ApiError(400, "Bad Request: can't parse entities: unescaped < or >")
        self._add(data)

    def handle_entityref(self, name):
        if name not in {"lt", "gt", "amp", "quot"}:
            raise _ApiError(400, f"Bad Request: can't parse entities: unknown entity &{name};")
        self._add(html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self._add(html.unescape(f"&#{name};"))

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.length += _utf16(text)


def _parse_html(markup: str) -> tuple[str, list[dict]]:
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", markup):
        raise _ApiError(400, "Bad Request: can't parse entities: unescaped &")
    parser = _TelegramHtml()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise _ApiError(400, f"Bad Request: can't parse entities: unclosed <{parser.open[-1][0]}>")
    return "".join(parser.parts), parser.entities


def _unknown_chat(chat_id: int) -> dict:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}


def _is_inline_keyboard(markup: Any) -> bool:
    # Only inline keyboards come back in Message.reply_markup; reply keyboards do not.
    return isinstance(markup, dict) and "inline_keyboard" in markup


def _without_reply(message: dict) -> dict:
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _update_kind(update: dict) -> str:
    return next(k for k in update if k != "update_id")


def _commands_key(params: dict) -> str:
    scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
    return f"{scope}|{params.get('language_code') or ''}"


def _compact(**fields: Any) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
