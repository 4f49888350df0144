"""The dashboard's notion of now; tests put a fake clock in `app.config["CLOCK"]`."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else datetime.now(UTC)
