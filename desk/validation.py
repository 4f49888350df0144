"""Field validation for JSON requests: every problem is reported under its field's name.

What the bot relays comes from Telegram users, and a ticket must never be lost to one odd
character: strings are cleaned (a NUL byte, which PostgreSQL cannot store, is dropped; a lone
surrogate, which no database can encode, becomes U+FFFD) rather than refused.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from models import MAX_TEXT
from user_text import telegram_length

MAX_JSON_DEPTH = 32  # the bot's deepest body is two levels
# Instants the schedule can reason about; beyond them date arithmetic overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_UNSTORABLE = re.compile("[\ud800-\udfff]")


def clean(value: str) -> str:
    """The text with what no database can store removed: NUL bytes, lone surrogates."""
    return _UNSTORABLE.sub("\ufffd", value.replace("\x00", ""))


def load_json(raw: bytes) -> Any:
    """Parse a request body; None when it is not JSON or nests deeper than MAX_JSON_DEPTH."""
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return payload if _depth(payload) <= MAX_JSON_DEPTH else None


def _depth(value: Any) -> int:
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            level.extend((child, depth + 1) for child in children)
    return deepest


class InvalidRequest(Exception):
    """A JSON body that cannot be used; `fields` maps field names to what is wrong."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Fields:
    """Collects errors while reading a JSON object, then raises them all at once."""

    def __init__(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise InvalidRequest("request body must be a JSON object")
        self.payload = payload
        self.errors: dict[str, str] = {}

    def integer(
        self,
        name: str,
        *,
        required: bool = True,
        minimum: int = -(2**63),
        maximum: int = 2**63 - 1,
    ) -> int | None:
        value = self.payload.get(name)
        if value is None:
            if required:
                self.errors[name] = "is required"
            return None
        # bool is an int in Python, but `true` is never a valid Telegram id.
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be an integer"
            return None
        if not minimum <= value <= maximum:
            # Telegram ids fit in 64 bits; anything larger cannot be stored or looked up.
            self.errors[name] = (
                "is out of range"
                if (minimum, maximum) == (-(2**63), 2**63 - 1)
                else f"must be between {minimum} and {maximum}"
            )
            return None
        return value

    def string(
        self, name: str, *, required: bool = False, max_length: int = 255, allow_blank: bool = True
    ) -> str | None:
        value = self.payload.get(name)
        if value is None:
            if required:
                self.errors[name] = "is required"
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be a string"
            return None
        value = clean(value)
        if not allow_blank and not value.strip():
            self.errors[name] = "must not be empty"
            return None
        if len(value) > max_length:
            self.errors[name] = f"must be at most {max_length} characters (got {len(value)})"
            return None
        return value

    def text(self, name: str = "text") -> str | None:
        """A message's text, limited as Telegram limits one: in UTF-16 code units."""
        value = self.string(name, required=True, max_length=MAX_TEXT, allow_blank=False)
        if value is not None and telegram_length(value) > MAX_TEXT:
            self.errors[name] = (
                f"must be at most {MAX_TEXT} UTF-16 code units, as Telegram counts a message "
                f"(got {telegram_length(value)}: an emoji counts as two)"
            )
            return None
        return value

    def boolean(self, name: str, *, required: bool = True) -> bool | None:
        value = self.payload.get(name)
        if value is None:
            if required:
                self.errors[name] = "is required"
            return None
        if not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, required: bool = True) -> str | None:
        value = self.string(name, required=required, max_length=64)
        if value is not None and value not in choices:
            self.errors[name] = f"must be one of: {', '.join(choices)}"
            return None
        return value

    def check(self) -> None:
        if self.errors:
            raise InvalidRequest("invalid fields", self.errors)


def parse_instant(name: str, raw: str) -> datetime:
    """An ISO 8601 instant with a zone offset; a naive time is ambiguous, so it is refused."""
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest("invalid fields", {name: "must be an ISO 8601 time"}) from None
    if value.tzinfo is None:
        raise InvalidRequest(
            "invalid fields", {name: "must include a UTC offset, e.g. 2026-11-25T09:00:00+00:00"}
        )
    try:
        in_range = EARLIEST <= value <= LATEST
    except OverflowError:  # an offset that pushes year 1 or 9999 off the calendar
        in_range = False
    if not in_range:
        raise InvalidRequest(
            "invalid fields", {name: f"must be between {EARLIEST:%Y} and {LATEST:%Y}"}
        )
    return value


MAX_PAGE = 100_000


def page_number(raw: str | None) -> int:
    """A page of a list from `?page=`: a mangled or absurd one (past what an OFFSET can hold)
    is the first page."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= MAX_PAGE else 1
