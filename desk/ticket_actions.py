"""What a tech does to a ticket, from the dashboard or a Telegram button.

Each action records who did it in the ticket's audit trail and updates the escalation state:
any handling pauses paging (acknowledged), an answer or resolution ends it.

Presses race: two techs, or one tech's double press, reach the dashboard within milliseconds,
both having read the same ticket. So an action first claims the ticket (`_claim`): one
conditional UPDATE that only matches a ticket still in the state the press expects, its row
count deciding. The winner then holds the row until it commits, so its changes and their
audit events cannot interleave with another press; the loser is refused, naming who has it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import sqlalchemy as sa

from desk import attachments, clock, runtime_settings, satisfaction
from desk.extensions import db
from desk.tickets import record_event
from desk.web import status_label
from message_models import Attachment
from models import (
    ANSWER_PART,
    DeliveryState,
    EventKind,
    Priority,
    Status,
    SupportResponse,
    Ticket,
    TicketEvent,
    TicketNote,
    User,
)
from user_text import isolate, split_to


class ActionRefused(Exception):
    """The action makes no sense in the ticket's state; the message says why, for the user."""


class Button(enum.StrEnum):
    """The one-click actions under a Telegram notification, named as in its callback data."""

    ACKNOWLEDGE = "ack"
    TAKE = "take"
    RESOLVE = "resolve"


# What Acknowledge expects of the ticket, in SQL for its claim.
UNACKNOWLEDGED = (
    Ticket.acknowledged_at.is_(None),
    Ticket.status != Status.RESOLVED,
)


