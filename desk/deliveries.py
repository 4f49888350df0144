"""The outbox of answers: the bot claims pending answers, sends them, reports the outcome.

Guarantee: an answer is delivered at most once and never silently lost. A claim moves it to
`sending`; only a report moves it on. A retryable failure goes back to `pending` with a backoff;
after MAX_ATTEMPTS, or on a permanent error (the user blocked the bot), it is `failed` and the
dashboard offers a retry. A claim nobody reports within CLAIM_LEASE (the bot died mid-send, and
its local journal could not settle it) becomes `failed` with "delivery uncertain", for a human to
check, rather than being sent a second time.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from desk import clock
from desk.database import claim_row
from desk.extensions import db
from message_models import Attachment
from models import DeliveryState, SupportResponse, Ticket

MAX_ATTEMPTS = 5
CLAIM_LEASE = timedelta(minutes=2)
UNCERTAIN = (
    "delivery uncertain: the bot stopped while sending; check the user's chat before retrying"
)


def backoff(attempts: int) -> timedelta:
    """2, 4, 8, 16 ... seconds between attempts, at most 5 minutes."""
    return timedelta(seconds=min(2**attempts, 300))


def expire_stale_claims() -> int:
    now = clock.now()
    result = db.session.execute(
        sa.update(SupportResponse)
        .where(
            SupportResponse.delivery_state == DeliveryState.SENDING,
            SupportResponse.claimed_at < now - CLAIM_LEASE,
        )
        .values(delivery_state=DeliveryState.FAILED, last_error=UNCERTAIN, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def pending(limit: int = 50) -> list[SupportResponse]:
    """Answers waiting for delivery whose backoff has passed, oldest first.

    A part of a long answer waits while an earlier part is still to be sent, so the user reads
    them in order (a part that failed for good no longer holds the next one back).
    """
    expire_stale_claims()
    now = clock.now()
    earlier = aliased(SupportResponse)
    waits_for_earlier = (
        sa.select(earlier.id)
        .where(
            sa.or_(
                earlier.id == SupportResponse.first_part_id,
                earlier.first_part_id == SupportResponse.first_part_id,
            ),
            earlier.part < SupportResponse.part,
            earlier.delivery_state.in_((DeliveryState.PENDING, DeliveryState.SENDING)),
        )
        .exists()
    )
    return list(
        db.session.scalars(
            sa.select(SupportResponse)
            .where(
                SupportResponse.delivery_state == DeliveryState.PENDING,
                sa.or_(SupportResponse.claimed_at.is_(None), SupportResponse.claimed_at <= now),
                sa.or_(SupportResponse.first_part_id.is_(None), ~waits_for_earlier),
            )
            .order_by(SupportResponse.id)
            .limit(limit)
        )
    )


def next_retry_in() -> float | None:
    """Seconds until the earliest backoff of a pending answer ends; None when none waits."""
    now = clock.now()
    soonest = db.session.scalar(
        sa.select(sa.func.min(SupportResponse.claimed_at)).where(
            SupportResponse.delivery_state == DeliveryState.PENDING,
            SupportResponse.claimed_at > now,
        )
    )
    return None if soonest is None else (soonest - now).total_seconds()


def claim(response: SupportResponse) -> bool:
    """Move a pending answer to `sending`; False if another bot has it."""
    now = clock.now()
    return claim_row(
        response,
        SupportResponse.delivery_state == DeliveryState.PENDING,
        delivery_state=DeliveryState.SENDING,
        attempts=SupportResponse.attempts + 1,
        claimed_at=now,
        updated_at=now,
    )


def report(
    response: SupportResponse,
    *,
    sent: bool,
    telegram_message_id: int | None = None,
    error: str | None = None,
    retryable: bool = False,
) -> None:
    """Record the bot's outcome for a claimed answer. A late or repeated report never undoes
    a recorded `sent`."""
    now = clock.now()
    if response.delivery_state == DeliveryState.SENT:
        return
    if sent:
        response.delivery_state = DeliveryState.SENT
        response.telegram_message_id = telegram_message_id
        response.sent_at = now
        response.last_error = None
    elif retryable and response.attempts < MAX_ATTEMPTS:
        response.delivery_state = DeliveryState.PENDING
        response.last_error = error
        # claimed_at doubles as "not before" while pending, so the backoff needs no new column.
        response.claimed_at = now + backoff(response.attempts)
    else:
        response.delivery_state = DeliveryState.FAILED
        response.last_error = error
    response.updated_at = now


def delivery_dict(response: SupportResponse) -> dict[str, object]:
    """What the bot needs to deliver an answer: the text and where it goes."""
    ticket: Ticket = response.ticket
    file = None
    if response.attachment_id is not None:
        attachment = db.session.get(Attachment, response.attachment_id)
        # A photo Telegram takes as one is sent as one (at most 10 MB); the rest as documents.
        photo = attachment.is_image and attachment.size <= 10 * 1024 * 1024
        file = {
            "id": attachment.id,
            "name": attachment.file_name,
            "media_type": attachment.media_type,
            "size": attachment.size,
            "send_as": "photo" if photo else "document",
        }
    return response.to_dict() | {
        "ticket_number": ticket.number,
        "chat_id": ticket.chat_id,
        "reply_to_message_id": ticket.message_id,
        "language_code": ticket.language_code,
        "file": file,
    }
