"""SLA breaches end to end: the real bot asks the dashboard every round, and the team group
hears once that a ticket missed its first-answer target (the dashboard on a fake clock)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from bot_harness import GROUP_ID, eventually
from conftest import FakeClock

from user_text import FSI, PDI

BREACH = "past its first-answer target"


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def dashboard_config(fake_clock) -> dict:
    return {"CLOCK": fake_clock}


def file_ticket(live_dashboard, message_id: int, text: str, priority: str) -> int:
    response = live_dashboard.api(
        "POST",
        "/support_message",
        {
            "chat_id": 1001,
            "message_id": message_id,
            "user_id": 555,
            "first_name": "Alice",
            "text": text,
        },
    )
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]

    def set_priority(db) -> None:
        from models import Priority, Ticket

        db.session.get(Ticket, ticket_id).priority = Priority(priority)
        db.session.commit()

    live_dashboard.query(set_priority)
    return ticket_id


def answer_now(live_dashboard, ticket_id: int, at: datetime) -> None:
    def answer(db) -> None:
        from models import Ticket

        db.session.get(Ticket, ticket_id).answered_at = at
        db.session.commit()

    live_dashboard.query(answer)


def breach_posts(telegram) -> list[dict]:
    return [m for m in telegram.sent_messages(GROUP_ID) if BREACH in m.get("text", "")]


def set_no_target(live_dashboard, priority: str) -> None:
    def store(db) -> None:
        from desk import runtime_settings

        runtime_settings.set_int(f"sla_first_answer_{priority}", 0, None)
        db.session.commit()

    live_dashboard.query(store)


def test_the_team_group_hears_once_of_a_ticket_past_its_first_answer_target(
    bot, telegram, live_dashboard, fake_clock
):
    set_no_target(live_dashboard, "low")
    late = file_ticket(live_dashboard, 1, "The VPN is down\nsince this morning", "urgent")
    in_time = file_ticket(live_dashboard, 2, "Printer jammed", "urgent")
    no_target = file_ticket(live_dashboard, 3, "New mouse please", "low")
    fake_clock.advance(minutes=10)
    answer_now(live_dashboard, in_time, fake_clock())
    fake_clock.advance(minutes=6)  # 16 minutes: past the urgent 15

    post = eventually(lambda: next(iter(breach_posts(telegram)), None), what="the breach post")
    assert post["text"].startswith(f"⏰ #{late} (urgent) has had no answer for 16m: {BREACH}")
    assert f"From: {FSI}Alice{PDI}" in post["text"]
    assert f"{FSI}The VPN is down\nsince this morning{PDI}" in post["text"]
    buttons = [b["text"] for b in post["reply_markup"]["inline_keyboard"][0]]
    assert buttons == ["👀 Acknowledge", "🙋 Take it", "✔️ Resolve"]

    fake_clock.advance(days=2)  # the low ticket has no target; the answered one never breaches
    time.sleep(1.5)  # the job runs every 0.3 s here: it has asked several times since
    assert [m["text"].split(" ")[1] for m in breach_posts(telegram)] == [f"#{late}"]

    def told(db):
        from models import Notification, NotificationKind, Ticket

        notes = [
            (n.ticket_id, n.state.value)
            for n in db.session.scalars(db.select(Notification))
            if n.kind == NotificationKind.SLA_BREACH
        ]
        noticed = [t.id for t in db.session.scalars(db.select(Ticket)) if t.breach_noticed_at]
        return notes, noticed

    assert live_dashboard.query(told) == ([(late, "sent")], [late])
    assert no_target not in live_dashboard.query(told)[1]


def test_two_bots_asking_at_once_queue_one_notice_per_ticket(live_dashboard, fake_clock):
    tickets = [file_ticket(live_dashboard, n, f"Outage {n}", "high") for n in range(1, 11)]
    fake_clock.advance(hours=1, seconds=1)
    barrier = threading.Barrier(2)
    created: list[int] = []

    def ask() -> None:
        barrier.wait()
        response = live_dashboard.api("POST", "/sla_breaches", {})
        assert response.status_code == 200, response.text
        created.append(response.json()["created"])

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(created) == len(tickets)

    def breach_notes(db):
        from models import Notification, NotificationKind

        return sorted(
            n.ticket_id
            for n in db.session.scalars(db.select(Notification))
            if n.kind == NotificationKind.SLA_BREACH
        )

    assert live_dashboard.query(breach_notes) == tickets


def test_a_lost_answer_loses_no_notice(
    lossy_bot, lossy_dashboard, telegram, live_dashboard, fake_clock
):
    """The dashboard claimed and queued the notice but the bot never heard: the outbox round
    sends it anyway, once."""
    late = file_ticket(live_dashboard, 1, "Mail is bouncing", "urgent")
    lossy_dashboard.lose_answers("/api/sla_breaches")
    fake_clock.advance(minutes=15)
    eventually(lambda: breach_posts(telegram), what="the breach post")
    assert lossy_dashboard.lost == ["POST /api/sla_breaches"]
    time.sleep(1)
    assert [m["text"].split(" ")[1] for m in breach_posts(telegram)] == [f"#{late}"]
