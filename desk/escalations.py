"""The dashboard side of escalation: due tickets, atomic level claims, notification records.

The bot asks; this module decides with `escalation.py` and claims each step with one
conditional UPDATE, so two bots, a retried request or a crash between claim and send can never
page the same level twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

import escalation
from desk import clock, oncall, runtime_settings
from desk.database import commit_keeping_loaded_state
from desk.extensions import db
from models import DeliveryState, Notification, Status, SupportMessage, User


@dataclass
class StepResult:
    action: str  # notify | remind | wait | stop | conflict
    ticket: SupportMessage
    level: int
    reason: str = ""
    notifications: list[Notification] = field(default_factory=list)


def policy() -> escalation.Policy:
    values = runtime_settings.get_ints("escalation_timeout", "ack_timeout", "escalation_repeats")
    return escalation.Policy(
        timeout=timedelta(seconds=values["escalation_timeout"]),
        ack_timeout=timedelta(seconds=values["ack_timeout"]),
        repeats=values["escalation_repeats"],
        has_group=current_app.config.get("SUPPORT_GROUP_ID") is not None,
    )


def ticket_state(ticket: SupportMessage) -> escalation.TicketState:
    return escalation.TicketState(
        status=ticket.status.value,
        level=ticket.escalation_level,
        last_escalated_at=ticket.last_escalated_at,
        acknowledged_at=ticket.acknowledged_at,
        reminded_at=ticket.reminded_at,
        answered=ticket.answered_at is not None,
        assignee_id=ticket.assignee_id,
    )


def due_tickets(now: datetime, limit: int = 100) -> list[SupportMessage]:
    """Unresolved tickets whose next escalation step is due, oldest first (index range scan)."""
    return list(
        db.session.scalars(
            sa.select(SupportMessage)
            .where(
                SupportMessage.next_escalation_at.is_not(None),
                SupportMessage.next_escalation_at <= now,
            )
            .order_by(SupportMessage.next_escalation_at)
            .limit(limit)
        )
    )


def _unchanged_since_read(ticket: SupportMessage) -> list[sa.ColumnElement[bool]]:
    """Compare-and-set conditions: the ticket is still as `decide()` saw it."""

    def same(column: sa.orm.InstrumentedAttribute, value: object) -> sa.ColumnElement[bool]:
        return column.is_(None) if value is None else column == value

    return [
        SupportMessage.id == ticket.id,
        SupportMessage.escalation_level == ticket.escalation_level,
        SupportMessage.status != Status.RESOLVED,
        SupportMessage.answered_at.is_(None),
        same(SupportMessage.acknowledged_at, ticket.acknowledged_at),
        same(SupportMessage.reminded_at, ticket.reminded_at),
    ]


def _claim(ticket: SupportMessage, now: datetime, **values: object) -> bool:
    """Write `values` if the ticket is still as read; on success `ticket` holds the new row."""
    update = (
        sa.update(SupportMessage)
        .where(*_unchanged_since_read(ticket))
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if not db.engine.dialect.update_returning:  # SQLite before 3.35
        claimed = db.session.execute(update).rowcount == 1
        if claimed:
            db.session.refresh(ticket)
        return claimed
    # RETURNING refreshes the ticket in the same statement: a page's claim reads nothing back.
    row = db.session.execute(
        update.returning(SupportMessage).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return row is not None


def step(
    ticket: SupportMessage, now: datetime | None = None, expected_level: int | None = None
) -> StepResult:
    """Take the next escalation step for a ticket, if it is due, and claim it atomically."""
    now = now or clock.now()
    if expected_level is not None and expected_level <= ticket.escalation_level:
        return StepResult(
            "conflict", ticket, ticket.escalation_level, f"level {expected_level} already claimed"
        )
    on_call = oncall.on_call_at(now)
    decision = escalation.decide(ticket_state(ticket), len(on_call.chain), policy(), now)
    level = ticket.escalation_level

    if decision.action is escalation.Action.WAIT:
        if ticket.next_escalation_at != decision.next_at:
            _claim(ticket, now, next_escalation_at=decision.next_at)
            db.session.commit()
        return StepResult("wait", ticket, level, decision.reason)

    if decision.action is escalation.Action.STOP:
        next_at = None
        if decision.reason == "nobody to notify":
            # Nobody is reachable yet; look again after a timeout rather than give up for good.
            next_at = now + policy().timeout
        _claim(ticket, now, next_escalation_at=next_at)
        db.session.commit()
        return StepResult("stop", ticket, level, decision.reason)

    if decision.action is escalation.Action.REMIND:
        if not _claim(ticket, now, reminded_at=now, next_escalation_at=decision.next_at):
            db.session.rollback()
            return StepResult("conflict", ticket, level, "already reminded")
        notes = []
        # The tech it was assigned to is the one to remind; else whoever acknowledged it.
        owner_id = ticket.assignee_id or ticket.acknowledged_by_id
        acknowledger = db.session.get(User, owner_id) if owner_id else None
        if acknowledger and acknowledger.telegram_user_id and acknowledger.active:
            notes.append(_notification(ticket, level, "reminder", acknowledger, now))
        db.session.commit()
        return StepResult("remind", ticket, level, decision.reason, notes)

    target = decision.target
    assert target is not None
    if expected_level is not None and target.level != expected_level:
        return StepResult("conflict", ticket, level, f"next level is {target.level}")
    claimed = _claim(
        ticket,
        now,
        escalation_level=target.level,
        last_escalated_at=now,
        next_escalation_at=decision.next_at,
    )
    if not claimed:
        db.session.rollback()
        return StepResult("conflict", ticket, level, f"level {target.level} already claimed")

    notes = []
    group_id = current_app.config.get("SUPPORT_GROUP_ID")
    if target.kind == "person":
        person = on_call.chain[target.index]
        user = db.session.get(User, person.id)
        notes.append(_notification(ticket, target.level, "page", user, now))
        if target.level == 1 and group_id is not None:
            # The team sees every new ticket in its group, besides the on-call page.
            notes.append(_notification(ticket, target.level, "post", None, now, chat_id=group_id))
    else:
        notes.append(_notification(ticket, target.level, "group", None, now, chat_id=group_id))
    commit_keeping_loaded_state(db.session())
    return StepResult("notify", ticket, target.level, decision.reason, notes)


def _notification(
    ticket: SupportMessage,
    level: int,
    kind: str,
    user: User | None,
    now: datetime,
    chat_id: int | None = None,
) -> Notification:
    note = Notification(
        ticket_id=ticket.id,
        user_id=user.id if user else None,
        chat_id=chat_id if chat_id is not None else user.telegram_user_id,
        level=level,
        kind=kind,
        state=DeliveryState.PENDING,
        created_at=now,
    )
    if user is not None:
        note.user = user
    db.session.add(note)
    db.session.flush()
    return note


def record_delivery(
    note: Notification, sent: bool, telegram_message_id: int | None, error: str | None
) -> None:
    """Store what Telegram said about a notification; a second report changes nothing."""
    if note.state in (DeliveryState.SENT, DeliveryState.FAILED):
        return
    note.state = DeliveryState.SENT if sent else DeliveryState.FAILED
    note.telegram_message_id = telegram_message_id
    note.error = error
    note.sent_at = clock.now() if sent else None
    db.session.commit()


def sent_notifications(ticket: SupportMessage) -> list[Notification]:
    """Every notification about the ticket that reached Telegram, to be edited after an action."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.ticket_id == ticket.id,
                Notification.state == DeliveryState.SENT,
                Notification.telegram_message_id.is_not(None),
            )
            .order_by(Notification.id)
        )
    )


def reschedule_open_tickets(now: datetime | None = None) -> int:
    """Recompute every pending step after an admin changed a timeout, so the new value applies
    to the next step of tickets already escalating, not only to new ones.

    Each ticket is rewritten only if it is still as read: a bot claiming a step at the same
    moment keeps its claim, and its own new due time stands.
    """
    now = now or clock.now()
    rules = policy()
    changed = 0
    waiting = db.session.scalars(
        sa.select(SupportMessage).where(SupportMessage.next_escalation_at.is_not(None))
    ).all()
    for ticket in waiting:
        if ticket.escalation_level == 0 and ticket.acknowledged_at is None:
            continue  # not paged yet: due already
        decision = escalation.decide(ticket_state(ticket), 1, rules, now)
        next_at = decision.next_at if decision.action is escalation.Action.WAIT else now
        if next_at == ticket.next_escalation_at:
            continue
        result = db.session.execute(
            sa.update(SupportMessage)
            .where(
                *_unchanged_since_read(ticket),
                SupportMessage.next_escalation_at == ticket.next_escalation_at,
            )
            .values(next_escalation_at=next_at)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount
    db.session.commit()
    return changed
