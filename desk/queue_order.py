"""The ticket list's orders, in SQL: the queue (what needs a tech first, resolved tickets
last), age, priority, last activity and SLA due time.

The SLA due moment is desk/sla.py's rule (`sla.of`: the first answer until the team has
answered, then the resolution) written as a CASE over priority with the run-time targets as
parameters, so the database sorts and pages; no row is judged in Python to find its place.
Times are compared as seconds since the epoch, which both SQLite and PostgreSQL compute.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from desk import clock, sla
from forms import TicketSort as Sort
from models import Priority, Status, Ticket

# Most urgent first: the rank a priority sorts by.
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


def epoch(column: sa.ColumnElement) -> sa.ColumnElement[float]:
    return sa.cast(sa.extract("epoch", column), sa.Float)


def seconds(span: timedelta | None) -> float | None:
    return span.total_seconds() if span else None


def by_priority(values: dict[Priority, float | None]) -> sa.ColumnElement:
    """CASE priority WHEN ... THEN value: NULL for the priorities without one."""
    whens = [(Ticket.priority == p, sa.literal(v)) for p, v in values.items() if v is not None]
    if not whens:
        return sa.null()
    return sa.case(*whens, else_=sa.null())


def targets() -> tuple[dict[Priority, float | None], dict[Priority, float | None]]:
    """The first-answer and resolution targets per priority, in seconds (None: no target)."""
    every = sla.targets()
    first = {p: seconds(every[("first_answer", p)]) for p in Priority}
    resolve = {p: seconds(every[("resolve", p)]) for p in Priority}
    return first, resolve


def due_epoch() -> sa.ColumnElement:
    """When the target that matters now is due (sla.of's rule), in epoch seconds; NULL without
    a target."""
    first, resolve = targets()
    created = epoch(Ticket.created_at)
    first_due = by_priority(first)
    resolve_due = by_priority(resolve)
    waiting_for_answer = sa.and_(Ticket.answered_at.is_(None), Ticket.status != Status.RESOLVED)
    return sa.case(
        (sa.and_(first_due.is_not(None), waiting_for_answer), created + first_due),
        (resolve_due.is_not(None), created + resolve_due),
        (first_due.is_not(None), created + first_due),
        else_=sa.null(),
    )


def pending_due_epoch() -> sa.ColumnElement:
    """When an open target (not met yet) is due, in epoch seconds; NULL when none is open."""
    first, resolve = targets()
    created = epoch(Ticket.created_at)
    first_due = by_priority(first)
    resolve_due = by_priority(resolve)
    return sa.case(
        (Ticket.status == Status.RESOLVED, sa.null()),
        (sa.and_(first_due.is_not(None), Ticket.answered_at.is_(None)), created + first_due),
        (resolve_due.is_not(None), created + resolve_due),
        else_=sa.null(),
    )


def priority_rank() -> sa.ColumnElement[int]:
    return sa.case(
        *((Ticket.priority == p, rank) for p, rank in PRIORITY_RANK.items()), else_=len(Priority)
    )


def nulls_last(value: sa.ColumnElement) -> tuple[sa.ColumnElement, ...]:
    """Portable NULLS LAST (SQLite sorts NULL first): a 0/1 key, then the value."""
    return sa.case((value.is_(None), 1), else_=0), value


def order(sort: Sort) -> tuple[sa.ColumnElement, ...]:
    """ORDER BY keys for `sort`; each ends with the id, so pages never share or skip a row."""
    oldest = (Ticket.created_at.asc(), Ticket.id.asc())
    if sort == Sort.NEWEST:
        return Ticket.created_at.desc(), Ticket.id.desc()
    if sort == Sort.OLDEST:
        return oldest
    if sort == Sort.PRIORITY:
        return priority_rank(), *oldest
    if sort == Sort.ACTIVITY:
        return Ticket.updated_at.desc(), Ticket.id.desc()
    if sort == Sort.DUE:
        return *nulls_last(due_epoch()), priority_rank(), *oldest
    # The queue: tickets past their SLA and urgent ones first (a 16-hour-old urgent ticket above
    # a 5-minute-old normal one), then the other unresolved ones; within each, the soonest due,
    # the highest priority, the oldest. These keys order the unresolved tickets only: the list
    # pages the resolved ones after them, in RESOLVED_AFTER_QUEUE (desk/ticket_list.py), as no
    # index can give a CASE's order and sorting every resolved ticket is what made page 1 slow.
    now = clock.now().timestamp()
    pending = pending_due_epoch()
    unresolved = Ticket.status != Status.RESOLVED
    pressing = sa.and_(unresolved, sa.or_(Ticket.priority == Priority.URGENT, pending <= now))
    group = sa.case((pressing, 0), (unresolved, 1), else_=2)
    return group, *nulls_last(pending), priority_rank(), *oldest


# After the unresolved tickets, the queue lists the resolved ones newest first, as the
# Resolved tab does: read from the (status, created_at) index, a page costs 25 rows.
RESOLVED_AFTER_QUEUE = (Ticket.created_at.desc(), Ticket.id.desc())
