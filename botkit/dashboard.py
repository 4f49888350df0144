"""A small synchronous client of the dashboard's JSON API (run it off the event loop)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import requests

log = logging.getLogger(__name__)


class DashboardUnavailable(Exception):
    """The dashboard could not be reached or failed (connection error, timeout, 5xx)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status of a 5xx; None when it could not be reached


class DashboardRefused(Exception):
    """The dashboard answered with a 4xx; `status` and the JSON `error` say why."""

    def __init__(self, status: int, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.body = body or {}


def json_answer(call: str, status: int, read_json: Callable[[], Any]) -> dict[str, Any]:
    """The JSON body of an answer to `call`; a 5xx or a body that is not JSON is
    DashboardUnavailable, a 4xx DashboardRefused with the body's `error`."""
    if status >= 500:
        raise DashboardUnavailable(f"{call}: HTTP {status}", status)
    try:
        body = read_json()
    except ValueError:
        raise DashboardUnavailable(f"{call}: answer is not JSON") from None
    if status >= 400:
        raise DashboardRefused(status, body.get("error", ""), body)
    return body


class DashboardClient:
    def __init__(
        self, base_url: str, token: str, timeout: float = 10.0, instance: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        if instance:
            # The dashboard hands a replayed claim back only to the bot that made it.
            self.session.headers["X-Bot-Instance"] = instance
        # The dashboard is ours and local; a proxy from the environment would only get in the way.
        self.session.trust_env = False

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        try:
            response = self.session.request(
                method,
                f"{self.base_url}/api{path}",
                json=json,
                data=data,
                files=files,
                params=params or None,
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise DashboardUnavailable(f"{method} {path}: {error.__class__.__name__}") from error
        return json_answer(f"{method} {path}", response.status_code, response.json)

    def download(self, path: str) -> bytes:
        """GET a file's bytes (the API's one answer that is not JSON)."""
        try:
            response = self.session.get(f"{self.base_url}/api{path}", timeout=self.timeout)
        except requests.RequestException as error:
            raise DashboardUnavailable(f"GET {path}: {error.__class__.__name__}") from error
        if response.status_code >= 500:
            raise DashboardUnavailable(
                f"GET {path}: HTTP {response.status_code}", response.status_code
            )
        if response.status_code >= 400:
            try:
                message = response.json().get("error", "")
            except ValueError:
                message = response.reason
            raise DashboardRefused(response.status_code, message)
        return response.content

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.request("GET", path, **params)

    def post(self, path: str, json: Any = None) -> dict[str, Any]:
        return self.request("POST", path, json=json if json is not None else {})

    def upload(self, path: str, fields: dict[str, str], file_path: Path | None) -> dict[str, Any]:
        """POST multipart/form-data: the fields, and the file (if any) as `file`."""
        if file_path is None:
            # requests sends fields alone urlencoded; an empty part keeps it multipart.
            return self.request("POST", path, files={k: (None, v) for k, v in fields.items()})
        with open(file_path, "rb") as content:
            file_part = (fields.get("file_name") or "file", content, "application/octet-stream")
            return self.request("POST", path, data=fields, files={"file": file_part})

    def post_allow_conflict(self, path: str, json: Any = None) -> dict[str, Any]:
        """POST where 409 is an expected answer (a claim someone else won)."""
        try:
            return self.post(path, json)
        except DashboardRefused as refused:
            if refused.status == 409:
                return refused.body | {"conflict": True}
            raise


class LongPollClient:
    """The dashboard's long polls (GET ...?wait=), on httpx's asynchronous client.

    Cancelled (the bot stopping), such a request closes its connection at once; the requests
    session above runs in a thread, which would hold a SIGTERM up for the rest of the wait.
    """

    def __init__(
        self, base_url: str, token: str, timeout: float = 10.0, instance: str | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if instance:
            headers["X-Bot-Instance"] = instance
        self.timeout = timeout
        self.client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/api", headers=headers, trust_env=False
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, path: str, wait: float) -> dict[str, Any]:
        """GET `path` letting the dashboard hold it up to `wait` seconds; the errors are
        DashboardClient's."""
        try:
            response = await self.client.get(
                path,
                params={"wait": f"{wait:g}"},
                timeout=httpx.Timeout(self.timeout, read=wait + self.timeout),
            )
        except httpx.HTTPError as error:
            raise DashboardUnavailable(f"GET {path}: {error.__class__.__name__}") from error
        return json_answer(f"GET {path}", response.status_code, response.json)
