"""Realistic databases, built fast: a team on call around the clock and a ticket history.

Built through the app's own factory and models (create_app makes the schema and the bootstrap
admin), then filled with batched Core INSERTs (executemany), which takes seconds for 100,000
tickets with their answers, pages, events and follow-ups. A built database is kept per spec
for the rest of the run and copied for each use, so benchmarks never see each other's writes.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.procs import API_TOKEN, SCRUBBED, SECRET_KEY

BATCH = 5_000
GROUP_CHAT_ID = -100555
ESCALATION_TIMEOUT = timedelta(seconds=900)  # the default; the poller's due times follow it
TEAM = ("ann", "bob", "cid")  # primary, first and second backup, linked to Telegram
ANN_CHAT, BOB_CHAT, CID_CHAT = 9001, 9002, 9003
OTHER_TECHS = ("dan", "eve", "fay", "gus", "hal", "ivy", "jon")
ADMIN_PASSWORD = "bench-admin-password"

# Requests as users write them; "printer" is in about 1 ticket in 12 (the search benchmark).
TOPICS = (
    "The printer on floor {f} is jammed again",
    "VPN drops every few minutes when I work from home",
    "Cannot send email to external addresses since this morning",
    "My laptop does not boot after the update",
    "Wi-Fi in meeting room {f} is very slow",
    "Locked out of my account, I need a password reset",
    "Door badge stopped working at entrance {f}",
    "Second monitor flickers and then goes black",
    "Projector in room {f} shows no signal",
    "Need a licence for the design software",
    "Desk phone has no dial tone",
    "Need access to the finance share for the audit",
)
FIRST_NAMES = ("Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines")
LAST_NAMES = ("Liddell", "Moreau", "Rossi", "Ivanov", None, "Haddad", "Hopper", "Tanaka")


@dataclass(frozen=True)
class Spec:
    """`history` closed or in-progress tickets over the past `days`, `open` waiting (not
    due), `due` due now."""

    history: int
    open: int = 0
    due: int = 0
    days: int = 365

    @property
    def key(self) -> str:
        return f"h{self.history}-o{self.open}-d{self.due}" + (
            f"-in{self.days}" if self.days != 365 else ""
        )

    @property
    def tickets(self) -> int:
        return self.history + self.open + self.due


@dataclass
class Dataset:
    path: Path
    spec: Spec
    users: dict[str, int]
    built_at: datetime
    build_seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def middle_ticket(self) -> int:
        """A history ticket with a full thread, halfway through the history."""
        return max(1, self.spec.history // 2)


def scrub_environment() -> None:
    """create_app reads os.environ; a developer's settings must not leak into the benchmark."""
    for name in SCRUBBED:
        os.environ.pop(name, None)
    os.environ["SECRET_KEY"] = SECRET_KEY


def make_app(database_path: Path, **config: Any) -> Flask:
    """The real dashboard app on `database_path`, configured as in production (no TESTING)."""
    import models
    from app import create_app

    scrub_environment()
    # Each fresh database announces its bootstrap admin; here that is expected, not news.
    logging.getLogger("desk.bootstrap").setLevel(logging.ERROR)
    # Cost 4 instead of 12 for the passwords set here; bcrypt is meant to be slow, and login
    # time is not what these benchmarks measure.
    models.BCRYPT_ROUNDS = 4
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
            "SECRET_KEY": SECRET_KEY,
            "BOT_API_TOKEN": API_TOKEN,
            "TESTING": False,
        }
        | config
    )


def dispose(app: Flask) -> None:
    from desk.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(path: Path, spec: Spec) -> Dataset:
    """Create the database file at `path` with the team, the schedule and `spec`'s tickets."""
    from desk.extensions import db

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    app = make_app(path)
    now = datetime.now(UTC)
    with app.app_context():
        users, counts = fill(spec, now)
        with db.engine.connect() as conn:
            # One self-contained file to copy: no WAL left beside it.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    dispose(app)
    return Dataset(path, spec, users, now, time.perf_counter() - started, counts)


