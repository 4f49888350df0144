"""`flask --app app seed-demo`: techs, a week's schedule and tickets in every state."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import click
import sqlalchemy as sa
from flask import current_app

import rotations
from desk import clock, oncall, runtime_settings, schedule_changes, ticket_actions, tickets
from desk.extensions import db
from models import (
    DeliveryState,
    FollowUp,
    Notification,
    Priority,
    ScheduleBackup,
    ScheduleSlot,
    Ticket,
    TicketEvent,
    User,
)
from schedule_models import CoverRequest

DEMO_PASSWORD = "demo-pass-123"
TECHS = [  # username, full name, Telegram id (None: not linked yet), admin
    ("ann", "Ann Archer", 70001, True),
    ("bob", "Bob Baker", 70002, False),
    ("cid", "Cid Carter", 70003, False),
    ("dee", "Dee Dalton", 70004, False),
    ("eve", "Eve Evans", None, False),
]
# Three shifts a day, the night one running past midnight; (start, end, primary, backups).
SHIFTS = [
    (time(6), time(14), 0, (1, 2)),
    (time(14), time(22), 1, (2, 3)),
    (time(22), time(6), 2, (3, 0)),
]
SENDERS = [  # Telegram user id, username, first name, last name
    (5101, "maria_k", "Maria", "Kowalska"),
    (5102, "tom_h", "Tom", "Hughes"),
    (5103, None, "Priya", "Nair"),
    (5104, "j_li", "Jun", "Li"),
    (5105, "oscar", "Oscar", None),
    (5106, "fatima_a", "Fatima", "Ahmed"),
    (5107, "lukas", "Lukas", "Berg"),
]
REQUESTS = [
    "VPN drops every few minutes since this morning",
    "Cannot log in to the CRM: 'account locked'",
    "Printer on the 3rd floor prints blank pages",
    "Outlook keeps asking for my password",
    "Wi-Fi in meeting room B is very slow",
    "Need access to the finance shared drive",
    "Laptop fan is extremely loud and it gets hot",
    "The shop website shows error 502 at checkout",
    "My second monitor is not detected after the update",
    "Please reset my 2FA, I have a new phone",
    "Teams calls drop after exactly 10 minutes",
    "Can't open PDF attachments in the mail client",
    "Payroll export fails with 'timeout'",
    "New colleague starts Monday, needs a laptop and accounts",
    "Disk almost full on the build server",
    "Phone line at reception is dead",
    "Calendar invites arrive twice",
    "Password reset email never arrives",
    "The dashboard at /reports is empty since yesterday",
    "Keyboard missing keys <Ctrl> & <Alt> after spill",
    "Backup job reported 3 failures overnight",
    "Zoom asks for an update but I have no admin rights",
    "Cannot connect to the staging database",
    "Slack notifications stopped on my Mac",
    "Mouse pointer freezes every few seconds",
    "Scanner saves files to the wrong folder",
    "Need a license for the design software",
    "Server room temperature alarm went off",
    "Browser says the intranet certificate expired",
    "Shared calendar for the support team is gone",
    "Lost my badge, door access needed today",
    "Excel macro crashes on open",
]
ANSWERS = [
    "Thanks, looking into it now.",
    "Could you restart the device and tell us if it still happens?",
    "Fixed on our side, please try again.",
    "We've ordered a replacement; it arrives tomorrow.",
    "Access granted, it may take 10 minutes to show up.",
]


class DemoClock:
    """The clock the seeded actions see, so the thread reads like days of real work."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


@contextmanager
def seeding_clock(start: datetime) -> Iterator[DemoClock]:
    fake = DemoClock(start)
    previous = current_app.config.get("CLOCK")
    current_app.config["CLOCK"] = fake
    try:
        yield fake
    finally:
        current_app.config["CLOCK"] = previous


def stamp_events(at: datetime) -> None:
    """Audit rows take their own time on flush; give the new ones the seeding clock's."""
    for row in db.session.new:
        if isinstance(row, TicketEvent) and row.created_at is None:
            row.created_at = at


