"""Each day's report figures, kept in report_days so a report reads one row a day, not every
ticket of its period.

A day's row holds what can be added across days: counts, and for every duration a histogram
(whole seconds -> how many tickets), from which the period's median and 90th percentile come
out exact (desk/reports.py). Figures about a ticket belong to the day it was filed; the day
counts to the day of the event (filed, last resolved, asked for a rating); `net` is what the
day did to the backlog (filed - closed + reopened), whose running sum is the backlog.

Kept true by the triggers of desk/report_marks.py: every change to a counted row appends the
hours it touches to report_marks. `refresh`, run before each report, deletes the rows of the
days those hours fall on and computes every missing day from the first ticket's to today, in
steps of a month, each under the lock of the report_state row (so two reports never compute
at once, and on SQLite writers wait one step at most).

Durations are counted in whole seconds, rounded up: a target of 15 minutes is met by
anything up to 15:00.000, as before.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from desk import database
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
)
from report_models import ReportDay, ReportMark, ReportState

MEASURES = ("acknowledge", "first_answer", "resolve")
TARGET_MEASURES = ("first_answer", "resolve")
PAGE_KINDS = (NotificationKind.PAGE, NotificationKind.GROUP)
STEP_DAYS = 31
# Pages sent outside these hours count as "outside working hours": Monday to Friday, 09:00 to
# 18:00 in the team's zone (the escalation policies of issue #18 will make this a setting).
WORK_DAYS = range(0, 5)
WORK_START, WORK_END = time(9), time(18)
CLOSED = f"% → {Status.RESOLVED.value}"
REOPENED = f"{Status.RESOLVED.value} → %"
UNASSIGNED = ""  # the ratings key of tickets nobody was assigned to


def working_hours(at: datetime, tz: ZoneInfo) -> bool:
    local = at.astimezone(tz)
    return local.weekday() in WORK_DAYS and WORK_START <= local.time() < WORK_END


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def seconds(took: timedelta) -> int:
    return max(math.ceil(took.total_seconds()), 0)


# -- keeping the rows up to date --------------------------------------------------------------


def refresh(tz: ZoneInfo, today: date) -> None:
    """Bring report_days up to date for `tz`, from the first ticket's day to `today`.

    Commits its own steps (the one exception to the view-commits rule): a cold start over a
    long history must not hold the database's write lock for the whole of it."""
    first = _first_day(tz)
    if _is_current(tz, first, today):
        return
    _lock(tz)
    stale_tz = db.session.scalar(
        sa.select(sa.func.count()).select_from(ReportDay).where(ReportDay.tz != tz.key)
    )
    if stale_tz:  # the team's zone changed: every day starts at another instant
        db.session.execute(sa.delete(ReportDay).where(ReportDay.tz != tz.key))
    # Exactly the marks this statement sees go: one a change still in flight appends stays
    # for the next report (on PostgreSQL such a row is invisible to the DELETE).
    hours = set(
        db.session.scalars(
            sa.delete(ReportMark)
            .returning(ReportMark.hour)
            .execution_options(synchronize_session=False)
        )
    )
    stale = sorted({day for hour in hours for day in _days_of_hour(hour, tz)})
    for chunk in _chunks(stale, 500):
        db.session.execute(
            sa.delete(ReportDay).where(ReportDay.tz == tz.key, ReportDay.day.in_(chunk))
        )
    database.commit()
    if first is None:
        return
    for step_first, step_last in _missing_runs(tz, first, today):
        _lock(tz)
        # Another report may have done this step while we waited for the lock.
        missing = set(_missing(tz, step_first, step_last))
        if missing:
            computed = compute(step_first, step_last, tz)
            db.session.add_all(
                ReportDay(tz=tz.key, day=day, net=figures.pop("net"), figures=figures)
                for day, figures in computed.items()
                if day in missing
            )
        database.commit()


def _is_current(tz: ZoneInfo, first: date | None, today: date) -> bool:
    """Nothing marked, the same zone as last time, and a row for every day: a report's usual
    case, which reads and writes nothing more."""
    if db.session.scalar(sa.select(ReportMark.id).limit(1)) is not None:
        return False
    if db.session.scalar(sa.select(ReportState.tz).where(ReportState.id == 1)) != tz.key:
        return False
    if first is None:
        return True
    held = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ReportDay)
        .where(ReportDay.tz == tz.key, ReportDay.day >= first, ReportDay.day <= today)
    )
    return held == (today - first).days + 1