def fill(spec: Spec, now: datetime) -> tuple[dict[str, int], dict[str, int]]:
    """Add the team and `spec`'s tickets to the app's (empty) database: user ids, row counts."""
    from desk.extensions import db

    users = add_team()
    rows = Rows(users, now)
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:
        for table, generator in rows.tables(spec):
            count = 0
            for batch in batches(generator):
                conn.execute(sa.insert(table), batch)
                count += len(batch)
            counts[table.name] = count
    return users, counts


def add_team() -> dict[str, int]:
    """Ann on call around the clock with Bob and Cid as backups, seven more techs, the admin."""
    from desk.extensions import db
    from models import ScheduleBackup, ScheduleSlot, User

    admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
    admin.set_password(ADMIN_PASSWORD)
    admin.must_change_password = False
    ids = {"admin": admin.id}
    for number, name in enumerate(TEAM + OTHER_TECHS, start=1):
        user = User(
            username=name,
            full_name=name.title(),
            telegram_user_id=9000 + number if name in TEAM else None,
        )
        user.set_password("password123")
        db.session.add(user)
        db.session.flush()
        ids[name] = user.id
    for weekday in range(7):
        slot = ScheduleSlot(
            weekday=weekday, start_time=wall(0), end_time=wall(0), primary_id=ids["ann"]
        )
        slot.backups = [
            ScheduleBackup(user_id=ids["bob"], position=0),
            ScheduleBackup(user_id=ids["cid"], position=1),
        ]
        db.session.add(slot)
    db.session.commit()
    return ids


