"""Doorbells: a request that waits for news (the bot's long poll for answers) is woken by the
commit that made the news, in whichever gunicorn worker that commit ran; a browser's live
page asks a bell's mark (desk/live_marks.py) instead of the database.

A bell is a file in the instance folder. Ringing appends a byte to it (O_APPEND: atomic
between processes); a waiter notes its size before it reads the database and, finding
nothing, looks at the size again every LOOK_EVERY seconds until it changes or the wait ends.
That look is a stat, not a database statement, so an idle long poll costs the database one
query per wait instead of one per short poll. A size changes with every ring (a file's mtime
can stay the same across two writes a few milliseconds apart), and a bell emptied once it
is large only looks like one more ring.

Files cross the worker processes of one host, which is how the dashboard runs (README,
"Production"). Dashboards on several hosts sharing a PostgreSQL database do not ring each
other: their bot still gets every answer, at the end of its wait at the latest.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from models import FollowUp, Notification, SupportResponse, Ticket, TicketEvent, TicketNote

ANSWERS = "answers"  # an answer was written, or its delivery state changed
DESK = "desk"  # a ticket, or anything the live pages show of one, was written
LOOK_EVERY = 0.02  # seconds between two looks at a bell while waiting
EMPTIED_AT = 64 * 1024  # bytes: a bell this large starts again from empty
PENDING_RINGS = "doorbell_rings"  # Session.info key: the bells the open transaction rings
# The rows the overview, the ticket list and the ticket page show (or count).
LIVE_ROWS = (Ticket, FollowUp, SupportResponse, TicketNote, TicketEvent, Notification)


def bell(name: str) -> Path:
    return Path(current_app.instance_path) / "doorbells" / name


def mark(name: str) -> int:
    """The bell's state now, to compare with after a wait (-1: never rung)."""
    try:
        return bell(name).stat().st_size
    except FileNotFoundError:
        return -1


def ring(name: str) -> None:
    path = bell(name)
    try:
        file = path.open("ab")
    except FileNotFoundError:  # the first ring of this instance folder
        path.parent.mkdir(parents=True, exist_ok=True)
        file = path.open("ab")
    with file:
        file.write(b".")
        if file.tell() >= EMPTIED_AT:
            file.truncate(0)


def wait(name: str, since: int, seconds: float) -> bool:
    """Wait until the bell rings after `since` (its mark) or `seconds` pass; True if it rang."""
    deadline = time.monotonic() + seconds
    while mark(name) == since:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(LOOK_EVERY, left))
    return True


@event.listens_for(Session, "after_flush")
def _note_rings(session: Session, _flush_context) -> None:
    """What the open transaction rings once it commits: ANSWERS for a new answer or one whose
    delivery state changed, DESK for any row the live pages show (static/js/desk.js).

    The bot's claims are conditional UPDATEs, not flushes, so they ring nothing."""
    rings = session.info.setdefault(PENDING_RINGS, set())
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, LIVE_ROWS):
            rings.add(DESK)
        if isinstance(row, SupportResponse) and (
            row in session.new or _changed(row, "delivery_state")
        ):
            rings.add(ANSWERS)


def _changed(row: object, attribute: str) -> bool:
    return sa.inspect(row).attrs[attribute].history.has_changes()


@event.listens_for(Session, "after_commit")
def _ring_committed(session: Session) -> None:
    names = session.info.pop(PENDING_RINGS, ())
    if names and has_app_context():
        for name in names:
            try:
                ring(name)
            except OSError as error:
                # The answer is committed; its bot finds it at the end of its wait.
                current_app.logger.warning("could not ring the %s doorbell: %s", name, error)


@event.listens_for(Session, "after_rollback")
def _forget_rings(session: Session) -> None:
    session.info.pop(PENDING_RINGS, None)
