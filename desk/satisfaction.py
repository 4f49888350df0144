"""Satisfaction: "How did we do?" after a resolve, rated 1-5 by the user, with a comment.

- **Asked once per ticket.** The first resolve while the *Ask users to rate resolved tickets*
  setting is on claims the ask with one conditional UPDATE (`rating_asked_at IS NULL`) and
  queues a `satisfaction` message in the outbox to the ticket's chat, which delivers it like
  every other kind (at least once, retried, never two rows). A reopen and a second resolve
  find the claim taken and ask nothing.
- **Rated once.** Only the ticket's sender may rate; the first press wins (`rating IS NULL`);
  a later press changes nothing and is told the rating that stands.
- **The comment** is the sender's reply to the satisfaction message (found by the Telegram
  message id the outbox recorded); the latest reply is the comment. It never reopens the
  ticket nor joins its thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from desk import runtime_settings
from desk.database import claim_row
from desk.extensions import db
from models import DeliveryState, Notification, NotificationKind, Ticket

SCALE = range(1, 6)  # 1 (bad) .. 5 (great); 4 and 5 count as satisfied
SATISFIED = (4, 5)
SETTING = "satisfaction_survey"


class RatingRefused(Exception):
    """The press changes nothing; `status` for the API, the message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Rated:
    ticket: Ticket
    already: bool  # True when an earlier press had rated it (this one changed nothing)


def enabled() -> bool:
    return runtime_settings.get_int(SETTING) == 1


def ask(ticket: Ticket, now: datetime) -> Notification | None:
    """Queue "How did we do?" for a ticket just resolved, unless asked before or switched off.

    For an action that has changed the ticket in this session: its changes are flushed first,
    since the claim reloads the row.
    """
    if ticket.rating_asked_at is not None or not enabled():
        return None
    db.session.flush()
    if not claim_row(ticket, Ticket.rating_asked_at.is_(None), rating_asked_at=now):
        return None  # a concurrent resolve asked already
    note = Notification(
        ticket_id=ticket.id,
        chat_id=ticket.chat_id,
        level=0,
        kind=NotificationKind.SATISFACTION,
        state=DeliveryState.PENDING,
        created_at=now,
    )
    db.session.add(note)
    return note


def rate(ticket: Ticket, telegram_user_id: int, score: int, now: datetime) -> Rated:
    """The user pressed a score under the satisfaction message; the first press wins."""
    if ticket.rating_asked_at is None:
        raise RatingRefused(409, f"Ticket #{ticket.number} was not asked for a rating.")
    if telegram_user_id != ticket.sender_id:
        raise RatingRefused(
            403, f"Only the person who asked for help can rate ticket #{ticket.number}."
        )
    if ticket.rating is None and claim_row(
        ticket, Ticket.rating.is_(None), rating=score, rated_at=now
    ):
        return Rated(ticket, already=False)
    return Rated(ticket, already=True)


def survey_ticket(chat_id: int, bot_message_id: int) -> Ticket | None:
    """The ticket whose satisfaction message in this chat is `bot_message_id`, if any."""
    return db.session.scalar(
        sa.select(Ticket)
        .join(Notification, Notification.ticket_id == Ticket.id)
        .where(
            Notification.kind == NotificationKind.SATISFACTION,
            Notification.chat_id == chat_id,
            Notification.telegram_message_id == bot_message_id,
        )
    )


def add_comment(
    chat_id: int, reply_to_message_id: int | None, user_id: int, text: str
) -> Ticket | None:
    """Store a reply to the satisfaction message as the rating's comment; None when the reply
    is not the sender's answer to one (then it is a follow-up like any other)."""
    if reply_to_message_id is None:
        return None
    ticket = survey_ticket(chat_id, reply_to_message_id)
    if ticket is None or ticket.sender_id != user_id:
        return None
    ticket.rating_comment = text
    return ticket


def rating_dict(ticket: Ticket) -> dict[str, object]:
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "score": ticket.rating,
        "comment": ticket.rating_comment,
        "asked_at": ticket.rating_asked_at.isoformat() if ticket.rating_asked_at else None,
        "rated_at": ticket.rated_at.isoformat() if ticket.rated_at else None,
    }
