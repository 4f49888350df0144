"""Ticket operations shared by the JSON API and the dashboard pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import clock
from desk.database import commit
from desk.extensions import db
from models import EventKind, FollowUp, Status, SupportResponse, Ticket, TicketEvent, User


@dataclass(frozen=True)
class Intake:
    """A validated `@support` message as the bot posts it."""

    chat_id: int
    chat_type: str
    message_id: int
    user_id: int
    text: str
    username: str | None = None
    first_name: str = ""
    last_name: str | None = None
    chat_title: str | None = None
    reply_to_message_id: int | None = None
    reply_to_ticket: int | None = None  # the number the replied-to bot message names
    language_code: str | None = None  # the sender's, from Telegram


@dataclass(frozen=True)
class IntakeResult:
    ticket: Ticket
    created: bool  # False when the same Telegram message was posted before
    followup: bool = False  # True when the text joined an existing ticket's thread


def find_by_telegram_message(chat_id: int, message_id: int) -> Ticket | None:
    return db.session.scalar(
        sa.select(Ticket).where(Ticket.chat_id == chat_id, Ticket.message_id == message_id)
    )


def find_message(chat_id: int, message_id: int) -> tuple[Ticket, FollowUp | None] | None:
    """The ticket a user's Telegram message filed, or the one whose thread it joined (and the
    reply it became); None when no ticket knows the message."""
    ticket = find_by_telegram_message(chat_id, message_id)
    if ticket is not None:
        return ticket, None
    followup = db.session.scalar(
        sa.select(FollowUp).where(FollowUp.chat_id == chat_id, FollowUp.message_id == message_id)
    )
    if followup is None:
        return None
    return db.session.get(Ticket, followup.ticket_id), followup


def ticket_replied_to(intake: Intake) -> Ticket | None:
    """The ticket a Telegram reply is about, found by the bot message it replies to."""
    if intake.reply_to_message_id is None:
        return None
    ticket = ticket_for_bot_message(intake.chat_id, intake.reply_to_message_id)
    if ticket is None and intake.reply_to_ticket is not None and 0 < intake.reply_to_ticket < 2**31:
        candidate = db.session.get(Ticket, intake.reply_to_ticket)
        # Only a ticket from this very chat: a number typed elsewhere must not leak threads.
        if candidate is not None and candidate.chat_id == intake.chat_id:
            ticket = candidate
    return ticket


def ticket_for_bot_message(chat_id: int, bot_message_id: int) -> Ticket | None:
    """The ticket a bot message in a user's chat is about: its confirmation or an answer."""
    ticket = db.session.scalar(
        sa.select(Ticket).where(
            Ticket.chat_id == chat_id,
            Ticket.confirmation_message_id == bot_message_id,
        )
    )
    if ticket is not None:
        return ticket
    return db.session.scalar(
        sa.select(Ticket)
        .join(SupportResponse, SupportResponse.ticket_id == Ticket.id)
        .where(
            Ticket.chat_id == chat_id,
            SupportResponse.telegram_message_id == bot_message_id,
        )
    )


def file_request(intake: Intake, now: datetime | None = None) -> IntakeResult:
    """File a ticket for a Telegram message, or add it to the thread it replies to.

    Idempotent on (chat_id, message_id): the bot retries after timeouts and restarts, and a
    retry must return the ticket the first attempt created.
    """
    now = now or clock.now()
    parent = ticket_replied_to(intake)
    if parent is not None:
        if parent.status != Status.RESOLVED:
            return IntakeResult(add_followup(parent, intake, now), created=False, followup=True)

    existing = find_by_telegram_message(intake.chat_id, intake.message_id)
    if existing is not None:
        return IntakeResult(existing, created=False)

    ticket = Ticket(
        chat_id=intake.chat_id,
        chat_type=intake.chat_type,
        chat_title=intake.chat_title,
        message_id=intake.message_id,
        sender_id=intake.user_id,
        sender_username=intake.username,
        sender_first_name=intake.first_name,
        sender_last_name=intake.last_name,
        text=intake.text,
        language_code=intake.language_code,
        # Due at once: if the bot's immediate page is lost, the poller still sends it.
        next_escalation_at=now,
    )
    db.session.add(ticket)
    try:
        # The one commit a service makes: filing is the request's first write, and on SQLite
        # a savepoint here met "database is locked" at once under load (a deferred transaction
        # that cannot wait), where a plain commit waits its turn.
        commit()
    except IntegrityError:
        # The same message raced in through a second request; that one's ticket stands.
        db.session.rollback()
        existing = find_by_telegram_message(intake.chat_id, intake.message_id)
        if existing is None:
            raise
        return IntakeResult(existing, created=False)
    return IntakeResult(ticket, created=True)


def add_followup(ticket: Ticket, intake: Intake, now: datetime) -> Ticket:
    exists = db.session.scalar(
        sa.select(FollowUp.id).where(
            FollowUp.chat_id == intake.chat_id, FollowUp.message_id == intake.message_id
        )
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    FollowUp(
                        ticket_id=ticket.id,
                        chat_id=intake.chat_id,
                        message_id=intake.message_id,
                        text=intake.text,
                    )
                )
        except IntegrityError:
            return ticket  # the same reply raced in through a second request
        ticket.updated_at = now
    return ticket


def record_event(ticket: Ticket, kind: EventKind, detail: str, actor: User | None) -> None:
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind=kind,
            detail=detail,
            actor_id=actor.id if actor else None,
        )
    )


def status_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Ticket.status, sa.func.count()).group_by(Ticket.status))
    counts = {s.value: 0 for s in Status}
    for status, count in rows:
        counts[Status(status).value] = count
    counts["total"] = sum(counts.values())
    return counts
