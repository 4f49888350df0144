"""The dashboard side of escalation: due tickets, atomic step claims, replays.

The bot asks; this module decides with `escalation.py` and claims each step with one
conditional UPDATE, so two bots or a retried request never take the same step twice. The
messages a step creates go into the outbox (desk/outbox.py), already claimed by the asking
bot; a retry of a call whose answer was lost replays them, and a lease brings back any the
bot never reported, so a step, once claimed, is always paged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

import escalation
from desk import clock, oncall, outbox, runtime_settings
from desk.extensions import db
from escalation import Action
from models import DeliveryState, Notification, NotificationKind, Ticket, User


@dataclass
class StepResult:
    action: Action
    ticket: Ticket
    level: int
    reason: str = ""
    notifications: list[Notification] = field(default_factory=list)
    replayed: bool = False


def policy() -> escalation.Policy:
    values = runtime_settings.get_ints(
        "escalation_timeout", "ack_timeout", "escalation_repeats", "owner_silence"
    )
    silence = values["owner_silence"]
    return escalation.Policy(
        timeout=timedelta(seconds=values["escalation_timeout"]),
        ack_timeout=timedelta(seconds=values["ack_timeout"]),
        repeats=values["escalation_repeats"],
        has_group=current_app.config.get("SUPPORT_GROUP_ID") is not None,
        owner_silence=timedelta(minutes=silence) if silence else None,
    )


def paged_in_round(ticket: Ticket) -> tuple[frozenset[int], bool]:
    """Who was paged in the ticket's current round, and whether the group was."""
    if ticket.escalation_level == 0:
        return frozenset(), False
    rows = db.session.execute(
        sa.select(Notification.kind, Notification.user_id).where(
            Notification.ticket_id == ticket.id,
            Notification.round == ticket.escalation_round,
            Notification.kind.in_([NotificationKind.PAGE, NotificationKind.GROUP]),
        )
    ).all()
    people = frozenset(r.user_id for r in rows if r.kind == NotificationKind.PAGE)
    return people, any(r.kind == NotificationKind.GROUP for r in rows)


def ticket_state(
    ticket: Ticket, paged: frozenset[int] = frozenset(), group_paged: bool = False
) -> escalation.TicketState:
    return escalation.TicketState(
        status=ticket.status,
        level=ticket.escalation_level,
        round=ticket.escalation_round,
        last_escalated_at=ticket.last_escalated_at,
        acknowledged_at=ticket.acknowledged_at,
        reminded_at=ticket.reminded_at,
        answered=ticket.answered_at is not None,
        assignee_id=ticket.assignee_id,
        paged=paged,
        group_paged=group_paged,
    )


@dataclass
class Due:
    tickets: list[Ticket]  # due now, oldest first
    next_at: datetime | None  # when the first ticket after them falls due


def due_tickets(now: datetime, limit: int = 100) -> Due:
    """Unresolved tickets whose next escalation step is due, oldest first, and when the next
    one after them falls due, so a bot can wake at that instant rather than at its next poll.

    One statement, two range scans of the next_escalation_at index: a bot that polls an idle
    desk costs no more statements than it did before it learned the next instant.
    """
    scheduled = Ticket.next_escalation_at
    due_ids = sa.select(Ticket.id).where(scheduled <= now).order_by(scheduled).limit(limit)
    next_id = sa.select(Ticket.id).where(scheduled > now).order_by(scheduled).limit(1)
    wanted = sa.union_all(due_ids.subquery().select(), next_id.subquery().select())
    rows = db.session.scalars(
        sa.select(Ticket).where(Ticket.id.in_(wanted)).order_by(scheduled)
    ).all()
    later = [t.next_escalation_at for t in rows if t.next_escalation_at > now]
    return Due([t for t in rows if t.next_escalation_at <= now], later[0] if later else None)


def _unchanged_since_read(ticket: Ticket) -> list[sa.ColumnElement[bool]]:
    """Compare-and-set conditions: the ticket is still as `decide()` saw it."""

    def same(column: sa.orm.InstrumentedAttribute, value: object) -> sa.ColumnElement[bool]:
        return column.is_(None) if value is None else column == value

    return [
        Ticket.id == ticket.id,
        Ticket.escalation_level == ticket.escalation_level,
        Ticket.status == ticket.status,
        Ticket.answered_at.is_(None),
        same(Ticket.assignee_id, ticket.assignee_id),
        same(Ticket.acknowledged_at, ticket.acknowledged_at),
        same(Ticket.reminded_at, ticket.reminded_at),
    ]


