"""Field validation for JSON requests: every problem is reported under its field's name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import MAX_TEXT


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

    def integer(self, name: str, *, required: bool = True) -> int | None:
        value = self.payload.get(name)
        if value is None:
            if required:
                self.errors[name] = "is required"
            return None
        # bool is an int in Python, but `true` is never a valid Telegram id.
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be an integer"
            return None
        if not -(2**63) <= value < 2**63:
            # Telegram ids fit in 64 bits; anything larger cannot be stored or looked up.
            self.errors[name] = "is out of range"
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
        if not allow_blank and not value.strip():
            self.errors[name] = "must not be empty"
            return None
        if len(value) > max_length:
            self.errors[name] = f"must be at most {max_length} characters (got {len(value)})"
            return None
        return value

    def text(self, name: str = "text") -> str | None:
        return self.string(name, required=True, max_length=MAX_TEXT, allow_blank=False)

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
    return value
