"""The team lead's numbers over a period: volume, backlog, reaction times, load, escalation.

Days are the team's days (`TIMEZONE`): a ticket filed at 00:30 local time counts for that day,
whatever UTC says. Durations are measured from the ticket's creation to:

* acknowledge: the first Acknowledge, Take or answer (the first "acknowledged" line of its
  history, which all three write);
* first answer: the first answer Telegram accepted (delivered, not merely written);
* resolve: the last resolution of a resolved ticket.

Each is given as a median and a 90th percentile (nearest rank: nine tickets in ten took at
most that long), overall and by priority, over the tickets created in the period; so are the
per-tech figures (tickets answered, answers delivered, first answers), the escalation and the
SLA targets. The per-day counts go by the day of the event.

The figures come from one row a day (desk/report_days.py), brought up to date first; this
module adds the days of the period together.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from desk import report_days
from desk.extensions import db
from desk.report_days import local_day, working_hours
from models import Priority, User

__all__ = ["Period", "Report", "build", "local_day", "working_hours"]


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

    @cached_property  # frozen: computed once, kept in the instance's __dict__
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Spread:
    """How long something took over a set of tickets."""

    count: int
    median: timedelta | None
    p90: timedelta | None


def spread(histogram: Counter[int]) -> Spread:
    """Median (the lower middle) and 90th percentile (nearest rank) of whole seconds, given as
    value -> how many tickets took that long."""
    count = sum(histogram.values())
    if not count:
        return Spread(0, None, None)
    median_rank = (count + 1) // 2  # 1-based: the lower middle of an even count
    p90_rank = math.ceil(0.9 * count)
    median = p90 = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if median is None and seen >= median_rank:
            median = timedelta(seconds=value)
        if seen >= p90_rank:
            p90 = timedelta(seconds=value)
            break
    return Spread(count, median, p90)


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
    """The period's figures, each added up when first read: a CSV download adds only its own
    table, the page all of them."""

    def __init__(
        self,
        period: Period,
        now: datetime,
        targets: dict[tuple[str, Priority], timedelta | None],
        backlog_before: int,
        rows: dict[date, dict],
    ) -> None:
        self.period = period
        self._now = now
        self._targets = targets
        self._backlog_before = backlog_before
        self.rows = rows  # day -> its figures (desk/report_days.py); days without any missing

    @cached_property
    def days(self) -> list[Day]:
        result = []
        backlog = self._backlog_before
        for day in self.period.days:
            figures = self.rows.get(day)
            if figures is None:
                result.append(Day(day, 0, 0, backlog))
                continue
            backlog += figures["net"]
            result.append(Day(day, figures["created"], figures["resolved"], backlog))
        return result

    @cached_property
    def times(self) -> dict[str, dict[Priority | None, Spread]]:
        """measure -> priority (None: all) -> spread"""
        result: dict[str, dict[Priority | None, Spread]] = {}
        for measure in report_days.MEASURES:
            of = [figures["times"][measure] for figures in self.rows.values()]
            by_priority: dict[Priority | None, Spread] = {
                p: spread(report_days.merge(one[p.value] for one in of)) for p in Priority
            }
            everyone = report_days.merge(one[p.value] for one in of for p in Priority)
            result[measure] = {None: spread(everyone), **by_priority}
        return result

    @cached_property
    def techs(self) -> list[TechLoad]:
        tickets: Counter[int] = Counter()
        answers: Counter[int] = Counter()
        firsts: dict[int, list[dict[str, int]]] = {}
        for figures in self.rows.values():
            for uid, tech in figures["techs"].items():
                uid = int(uid)
                tickets[uid] += tech["tickets"]
                answers[uid] += tech["answers"]
                firsts.setdefault(uid, []).append(tech["first"])
        names = user_names(set(firsts))
        techs = [
            TechLoad(
                uid,
                names.get(uid, f"#{uid}"),
                tickets[uid],
                answers[uid],
                spread(report_days.merge(firsts[uid])),
            )
            for uid in firsts
        ]
        return sorted(techs, key=lambda t: (-t.answers, t.name.casefold()))

    @cached_property
    def escalation(self) -> Escalation:
        per_person: Counter[int] = Counter()
        tickets = at_first_level = pages = outside = 0
        for figures in self.rows.values():
            one = figures["escalation"]
            tickets += figures["created"]
            at_first_level += one["at_first_level"]
            pages += one["pages"]
            outside += one["outside"]
            per_person.update({int(uid): count for uid, count in one["per_person"].items()})
        names = user_names(set(per_person))
        return Escalation(
            tickets=tickets,
            at_first_level=at_first_level,
            pages=pages,
            outside_hours=outside,
            per_person=sorted(
                ((names.get(uid, f"#{uid}"), count) for uid, count in per_person.items()),
                key=lambda item: (-item[1], item[0].casefold()),
            ),
        )

    @cached_property
    def targets(self) -> dict[tuple[str, Priority], TargetMet]:
        """Judged: every ticket done, and every one still not done past its due time (missed)."""
        result = {}
        now = self._now.timestamp()
        for (measure, priority), target in self._targets.items():
            if target is None:
                continue
            limit = target.total_seconds()
            judged = met = 0
            for figures in self.rows.values():
                one = figures["targets"][measure][priority.value]
                for took, count in one["done"].items():
                    judged += count
                    met += count if int(took) <= limit else 0
                judged += sum(1 for created in one["pending"] if now > created + limit)
            result[(measure, priority)] = TargetMet(target, judged, met)
        return result


def build(
    period: Period, now: datetime, targets: dict[tuple[str, Priority], timedelta | None]
) -> Report:
    """The period's report; `targets` are the SLA targets (desk/sla.py) judged at `now`."""
    report_days.refresh(period.tz, local_day(now, period.tz))
    before, rows = report_days.load(period.tz, period.first, period.last)
    return Report(period, now, targets, before, rows)


def user_names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.full_name, User.username).where(User.id.in_(user_ids))
    )
    return {row.id: row.full_name or row.username for row in rows}
