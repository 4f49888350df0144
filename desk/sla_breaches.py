"""The team group hears, once per ticket, that a ticket missed its first-answer target.

A ticket is due for the notice while it is not resolved, has no first answer and is older than
its priority's first-answer target (desk/sla.py; 0 = no target, never noticed). The bot asks
every round (POST /api/sla_breaches); each due ticket is claimed by one conditional UPDATE of
`breach_noticed_at`, so asking twice, or two bots asking at once, queues one message. The
outbox (desk/outbox.py) then delivers it at least once, like a group post.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from desk import runtime_settings
from desk.database import claim_row
from desk.extensions import db
from models import DeliveryState, Notification, NotificationKind, Priority, Status, Ticket

log = logging.getLogger(__name__)

BATCH = 100  # tickets per call; the next round takes the rest
UNRESOLVED = (Status.OPEN, Status.IN_PROGRESS)


def first_answer_targets() -> dict[Priority, timedelta]:
    """The first-answer target of each priority that has one (0 minutes = none)."""
    minutes = runtime_settings.get_ints(*(f"sla_first_answer_{p.value}" for p in Priority))
    return {
        p: timedelta(minutes=minutes[f"sla_first_answer_{p.value}"])
        for p in Priority
        if minutes[f"sla_first_answer_{p.value}"] > 0
    }


def due(now: datetime, limit: int = BATCH) -> list[Ticket]:
    """Tickets past their first-answer target, not answered, resolved or noticed, oldest first.

    One branch per unresolved status and priority (status = s AND priority = p AND created_at
    <= now - target), so each walks the (status, priority, created_at) index over the backlog
    only, never the years of resolved tickets; the priority a ticket has now decides, so one
    lowered to a longer target is not due yet.
    """
    targets = first_answer_targets()
    if not targets:
        return []
    past_target = sa.or_(
        *(
            sa.and_(Ticket.status == s, Ticket.priority == p, Ticket.created_at <= now - target)
            for s in UNRESOLVED
            for p, target in targets.items()
        )
    )
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(
                past_target,
                Ticket.answered_at.is_(None),
                Ticket.breach_noticed_at.is_(None),
            )
            .order_by(Ticket.created_at, Ticket.id)
            .limit(limit)
        )
    )


def create_due_notices(now: datetime) -> int:
    """Queue one SLA_BREACH message to the team group per ticket now past its first-answer
    target; the number queued. No team group configured: nothing is queued or claimed."""
    group_id = current_app.config.get("SUPPORT_GROUP_ID")
    if group_id is None:
        log.debug("sla breaches: no team group (SUPPORT_GROUP_ID) configured, nobody to tell")
        return 0
    created = 0
    for ticket in due(now, BATCH):
        won = claim_row(
            ticket,
            Ticket.breach_noticed_at.is_(None),
            Ticket.answered_at.is_(None),
            Ticket.status != Status.RESOLVED,
            breach_noticed_at=now,
        )
        if not won:
            continue  # another request noticed it first, or it was answered meanwhile
        db.session.add(
            Notification(
                ticket_id=ticket.id,
                chat_id=group_id,
                level=0,
                kind=NotificationKind.SLA_BREACH,
                state=DeliveryState.PENDING,
                created_at=now,
            )
        )
        created += 1
    if created:
        log.info("sla breaches: told the team group of %s ticket(s)", created)
    return created