def _claim(ticket: Ticket, *expected: sa.ColumnElement[bool]) -> bool:
    """Claim the ticket if it is still as `expected`: True for the one request that wins.

    A second claim waits (PostgreSQL: for the row lock, then re-checks `expected` against the
    winner's row; SQLite: for the write lock, within the busy timeout) and matches nothing.
    Either way `ticket` is reloaded: the winner goes on from the row as it is now, and the
    loser can say who beat it.
    """
    db.session.flush()  # this request's own pending changes first, or the reload drops them
    claimed = db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id, *expected)
        .values(updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(ticket)
    return claimed.rowcount == 1


def refuse_repeated_action(ticket: Ticket, action: Button, actor: User) -> str | None:
    """Why a button press changes nothing (the ticket is already taken or resolved), or None.

    The conditions of the claims below say the same in SQL; this says it to the tech.
    """
    if ticket.status == Status.RESOLVED:
        return f"Ticket #{ticket.number} is already resolved."
    if ticket.assignee_id is not None and action != Button.RESOLVE:
        if ticket.assignee_id != actor.id:
            who = isolate(ticket.assignee.display_name)
            return f"Ticket #{ticket.number} is already taken by {who}."
        if action == Button.TAKE and ticket.status != Status.OPEN:
            return f"Ticket #{ticket.number} is already yours."
    if action == Button.ACKNOWLEDGE and ticket.acknowledged_at is not None:
        if ticket.acknowledged_by_id == actor.id:
            return f"You already acknowledged ticket #{ticket.number}."
        by = ticket.acknowledged_by
        who = isolate(by.display_name) if by else "someone"
        return f"Ticket #{ticket.number} was already acknowledged by {who}."
    return None


def _claim_for(
    button: Button, ticket: Ticket, actor: User, *expected: sa.ColumnElement[bool]
) -> None:
    """Claim the ticket for a press of `button`, or refuse the press saying who has it."""
    # As read, the ticket may already say no: then there is nothing to claim.
    refusal = refuse_repeated_action(ticket, button, actor)
    if refusal is None:
        if _claim(ticket, *expected):
            return
        # Another press won between our read and our claim; the reloaded ticket names it.
        refusal = refuse_repeated_action(ticket, button, actor)
    raise ActionRefused(refusal or f"Ticket #{ticket.number} has just changed; look again.")


def press(button: Button, ticket: Ticket, actor: User) -> None:
    """A tech pressed a button under a notification; refused unless this press wins."""
    if button == Button.ACKNOWLEDGE:
        _claim_for(button, ticket, actor, *UNACKNOWLEDGED)
        _record_acknowledgement(ticket, actor)
    elif button == Button.TAKE:
        take(ticket, actor)
    else:
        resolve(ticket, actor)


def acknowledge(ticket: Ticket, actor: User) -> bool:
    """Mark the ticket as seen by `actor`; False when someone had already acknowledged it."""
    if ticket.status == Status.RESOLVED:
        raise ActionRefused(f"Ticket #{ticket.number} is already resolved.")
    if ticket.acknowledged_at is not None:
        return False
    if not _claim(ticket, *UNACKNOWLEDGED):
        if ticket.status == Status.RESOLVED:
            raise ActionRefused(f"Ticket #{ticket.number} is already resolved.")
        return False
    _record_acknowledgement(ticket, actor)
    return True


def _acknowledge_if_unseen(ticket: Ticket, actor: User) -> bool:
    """Acknowledge on the way, for an action that has claimed the ticket; False if it was."""
    if ticket.acknowledged_at is not None:
        return False
    _record_acknowledgement(ticket, actor)
    return True


def _record_acknowledgement(ticket: Ticket, actor: User) -> None:
    now = clock.now()
    ticket.acknowledged_at = now
    ticket.acknowledged_by_id = actor.id
    ticket.acknowledged_by = actor
    if ticket.answered_at is None:
        # Paging pauses; if nobody answers within the ack timeout, the tech is reminded.
        ticket.next_escalation_at = now + runtime_settings.ack_timeout()
    record_event(ticket, EventKind.ACKNOWLEDGED, "", actor)


def take(ticket: Ticket, actor: User) -> None:
    """Acknowledge, assign to `actor` and set in progress, in one step."""
    # Takeable: nobody's yet, or assigned to `actor` by someone else and not started. A taken
    # ticket is in progress, so a second Take, by anyone, matches neither.
    takeable = sa.or_(
        Ticket.assignee_id.is_(None),
        sa.and_(Ticket.assignee_id == actor.id, Ticket.status == Status.OPEN),
    )
    _claim_for(Button.TAKE, ticket, actor, Ticket.status != Status.RESOLVED, takeable)
    _acknowledge_if_unseen(ticket, actor)
    _hand_over(ticket, actor, actor)
    if ticket.status != Status.IN_PROGRESS:
        _change_status(ticket, Status.IN_PROGRESS, actor)


def assign(ticket: Ticket, assignee: User | None, actor: User) -> None:
    """Give the ticket to `assignee`, or to nobody; refused when it already is theirs."""
    assignee_id = assignee.id if assignee else None
    if assignee is not None and not assignee.active:
        raise ActionRefused(f"{isolate(assignee.display_name)} is deactivated.")
    # Choosing someone is deliberate, so of two different choices at once the later stands
    # (and is recorded after the first); only the same choice twice is refused.
    if ticket.assignee_id == assignee_id or not _claim(
        ticket, Ticket.assignee_id.is_distinct_from(assignee_id)
    ):
        if assignee is None:
            raise ActionRefused(f"Ticket #{ticket.number} is already unassigned.")
        raise ActionRefused(
            f"Ticket #{ticket.number} is already assigned to {isolate(assignee.display_name)}."
        )
    _hand_over(ticket, assignee, actor)


def _hand_over(ticket: Ticket, assignee: User | None, actor: User) -> None:
    """Record the new owner, for an action that has claimed the ticket."""
    if assignee is not None and ticket.status != Status.RESOLVED:
        if not _acknowledge_if_unseen(ticket, actor) and ticket.answered_at is None:
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
        ticket,
        EventKind.ASSIGNED,
        f"to {assignee.display_name}" if assignee else "unassigned",
        actor,
    )


def set_status(ticket: Ticket, status: Status, actor: User) -> None:
    """Set the ticket's status; refused when it already has it (someone may just have set it)."""
    if ticket.status == status or not _claim(ticket, Ticket.status != status):
        # Whoever set the status it has now: the latest status change names them.
        latest = db.session.scalar(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.STATUS)
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
        label = status_label(status)
        if latest is None or latest.actor is None:
            raise ActionRefused(f"Ticket #{ticket.number} is already set to {label}.")
        who = isolate(latest.actor.display_name)
        raise ActionRefused(f"Ticket #{ticket.number} was already set to {label} by {who}.")
    _change_status(ticket, status, actor)


