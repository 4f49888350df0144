"""Run-time settings kept in `SystemConfig`, falling back to the process environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from desk.extensions import db
from models import SystemConfig


@dataclass(frozen=True)
class IntSetting:
    key: str
    label: str
    help: str
    config_key: str | None  # the app.config default, if any
    default: int
    minimum: int
    maximum: int
    switch: bool = False  # on (1) or off (0), shown as a checkbox


def shown(setting: IntSetting, value: int) -> str:
    """A value as the settings page and the audit log say it."""
    if setting.switch:
        return "on" if value else "off"
    return str(value)


# Minutes to the first answer and to resolution, per priority (issue #16's example for urgent).
SLA_DEFAULTS = {
    "urgent": (15, 4 * 60),
    "high": (60, 8 * 60),
    "normal": (4 * 60, 2 * 24 * 60),
    "low": (24 * 60, 7 * 24 * 60),
}

SETTINGS = {
    s.key: s
    for s in (
        IntSetting(
            "escalation_timeout",
            "Escalation timeout (seconds)",
            "How long a level has to react before the next one is paged.",
            "ESCALATION_TIMEOUT",
            900,
            1,
            86_400,
        ),
        IntSetting(
            "ack_timeout",
            "Acknowledgement timeout (seconds)",
            "How long an acknowledged ticket may stay unanswered before the tech is reminded.",
            "ACK_TIMEOUT",
            1800,
            1,
            7 * 86_400,
        ),
        IntSetting(
            "escalation_repeats",
            "Repeats of the on-call chain",
            "How many times the whole chain is paged again after the team group.",
            None,
            1,
            0,
            10,
        ),
        IntSetting(
            "owner_silence",
            "Page the chain when the owner is silent (minutes, 0 = never)",
            "A taken ticket only reminds its owner. With a number here, a taken ticket that has"
            " had no answer for that many minutes pages the on-call chain again.",
            None,
            0,
            0,
            7 * 24 * 60,
        ),
        IntSetting(
            "audit_retention_days",
            "Keep the audit log (days)",
            "Audit lines older than this are deleted.",
            None,
            365,
            1,
            10 * 365,
        ),
        *(
            IntSetting(
                f"sla_{measure}_{priority}",
                f"SLA: {priority.capitalize()} tickets, {what} within (minutes, 0 = no target)",
                f"A {priority} ticket is due soon in the last quarter of this and breached after"
                f" it{', until its first answer' if measure == 'first_answer' else ''}.",
                None,
                default,
                0,
                60 * 24 * 90,
            )
            for priority, targets in SLA_DEFAULTS.items()
            for (measure, what), default in zip(
                (("first_answer", "first answer"), ("resolve", "resolution")), targets, strict=True
            )
        ),
        IntSetting(
            "admin_two_factor",
            "Admins must use two-factor login",
            "An admin without two-factor is sent to set it up before anything else, and cannot"
            " turn it off. Techs choose for themselves.",
            None,
            0,
            0,
            1,
            switch=True,
        ),
        IntSetting(
            "satisfaction_survey",
            "Ask users to rate resolved tickets",
            'When a ticket is resolved the bot asks its sender "How did we do?" (1-5), once'
            " per ticket; the ratings show on the ticket and in the reports.",
            None,
            1,
            0,
            1,
            switch=True,
        ),
    )
}


def get_int(key: str) -> int:
    """The stored value of a setting, or its default from the environment."""
    return get_ints(key)[key]


def get_ints(*keys: str) -> dict[str, int]:
    """Several settings with one query (the escalation policy reads three on every step)."""
    rows = db.session.execute(
        sa.select(SystemConfig.key, SystemConfig.value).where(SystemConfig.key.in_(keys))
    )
    stored = {key: value for key, value in rows}
    return {key: _value(SETTINGS[key], stored.get(key)) for key in keys}


def _value(setting: IntSetting, stored: str | None) -> int:
    if stored is not None:
        try:
            return int(stored)
        except ValueError:
            pass
    if setting.config_key:
        return int(current_app.config.get(setting.config_key, setting.default))
    return setting.default


def set_int(key: str, value: int, user_id: int | None) -> None:
    setting = SETTINGS[key]
    if not setting.minimum <= value <= setting.maximum:
        raise ValueError(f"must be between {setting.minimum} and {setting.maximum}")
    row = db.session.get(SystemConfig, key)
    if row is None:
        db.session.add(SystemConfig(key=key, value=str(value), updated_by_id=user_id))
    else:
        row.value = str(value)
        row.updated_by_id = user_id


def escalation_timeout() -> timedelta:
    return timedelta(seconds=get_int("escalation_timeout"))


def ack_timeout() -> timedelta:
    return timedelta(seconds=get_int("ack_timeout"))