def _lock(tz: ZoneInfo) -> None:
    """Take the report_state row (creating it the first time): a row lock on PostgreSQL, the
    write lock on SQLite, held until the step commits."""
    updated = db.session.execute(
        sa.update(ReportState).where(ReportState.id == 1).values(tz=tz.key)
    ).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(ReportState(id=1, tz=tz.key))
        except sa.exc.IntegrityError:
            db.session.execute(sa.update(ReportState).where(ReportState.id == 1).values(tz=tz.key))


def _first_day(tz: ZoneInfo) -> date | None:
    """The first day with anything to count: a filing, a resolution or a rating question (the
    last two can come before the filing in imported data)."""
    firsts = db.session.execute(
        sa.select(
            *(
                sa.select(sa.func.min(column)).scalar_subquery()
                for column in (Ticket.created_at, Ticket.resolved_at, Ticket.rating_asked_at)
            )
        )
    ).one()
    known = [_aware(first) for first in firsts if first is not None]
    return local_day(min(known), tz) if known else None


def _days_of_hour(hour: str, tz: ZoneInfo) -> set[date]:
    start = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
    # An hour of UTC can straddle two local days (zones half an hour off UTC).
    return {local_day(start, tz), local_day(start + timedelta(hours=1) - timedelta.resolution, tz)}


def _missing(tz: ZoneInfo, first: date, last: date) -> list[date]:
    held = set(
        db.session.scalars(
            sa.select(ReportDay.day).where(
                ReportDay.tz == tz.key, ReportDay.day >= first, ReportDay.day <= last
            )
        )
    )
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day not in held]


def _missing_runs(tz: ZoneInfo, first: date, today: date) -> list[tuple[date, date]]:
    """The missing days as runs of consecutive days, none longer than STEP_DAYS."""
    runs: list[tuple[date, date]] = []
    for day in _missing(tz, first, today):
        if runs and (day - runs[-1][1]).days == 1 and (day - runs[-1][0]).days < STEP_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _chunks(items: list, size: int) -> Iterable[list]:
    for n in range(0, len(items), size):
        yield items[n : n + size]


def _aware(value: datetime | str) -> datetime:
    # An aggregate (MIN) comes back as the driver's value, naive UTC text on SQLite.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- reading them -----------------------------------------------------------------------------


def load(tz: ZoneInfo, first: date, last: date) -> tuple[int, dict[date, dict]]:
    """The backlog at the start of `first`, and the figures of each day `first`..`last` that
    had any (days without a row had nothing)."""
    before = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ReportDay.net), 0)).where(
            ReportDay.tz == tz.key, ReportDay.day < first
        )
    )
    rows = db.session.execute(
        sa.select(ReportDay.day, ReportDay.net, ReportDay.figures).where(
            ReportDay.tz == tz.key, ReportDay.day >= first, ReportDay.day <= last
        )
    )
    return int(before), {day: figures | {"net": net} for day, net, figures in rows}


# -- computing them ---------------------------------------------------------------------------


def empty_figures() -> dict:
    return {
        "net": 0,
        "created": 0,
        "resolved": 0,
        "times": {m: {p.value: {} for p in Priority} for m in MEASURES},
        "targets": {
            m: {p.value: {"done": {}, "pending": []} for p in Priority} for m in TARGET_MEASURES
        },
        "techs": {},
        "escalation": {"at_first_level": 0, "pages": 0, "outside": 0, "per_person": {}},
        "ratings": {},
    }


def _count(histogram: dict[str, int], value: int) -> None:
    histogram[str(value)] = histogram.get(str(value), 0) + 1


