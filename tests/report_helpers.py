"""Rows the report tests add by hand: a page as the outbox would have recorded it once sent."""

from __future__ import annotations

from datetime import datetime

from models import DeliveryState, Notification, NotificationKind


def page(ticket, user, level: int, at: datetime, repeat: bool = False) -> Notification:
    return Notification(
        ticket_id=ticket.id,
        user_id=user.id,
        chat_id=user.telegram_user_id,
        level=level,
        kind=NotificationKind.PAGE,
        state=DeliveryState.SENT,
        created_at=at,
        sent_at=at,
        repeat=repeat,
    )
