"""TelegramStandIn: start and stop it, inject what users do, inspect what the bot did."""

import copy
import itertools
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .bot_api import BotApiMethods
from .errors import _Abandoned, _ApiError
from .faults import FaultInjection
from .files import FileMethods
from .parsing import _compact, _shorten, _with_command, _without_reply
from .server import _Handler, _Server

DEFAULT_USER_ID = 1001
DEFAULT_FIRST_NAME = "Alice"
DEFAULT_GROUP_CHAT_ID = {"group": -1001, "supergroup": -1001000000001}


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


class TelegramStandIn(FaultInjection, FileMethods, BotApiMethods):
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
        self._server: _Server | None = None
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
        self, text: str, *, entities: list[dict] | None = None, **who: Any
    ) -> dict:
        """Queue an Update in which a user writes `text`; returns the update. `who` as for
        `_user_message`: user_id, chat_id, chat_type, names, reply_to, chat_title,
        language_code."""
        content: dict[str, Any] = {"text": text}
        entities = _with_command(text, entities)
        if entities:
            content["entities"] = entities
        return self._user_message(content, **who)

    def _user_message(
        self,
        content: dict[str, Any],
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = DEFAULT_FIRST_NAME,
        last_name: str | None = None,
        username: str | None = None,
        reply_to: dict | int | None = None,
        chat_title: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        """Queue a message a user sends: `content` is its text, caption, media or location."""
        user = _compact(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
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
                **content,
            }
            if reply_to is not None:
                message["reply_to_message"] = self._reply_target(chat["id"], reply_to)
            self._messages[chat["id"], message["message_id"]] = message
            return self._enqueue({"message": message})

    def edit_message_update(
        self, message: dict, text: str, entities: list[dict] | None = None
    ) -> dict:
        """Queue an `edited_message` Update: the user edits a message they sent before.

        As Telegram sends it: the whole message with its new text and entities (a command's
        entity found again) and `edit_date`; the stored message becomes the edited one.
        """
        message = message.get("message", message)  # an update or its message
        key = (message["chat"]["id"], message["message_id"])
        entities = _with_command(text, entities)
        with self._cond:
            stored = self._messages.get(key)
            if stored is None:
                raise ValueError(f"no message {key[1]} in chat {key[0]} to edit")
            edited = {k: v for k, v in stored.items() if k not in ("entities", "caption_entities")}
            # Telegram's dates are whole seconds; a later edit always has a later date here.
            edit_date = max(int(time.time()), stored.get("edit_date", stored["date"]) + 1)
            # A message with media has a caption where a text message has its text.
            field = "caption" if "caption" in stored or "text" not in stored else "text"
            edited |= {field: text, "edit_date": edit_date}
            if entities:
                edited["caption_entities" if field == "caption" else "entities"] = entities
            self._messages[key] = edited
            return self._enqueue({"edited_message": edited})

    def press_button(
        self,
        message: dict | int,
        data: str,
        user_id: int | None = None,
        first_name: str = DEFAULT_FIRST_NAME,
        username: str | None = None,
        *,
        chat_id: int | None = None,
        language_code: str | None = None,
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
                    id=user_id,
                    is_bot=False,
                    first_name=first_name,
                    username=username,
                    language_code=language_code,
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

    # -- starting over -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget calls, messages, pending updates and faults (ids keep increasing)."""
        with self._cond:
            self._calls: list[Call] = []
            self._pending: list[dict] = []
            self._messages: dict[tuple[int, int], dict] = {}
            self._files: dict[str, dict] = {}
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
                self._raise_injected_fault(name, params)
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
                lost = self._take_lost_answer(name)
                call = Call(name, params, received, 200, result, None, token, lost)
            self._calls.append(call)
            self._cond.notify_all()
            return status, copy.deepcopy(payload), call.answer_lost

    # -- helpers (call with the lock held) ------------------------------------------------------

    def _enqueue(self, payload: dict) -> dict:
        update = {"update_id": next(self._update_ids), **payload}
        self._pending.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _reply_target(self, chat_id: int, reply_to: dict | int) -> dict:
        if isinstance(reply_to, dict):
            if reply_to["chat"]["id"] != chat_id:
                raise ValueError("a user can only reply to a message in the same chat")
            reply_to = reply_to["message_id"]
        target = self._messages.get((chat_id, reply_to))
        if target is None:
            raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
        return _without_reply(target)

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
