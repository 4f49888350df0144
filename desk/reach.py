"""What the screens say about paging: why nobody can be paged, and what happens meanwhile.

The overview, its live JSON (rebuilt by static/js/overview.js) and the schedule page take their
sentences from here, so the page the server renders and the block the script rebuilds say the
same thing, and both say what the bot really does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from flask import current_app

import escalation
from desk import runtime_settings
from desk.web import duration
from models import User
from user_text import isolate

Unreachable = escalation.Unreachable

# Why the schedule names nobody reachable; `{hour}` is "this hour" now and "that hour" later.
REASONS = {
    Unreachable.NO_SLOT: "no slot covers {hour}",
    Unreachable.NOBODY_LINKED: "nobody in the slot has Telegram linked",
    Unreachable.EVERYONE_INACTIVE: "everyone in the slot is deactivated",
    Unreachable.NOBODY_REACHABLE: (
        "nobody in the slot can be paged (deactivated or no Telegram linked)"
    ),
}
NO_ADMIN = "no active admin has Telegram linked"


class Notice(TypedDict):
    level: str  # danger | warning | info: the notice-<level> class
    text: str


def as_person(user: User) -> escalation.Person:
    """A user as escalation sees them (desk/oncall.py builds the same), so a page about a
    person asks `Person.reachable`, the rule the bot pages by."""
    return escalation.Person(
        id=user.id,
        name=user.display_name,
        telegram_id=user.telegram_user_id,
        active=user.active,
        is_admin=user.is_admin,
    )


def reason(why: escalation.Unreachable, hour: str = "this hour") -> str:
    return REASONS[why].format(hour=hour)


def meanwhile() -> str:
    """What becomes of a new ticket while nobody can be paged."""
    every = duration(runtime_settings.escalation_timeout())
    retried = f"paging is retried every {every} until someone can be paged"
    if current_app.config.get("SUPPORT_GROUP_ID") is not None:
        return f"Meanwhile new tickets are posted to the team group, and {retried}."
    return (
        f"Meanwhile nothing is sent for a new ticket: {retried}. "
        "No team group is set (SUPPORT_GROUP_ID)."
    )


def on_call_notice(on_call: escalation.OnCall, now: bool = True) -> Notice | None:
    """The notice under an on-call answer: why the admins stand in, or why nobody is paged.

    `now` is the answer for this moment (it also says what happens meanwhile); otherwise it
    is a later handover.
    """
    why = on_call.unreachable
    if why is None:
        return None
    text = reason(why, "this hour" if now else "that hour")
    if on_call.chain:  # the admins stand in, and they are reachable
        return {"level": "warning", "text": f"{text[0].upper()}{text[1:]}: the admins are paged."}
    when = "now" if now else "then"
    sentence = f"Nobody can be paged {when}: {text}, and {NO_ADMIN}."
    return {"level": "danger", "text": f"{sentence} {meanwhile()}" if now else sentence}


def uncovered_notice(
    uncovered: timedelta, admins: tuple[escalation.Person, ...], said_meanwhile: bool
) -> Notice:
    """The schedule's warning about the time no slot covers, and what happens in it."""
    hours, minutes = divmod(int(uncovered.total_seconds()) // 60, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    parts += [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []
    are = "is" if (hours, minutes) in ((1, 0), (0, 1)) else "are"
    lead = f"{' '.join(parts)} of the week {are} not covered by any slot"
    if admins:
        names = ", ".join(isolate(p.name) for p in admins)
        return {"level": "warning", "text": f"{lead}: the admins are paged then ({names})."}
    text = f"{lead}, and {NO_ADMIN}: nobody can be paged then."
    # On a page that says already that nobody can be paged now, once is enough.
    return {"level": "warning", "text": text if said_meanwhile else f"{text} {meanwhile()}"}
