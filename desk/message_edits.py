"""A user edits a message in Telegram: the ticket's text follows, the thread keeps the earlier one.

Telegram sends the whole edited message with its `edit_date`. Edits may arrive twice (the bot
retries after a lost answer, replays after a crash) and out of order (one spooled while the
dashboard was down, a later one sent at once): the text shown is the latest edit's, and the
same edit is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk.extensions import db
from desk.tickets import find_message
from message_models import MessageEdit
from models import Ticket


@dataclass(frozen=True)
class EditResult:
    ticket: Ticket
    changed: bool  # False for a replay, a late older edit, or the same text again
    followup: bool  # the edited message was a reply in the ticket's thread, not the request


def apply_edit(
    chat_id: int, message_id: int, text: str, edited_at: datetime, now: datetime
) -> EditResult | None:
    """Give the message its edited text; None when no ticket knows the message."""
    found = find_message(chat_id, message_id)
    if found is None:
        return None
    ticket, followup = found
    unchanged = EditResult(ticket, changed=False, followup=followup is not None)
    latest = db.session.scalar(
        sa.select(sa.func.max(MessageEdit.edited_at)).where(
            MessageEdit.chat_id == chat_id, MessageEdit.message_id == message_id
        )
    )
    current = followup.text if followup is not None else ticket.text
    if (latest is not None and latest >= edited_at) or current == text:
        return unchanged
    try:
        with db.session.begin_nested():
            db.session.add(
                MessageEdit(
                    ticket_id=ticket.id,
                    followup_id=followup.id if followup is not None else None,
                    chat_id=chat_id,
                    message_id=message_id,
                    previous_text=current,
                    edited_at=edited_at,
                )
            )
    except IntegrityError:
        return unchanged  # the same edit raced in through a second request
    if followup is not None:
        followup.text = text
    else:
        ticket.text = text
    ticket.updated_at = now
    return EditResult(ticket, changed=True, followup=followup is not None)


def edits_of(ticket: Ticket) -> list[MessageEdit]:
    return list(
        db.session.scalars(
            sa.select(MessageEdit)
            .where(MessageEdit.ticket_id == ticket.id)
            .order_by(MessageEdit.edited_at, MessageEdit.id)
        )
    )
