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


def test_the_final_schedule_lists_shifts_and_marks_gaps(tech_client, team, db, clock):
    ann, bob = team
    add_slot(db, 2, time(8), time(16), ann)  # Wednesdays
    add_override(
        db, bob, datetime(2026, 11, 25, 12, tzinfo=UTC), datetime(2026, 11, 25, 13, tzinfo=UTC)
    )
    page = text_of(tech_client.get("/schedule/final"))
    assert "Final schedule, next 4 weeks" in page
    # Now is Wed 25 Nov 09:00: Ann until Bob's override hour makes him primary.
    assert "<li>09:00–Wed 12:00 Ann Archer (primary)</li>" in page
    assert "<li>12:00–Wed 13:00 Bob Baker (primary)</li>" in page
    assert "<li>12:00–Wed 13:00 Ann Archer (backup)</li>" in page
    assert '<li class="final-gap"><strong>Gap</strong> 16:00–Wed 08:00: nobody on call</li>' in page
    assert "Wednesday 23 December" in page  # four weeks ahead


def test_hours_per_person_over_a_period(admin_client, team, db, clock):
    ann, bob = team
    add_slot(db, 0, time(9), time(17), ann)  # 8 hours every Monday
    add_override(
        db,
        bob,
        datetime(2026, 11, 2, 9, tzinfo=UTC),
        datetime(2026, 11, 2, 10, 30, tzinfo=UTC),
        role=None,
        replaces=ann.id,
    )
    response = admin_client.get("/schedule/hours/?start=2026-11-01&end=2026-11-30")
    page = text_of(response)
    # Five Mondays in November 2026, one and a half hours of them Bob's.
    assert "<tr><td>Ann Archer</td><td>38.5</td><td>0</td><td>38.5</td></tr>" in page
    assert "<tr><td>Bob Baker</td><td>1.5</td><td>0</td><td>1.5</td></tr>" in page
    csv_response = admin_client.get("/schedule/hours/export.csv?start=2026-11-01&end=2026-11-30")
    assert csv_response.mimetype == "text/csv"
    assert csv_response.get_data(as_text=True).splitlines() == [
        "person,primary hours,backup hours,total hours",
        "Ann Archer,38.5,0,38.5",
        "Bob Baker,1.5,0,1.5",
    ]


def test_the_hours_page_defaults_to_this_month(admin_client, team, clock):
    page = text_of(admin_client.get("/schedule/hours/"))
    assert 'value="2026-11-01"' in page and 'value="2026-11-30"' in page
    assert "Nobody is on call in this period." in page


def test_a_name_that_looks_like_a_formula_is_quoted_in_the_csv(admin_client, make_user, db):
    evil = make_user("evil", full_name="=HYPERLINK(1)")
    add_slot(db, 0, time(9), time(10), evil)
    body = admin_client.get("/schedule/hours/export.csv?start=2026-11-02&end=2026-11-02")
    assert "'=HYPERLINK(1),1,0,1" in body.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-11-05&end=2026-11-01", "The end must not be before the start."),
        ("start=2025-01-01&end=2026-11-01", "Choose at most 366 days."),
        ("start=soon&end=2026-11-01", "Not a valid date value."),
        ("end=2026-11-01", "Give a start date."),
        ("start=9999-12-31&end=9999-12-31", "Give a date between 1970 and 2200."),
    ],
)
def test_a_bad_period_is_a_form_error(admin_client, query, message):
    for url in ("/schedule/hours/", "/schedule/hours/export.csv"):
        response = admin_client.get(f"{url}?{query}")
        assert response.status_code == 422
        assert message in text_of(response)
