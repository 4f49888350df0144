"""Reading a Bot API request: its parameters, message text and entities, and the small
helpers that shape messages and chats."""

import email.parser
import email.policy
import html
import html.parser
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import _ApiError

# Parameters whose form value is the string itself, never JSON (a text of "42" stays "42").
_TEXT_FIELDS = frozenset(
    "text caption parse_mode callback_query_id action url description short_description "
    "name title language_code inline_message_id business_connection_id emoji query "
    "secret_token question address first_name last_name phone_number message_effect_id "
    "payload currency provider_token start_parameter custom_title invite_link ip_address "
    "next_offset switch_pm_text switch_pm_parameter".split()
)


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
    if _utf16(text) > 4096:  # Telegram counts UTF-16 code units after parsing entities
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


def _with_command(text: str | None, entities: list[dict] | None) -> list[dict]:
    """The entities Telegram finds: a leading "/command" becomes a bot_command entity."""
    entities = list(entities or [])
    if (text or "").startswith("/") and not any(
        e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities
    ):
        command = text.split(None, 1)[0]
        entities.insert(0, {"type": "bot_command", "offset": 0, "length": _utf16(command)})
    return entities
