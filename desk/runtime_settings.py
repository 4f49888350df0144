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
    # Stored units per unit on the page: 60 when the page says minutes while the value is kept
    # in seconds (as the environment's ESCALATION_TIMEOUT is). default, minimum and maximum
    # are in the page's unit.
    unit: int = 1


def shown(setting: IntSetting, value: int) -> str:
    """A stored value as the settings page and the audit log say it."""
    if setting.switch:
        return "on" if value else "off"
    if setting.unit == 60:
        return f"{value / 60:g} min"
    return str(value)


def on_page(setting: IntSetting, value: int) -> int:
    """A stored value in the page's unit. Seconds that are no whole minute (a test set-up's
    ESCALATION_TIMEOUT=1) round to the nearest minute, at least the minimum; the page says
    what is really in force beside the field (`in_force`)."""
    if value % setting.unit == 0:
        return value // setting.unit
    return max(setting.minimum, round(value / setting.unit))


def in_force(setting: IntSetting, value: int) -> str | None:
    """What the page should add when the field cannot say the stored value exactly."""
    if value % setting.unit == 0:
        return None
    return f"Now {value} seconds (from the environment); saving another value replaces it."


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
            "Escalation timeout (minutes)",
            "How long a level has to react before the next one is paged.",
            "ESCALATION_TIMEOUT",
            15,
            1,
            24 * 60,
            unit=60,
        ),
        IntSetting(
            "ack_timeout",
            "Acknowledgement timeout (minutes)",
            "How long an acknowledged ticket may stay unanswered before the tech is reminded.",
            "ACK_TIMEOUT",
            30,
            1,
            7 * 24 * 60,
            unit=60,
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
    default = setting.default * setting.unit
    if setting.config_key:
        return int(current_app.config.get(setting.config_key, default))
    return default


def set_int(key: str, value: int, user_id: int | None) -> None:
    """Store `value` in the stored unit (seconds for the timeouts)."""
    setting = SETTINGS[key]
    low, high = setting.minimum * setting.unit, setting.maximum * setting.unit
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high}")
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
