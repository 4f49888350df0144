"""The team lead's numbers over a period: volume, backlog, reaction times, load, escalation.

Days are the team's days (`TIMEZONE`): a ticket filed at 00:30 local time counts for that day,
whatever UTC says. Durations are measured from the ticket's creation to:

* acknowledge: the first Acknowledge, Take or answer (the first "acknowledged" line of its
  history, which all three write);
* first answer: the first answer Telegram accepted (delivered, not merely written);
* resolve: the last resolution of a resolved ticket.

Each is given as a median and a 90th percentile (nearest rank: nine tickets in ten took at
most that long), overall and by priority, over the tickets created in the period.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from desk.extensions import db
from models import (
    DeliveryState,
    EventKind,
    Notification,
    NotificationKind,
    Priority,
    Status,
    SupportResponse,
    Ticket,
    TicketEvent,
    User,
)

# Pages sent outside these hours count as "outside working hours": Monday to Friday, 09:00 to
# 18:00 in the team's zone (the escalation policies of issue #18 will make this a setting).
WORK_DAYS = range(0, 5)
WORK_START, WORK_END = time(9), time(18)
PAGE_KINDS = (NotificationKind.PAGE, NotificationKind.GROUP)


@dataclass(frozen=True)
class Period:
    """Whole days in the team's zone, `first` to `last` inclusive."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Spread:
    """How long something took over a set of tickets."""

    count: int
    median: timedelta | None
    p90: timedelta | None


def spread(durations: Iterable[timedelta]) -> Spread:
    values = sorted(durations)
    if not values:
        return Spread(0, None, None)
    rank = math.ceil(0.9 * len(values))  # nearest rank, 1-based
    return Spread(len(values), statistics.median_low(values), values[rank - 1])


@dataclass(frozen=True)
class Day:
    day: date
    created: int
    resolved: int
    backlog: int  # open at the end of the day


@dataclass(frozen=True)
class TechLoad:
    user_id: int
    name: str
    tickets: int  # tickets they answered
    answers: int  # answers of theirs delivered
    first_answer: Spread  # over the tickets whose first answer was theirs


@dataclass(frozen=True)
class Escalation:
    tickets: int
    at_first_level: int  # acknowledged without anyone past the first level being paged
    pages: int
    outside_hours: int
    per_person: list[tuple[str, int]] = field(default_factory=list)

    @property
    def first_level_share(self) -> float | None:
        return self.at_first_level / self.tickets if self.tickets else None

    @property
    def pages_per_ticket(self) -> float | None:
        return self.pages / self.tickets if self.tickets else None


@dataclass(frozen=True)
class TargetMet:
    """How often an SLA target was met over the tickets it has judged (done, or overdue)."""

    target: timedelta
    judged: int
    met: int

    @property
    def rate(self) -> float | None:
        return self.met / self.judged if self.judged else None


class Report:
    """The period's figures, each computed when first read: a CSV download computes only its
    own table, the page all of them."""

    def __init__(
        self,
        period: Period,
        now: datetime,
        targets: dict[tuple[str, Priority], timedelta | None],
    ) -> None:
        self.period = period
        self._now = now
        self._targets = targets

    @cached_property
    def _tickets(self) -> dict[int, _Ticket]:
        return _tickets_created(self.period)

    @cached_property
    def days(self) -> list[Day]:
        return _days(self.period)

    @cached_property
    def times(self) -> dict[str, dict[Priority | None, Spread]]:
        """measure -> priority (None: all) -> spread"""
        return _times(self._tickets)

    @cached_property
    def techs(self) -> list[TechLoad]:
        return _techs(self.period, self._tickets)

    @cached_property
    def escalation(self) -> Escalation:
        return _escalation(self.period, self._tickets)

    @cached_property
    def targets(self) -> dict[tuple[str, Priority], TargetMet]:
        return _targets_met(self._tickets, self._now, self._targets)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def build(
    period: Period, now: datetime, targets: dict[tuple[str, Priority], timedelta | None]
) -> Report:
    """The period's report; `targets` are the SLA targets (desk/sla.py) judged at `now`."""
    return Report(period, now, targets)


