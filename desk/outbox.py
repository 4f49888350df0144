"""The outbox of everything the bot sends for the dashboard but answers: pages, group posts,
reminders and the user's confirmation. (Answers have their own outbox, desk/deliveries.py,
because they are at most once.)

A row goes `pending` -> `sending` (claimed by one bot, under a lease) -> `sent` | `failed`.

- **At least once.** A claim whose lease runs out without a report, or a report that the
  outcome is unknown (the bot stopped while Telegram had the request), puts the row back to
  `pending` with `repeat` set: it is sent again and its text says it may arrive twice. A page
  is never left unsent.
- **Replayable claims.** A bot that retries a call whose answer it lost gets the same rows
  again (`release_to`): the rows it claimed are re-leased to it, so a lost answer never loses a
  page. Rows are keyed by the claiming bot's instance id, so another bot's live claim is never
  handed out twice.
- Retryable failures (429, 5xx, a refused connection) go back to `pending` with a backoff;
  after MAX_ATTEMPTS, or at once for a permanent error (the tech blocked the bot), `failed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from desk import clock
from desk.database import claim_row
from desk.extensions import db
from models import DeliveryState, Notification, NotificationKind, Ticket, User

MAX_ATTEMPTS = 8
DEFAULT_LEASE_SECONDS = 120
UNSENT = (DeliveryState.PENDING, DeliveryState.SENDING)


def lease() -> timedelta:
    """How long a bot may hold a claim without reporting (OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... seconds between attempts, at most a minute: a page must not wait long."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))


def add(
    ticket: Ticket,
    kind: NotificationKind,
    *,
    level: int,
    round_: int = 0,
    user: User | None = None,
    chat_id: int | None = None,
    claimed_by: str | None = None,
    now: datetime,
) -> Notification:
    """A new row, already claimed by the caller that will send it (one round trip saved)."""
    note = Notification(
        ticket_id=ticket.id,
        user_id=user.id if user else None,
        chat_id=chat_id if chat_id is not None else user.telegram_user_id,
        level=level,
        round=round_,
        kind=kind,
        state=DeliveryState.SENDING,
        attempts=1,
        claimed_at=now,
        claimed_by=claimed_by,
        created_at=now,  # the instant of the step, which claimed it too
    )
    if user is not None:
        note.user = user
    db.session.add(note)
    return note


def release_to(notes: Iterable[Notification], claimed_by: str | None, now: datetime) -> list:
    """Hand unsent rows to a caller replaying its call: pending ones, and the ones it claimed
    itself before it lost the answer. Another bot's live claim stays with that bot."""
    released = []
    for note in notes:
        mine = note.state == DeliveryState.SENDING and note.claimed_by == claimed_by
        if note.state == DeliveryState.PENDING or mine:
            note.state = DeliveryState.SENDING
            note.claimed_at = now
            note.claimed_by = claimed_by
            note.attempts += 1
            released.append(note)
    return released


def unsent(ticket: Ticket, *, level: int | None = None, kind: NotificationKind | None = None):
    query = sa.select(Notification).where(
        Notification.ticket_id == ticket.id, Notification.state.in_(UNSENT)
    )
    if level is not None:
        query = query.where(Notification.level == level)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    else:
        query = query.where(Notification.kind != NotificationKind.CONFIRMATION)
    return list(db.session.scalars(query.order_by(Notification.id)))


def confirmation(ticket: Ticket, claimed_by: str | None, now: datetime) -> Notification | None:
    """The user's "ticket #N" message to send now: new, or replayed if still unsent; None
    once it has gone out (or failed for good: the ticket page shows why)."""
    if ticket.confirmation_message_id is not None:
        return None
    existing = db.session.scalars(
        sa.select(Notification).where(
            Notification.ticket_id == ticket.id,
            Notification.kind == NotificationKind.CONFIRMATION,
        )
    ).all()
    if existing:
        released = release_to(existing, claimed_by, now)
        return released[0] if released else None
    return add(
        ticket,
        NotificationKind.CONFIRMATION,
        level=0,
        chat_id=ticket.chat_id,
        claimed_by=claimed_by,
        now=now,
    )


def expire_leases(now: datetime) -> int:
    """Claims nobody reported within the lease: the bot died or lost its way. Nobody knows
    whether Telegram had the message, so it goes out again, labelled as a possible repeat."""
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.state == DeliveryState.SENDING,
            Notification.claimed_at < now - lease(),
        )
        .values(state=DeliveryState.PENDING, repeat=True, claimed_at=now, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def pending(limit: int = 50) -> list[Notification]:
    """Rows waiting to be sent whose backoff has passed, oldest first (expired claims too)."""
    now = clock.now()
    expire_leases(now)
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.state == DeliveryState.PENDING,
                sa.or_(Notification.claimed_at.is_(None), Notification.claimed_at <= now),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def claim(note: Notification, claimed_by: str | None) -> bool:
    """Move a pending row to `sending` for this bot; False if another has it."""
    return claim_row(
        note,
        Notification.state == DeliveryState.PENDING,
        state=DeliveryState.SENDING,
        attempts=Notification.attempts + 1,
        claimed_at=clock.now(),
        claimed_by=claimed_by,
    )


def record(
    note: Notification,
    *,
    sent: bool,
    telegram_message_id: int | None = None,
    error: str | None = None,
    retryable: bool = False,
    uncertain: bool = False,
    digest: bool = False,
) -> None:
    """Store what the bot says Telegram did. `sent` is final, and always wins: a late report of
    a message that did arrive is never turned into a failure or a resend. `digest`: it went out
    as one line of a message about several tickets."""
    now = clock.now()
    if note.state == DeliveryState.SENT:
        return
    if sent:
        note.state = DeliveryState.SENT
        note.telegram_message_id = telegram_message_id
        note.digest = digest
        note.sent_at = now
        note.error = None
        if note.kind == NotificationKind.CONFIRMATION:
            # A Telegram reply to the confirmation joins this ticket's thread.
            ticket = db.session.get(Ticket, note.ticket_id)
            ticket.confirmation_message_id = telegram_message_id
    elif note.state == DeliveryState.FAILED:
        return
    elif uncertain or (retryable and note.attempts < MAX_ATTEMPTS):
        # Back in the queue. An unknown outcome goes out again at once, labelled a possible
        # repeat; a failure waits its backoff (claimed_at doubles as "not before" while pending).
        note.state = DeliveryState.PENDING
        note.error = error
        note.repeat = note.repeat or uncertain
        note.claimed_at = now if uncertain else now + backoff(note.attempts)
        note.claimed_by = None
    else:
        note.state = DeliveryState.FAILED
        note.error = error
