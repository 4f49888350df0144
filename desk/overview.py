"""The overview: ticket counts, who is on call, late pages, recent tickets; refreshed live by JS."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

import escalation
import weekly_schedule
from desk import bot_presence, clock, oncall, reach, sla, tickets
from desk.extensions import db
from desk.permissions import require_login
from desk.web import ago, duration, localtime, priority_label, status_label, weekday_name
from models import DeliveryState, Notification, ScheduleSlot, Status, Ticket, User
from schedule_models import Rotation
from user_text import isolate, visible

bp = Blueprint("overview", __name__)
bp.before_request(require_login)

RECENT_TICKETS = 10
PREVIEW_CHARS = 140
HANDOVER_HORIZON_HOURS = 7 * 24  # a weekly schedule changes hands within a week, or never
LATE_AFTER = timedelta(minutes=1)  # a page the bot has not delivered by then is worth a look


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ticket_row(ticket: Ticket) -> dict[str, object]:
    """A ticket as the overview's list shows it; the JSON and the template share this shape.

    What users wrote is visible text here (user_text.py); the template and the script put it in
    a <bdi>.
    """
    return {
        "id": ticket.id,
        "number": ticket.number,
        "url": url_for("ticket_pages.detail", ticket_id=ticket.id),
        "preview": preview(visible(ticket.text)),
        "sender": visible(ticket.sender_name),
        "status": ticket.status.value,
        "status_label": status_label(ticket.status),
        "priority": ticket.priority.value,
        "priority_label": priority_label(ticket.priority),
        "assignee": visible(ticket.assignee.display_name) if ticket.assignee else None,
        "created": localtime(ticket.created_at),
        "age": ago(ticket.created_at),
        "sla": sla.as_dict(sla.of(ticket)),
        "take_url": (
            url_for("ticket_pages.take", ticket_id=ticket.id)
            if ticket.assignee_id is None and ticket.status != Status.RESOLVED
            else None
        ),
    }


def recent_tickets() -> list[dict[str, object]]:
    rows = db.session.scalars(
        sa.select(Ticket)
        .options(selectinload(Ticket.assignee))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(RECENT_TICKETS)
    )
    return [ticket_row(t) for t in rows]


def slot_label(slot: weekly_schedule.Slot | None) -> str | None:
    if slot is None:
        return None
    return f"{weekday_name(slot.weekday)} {slot.start:%H:%M}–{slot.end:%H:%M}"


def chain_summary(on_call: escalation.OnCall, now: bool = True) -> dict[str, object]:
    """An on-call answer as the block shows it; `alert` is the notice's level and text.

    Names are visible text, put in a <bdi> by the template and the script; a name inside a
    line of ours ("skipped") is isolated with FSI … PDI.
    """
    return {
        "primary": visible(on_call.primary.name) if on_call.primary else None,
        "backups": [visible(p.name) for p in on_call.chain[1:]],
        "skipped": [f"{isolate(s.name)} ({s.reason.replace('_', ' ')})" for s in on_call.skipped],
        "fallback": on_call.fallback,
        "unreachable": on_call.unreachable.value if on_call.unreachable else None,
        "alert": reach.on_call_notice(on_call, now=now),
        "slot": slot_label(on_call.slot),
    }


def on_call_summary(now: datetime) -> dict[str, object]:
    """Who is paged now, and the next change of hands within a week."""
    roster = oncall.load_roster()
    summary = chain_summary(oncall.on_call_at(now, roster))
    upcoming = oncall.upcoming_handovers(now, hours=HANDOVER_HORIZON_HOURS, roster=roster)
    summary["next"] = None
    if upcoming:
        handover = upcoming[0]
        summary["next"] = chain_summary(handover.on_call, now=False) | {
            "at": localtime(handover.at)
        }
    return summary


def late_notifications(now: datetime) -> dict[str, str] | None:
    """A warning when pages or posts wait for the bot longer than LATE_AFTER, else None."""
    count, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Notification.created_at)).where(
            Notification.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)),
            Notification.created_at < now - LATE_AFTER,
        )
    ).one()
    if not count:
        return None
    has = "notification has" if count == 1 else "notifications have"
    return {
        "text": f"{count} {has} waited over a minute to be sent (the oldest for "
        f"{duration(now - oldest)}): check that the bot is running and can reach Telegram."
    }


def bot_presence_summary() -> dict[str, object]:
    """When the bot last reported; a silent bot means nobody is paged."""
    seen = bot_presence.last_seen()
    return {
        "last_seen": seen.isoformat() if seen else None,
        "label": f"{localtime(seen, '%a %d %b %H:%M:%S')} ({ago(seen)})" if seen else "never",
        "silent": bot_presence.is_silent(clock.now()),
    }


def live_data() -> dict[str, object]:
    now = clock.now()
    # The list before the counts: each query sees what was committed when it ran, so a ticket
    # filed in between is counted but not yet listed, never listed but not counted.
    recent = recent_tickets()
    return {
        "bot": bot_presence_summary(),
        "counts": tickets.status_counts(),
        "late": late_notifications(now),
        "on_call": on_call_summary(now),
        "recent": recent,
    }


def first_steps() -> list[dict[str, object]] | None:
    """An admin's checklist of a first start, each step ticked as it becomes true, until all
    are (then it has done its job and goes); where the generated API token is for a bot that
    runs in another folder or machine."""
    if not current_user.is_admin:
        return None
    others = sa.select(User.id).where(User.id != current_user.id, User.active).limit(1)
    planned = any(
        db.session.scalar(sa.select(model.id).limit(1)) is not None
        for model in (ScheduleSlot, Rotation)
    )
    steps = [
        {
            "done": not current_user.must_change_password,
            "key": "password",
            "url": url_for("auth.change_password"),
        },
        {
            "done": db.session.scalar(others) is not None,
            "key": "techs",
            "url": url_for("user_pages.new"),
        },
        {"done": current_user.telegram_linked, "key": "link", "url": url_for("auth.account")},
        {
            "done": planned,
            "key": "schedule",
            "url": url_for("schedule_pages.new"),
            "rotation_url": url_for("rotation_pages.new"),
        },
        {
            "done": bot_presence.last_seen() is not None,
            "key": "bot",
            "token_file": current_app.config.get("BOT_API_TOKEN_FILE"),
        },
        {"done": current_app.config.get("SUPPORT_GROUP_ID") is not None, "key": "group"},
    ]
    return None if all(step["done"] for step in steps) else steps


@bp.get("/")
def index():
    """The overview page a tech keeps open during an incident."""
    return render_template("overview.html", first_steps=first_steps(), **live_data())


@bp.get("/overview/live.json")
def live():
    """The overview's changing blocks, polled by static/js/overview.js."""
    return jsonify(live_data())
