"""SLA targets: how long a ticket of each priority may wait for its first answer and for its
resolution (run-time settings `sla_first_answer_<priority>` and `sla_resolve_<priority>`, in
minutes; 0 means no target).

A ticket shows the target that matters now: the first answer until the team has answered
(the moment the answer was written: delivery is Telegram's part), then the resolution. Its
state is *on track*, *due soon* (in the last quarter of the target), *breached* (past it and
not done), and once done *met* or *late*. The reports count met and late the same way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g

from desk import clock, runtime_settings
from desk.web import duration, localtime
from models import Priority, Status, Ticket

MEASURES = ("first_answer", "resolve")
SOON = 0.25  # the last quarter of a target is "due soon"


class SlaState(enum.StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"
    LATE = "late"


@dataclass(frozen=True)
class Sla:
    measure: str
    target: timedelta
    due: datetime
    state: SlaState
    done_at: datetime | None

    @property
    def label(self) -> str:
        what = "answer" if self.measure == "first_answer" else "resolution"
        if self.state == SlaState.MET:
            return f"{what} in time"
        if self.state == SlaState.LATE:
            return f"{what} {duration(self.done_at - self.due)} late"
        if self.state == SlaState.BREACHED:
            return f"{what} overdue {duration(clock.now() - self.due)}"
        if self.state == SlaState.DUE_SOON:
            return f"{what} due in {duration(self.due - clock.now())}"
        return f"{what} due {localtime(self.due, '%d %b %H:%M')}"


def targets() -> dict[tuple[str, Priority], timedelta | None]:
    """Every target, read once per request (a ticket list asks for each row)."""
    cached = g.get("sla_targets")
    if cached is None:
        keys = [f"sla_{m}_{p.value}" for m in MEASURES for p in Priority]
        minutes = runtime_settings.get_ints(*keys)
        cached = {
            (m, p): timedelta(minutes=minutes[f"sla_{m}_{p.value}"]) or None
            for m in MEASURES
            for p in Priority
        }
        g.sla_targets = cached
    return cached


def judge(
    measure: str, created: datetime, done_at: datetime | None, target: timedelta, now: datetime
) -> Sla:
    due = created + target
    if done_at is not None:
        state = SlaState.MET if done_at <= due else SlaState.LATE
    elif now >= due:
        state = SlaState.BREACHED
    elif due - now <= target * SOON:
        state = SlaState.DUE_SOON
    else:
        state = SlaState.ON_TRACK
    return Sla(measure, target, due, state, done_at)


def of(ticket: Ticket) -> Sla | None:
    """The target that matters for this ticket now, judged; None without one."""
    now = clock.now()
    resolved_at = ticket.resolved_at if ticket.status == Status.RESOLVED else None
    first_answer = targets()[("first_answer", ticket.priority)]
    if first_answer and ticket.answered_at is None and resolved_at is None:
        return judge("first_answer", ticket.created_at, None, first_answer, now)
    resolve = targets()[("resolve", ticket.priority)]
    if resolve:
        return judge("resolve", ticket.created_at, resolved_at, resolve, now)
    if first_answer:
        return judge("first_answer", ticket.created_at, ticket.answered_at, first_answer, now)
    return None


def as_dict(sla: Sla | None) -> dict[str, str] | None:
    """The shape the overview's script shows."""
    return {"state": sla.state.value, "label": sla.label} if sla else None