def _targets_met(
    tickets: dict[int, _Ticket],
    now: datetime,
    targets: dict[tuple[str, Priority], timedelta | None],
) -> dict[tuple[str, Priority], TargetMet]:
    result = {}
    for (measure, priority), target in targets.items():
        if target is None:
            continue
        judged = met = 0
        for ticket in tickets.values():
            if ticket.priority != priority:
                continue
            done = ticket.answered_at if measure == "first_answer" else ticket.resolved_at
            due = ticket.created_at + target
            if done is not None:
                judged += 1
                met += done <= due
            elif now > due:
                judged += 1  # overdue and still not done: missed
        result[(measure, priority)] = TargetMet(target, judged, met)
    return result


@dataclass
class _Ticket:
    id: int
    priority: Priority
    created_at: datetime
    resolved_at: datetime | None
    answered_at: datetime | None
    acknowledged_at: datetime | None = None
    first_answer_at: datetime | None = None
    first_answer_by: int | None = None


def created_in(period: Period) -> sa.Select:
    """The ids of the tickets created in the period, as a subquery."""
    return sa.select(Ticket.id).where(
        Ticket.created_at >= period.start, Ticket.created_at < period.end
    )


def _tickets_created(period: Period) -> dict[int, _Ticket]:
    rows = db.session.execute(
        sa.select(
            Ticket.id,
            Ticket.priority,
            Ticket.created_at,
            Ticket.status,
            Ticket.resolved_at,
            Ticket.answered_at,
        )
        .where(Ticket.created_at >= period.start, Ticket.created_at < period.end)
        .order_by(Ticket.id)
    )
    found = {
        row.id: _Ticket(
            row.id,
            row.priority,
            row.created_at,
            row.resolved_at if row.status == Status.RESOLVED else None,
            row.answered_at,
        )
        for row in rows
    }
    if not found:
        return found
    created = created_in(period)
    acknowledged = db.session.execute(
        sa.select(TicketEvent.ticket_id, sa.func.min(TicketEvent.created_at))
        .where(TicketEvent.kind == EventKind.ACKNOWLEDGED, TicketEvent.ticket_id.in_(created))
        .group_by(TicketEvent.ticket_id)
    )
    for ticket_id, at in acknowledged:
        found[ticket_id].acknowledged_at = _aware(at)
    answers = db.session.execute(
        sa.select(SupportResponse.ticket_id, SupportResponse.sent_at, SupportResponse.author_id)
        .where(
            SupportResponse.delivery_state == DeliveryState.SENT,
            SupportResponse.sent_at.is_not(None),
            SupportResponse.ticket_id.in_(created),
        )
        .order_by(SupportResponse.sent_at, SupportResponse.id)
    )
    for ticket_id, sent_at, author_id in answers:
        ticket = found[ticket_id]
        if ticket.first_answer_at is None:
            ticket.first_answer_at, ticket.first_answer_by = sent_at, author_id
    return found


def _aware(value: datetime | str) -> datetime:
    # Defensive: an aggregate (MIN) may come back as the driver's naive UTC value.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _status_changes(in_view: list[sa.ColumnElement[bool]]) -> dict[int, tuple[list, list]]:
    """Per ticket of `in_view`: when it was resolved and when reopened, from its history (every
    status change records an event "open → resolved", "resolved → open")."""
    rows = db.session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.detail)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            *in_view,
            TicketEvent.kind == EventKind.STATUS,
            sa.or_(
                TicketEvent.detail.like(f"% → {Status.RESOLVED.value}"),
                TicketEvent.detail.like(f"{Status.RESOLVED.value} → %"),
            ),
        )
    )
    changes: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for ticket_id, at, detail in rows:
        closes, reopens = changes[ticket_id]
        (reopens if detail.startswith(Status.RESOLVED.value) else closes).append(at)
    return changes


def _days(period: Period) -> list[Day]:
    in_view = [
        Ticket.created_at < period.end,
        sa.or_(Ticket.status != Status.RESOLVED, Ticket.resolved_at >= period.start),
    ]
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.created_at, Ticket.status, Ticket.resolved_at).where(*in_view)
    )
    history = _status_changes(in_view)
    created: Counter[date] = Counter()
    resolved: Counter[date] = Counter()
    filed: list[datetime] = []
    closed: list[datetime] = []
    reopened: list[datetime] = []
    start, end = period.start, period.end
    for ticket_id, created_at, status, resolved_at in rows:
        done = resolved_at if status == Status.RESOLVED else None
        filed.append(created_at)
        if created_at >= start:
            created[local_day(created_at, period.tz)] += 1
        # Resolved per day counts a ticket once, on its last resolution.
        if done is not None and start <= done < end:
            resolved[local_day(done, period.tz)] += 1
        closes, reopens = history.get(ticket_id, ((), ()))
        if not closes and done is not None:
            closes = (done,)  # resolved without a recorded change (imported or demo data)
        closed.extend(max(created_at, at) for at in closes)
        reopened.extend(max(created_at, at) for at in reopens)
    # Open at a day's end: filed before it, minus resolutions before it, plus reopenings before
    # it (a ticket resolved Monday and reopened Tuesday is open again from Tuesday). Counted by
    # bisecting sorted instants, not by walking every ticket for every day.
    filed.sort()
    closed.sort()
    reopened.sort()
    result = []
    for day in period.days:
        day_end = datetime.combine(day + timedelta(days=1), time(), period.tz)
        backlog = (
            bisect_left(filed, day_end)
            - bisect_left(closed, day_end)
            + bisect_left(reopened, day_end)
        )
        result.append(Day(day, created[day], resolved[day], backlog))
    return result