def make_techs() -> list[User]:
    users = []
    for username, name, telegram_id, admin in TECHS:
        user = User(username=username, full_name=name, is_admin=admin, telegram_user_id=telegram_id)
        user.telegram_username = username if telegram_id else None
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def make_schedule(techs: list[User]) -> None:
    for weekday in range(7):
        for offset, (start, end, primary, backups) in enumerate(SHIFTS):
            turn = (weekday + offset) % 4  # rotate, so nobody has every night
            people = [techs[(i + turn) % 4] for i in (primary, *backups)]
            slot = ScheduleSlot(
                weekday=weekday, start_time=start, end_time=end, primary_id=people[0].id
            )
            slot.backups = [
                ScheduleBackup(user_id=u.id, position=i) for i, u in enumerate(people[1:])
            ]
            db.session.add(slot)


def make_rotation_and_overrides(techs: list[User], now: datetime) -> None:
    """A weekly rotation as the weekend's last backup, an override tomorrow evening and a cover
    request nobody has taken yet, so those pages show something real."""
    tz = oncall.schedule_zone()
    today = now.astimezone(tz).date()
    rotation = schedule_changes.create_rotation(
        "Weekend escalation",
        rotations.ShiftLength(1, rotations.ShiftUnit.WEEKS),
        0,
        time(9),
        today - timedelta(days=21),
        [t.id for t in techs[:4]],
    )
    weekend = db.session.scalars(sa.select(ScheduleSlot).where(ScheduleSlot.weekday >= 5))
    for slot in weekend:
        slot.backups.append(ScheduleBackup(rotation_id=rotation.id, position=len(slot.backups)))
    evening = datetime.combine(today + timedelta(days=1), time(18), tz)
    schedule_changes.create_override(
        techs[1], evening, evening + timedelta(hours=15), techs[0], None, "Ann at the dentist"
    )
    start = datetime.combine(today + timedelta(days=3), time(14), tz)
    db.session.add(
        CoverRequest(
            requester_id=techs[2].id,
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            note="Family visit, who can take my afternoon?",
        )
    )


