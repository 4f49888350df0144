"""What a tech does to a ticket, from the dashboard or a Telegram button.

Each action records who did it in the ticket's audit trail and updates the escalation state:
any handling pauses paging (acknowledged), an answer or resolution ends it.
"""

from __future__ import annotations

import sqlalchemy as sa

from desk import clock, runtime_settings
from desk.extensions import db
from desk.tickets import record_event
from models import DeliveryState, Priority, Status, SupportMessage, SupportResponse, User


class ActionRefused(Exception):
    """The action makes no sense in the ticket's state; the message says why, for the user."""


def acknowledge(ticket: SupportMessage, actor: User) -> bool:
    """Mark the ticket as seen by `actor`; False when someone had already acknowledged it."""
    if ticket.status == Status.RESOLVED:
        raise ActionRefused(f"Ticket #{ticket.number} is already resolved.")
    if ticket.acknowledged_at is not None:
        return False
    now = clock.now()
    ticket.acknowledged_at = now
    ticket.acknowledged_by_id = actor.id
    ticket.acknowledged_by = actor
    if ticket.answered_at is None:
        # Paging pauses; if nobody answers within the ack timeout, the tech is reminded.
        ticket.next_escalation_at = now + runtime_settings.ack_timeout()
    ticket.updated_at = now
    record_event(ticket, "acknowledged", "", actor)
    return True


def take(ticket: SupportMessage, actor: User) -> None:
    """Acknowledge, assign to `actor` and set in progress, in one step."""
    if ticket.assignee_id is not None and ticket.assignee_id != actor.id:
        raise ActionRefused(
            f"Ticket #{ticket.number} is already taken by {ticket.assignee.display_name}."
        )
    # Two techs pressing Take at once both read "unassigned": only one conditional UPDATE wins.
    claimed = db.session.execute(
        sa.update(SupportMessage)
        .where(
            SupportMessage.id == ticket.id,
            sa.or_(SupportMessage.assignee_id.is_(None), SupportMessage.assignee_id == actor.id),
        )
        .values(assignee_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        db.session.refresh(ticket)
        taker = ticket.assignee.display_name if ticket.assignee else "someone else"
        raise ActionRefused(f"Ticket #{ticket.number} is already taken by {taker}.")
    ticket.assignee_id = None  # let assign() below record the change and its event
    acknowledge(ticket, actor)
    assign(ticket, actor, actor)
    set_status(ticket, Status.IN_PROGRESS, actor)


def assign(ticket: SupportMessage, assignee: User | None, actor: User) -> None:
    if ticket.assignee_id == (assignee.id if assignee else None):
        return
    if assignee is not None and not assignee.active:
        raise ActionRefused(f"{assignee.display_name} is deactivated.")
    if assignee is not None and ticket.status != Status.RESOLVED:
        if not acknowledge(ticket, actor) and ticket.answered_at is None:
            # A new owner gets a fresh acknowledgement clock (and reminder), so taking a
            # ticket after the previous tech's reminder does not resume paging.
            now = clock.now()
            ticket.acknowledged_at = now
            ticket.reminded_at = None
            ticket.next_escalation_at = now + runtime_settings.ack_timeout()
    ticket.assignee_id = assignee.id if assignee else None
    ticket.assignee = assignee
    ticket.updated_at = clock.now()
    record_event(
        ticket, "assigned", f"to {assignee.display_name}" if assignee else "unassigned", actor
    )


def set_status(ticket: SupportMessage, status: Status, actor: User) -> None:
    if ticket.status == status:
        return
    now = clock.now()
    previous = ticket.status
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.next_escalation_at = None
    else:
        if previous == Status.RESOLVED:
            ticket.resolved_at = None
            ticket.status = status  # reopened first, so it can be acknowledged below
        if ticket.acknowledged_at is None:
            acknowledge(ticket, actor)
    ticket.status = status
    ticket.updated_at = now
    record_event(ticket, "status", f"{previous.value} → {status.value}", actor)


def resolve(ticket: SupportMessage, actor: User) -> None:
    if ticket.status == Status.RESOLVED:
        raise ActionRefused(f"Ticket #{ticket.number} is already resolved.")
    set_status(ticket, Status.RESOLVED, actor)


def set_priority(ticket: SupportMessage, priority: Priority, actor: User) -> None:
    if ticket.priority == priority:
        return
    record_event(ticket, "priority", f"{ticket.priority.value} → {priority.value}", actor)
    ticket.priority = priority
    ticket.updated_at = clock.now()


def answer(ticket: SupportMessage, text: str, author: User) -> SupportResponse:
    """Queue an answer for delivery to the user; answering ends escalation."""
    now = clock.now()
    response = SupportResponse(
        ticket_id=ticket.id, author_id=author.id, text=text, created_at=now, updated_at=now
    )
    response.author = author
    db.session.add(response)
    if ticket.acknowledged_at is None and ticket.status != Status.RESOLVED:
        acknowledge(ticket, author)
    if ticket.answered_at is None:
        ticket.answered_at = now
    ticket.next_escalation_at = None
    if ticket.status == Status.OPEN:
        set_status(ticket, Status.IN_PROGRESS, author)
    ticket.updated_at = now
    return response


def retry_delivery(response: SupportResponse, actor: User) -> None:
    """Queue a failed answer again; only failed answers can be retried (never a sent one)."""
    if response.delivery_state != DeliveryState.FAILED:
        raise ActionRefused("Only a failed answer can be sent again.")
    response.delivery_state = DeliveryState.PENDING
    response.last_error = None
    response.attempts = 0
    response.updated_at = clock.now()
    record_event(response.ticket, "retry", f"answer {response.id} queued again", actor)
