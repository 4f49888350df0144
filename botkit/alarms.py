"""The escalation alarm: a step is taken at the instant it falls due, not at the next poll.

Every answer of `GET /api/escalations/due` says in how many seconds the next step after the
due ones falls due (`next_due_in`), and a filed ticket says when its own does
(`next_escalation_in`); the bot keeps one JobQueue job for the earliest of them. The poll
stays, every ESCALATION_POLL_INTERVAL, for deadlines that change elsewhere (an acknowledgement
in the dashboard, a reopened ticket, a changed timeout): the alarm makes steps punctual, the
poll makes them certain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from telegram.ext import ContextTypes, JobQueue

NAME = "escalation_alarm"
# A hair after the instant: the dashboard hands out tickets whose time is <= its now.
MARGIN = 0.01

Poll = Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]]


class Alarm:
    """Without a JobQueue (a Desk built before the bot runs) it sets nothing."""

    def __init__(self, job_queue: JobQueue | None = None, poll: Poll | None = None) -> None:
        self.job_queue = job_queue
        self.poll = poll

    def set(self, seconds: float | None) -> None:
        """The dashboard's word on when the next step is due: it replaces what was set."""
        self.cancel()
        if seconds is not None and self.job_queue is not None:
            self.job_queue.run_once(self.poll, max(seconds, 0) + MARGIN, name=NAME)

    def sooner(self, seconds: float | None) -> None:
        """A new deadline (a ticket just filed): set it only if it comes before the alarm."""
        if seconds is None:
            return
        at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=max(seconds, 0) + MARGIN)
        if any(job.next_t is not None and job.next_t <= at for job in self.jobs()):
            return
        self.set(seconds)

    def cancel(self) -> None:
        for job in self.jobs():
            job.schedule_removal()

    def jobs(self) -> list:
        if self.job_queue is None:
            return []
        return [job for job in self.job_queue.get_jobs_by_name(NAME) if not job.removed]