def file_ticket(number: int, rng: random.Random) -> Ticket:
    user_id, username, first, last = SENDERS[number % len(SENDERS)]
    intake = tickets.Intake(
        chat_id=user_id,
        chat_type="private",
        message_id=1000 + number,
        user_id=user_id,
        username=username,
        first_name=first,
        last_name=last,
        text=REQUESTS[number % len(REQUESTS)],
    )
    ticket = tickets.file_request(intake).ticket
    ticket.priority = rng.choice(
        [Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
    )
    return ticket


def page(ticket: Ticket, tech: User, level: int, at: datetime, failed: bool) -> None:
    db.session.add(
        Notification(
            ticket_id=ticket.id,
            user_id=tech.id,
            chat_id=tech.telegram_user_id or 0,
            level=level,
            kind="page",
            state=DeliveryState.FAILED if failed else DeliveryState.SENT,
            error="Forbidden: bot was blocked by the user" if failed else None,
            created_at=at,
            sent_at=None if failed else at,
        )
    )
    ticket.escalation_level = level
    ticket.last_escalated_at = at


# The demo's satisfaction ratings, by ticket id (None: asked, not rated).
DEMO_RATINGS = (5, 4, None, 5, 3, 5, 2, 4)


def later(demo: DemoClock, minutes: int) -> datetime:
    demo.current += timedelta(minutes=minutes)
    return demo.current


def deliver(response, rng: random.Random, at: datetime, settled: bool) -> None:
    """Give an answer a delivery outcome; unsettled tickets show pending and failed ones too."""
    choices = [DeliveryState.SENT] * 2 + [DeliveryState.PENDING, DeliveryState.FAILED]
    response.delivery_state = rng.choice(choices) if not settled else DeliveryState.SENT
    if response.delivery_state == DeliveryState.FAILED:
        response.last_error = "Forbidden: bot was blocked by the user"
        response.attempts = 3
    elif response.delivery_state == DeliveryState.SENT:
        response.sent_at = at


def work_on(
    ticket: Ticket, stage: int, techs: list[User], demo: DemoClock, rng, now: datetime
) -> None:
    """Move a ticket along: 0 new and paged, 1 acknowledged, 2 answered, 3 resolved.

    Only what escalation would have done by `now`: the backup is paged one escalation timeout
    after the first page of a ticket nobody acknowledged, and never later than `now`."""
    tech = rng.choice(techs[:4])
    page(ticket, tech, 1, later(demo, 1), failed=rng.random() < 0.15)
    if stage == 0:
        escalated = demo.current + runtime_settings.escalation_timeout()
        if rng.random() < 0.5 and escalated <= now:
            backup = techs[(techs.index(tech) + 1) % 4]
            demo.current = escalated
            page(ticket, backup, 2, escalated, failed=False)
        return
    later(demo, rng.randint(2, 12))
    # No autoflush: the new audit rows must get the seeding clock's time before they are written.
    with db.session.no_autoflush:
        if stage == 1:
            ticket_actions.acknowledge(ticket, tech)
        else:
            ticket_actions.take(ticket, tech)
        stamp_events(demo.current)
    if stage == 1:
        return
    later(demo, rng.randint(3, 25))
    response = ticket_actions.answer(ticket, rng.choice(ANSWERS), tech)
    deliver(response, rng, later(demo, 1), settled=stage == 3)
    if stage == 3:
        db.session.add(
            FollowUp(
                ticket_id=ticket.id,
                chat_id=ticket.chat_id,
                message_id=5000 + ticket.id,
                text="Works again, thank you!",
                created_at=later(demo, rng.randint(10, 90)),
            )
        )
        later(demo, 2)
        # Demo users are asked nothing (no message ever leaves for them): the question counts
        # as asked at the resolve, and most of them rated it.
        ticket.rating_asked_at = demo.current
        with db.session.no_autoflush:
            ticket_actions.resolve(ticket, tech)
            stamp_events(demo.current)
        ticket.rating = DEMO_RATINGS[ticket.id % len(DEMO_RATINGS)]
        if ticket.rating is not None:
            ticket.rated_at = demo.current + timedelta(minutes=3)


def seed(now: datetime, count: int = 36) -> tuple[int, int]:
    """Fill an empty database; returns (techs, tickets) created."""
    rng = random.Random(7)  # the same demo every time
    techs = make_techs()
    make_schedule(techs)
    db.session.flush()
    make_rotation_and_overrides(techs, now)
    db.session.commit()
    first = now - timedelta(days=3)
    spacing = (now - timedelta(minutes=4) - first) / (count - 1)
    with seeding_clock(first) as demo:
        for number in range(count):
            demo.current = first + number * spacing
            ticket = file_ticket(number, rng)
            age = count - number  # the newest tickets are the least handled
            stage = 0 if age <= 5 else 1 if age <= 9 else 2 if age <= 18 else 3
            work_on(ticket, stage, techs, demo, rng, now)
            ticket.next_escalation_at = None  # demo tickets never page real Telegram accounts
            db.session.commit()
    return len(techs), count


@click.command("seed-demo")
def seed_demo() -> None:
    """Fill an empty database with demo techs, a week's schedule and tickets."""
    tickets_there = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    users_there = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    if tickets_there or users_there > 1:
        raise click.ClickException(
            f"the database already has {tickets_there} ticket(s) and {users_there} user(s); "
            "seed-demo only fills a fresh one (point DATABASE_URL at a new file)"
        )
    techs, count = seed(clock.now())
    click.echo(
        f"Created {techs} techs, 21 schedule slots, a rotation, an override, a cover request "
        f"and {count} tickets."
    )
    click.echo(f"Log in as ann (an admin), bob, cid, dee or eve with password {DEMO_PASSWORD!r},")
    click.echo(
        "or as admin with the first password in instance/bootstrap_admin_password "
        "(you will be asked for a new one)."
    )
