"""The Bot API methods the stand-in answers, one `_api_<method>` each, as Telegram does."""

import threading
import time
from typing import Any

from .errors import CONFLICT, NOT_MODIFIED, _Abandoned, _ApiError
from .parsing import (
    _chat_id,
    _commands_key,
    _is_inline_keyboard,
    _message_text_and_entities,
    _unknown_chat,
    _update_kind,
    _without_reply,
)


class BotApiMethods:
    """The Bot API half of TelegramStandIn: every `_api_<method>` is routed by name and runs
    with the lock held; the state is set by TelegramStandIn.__init__() and reset()."""

    username: str
    first_name: str
    poll_cap: float
    _cond: threading.Condition
    _stopping: bool
    _conflict: bool
    _pending: list[dict]
    _messages: dict[tuple[int, int], dict]
    _chats: dict[int, dict]
    _commands: dict[str, list]
    _last_message_id: dict[int, int]
    _poll_generation: dict[str, int]

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

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

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
