"""Rotations and overrides as the dashboard stores them: the API's answer follows them, member
changes keep past shifts, and an upgrade from the previous schema keeps every slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from test_operations import bare_app, dispose

from models import ScheduleBackup, ScheduleSlot
from on_call_schedule import Role
from rotations import ShiftUnit
from schedule_models import Override, Rotation, RotationLineup, RotationMember

WEDNESDAY_NOON = "2026-11-25T12:00:00+00:00"


def rotation(db, name: str, members, **fields) -> Rotation:
    """A weekly rotation handing over on Mondays at 09:00, started on 2 Nov 2026."""
    row = Rotation(
        name=name,
        shift_count=fields.get("count", 1),
        shift_unit=fields.get("unit", ShiftUnit.WEEKS),
        handoff_weekday=0,
        handoff_time=time(9),
        start_date=date(2026, 11, 2),
    )
    lineup = RotationLineup(effective_from=None)
    lineup.members = [RotationMember(user_id=u.id, position=i) for i, u in enumerate(members)]
    row.lineups = [lineup]
    db.session.add(row)
    db.session.commit()
    return row


def always(db, primary_rotation=None, primary=None, backups=()) -> None:
    for weekday in range(7):
        slot = ScheduleSlot(
            weekday=weekday,
            start_time=time(0),
            end_time=time(0),
            primary_id=primary.id if primary else None,
            primary_rotation_id=primary_rotation.id if primary_rotation else None,
        )
        slot.backups = [ScheduleBackup(user_id=b.id, position=i) for i, b in enumerate(backups)]
        db.session.add(slot)
    db.session.commit()


def chain_at(api, at: str) -> list[str]:
    response = api.get("/api/current_oncall", query_string={"at": at})
    assert response.status_code == 200, response.get_json()
    return [person["name"] for person in response.get_json()["chain"]]


def test_a_slot_naming_a_rotation_pages_whoever_has_the_turn(api, db, make_user):
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    bob = make_user("bob", full_name="Bob", telegram_user_id=2)
    cid = make_user("cid", full_name="Cid", telegram_user_id=3)
    always(db, primary_rotation=rotation(db, "Weekly", [ann, bob]), backups=[cid])
    # Shift 0 from Monday 2 Nov 09:00 is Ann's; 23 Nov is shift 3, Bob's; 30 Nov Ann's again.
    assert chain_at(api, WEDNESDAY_NOON) == ["Bob", "Cid"]
    assert chain_at(api, "2026-11-30T08:59:00+00:00") == ["Bob", "Cid"]  # the tests' zone: UTC
    assert chain_at(api, "2026-11-30T09:00:00+00:00") == ["Ann", "Cid"]


def test_a_member_change_shows_at_the_next_handoff_and_not_before(api, db, make_user):
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    bob = make_user("bob", full_name="Bob", telegram_user_id=2)
    dan = make_user("dan", full_name="Dan", telegram_user_id=4)
    weekly = rotation(db, "Weekly", [ann, bob])
    always(db, primary_rotation=weekly)
    change = RotationLineup(effective_from=datetime(2026, 11, 25, 10, tzinfo=UTC))
    change.members = [RotationMember(user_id=dan.id, position=0)]
    weekly.lineups.append(change)
    db.session.commit()
    assert chain_at(api, WEDNESDAY_NOON) == ["Bob"]  # the running shift keeps its member
    assert chain_at(api, "2026-11-16T12:00:00+00:00") == ["Ann"]  # past shifts too
    assert chain_at(api, "2026-11-30T12:00:00+00:00") == ["Dan"]


def test_an_override_beats_the_slot_while_it_lasts(api, db, make_user):
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    bob = make_user("bob", full_name="Bob", telegram_user_id=2)
    always(db, primary=ann)
    db.session.add(
        Override(
            starts_at=datetime(2026, 11, 25, 11, tzinfo=UTC),
            ends_at=datetime(2026, 11, 25, 13, tzinfo=UTC),
            user_id=bob.id,
            replaces_id=ann.id,
        )
    )
    db.session.add(
        Override(
            starts_at=datetime(2026, 11, 26, 0, tzinfo=UTC),
            ends_at=datetime(2026, 11, 26, 1, tzinfo=UTC),
            user_id=bob.id,
            role=Role.PRIMARY,
        )
    )
    db.session.commit()
    assert chain_at(api, WEDNESDAY_NOON) == ["Bob"]
    assert chain_at(api, "2026-11-25T13:00:00+00:00") == ["Ann"]  # the end is excluded
    assert chain_at(api, "2026-11-26T00:30:00+00:00") == ["Bob", "Ann"]


def test_upgrading_from_the_two_factor_schema_keeps_every_slot(database_url, monkeypatch):
    from flask_migrate import upgrade

    from desk.bootstrap import MIGRATIONS
    from desk.extensions import db

    monkeypatch.setenv("SECRET_KEY", "x")
    old = bare_app(database_url)
    with old.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0008_two_factor")
        with db.engine.begin() as connection:
            for name in ("olga", "pete"):
                connection.execute(
                    sa.text(
                        "INSERT INTO users (username, full_name, password_hash, is_admin, active,"
                        " must_change_password, created_at, updated_at) VALUES (:name, :name,"
                        " 'x', true, true, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"name": name},
                )
            connection.execute(
                sa.text(
                    "INSERT INTO schedule_slots (weekday, start_time, end_time, primary_id,"
                    " created_at, updated_at) VALUES (2, '09:00:00', '17:00:00', 1,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO schedule_backups (slot_id, user_id, position) VALUES (1, 2, 0)"
                )
            )
        upgrade(directory=str(MIGRATIONS))
        slot = db.session.get(ScheduleSlot, 1)
        assert (slot.primary_id, slot.primary_rotation_id) == (1, None)
        assert [(b.user_id, b.rotation_id) for b in slot.backups] == [(2, None)]
        reminders = db.session.execute(sa.text("SELECT reminder_minutes FROM users")).scalars()
        assert list(reminders) == [15, 15]
        db.session.remove()
    dispose(old)