def compute(first: date, last: date, tz: ZoneInfo) -> dict[date, dict]:
    """The figures of every day `first`..`last` (local days of `tz`), from the tickets.

    The rows about the tickets filed in those days are found by ticket (`ticket_id IN`), and
    filtered by kind or state here: a condition on kind or state in SQL would tempt the
    planner into the kind or state index, which spans every ticket ever filed."""
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    days: defaultdict[date, dict] = defaultdict(empty_figures)
    for n in range((last - first).days + 1):
        days[first + timedelta(days=n)]  # noqa: B018 - every day gets a row, empty or not
    in_range = [Ticket.created_at >= start, Ticket.created_at < end]
    filed = sa.select(Ticket.id).where(*in_range)
    tickets = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Ticket.id,
                Ticket.priority,
                Ticket.created_at,
                Ticket.status,
                Ticket.resolved_at,
                Ticket.answered_at,
            ).where(*in_range)
        )
    }
    history: defaultdict[int, list] = defaultdict(list)
    for ticket_id, kind, detail, at in db.session.execute(
        sa.select(
            TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.detail, TicketEvent.created_at
        ).where(TicketEvent.ticket_id.in_(filed))
    ):
        if kind in (EventKind.ACKNOWLEDGED, EventKind.STATUS):
            history[ticket_id].append((kind, detail, at))
    answers: defaultdict[int, list] = defaultdict(list)
    for ticket_id, sent_at, author_id, state, part in db.session.execute(
        sa.select(
            SupportResponse.ticket_id,
            SupportResponse.sent_at,
            SupportResponse.author_id,
            SupportResponse.delivery_state,
            SupportResponse.part,
        )
        .where(SupportResponse.ticket_id.in_(filed))
        .order_by(SupportResponse.sent_at, SupportResponse.id)
    ):
        # A long answer sent in parts is one answer, there when its first part is.
        if state == DeliveryState.SENT and sent_at is not None and part == 1:
            answers[ticket_id].append((sent_at, author_id))
    pages: defaultdict[int, list] = defaultdict(list)
    for ticket_id, user_id, level, kind, repeat, at in db.session.execute(
        sa.select(
            Notification.ticket_id,
            Notification.user_id,
            Notification.level,
            Notification.kind,
            Notification.repeat,
            Notification.created_at,
        ).where(Notification.ticket_id.in_(filed))
    ):
        if kind in PAGE_KINDS and not repeat:  # a message sent again is not another page
            pages[ticket_id].append((user_id, level, at))

    for ticket in tickets.values():
        lines = history.get(ticket.id, [])
        acks = [at for kind, _, at in lines if kind == EventKind.ACKNOWLEDGED]
        _add_ticket(
            days[local_day(ticket.created_at, tz)],
            ticket,
            min(acks) if acks else None,
            answers.get(ticket.id, []),
            pages.get(ticket.id, []),
            tz,
        )
    resolved = _add_resolutions(days, start, end, tz)
    _add_backlog_changes(days, start, end, tz, tickets, history, resolved)
    _add_ratings(days, start, end, tz)
    return {day: days[day] for day in sorted(days) if first <= day <= last}


def _add_ticket(figures: dict, ticket, acknowledged_at, answers: list, pages: list, tz) -> None:
    priority = ticket.priority.value
    created = ticket.created_at
    resolved_at = ticket.resolved_at if ticket.status == Status.RESOLVED else None
    first_answer_at, first_answer_by = answers[0] if answers else (None, None)
    figures["created"] += 1
    figures["net"] += 1
    reached = {
        "acknowledge": _aware(acknowledged_at) if acknowledged_at is not None else None,
        "first_answer": first_answer_at,
        "resolve": resolved_at,
    }
    for measure, at in reached.items():
        if at is not None:
            _count(figures["times"][measure][priority], seconds(at - created))
    for measure, done in (("first_answer", ticket.answered_at), ("resolve", resolved_at)):
        target = figures["targets"][measure][priority]
        if done is not None:
            _count(target["done"], seconds(done - created))
        else:
            target["pending"].append(created.timestamp())
    techs = figures["techs"]
    for author_id in {author for _, author in answers if author is not None}:
        tech = techs.setdefault(str(author_id), {"tickets": 0, "answers": 0, "first": {}})
        tech["tickets"] += 1
    for _, author_id in answers:
        if author_id is not None:
            techs[str(author_id)]["answers"] += 1
    if first_answer_by is not None:
        _count(techs[str(first_answer_by)]["first"], seconds(first_answer_at - created))
    escalation = figures["escalation"]
    for user_id, _, at in pages:
        escalation["pages"] += 1
        if user_id is not None:
            person = escalation["per_person"]
            person[str(user_id)] = person.get(str(user_id), 0) + 1
        if not working_hours(at, tz):
            escalation["outside"] += 1
    if reached["acknowledge"] is not None and all(level == 0 for _, level, _ in pages):
        escalation["at_first_level"] += 1