class Rows:
    """Row generators for each table; ids are given, so children need no RETURNING."""

    def __init__(self, users: dict[str, int], now: datetime) -> None:
        self.users = users
        self.now = now
        self.techs = [users[name] for name in TEAM + OTHER_TECHS]

    def tables(self, spec: Spec) -> Iterator[tuple[sa.Table, Iterator[dict[str, Any]]]]:
        from models import FollowUp, Notification, SupportResponse, Ticket, TicketEvent

        yield Ticket.__table__, self.tickets(spec)
        yield SupportResponse.__table__, self.answers(spec)
        yield Notification.__table__, self.notifications(spec)
        yield TicketEvent.__table__, self.events(spec)
        yield FollowUp.__table__, self.followups(spec)

    def created(self, spec: Spec, number: int) -> datetime:
        """History spread over the past year (`spec.days`); open and due tickets in the last
        two hours."""
        if number <= spec.history:
            span = timedelta(days=spec.days) - timedelta(hours=2)
            return self.now - timedelta(days=spec.days) + span * (number / max(spec.history, 1))
        recent = number - spec.history
        return self.now - timedelta(hours=2) + timedelta(seconds=recent)

    def tickets(self, spec: Spec) -> Iterator[dict[str, Any]]:
        from models import Priority, Status

        priorities = [Priority.LOW] * 4 + [Priority.NORMAL] * 12 + [Priority.HIGH] * 3
        priorities.append(Priority.URGENT)
        for number in range(1, spec.tickets + 1):
            created = self.created(spec, number)
            sender = 100_000 + number % 5_000
            row = {
                "id": number,
                "chat_id": sender,
                "chat_type": "private",
                "message_id": number,
                "sender_id": sender,
                "sender_username": f"user{sender}",
                "sender_first_name": FIRST_NAMES[number % len(FIRST_NAMES)],
                "sender_last_name": LAST_NAMES[number % len(LAST_NAMES)],
                "text": TOPICS[number % len(TOPICS)].format(f=number % 9)
                + f" (asset AB-{number:06d})",
                "priority": priorities[(number * 7) % len(priorities)],
                "escalation_level": 1,
                "last_escalated_at": created,
                "confirmation_message_id": number + 1,
                "created_at": created,
                "assignee_id": None,
                "acknowledged_by_id": None,
                "acknowledged_at": None,
                "answered_at": None,
                "resolved_at": None,
                "next_escalation_at": None,
            }
            if number <= spec.history:
                tech = self.techs[number % len(self.techs)]
                in_progress = number % 50 == 0
                row |= {
                    "status": Status.IN_PROGRESS if in_progress else Status.RESOLVED,
                    "assignee_id": tech,
                    "acknowledged_by_id": tech,
                    "acknowledged_at": created + timedelta(minutes=3),
                    "answered_at": created + timedelta(minutes=10),
                    "resolved_at": None if in_progress else created + timedelta(hours=1),
                    "updated_at": created + timedelta(hours=1),
                }
            elif number <= spec.history + spec.open:
                # Paged, nobody reacted yet, next level later: the poller must not see it.
                row |= {
                    "status": Status.OPEN,
                    "next_escalation_at": self.now + timedelta(days=1),
                    "updated_at": created,
                }
            else:
                # Paged a timeout and a minute ago: the first backup is due now.
                paged = self.now - ESCALATION_TIMEOUT - timedelta(seconds=60, milliseconds=number)
                row |= {
                    "status": Status.OPEN,
                    "last_escalated_at": paged,
                    "next_escalation_at": paged + ESCALATION_TIMEOUT,
                    "updated_at": paged,
                }
            yield row

    def answers(self, spec: Spec) -> Iterator[dict[str, Any]]:
        from models import DeliveryState

        for number in range(1, spec.history + 1):
            at = self.created(spec, number) + timedelta(minutes=10)
            yield {
                "id": number,
                "ticket_id": number,
                "author_id": self.techs[number % len(self.techs)],
                "text": "Thanks for the report: fixed on our side, please try again.",
                "delivery_state": DeliveryState.SENT,
                "attempts": 1,
                "last_error": None,
                "claimed_at": at,
                "telegram_message_id": number + 2,
                "sent_at": at,
                "created_at": at,
                "updated_at": at,
            }

    def notifications(self, spec: Spec) -> Iterator[dict[str, Any]]:
        from models import DeliveryState

        note_id = 0
        for number in range(1, spec.tickets + 1):
            at = self.created(spec, number)
            pages: list[tuple[int | None, int, str]] = [(self.users["ann"], ANN_CHAT, "page")]
            if number <= spec.history:
                pages.append((None, GROUP_CHAT_ID, "post"))
            for user_id, chat_id, kind in pages:
                note_id += 1
                yield {
                    "id": note_id,
                    "ticket_id": number,
                    "user_id": user_id,
                    "chat_id": chat_id,
                    "level": 1,
                    "kind": kind,
                    "state": DeliveryState.SENT,
                    "telegram_message_id": 10_000_000 + note_id,
                    "error": None,
                    "created_at": at,
                    "sent_at": at,
                }

    def events(self, spec: Spec) -> Iterator[dict[str, Any]]:
        event_id = 0
        for number in range(1, spec.history + 1):
            at = self.created(spec, number)
            tech = self.techs[number % len(self.techs)]
            in_progress = number % 50 == 0
            trail = [
                ("acknowledged", "", at + timedelta(minutes=3)),
                ("assigned", "to a tech", at + timedelta(minutes=3)),
                ("status", "open → in_progress", at + timedelta(minutes=10)),
            ]
            if not in_progress:
                trail.append(("status", "in_progress → resolved", at + timedelta(hours=1)))
            for kind, detail, when in trail:
                event_id += 1
                yield {
                    "id": event_id,
                    "ticket_id": number,
                    "actor_id": tech,
                    "kind": kind,
                    "detail": detail,
                    "created_at": when,
                }

    def followups(self, spec: Spec) -> Iterator[dict[str, Any]]:
        for number in range(4, spec.history + 1, 4):
            yield {
                "id": number // 4,
                "ticket_id": number,
                "chat_id": 100_000 + number % 5_000,
                "message_id": 1_000_000 + number,
                "text": "Still broken after a restart, by the way.",
                "created_at": self.created(spec, number) + timedelta(minutes=5),
            }


class DatasetCache:
    """Build each spec once per run; hand out private copies."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.built: dict[Spec, Dataset] = {}

    def copy(self, spec: Spec, destination: Path) -> Dataset:
        master = self.built.get(spec)
        if master is None:
            master = build(self.directory / f"{spec.key}.db", spec)
            self.built[spec] = master
        destination.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (Path(f"{destination}-wal"), Path(f"{destination}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(master.path, destination)
        return Dataset(
            destination, spec, master.users, master.built_at, master.build_seconds, master.rows
        )
