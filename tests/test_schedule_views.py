"""What everyone reads of the schedule: the minute-accurate week grid with this week's
overrides apart from the slots, the final schedule of the next 4 weeks with its gaps, and the
on-call hours per person with their CSV."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from page_helpers import text_of

from models import ScheduleSlot
from on_call_schedule import Role
from schedule_models import Override


@pytest.fixture
def team(make_user):
    """Ann and Bob (ids 2 and 3; the admin is 1)."""
    return make_user("ann", full_name="Ann Archer"), make_user("bob", full_name="Bob Baker")


def add_slot(db, weekday, start, end, primary) -> ScheduleSlot:
    slot = ScheduleSlot(weekday=weekday, start_time=start, end_time=end, primary_id=primary.id)
    db.session.add(slot)
    db.session.commit()
    return slot


def add_override(db, person, start, end, role=Role.PRIMARY, replaces=None) -> Override:
    row = Override(starts_at=start, ends_at=end, user_id=person.id, role=role, replaces_id=replaces)
    db.session.add(row)
    db.session.commit()
    return row


def row_labels(page: str) -> list[str]:
    return re.findall(r'<th scope="row" class="hour-col">(\d\d:\d\d)</th>', page)


def test_a_quarter_hour_slot_is_drawn_and_only_its_quarters_are_uncovered(
    admin_client, team, db, clock
):
    add_slot(db, 0, time(0), time(9, 15), team[0])
    add_slot(db, 0, time(9, 15), time(9, 45), team[1])
    add_slot(db, 0, time(9, 45), time(0), team[0])
    page = text_of(admin_client.get("/schedule/"))
    assert ["09:00", "09:15", "09:45", "10:00"] == row_labels(page)[9:13]
    cell = re.search(r'<td rowspan="1" class="slot-cell[^"]*" data-slot="2">(.*?)</td>', page, re.S)
    assert "Bob Baker" in cell.group(1)
    # Monday is covered to the minute; the six other days are not.
    assert "144 hours of the week are not covered by any slot" in page
    assert page.count('class="uncovered') == 6


def test_uncovered_minutes_are_counted(admin_client, team, db, clock):
    add_slot(db, 0, time(9, 15), time(9, 45), team[0])
    page = text_of(admin_client.get("/schedule/"))
    assert "167 hours 30 minutes of the week are not covered by any slot" in page


def test_this_weeks_overrides_are_shown_apart_from_the_slots(admin_client, team, db, clock):
    ann, bob = team
    add_slot(db, 2, time(8), time(16), ann)
    # Wed 25 Nov 2026 is the fake clock's day; the override runs Wed 14:00 to Thu 10:00.
    row = add_override(
        db,
        bob,
        datetime(2026, 11, 25, 14, tzinfo=UTC),
        datetime(2026, 11, 26, 10, tzinfo=UTC),
        role=None,
        replaces=ann.id,
    )
    page = text_of(admin_client.get("/schedule/"))
    found = re.findall(
        rf'<span class="grid-override" data-override="{row.id}">([^<]*)</span>', page
    )
    assert found == [
        "14:00–24:00 Bob Baker replaces Ann Archer",
        "00:00–10:00 Bob Baker replaces Ann Archer",
    ]
    # The slot's cell still names the slot's people: the override is apart from it.
    assert re.search(
        r'data-slot="1">\s*<span class="cell-primary"><span class="name-long">Ann Archer', page
    )


def test_a_tech_sees_the_grid_and_the_overrides(tech_client, team, db, clock):
    add_slot(db, 2, time(8), time(16), team[0])
    add_override(
        db, team[1], datetime(2026, 11, 25, 14, tzinfo=UTC), datetime(2026, 11, 25, 15, tzinfo=UTC)
    )
    page = text_of(tech_client.get("/schedule/"))
    assert "14:00–15:00 Bob Baker is primary" in page