def _add_resolutions(days, start: datetime, end: datetime, tz: ZoneInfo) -> dict[int, tuple]:
    """Resolved per day counts a ticket once, on its last resolution. Returns those tickets:
    id -> (filed, resolved)."""
    resolved = {}
    for ticket_id, status, created_at, resolved_at in db.session.execute(
        sa.select(Ticket.id, Ticket.status, Ticket.created_at, Ticket.resolved_at).where(
            Ticket.resolved_at >= start, Ticket.resolved_at < end
        )
    ):
        if status == Status.RESOLVED:
            days[local_day(resolved_at, tz)]["resolved"] += 1
            resolved[ticket_id] = (created_at, resolved_at)
    return resolved


def _add_backlog_changes(days, start, end, tz, tickets, history, resolved) -> None:
    """Closings and reopenings from the history (every status change records "open →
    resolved" or "resolved → open"), each at the latest of its instant and the ticket's filing;
    a resolved ticket without any recorded closing (imported or demo data) closed at its
    resolved_at. `history` holds the lines of the tickets filed in the range, `resolved` the
    tickets last resolved in it."""

    def count(at: datetime, created_at: datetime, reopened: bool) -> None:
        at = max(at, created_at)
        if start <= at < end:
            days[local_day(at, tz)]["net"] += 1 if reopened else -1

    changes = sa.or_(TicketEvent.detail.like(CLOSED), TicketEvent.detail.like(REOPENED))
    for at, detail, created_at in db.session.execute(
        sa.select(TicketEvent.created_at, TicketEvent.detail, Ticket.created_at)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.kind == EventKind.STATUS,
            TicketEvent.created_at >= start,
            TicketEvent.created_at < end,
            changes,
        )
    ):
        count(at, created_at, _reopens(detail))
    closed_ever = set()
    for ticket_id, lines in history.items():
        for kind, detail, at in lines:
            if kind == EventKind.STATUS and _closes(detail):
                closed_ever.add(ticket_id)
            # Recorded before the ticket's filing (clock skew, imports): counts at the filing.
            if kind == EventKind.STATUS and at < start and (_closes(detail) or _reopens(detail)):
                count(at, tickets[ticket_id].created_at, _reopens(detail))
    candidates = {
        ticket.id: (ticket.created_at, ticket.resolved_at)
        for ticket in tickets.values()
        if ticket.status == Status.RESOLVED and ticket.resolved_at is not None
    } | resolved
    others = [ticket_id for ticket_id in candidates if ticket_id not in tickets]
    for chunk in _chunks(others, 1000):
        for ticket_id, kind in db.session.execute(
            sa.select(TicketEvent.ticket_id, TicketEvent.kind).where(
                TicketEvent.ticket_id.in_(chunk), TicketEvent.detail.like(CLOSED)
            )
        ):
            if kind == EventKind.STATUS:
                closed_ever.add(ticket_id)
    for ticket_id, (created_at, resolved_at) in candidates.items():
        if ticket_id not in closed_ever:
            count(resolved_at, created_at, reopened=False)


def _closes(detail: str) -> bool:
    return detail.endswith(f" → {Status.RESOLVED.value}")  # LIKE CLOSED


def _reopens(detail: str) -> bool:
    return detail.startswith(f"{Status.RESOLVED.value} → ")  # LIKE REOPENED


def _add_ratings(days, start: datetime, end: datetime, tz: ZoneInfo) -> None:
    """Satisfaction by the day the user was asked, per assignee (as the ticket is now)."""
    for assignee_id, rating, asked_at in db.session.execute(
        sa.select(Ticket.assignee_id, Ticket.rating, Ticket.rating_asked_at).where(
            Ticket.rating_asked_at >= start, Ticket.rating_asked_at < end
        )
    ):
        ratings = days[local_day(asked_at, tz)]["ratings"]
        key = UNASSIGNED if assignee_id is None else str(assignee_id)
        one = ratings.setdefault(key, {"asked": 0, "scores": {}})
        one["asked"] += 1
        if rating is not None:
            one["scores"][str(rating)] = one["scores"].get(str(rating), 0) + 1


def merge(histograms: Iterable[dict[str, int]]) -> Counter[int]:
    total: Counter[int] = Counter()
    for histogram in histograms:
        for value, count in histogram.items():
            total[int(value)] += count
    return total