def _change_status(ticket: Ticket, status: Status, actor: User) -> None:
    """Move the ticket to `status`, for an action that has claimed the ticket."""
    now = clock.now()
    previous = ticket.status
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.next_escalation_at = None
    else:
        if previous == Status.RESOLVED:
            ticket.resolved_at = None
        _acknowledge_if_unseen(ticket, actor)
    ticket.status = status
    record_event(ticket, EventKind.STATUS, f"{previous.value} → {status.value}", actor)
    if status == Status.RESOLVED:
        satisfaction.ask(ticket, now)  # once per ticket: a second resolve asks nothing


def resolve(ticket: Ticket, actor: User) -> None:
    """Resolve the ticket, which ends its escalation; refused when it already is resolved."""
    _claim_for(Button.RESOLVE, ticket, actor, Ticket.status != Status.RESOLVED)
    _change_status(ticket, Status.RESOLVED, actor)


def set_priority(ticket: Ticket, priority: Priority, actor: User) -> None:
    if ticket.priority == priority:
        return
    record_event(ticket, EventKind.PRIORITY, f"{ticket.priority.value} → {priority.value}", actor)
    ticket.priority = priority


def answer(
    ticket: Ticket,
    text: str,
    author: User,
    files: Sequence[tuple[str | None, bytes]] = (),
) -> SupportResponse:
    """Queue an answer for delivery to the user; answering ends escalation.

    An answer longer than one Telegram message takes (less the bot's header) is queued in
    numbered parts cut at paragraph breaks, and each attached file (name, content) as a part
    after them, sent as a photo or a document; the first part is returned.
    """
    now = clock.now()
    pieces: list[tuple[str, Attachment | None]] = [
        (part, None) for part in split_to(text, ANSWER_PART)
    ]
    for name, content in files:
        attachment = attachments.attach_to_answer(ticket, name, content)
        pieces.append((attachment.file_name, attachment))
    if not pieces:
        raise ActionRefused("Write an answer or attach a file first.")
    if files:
        db.session.flush()  # the parts name their files
    first: SupportResponse | None = None
    for number, (part, attachment) in enumerate(pieces, start=1):
        response = SupportResponse(
            ticket_id=ticket.id,
            author_id=author.id,
            text=part,
            part=number,
            parts=len(pieces),
            first_part_id=first.id if first is not None else None,
            attachment_id=attachment.id if attachment is not None else None,
        )
        response.author = author
        db.session.add(response)
        if first is None:
            first = response
            if len(pieces) > 1:
                db.session.flush()  # the later parts name the first
    # Waits for a press in flight, so what follows decides on the ticket as that press left it.
    _claim(ticket)
    if ticket.status != Status.RESOLVED:
        _acknowledge_if_unseen(ticket, author)
    if ticket.answered_at is None:
        ticket.answered_at = now
    ticket.next_escalation_at = None
    if ticket.status == Status.OPEN:
        _change_status(ticket, Status.IN_PROGRESS, author)
    ticket.updated_at = now
    return first


def add_note(ticket: Ticket, text: str, author: User) -> TicketNote:
    """Keep a note for the team on the ticket. It is never delivered, and it changes nothing
    else: a note is not an answer, so escalation goes on until someone acknowledges."""
    note = TicketNote(ticket_id=ticket.id, author_id=author.id, text=text)
    note.author = author
    db.session.add(note)
    ticket.updated_at = clock.now()
    return note


def retry_delivery(response: SupportResponse, actor: User) -> None:
    """Queue a failed answer again; only failed answers can be retried (never a sent one)."""
    if response.delivery_state != DeliveryState.FAILED:
        raise ActionRefused("Only a failed answer can be sent again.")
    response.delivery_state = DeliveryState.PENDING
    response.last_error = None
    response.attempts = 0
    record_event(response.ticket, EventKind.RETRY, f"answer {response.id} queued again", actor)
