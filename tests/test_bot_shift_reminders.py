"""Shift reminders end to end: the real bot tells a tech once before their shift, through a
Telegram 429 too."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall

from bot_harness import eventually

from user_text import FSI, PDI

ANN, BOB = 9101, 9102


def seed_shift_soon(live_dashboard) -> None:
    """Ann primary and Bob backup from the next whole minute in ten minutes, for an hour."""
    from models import ScheduleBackup, ScheduleSlot, User

    start = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=1)

    def seed(db) -> None:
        ids = {}
        for name, telegram_id in (("ann", ANN), ("bob", BOB)):
            user = User(username=name, full_name=name.title(), telegram_user_id=telegram_id)
            user.set_password("password123")
            db.session.add(user)
            db.session.flush()
            ids[name] = user.id
        slot = ScheduleSlot(
            weekday=start.weekday(),
            start_time=start.time(),
            end_time=end.time() if end.date() == start.date() else wall(0),
            primary_id=ids["ann"],
        )
        slot.backups = [ScheduleBackup(user_id=ids["bob"], position=0)]
        db.session.add(slot)
        db.session.commit()

    live_dashboard.query(seed)


def reminder_states(live_dashboard):
    from models import Notification

    return live_dashboard.query(
        lambda db: sorted(
            (n.chat_id, n.state.value)
            for n in db.session.scalars(db.select(Notification))
            if n.kind == "shift_reminder"
        )
    )


def test_a_tech_is_reminded_once_before_the_shift_through_a_429(bot, telegram, live_dashboard):
    telegram.fail_next("sendMessage", status=429, retry_after=1)
    seed_shift_soon(live_dashboard)
    ann = telegram.wait_for_message(ANN, contains="You're on call", timeout=15)
    assert "(primary); backups: " + f"{FSI}Bob{PDI}." in ann["text"]
    bob = telegram.wait_for_message(BOB, contains="You're on call", timeout=15)
    assert f"(backup); primary: {FSI}Ann{PDI}; backups: nobody." in bob["text"]
    eventually(
        lambda: reminder_states(live_dashboard) == [(ANN, "sent"), (BOB, "sent")],
        what="both reminders reported sent",
    )
    assert [c.status for c in telegram.calls if c.method == "sendMessage" and c.failed] == [429]
    # The reminder job runs every 0.3 s here: a second later it has asked again several times.
    time.sleep(1)
    assert len(telegram.sent_messages(ANN)) == 1
    assert len(telegram.sent_messages(BOB)) == 1