def _claim(ticket: Ticket, now: datetime, **values: object) -> bool:
    """Write `values` if the ticket is still as read; on success `ticket` holds the new row."""
    update = (
        sa.update(Ticket)
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
        update.returning(Ticket).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return row is not None


def replay(ticket: Ticket, level: int, claimed_by: str | None, now: datetime) -> list:
    """The unsent messages of an already claimed step, handed again to the bot that retries
    the call whose answer it lost."""
    return outbox.release_to(outbox.unsent(ticket, level=level), claimed_by, now)


def _lost(ticket: Ticket, level: int, reason: str) -> StepResult:
    """Another request claimed this step first: answer with the ticket as it now is."""
    db.session.expire(ticket)
    return StepResult(Action.CONFLICT, ticket, level, reason)


def step(
    ticket: Ticket,
    now: datetime | None = None,
    expected_level: int | None = None,
    claimed_by: str | None = None,
) -> StepResult:
    """Take the next escalation step for a ticket, if it is due, and claim it atomically."""
    now = now or clock.now()
    level = ticket.escalation_level
    if expected_level is not None and expected_level <= level:
        if expected_level == level and level > 0:
            notes = replay(ticket, level, claimed_by, now)
            if notes:
                return StepResult(Action.NOTIFY, ticket, level, "replayed", notes, replayed=True)
        return StepResult(Action.CONFLICT, ticket, level, f"level {expected_level} already claimed")
    on_call = oncall.on_call_at(now)
    rules = policy()
    decision = escalation.decide(
        ticket_state(ticket, *paged_in_round(ticket)), on_call.chain, rules, now
    )
    reason = str(decision.reason)

    if decision.action is Action.WAIT:
        if ticket.next_escalation_at != decision.next_at:
            _claim(ticket, now, next_escalation_at=decision.next_at)
        return StepResult(Action.WAIT, ticket, level, reason)

    if decision.action is Action.STOP:
        _claim(ticket, now, next_escalation_at=None)
        return StepResult(Action.STOP, ticket, level, reason)

    if decision.action is Action.REMIND:
        claimed = _claim(
            ticket, now, reminded_at=decision.planned_at, next_escalation_at=decision.next_at
        )
        if not claimed:
            return _lost(ticket, level, "already reminded")
        notes = []
        # The tech it was assigned to is the one to remind; else whoever acknowledged it.
        owner_id = ticket.assignee_id or ticket.acknowledged_by_id
        owner = db.session.get(User, owner_id) if owner_id else None
        if owner and owner.telegram_user_id and owner.active:
            notes.append(
                outbox.add(
                    ticket,
                    NotificationKind.REMINDER,
                    level=level,
                    round_=ticket.escalation_round,
                    user=owner,
                    claimed_by=claimed_by,
                    now=now,
                )
            )
        return StepResult(Action.REMIND, ticket, level, reason, notes)

    target = decision.target
    assert target is not None
    if expected_level is not None and target.level != expected_level:
        return StepResult(Action.CONFLICT, ticket, level, f"next level is {target.level}")
    claimed = _claim(
        ticket,
        now,
        escalation_level=target.level,
        escalation_round=target.round,
        last_escalated_at=decision.planned_at,
        next_escalation_at=decision.next_at,
    )
    if not claimed:
        return _lost(ticket, level, f"level {target.level} already claimed")
    notes = _notifications(ticket, target, claimed_by, now)
    return StepResult(Action.NOTIFY, ticket, target.level, reason, notes)


def _notifications(
    ticket: Ticket, target: escalation.Target, claimed_by: str | None, now: datetime
) -> list[Notification]:
    group_id = current_app.config.get("SUPPORT_GROUP_ID")
    common = {"level": target.level, "round_": target.round, "claimed_by": claimed_by, "now": now}
    if target.kind is escalation.TargetKind.GROUP:
        return [outbox.add(ticket, NotificationKind.GROUP, chat_id=group_id, **common)]
    user = db.session.get(User, target.person_id)
    notes = [outbox.add(ticket, NotificationKind.PAGE, user=user, **common)]
    if target.level == 1 and group_id is not None:
        # The team sees every new ticket in its group, besides the on-call page.
        notes.append(outbox.add(ticket, NotificationKind.POST, chat_id=group_id, **common))
    return notes


def sent_notifications(ticket: Ticket) -> list[Notification]:
    """Every notification about the ticket that reached Telegram, to be edited after an action."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.ticket_id == ticket.id,
                Notification.state == DeliveryState.SENT,
                Notification.telegram_message_id.is_not(None),
                # The user's "How did we do?" is no page: a tech's press never rewrites it;
                # nor a digest, which is about other tickets too.
                Notification.kind != NotificationKind.SATISFACTION,
                Notification.digest.is_(False),
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
    chain = oncall.on_call_at(now).chain
    changed = 0
    waiting = db.session.scalars(
        sa.select(Ticket).where(Ticket.next_escalation_at.is_not(None))
    ).all()
    for ticket in waiting:
        if ticket.escalation_level == 0 and ticket.acknowledged_at is None:
            continue  # not paged yet: due already
        state = ticket_state(ticket, *paged_in_round(ticket))
        decision = escalation.decide(state, chain, rules, now)
        next_at = decision.next_at if decision.action is escalation.Action.WAIT else now
        if next_at == ticket.next_escalation_at:
            continue
        result = db.session.execute(
            sa.update(Ticket)
            .where(
                *_unchanged_since_read(ticket),
                Ticket.next_escalation_at == ticket.next_escalation_at,
            )
            .values(next_escalation_at=next_at)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount
    return changed
