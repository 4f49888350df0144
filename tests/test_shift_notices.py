"""Shift reminders and change notices: made once each in the outbox, whatever asks how often."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

import on_call_schedule
from desk import database, oncall, shift_notices
from models import DeliveryState, Notification, NotificationKind, ScheduleBackup, ScheduleSlot
from schedule_models import Override

WEDNESDAY = 2  # the fake clock starts on Wednesday 25 Nov 2026 at 09:00 UTC


def day_shift(db, primary, backups=(), start=time(9, 15), end=time(18)) -> None:
    slot = ScheduleSlot(weekday=WEDNESDAY, start_time=start, end_time=end, primary_id=primary.id)
    slot.backups = [ScheduleBackup(user_id=b.id, position=i) for i, b in enumerate(backups)]
    db.session.add(slot)
    db.session.commit()


def reminders(api) -> list[dict]:
    assert api.post("/api/shift_reminders").status_code == 200
    pending = api.get("/api/notifications/pending").get_json()["notifications"]
    return [n for n in pending if n["kind"] == "shift_reminder"]


def test_a_tech_is_reminded_of_a_shift_starting_within_their_minutes(api, db, make_user, clock):
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    bob = make_user("bob", full_name="Bob", telegram_user_id=2)
    day_shift(db, ann, [bob])
    clock.advance(minutes=-1)  # 08:59: the 09:15 shift is 16 minutes away
    assert reminders(api) == []
    clock.advance(minutes=1)
    ann_note, bob_note = sorted(reminders(api), key=lambda n: n["chat_id"])
    assert ann_note["chat_id"] == 1 and ann_note["ticket"] is None
    assert bob_note["notice"]["role"] == "backup"
    assert bob_note["notice"]["primary"] == ["Ann"]
    assert ann_note["notice"] == {
        "start": "2026-11-25T09:15:00+00:00",
        "end": "2026-11-25T18:00:00+00:00",
        "role": "primary",
        "zone": "UTC",
        "primary": [],
        "backups": ["Bob"],
    }


def test_asking_again_or_after_a_send_makes_no_second_reminder(api, db, make_user, clock):
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    day_shift(db, ann)
    (note,) = reminders(api)
    assert reminders(api) == [note]  # asked twice: still one
    assert api.post(f"/api/notifications/{note['id']}/claim").status_code == 200
    sent = {"sent": True, "telegram_message_id": 7}
    answer = api.post(f"/api/notifications/{note['id']}/result", json=sent)
    assert answer.status_code == 200, answer.get_json()
    clock.advance(minutes=5)
    assert reminders(api) == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_reminders_off_or_no_telegram_means_no_reminder(api, db, make_user, clock):
    off = make_user("off", telegram_user_id=1)
    off.reminder_minutes = None  # the account page's "off"
    unlinked = make_user("unlinked")
    day_shift(db, off, [unlinked])
    assert reminders(api) == []


def test_a_running_shift_is_not_reminded(api, db, make_user, clock):
    ann = make_user("ann", telegram_user_id=1)
    day_shift(db, ann, start=time(8))
    assert reminders(api) == []


def test_a_failed_send_is_retried_not_doubled(api, db, make_user, clock):
    ann = make_user("ann", telegram_user_id=1)
    day_shift(db, ann)
    (note,) = reminders(api)
    api.post(f"/api/notifications/{note['id']}/claim")
    result = {"sent": False, "error": "429", "retryable": True}
    api.post(f"/api/notifications/{note['id']}/result", json=result)
    clock.advance(seconds=5)
    assert [n["id"] for n in reminders(api)] == [note["id"]]


def test_an_override_tells_both_techs_what_changed(app, db, make_user, clock):
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    bob = make_user("bob", full_name="Bob", telegram_user_id=2)
    day_shift(db, ann)
    before = oncall.load_roster().schedule
    db.session.add(
        Override(
            starts_at=datetime(2026, 11, 25, 12, tzinfo=UTC),
            ends_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
            user_id=bob.id,
            replaces_id=ann.id,
        )
    )
    db.session.flush()
    after = oncall.load_roster().schedule
    assert shift_notices.announce_changes(before, after, clock.current) == 2
    database.commit()
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.SHIFT_CHANGE)
    ).all()
    by_user = {n.user_id: shift_notices.payload_of(n) for n in notes}
    noon, two = "2026-11-25T12:00:00+00:00", "2026-11-25T14:00:00+00:00"
    assert by_user[bob.id]["added"] == [{"start": noon, "end": two, "role": "primary"}]
    assert by_user[bob.id]["removed"] == []
    # Ann's day is cut in two around Bob's hours: the old shift goes, the two pieces come.
    assert [s["end"] for s in by_user[ann.id]["removed"]] == ["2026-11-25T18:00:00+00:00"]
    assert [(s["start"][11:16], s["end"][11:16]) for s in by_user[ann.id]["added"]] == [
        ("09:15", "12:00"),
        ("14:00", "18:00"),
    ]
    assert all(n.state == DeliveryState.PENDING for n in notes)


def test_no_change_no_notice(db, make_user, clock):
    ann = make_user("ann", telegram_user_id=1)
    day_shift(db, ann)
    schedule = oncall.load_roster().schedule
    assert shift_notices.announce_changes(schedule, schedule, clock.current) == 0
    assert on_call_schedule.shifts(schedule, clock.current, clock.current + timedelta(days=1))


def test_upgrading_from_the_rotations_schema_and_back(database_url, monkeypatch):
    from flask_migrate import downgrade, upgrade
    from test_operations import bare_app, dispose

    from desk.bootstrap import MIGRATIONS
    from desk.extensions import db

    monkeypatch.setenv("SECRET_KEY", "x")
    old = bare_app(database_url)
    with old.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0009_rotations_overrides")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (username, full_name, password_hash, is_admin, active,"
                    " must_change_password, created_at, updated_at, reminder_minutes) VALUES"
                    " ('olga', 'Olga', 'x', true, true, false, '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00', 30)"
                )
            )
        upgrade(directory=str(MIGRATIONS))
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO shift_notices (key, user_id, payload, created_at) VALUES"
                    " ('reminder:1', 1, '{}', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO notifications (ticket_id, notice_id, user_id, chat_id, level,"
                    " kind, round, state, attempts, repeat, created_at) VALUES (NULL, 1, 1, 5,"
                    " 0, 'shift_reminder', 0, 'pending', 0, false, '2026-01-01 00:00:00')"
                )
            )
        downgrade(directory=str(MIGRATIONS), revision="0009_rotations_overrides")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM notifications")).scalar() == 0
            users = connection.execute(sa.text("SELECT reminder_minutes FROM users")).scalars()
            assert list(users) == [30]
        db.session.remove()
    dispose(old)
