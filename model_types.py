"""The column types every model module shares: aware UTC timestamps and enums as strings.

Nothing of ours is imported here, so models.py, schedule_models.py and report_models.py can
all build on it.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The one clock of the dashboard (desk/clock.py is this): tests put a fake clock in
    `app.config["CLOCK"]`, and every default timestamp of a row follows it too."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that only accepts aware values and always returns UTC-aware ones."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite compares the stored text, so store one canonical naive-UTC form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum_cls: type[enum.StrEnum], length: int = 16) -> sa.Enum:
    # Plain strings: readable in psql and portable across backends; Python sees the enum.
    return sa.Enum(
        enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


def enum_column(enum_cls: type[enum.StrEnum], default: enum.StrEnum) -> Mapped:
    return mapped_column(enum_type(enum_cls), default=default, server_default=default.value)
