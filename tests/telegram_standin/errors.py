"""Telegram's error answers, as the stand-in gives them and as faults inject them."""

from typing import Any

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