MEASURES = {
    "acknowledge": lambda t: t.acknowledged_at,
    "first_answer": lambda t: t.first_answer_at,
    "resolve": lambda t: t.resolved_at,
}


def _times(tickets: dict[int, _Ticket]) -> dict[str, dict[Priority | None, Spread]]:
    result: dict[str, dict[Priority | None, Spread]] = {}
    for measure, reached in MEASURES.items():
        by_priority: dict[Priority | None, list[timedelta]] = defaultdict(list)
        for ticket in tickets.values():
            if (at := reached(ticket)) is not None:
                took = max(at - ticket.created_at, timedelta(0))
                by_priority[None].append(took)
                by_priority[ticket.priority].append(took)
        result[measure] = {p: spread(by_priority[p]) for p in (None, *Priority)}
    return result


def _techs(period: Period, tickets: dict[int, _Ticket]) -> list[TechLoad]:
    rows = db.session.execute(
        sa.select(SupportResponse.author_id, SupportResponse.ticket_id).where(
            SupportResponse.delivery_state == DeliveryState.SENT,
            SupportResponse.sent_at >= period.start,
            SupportResponse.sent_at < period.end,
            SupportResponse.author_id.is_not(None),
        )
    )
    answers: Counter[int] = Counter()
    answered: defaultdict[int, set[int]] = defaultdict(set)
    for author_id, ticket_id in rows:
        answers[author_id] += 1
        answered[author_id].add(ticket_id)
    firsts: defaultdict[int, list[timedelta]] = defaultdict(list)
    for ticket in tickets.values():
        if ticket.first_answer_by is not None:
            firsts[ticket.first_answer_by].append(ticket.first_answer_at - ticket.created_at)
    names = _names(set(answers) | set(firsts))
    techs = [
        TechLoad(
            uid, names.get(uid, f"#{uid}"), len(answered[uid]), answers[uid], spread(firsts[uid])
        )
        for uid in set(answers) | set(firsts)
    ]
    return sorted(techs, key=lambda t: (-t.answers, t.name.casefold()))


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.full_name, User.username).where(User.id.in_(user_ids))
    )
    return {row.id: row.full_name or row.username for row in rows}


def _escalation(period: Period, tickets: dict[int, _Ticket]) -> Escalation:
    created = created_in(period)
    rows = db.session.execute(
        sa.select(
            Notification.ticket_id,
            Notification.user_id,
            Notification.level,
            Notification.created_at,
        ).where(
            Notification.kind.in_(PAGE_KINDS),
            Notification.ticket_id.in_(created),
            Notification.repeat.is_(False),  # a message sent again is not another page
        )
    )
    past_first: set[int] = set()
    per_person: Counter[int] = Counter()
    pages = outside = 0
    for ticket_id, user_id, level, created_at in rows:
        pages += 1
        if level > 0:
            past_first.add(ticket_id)
        if user_id is not None:
            per_person[user_id] += 1
        if not working_hours(created_at, period.tz):
            outside += 1
    names = _names(set(per_person))
    handled = {t.id for t in tickets.values() if t.acknowledged_at is not None}
    return Escalation(
        tickets=len(tickets),
        at_first_level=len(handled - past_first),
        pages=pages,
        outside_hours=outside,
        per_person=sorted(
            ((names.get(uid, f"#{uid}"), count) for uid, count in per_person.items()),
            key=lambda item: (-item[1], item[0].casefold()),
        ),
    )


def working_hours(at: datetime, tz: ZoneInfo) -> bool:
    local = at.astimezone(tz)
    return local.weekday() in WORK_DAYS and WORK_START <= local.time() < WORK_END
