"""Rotations: whose turn it is, handoffs on the wall clock across DST nights, member changes.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from escalation_helpers import (
    ANN,
    BERLIN,
    BOB,
    CID,
    DAN,
    FALL_BACK,
    NEW_YORK,
    SPRING_FORWARD,
    local,
    utc,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from rotations import (
    Members,
    Rotation,
    ShiftLength,
    ShiftUnit,
    handoffs,
    turn_at,
)
from weekly_schedule import MONDAY, SATURDAY, SUNDAY

HOURS, DAYS, WEEKS = ShiftUnit.HOURS, ShiftUnit.DAYS, ShiftUnit.WEEKS
TEAM = (ANN.id, BOB.id, CID.id)


def rotation(
    count: int = 1,
    unit: ShiftUnit = WEEKS,
    weekday: int = MONDAY,
    at: str = "09:00",
    start: date = date(2026, 1, 1),
    members: tuple[int, ...] = TEAM,
) -> Rotation:
    hour, minute = at.split(":")
    return Rotation(
        id=1,
        name="Ops",
        member_ids=members,
        shift=ShiftLength(count, unit),
        handoff_weekday=weekday,
        handoff_time=time(int(hour), int(minute)),
        start=start,
    )


def whose(r: Rotation, at: datetime, tz: ZoneInfo = BERLIN) -> int | None:
    turn = turn_at(r, at, tz)
    return turn.person_id if turn else None


def turns(r: Rotation, start: datetime, end: datetime, tz: ZoneInfo = BERLIN) -> list[tuple]:
    """Each handoff in (start, end] and whose turn begins there."""
    return [(h, whose(r, h, tz)) for h in sorted(handoffs(r, start, end, tz))]


def test_weekly_rotation_hands_over_every_monday_at_nine_in_member_order() -> None:
    # Thursday 1 January 2026: the first Monday on or after it is 5 January.
    weekly = rotation()

    assert weekly.first_handoff == datetime(2026, 1, 5, 9, 0)  # noqa: DTZ001 - wall clock
    assert turns(weekly, utc(2026, 1, 1), utc(2026, 1, 27)) == [
        (utc(2026, 1, 5, 8, 0), ANN.id),
        (utc(2026, 1, 12, 8, 0), BOB.id),
        (utc(2026, 1, 19, 8, 0), CID.id),
        (utc(2026, 1, 26, 8, 0), ANN.id),
    ]


def test_before_its_first_handoff_a_rotation_names_nobody() -> None:
    weekly = rotation()

    assert whose(weekly, local(BERLIN, 2026, 1, 5, 8, 59)) is None
    assert whose(weekly, local(BERLIN, 2026, 1, 5, 9, 0)) == ANN.id


def test_the_turn_running_now_knows_when_it_started_and_ends() -> None:
    turn = turn_at(rotation(), local(BERLIN, 2026, 1, 14, 3, 0), BERLIN)

    assert turn is not None
    assert (turn.index, turn.person_id) == (1, BOB.id)
    assert (turn.start, turn.end) == (utc(2026, 1, 12, 8, 0), utc(2026, 1, 19, 8, 0))


@pytest.mark.parametrize(
    ("tz", "before_utc", "after_utc", "real_week"),
    [
        # Spring: the week holding the DST night is an hour shorter in real time.
        (BERLIN, utc(2026, 3, 23, 8, 0), utc(2026, 3, 30, 7, 0), timedelta(days=7, hours=-1)),
        (NEW_YORK, utc(2026, 3, 2, 14, 0), utc(2026, 3, 9, 13, 0), timedelta(days=7, hours=-1)),
        # Autumn: an hour longer.
        (BERLIN, utc(2026, 10, 19, 7, 0), utc(2026, 10, 26, 8, 0), timedelta(days=7, hours=1)),
        (NEW_YORK, utc(2026, 10, 26, 13, 0), utc(2026, 11, 2, 14, 0), timedelta(days=7, hours=1)),
    ],
    ids=["berlin-spring", "new-york-spring", "berlin-autumn", "new-york-autumn"],
)
def test_nine_oclock_handoff_stays_at_nine_across_both_dst_changes(
    tz: ZoneInfo, before_utc: datetime, after_utc: datetime, real_week: timedelta
) -> None:
    weekly = rotation()
    found = sorted(handoffs(weekly, before_utc - timedelta(weeks=3), after_utc, tz))

    assert found[-2:] == [before_utc, after_utc]
    assert [h.astimezone(tz).time() for h in found] == [time(9, 0)] * 4
    assert after_utc - before_utc == real_week
    assert whose(weekly, after_utc, tz) != whose(weekly, after_utc - timedelta(seconds=1), tz)


@SPRING_FORWARD
def test_handoff_in_the_spring_forward_gap_moves_to_the_first_instant_after_it(
    tz: ZoneInfo, day: tuple[int, int, int], jump_utc: datetime
) -> None:
    # Daily 02:30 handoffs; 02:30 does not exist that Sunday, so the pager moves at 03:00.
    daily = rotation(1, DAYS, weekday=SUNDAY, at="02:30", start=date(*day))

    assert turns(daily, local(tz, *day, 0, 0), local(tz, *day, 12, 0), tz) == [(jump_utc, ANN.id)]
    assert jump_utc.astimezone(tz).time() == time(3, 0)
    assert whose(daily, jump_utc - timedelta(microseconds=1), tz) is None
    # The next day 02:30 exists again, and the handoff is back at 02:30.
    next_day = local(tz, *day, 2, 30) + timedelta(days=1)
    assert turns(daily, jump_utc, next_day + timedelta(hours=1), tz) == [(next_day, BOB.id)]


@FALL_BACK
def test_handoff_in_the_repeated_autumn_hour_happens_once_at_its_first_occurrence(
    tz: ZoneInfo, day: tuple[int, int, int], wall: str, first_utc: datetime, second_utc: datetime
) -> None:
    daily = rotation(1, DAYS, weekday=SATURDAY, at=wall, start=date(2026, 10, 1))
    saturday_turn = whose(daily, first_utc - timedelta(hours=2), tz)

    [(handoff, sunday_turn)] = turns(daily, first_utc - timedelta(hours=2), second_utc, tz)

    assert handoff == first_utc
    assert sunday_turn != saturday_turn
    # The clock shows the handoff time again an hour later; the pager stays where it is.
    for minutes in range(-30, 31, 5):
        assert whose(daily, second_utc + timedelta(minutes=minutes), tz) == sunday_turn
    # That Sunday's shift is 25 real hours long.
    turn = turn_at(daily, second_utc, tz)
    assert turn is not None and turn.end - turn.start == timedelta(hours=25)


def test_hour_shifts_count_wall_clock_hours_so_the_dst_shift_is_shorter_or_longer() -> None:
    # 8-hour shifts at 06:00, 14:00, 22:00 in Berlin keep those hours through both DST nights.
    eights = rotation(8, HOURS, weekday=MONDAY, at="06:00", start=date(2026, 3, 1))

    spring = sorted(handoffs(eights, utc(2026, 3, 28, 11), utc(2026, 3, 29, 11), BERLIN))
    autumn = sorted(handoffs(eights, utc(2026, 10, 24, 11), utc(2026, 10, 25, 11), BERLIN))

    for found in (spring, autumn):
        assert [h.astimezone(BERLIN).hour for h in found] == [14, 22, 6]
    assert spring[2] - spring[1] == timedelta(hours=7)  # Saturday 22:00 to Sunday 06:00
    assert autumn[2] - autumn[1] == timedelta(hours=9)


@SPRING_FORWARD
def test_an_hour_shift_lying_in_the_spring_forward_gap_is_never_on_call(
    tz: ZoneInfo, day: tuple[int, int, int], jump_utc: datetime
) -> None:
    # Hourly shifts from Sunday 00:00: Ann 00-01, Bob 01-02, Cid 02-03 (never), Ann 03-04.
    hourly = rotation(1, HOURS, weekday=SUNDAY, at="00:00", start=date(*day))
    start = local(tz, *day, 0, 0).astimezone(UTC)  # real hours, not wall-clock arithmetic

    assert turns(hourly, start, start + timedelta(hours=2, minutes=30), tz) == [
        (start + timedelta(hours=1), BOB.id),
        (jump_utc, ANN.id),
    ]
    assert {whose(hourly, start + timedelta(minutes=m), tz) for m in range(0, 180)} == {
        ANN.id,
        BOB.id,
    }


# ---------------------------------------------------------------------- membership changes


def test_adding_a_member_never_rewrites_past_shifts_nor_the_running_one() -> None:
    weekly = rotation()
    # Wednesday 14 January, in the middle of Bob's week, Dan joins at the end of the list.
    change = local(BERLIN, 2026, 1, 14, 15, 0)
    grown = weekly.with_members((ANN.id, BOB.id, CID.id, DAN.id), change)

    before = turns(weekly, utc(2026, 1, 1), change)
    assert turns(grown, utc(2026, 1, 1), change) == before
    assert whose(grown, change) == whose(weekly, change) == BOB.id
    # From the next handoff the new list takes turns, from its first member.
    assert [p for _, p in turns(grown, change, utc(2026, 2, 17))] == [
        ANN.id,
        BOB.id,
        CID.id,
        DAN.id,
        ANN.id,
    ]


def test_removing_the_person_on_call_keeps_their_running_shift() -> None:
    weekly = rotation()
    change = local(BERLIN, 2026, 1, 13, 10, 0)  # Bob's week
    without_bob = weekly.with_members((CID.id, ANN.id), change)

    assert whose(without_bob, change + timedelta(days=5)) == BOB.id
    assert [p for _, p in turns(without_bob, change, utc(2026, 2, 3))] == [CID.id, ANN.id, CID.id]


def test_a_change_at_a_handoff_instant_takes_that_shift() -> None:
    weekly = rotation()
    handoff = utc(2026, 1, 12, 8, 0)
    reordered = weekly.with_members((CID.id, BOB.id, ANN.id), handoff)

    assert whose(reordered, handoff - timedelta(microseconds=1)) == ANN.id
    assert whose(reordered, handoff) == CID.id


def test_later_changes_take_over_from_earlier_ones_and_each_keeps_its_own_shifts() -> None:
    first = local(BERLIN, 2026, 1, 6, 12, 0)
    second = local(BERLIN, 2026, 1, 20, 12, 0)
    r = rotation().with_members((DAN.id, CID.id), first).with_members((BOB.id,), second)

    assert [p for _, p in turns(r, utc(2026, 1, 1), utc(2026, 2, 10))] == [
        ANN.id,  # 5 Jan, the first list
        DAN.id,  # 12 Jan, the second list from its first member
        CID.id,  # 19 Jan
        BOB.id,  # 26 Jan, the third list
        BOB.id,  # 2 Feb
        BOB.id,  # 9 Feb
    ]


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: rotation(members=()), "rotation 'Ops' needs at least one member"),
        (lambda: replace(rotation(), name=" "), "a rotation needs a name"),
        (lambda: rotation(0, HOURS), "shift length must be at least 1 hour, got 0"),
        (lambda: rotation(0, WEEKS), "shift length must be at least 1 week, got 0"),
        (lambda: rotation(-2, DAYS), "shift length must be at least 1 day, got -2"),
        (lambda: rotation(53, WEEKS), "shift length must be at most 52 weeks, got 53 weeks"),
        (lambda: rotation(365, DAYS), "shift length must be at most 52 weeks, got 365 days"),
        (lambda: rotation(8737, HOURS), "shift length must be at most 52 weeks, got 8737 hours"),
        (lambda: ShiftLength(2, "fortnights"), "shift unit must be one of hours, days, weeks"),
        (lambda: ShiftLength(1.5, DAYS), "shift length must be a whole number"),
        (lambda: rotation(weekday=7), "handoff weekday must be 0 (Monday) to 6 (Sunday), got 7"),
        (lambda: replace_time(time(9, tzinfo=UTC)), "must not carry a tzinfo"),
        (lambda: Members(utc(2026, 1, 1), ()), "a rotation's member list needs at least one"),
        (lambda: Members(datetime(2026, 1, 1), TEAM), "timezone-aware"),  # noqa: DTZ001
        (
            lambda: (
                rotation().with_members(TEAM, utc(2026, 2, 1)).with_members(TEAM, utc(2026, 1, 1))
            ),
            "member changes must be in order",
        ),
        (lambda: turn_at(rotation(), datetime(2026, 1, 5), BERLIN), "timezone-aware"),  # noqa: DTZ001
    ],
    ids=[
        "no-members",
        "no-name",
        "zero-hours",
        "zero-weeks",
        "negative-days",
        "53-weeks",
        "365-days",
        "8737-hours",
        "unknown-unit",
        "fractional",
        "weekday-7",
        "handoff-with-zone",
        "empty-change",
        "naive-change",
        "changes-out-of-order",
        "naive-instant",
    ],
)
def test_impossible_rotations_are_refused_with_a_clear_message(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def replace_time(handoff: time) -> Rotation:
    return Rotation(1, "Ops", TEAM, ShiftLength(1, WEEKS), MONDAY, handoff, date(2026, 1, 1))


@pytest.mark.parametrize(
    "length",
    [
        ShiftLength(52, WEEKS),
        ShiftLength(364, DAYS),
        ShiftLength(8736, HOURS),
        ShiftLength(1, HOURS),
    ],
)
def test_the_longest_and_shortest_shifts_are_allowed(length: ShiftLength) -> None:
    assert timedelta(hours=1) <= length.span <= timedelta(weeks=52)


@settings(max_examples=50, deadline=None)
@given(
    count=st.integers(1, 30),
    unit=st.sampled_from(list(ShiftUnit)),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    members=st.lists(st.sampled_from([ANN.id, BOB.id, CID.id, DAN.id]), min_size=1, max_size=4),
    new_members=st.lists(st.sampled_from([ANN.id, BOB.id, CID.id]), min_size=1, max_size=3),
    change_minutes=st.integers(0, 60 * 24 * 120),
    tz=st.sampled_from([BERLIN, NEW_YORK]),
)
def test_no_member_change_rewrites_a_shift_that_started_before_it(
    count: int,
    unit: ShiftUnit,
    weekday: int,
    hour: int,
    members: list[int],
    new_members: list[int],
    change_minutes: int,
    tz: ZoneInfo,
) -> None:
    before = rotation(count, unit, weekday, f"{hour:02d}:00", date(2026, 1, 1), tuple(members))
    change = utc(2026, 1, 1) + timedelta(minutes=change_minutes)
    after = before.with_members(new_members, change)

    # Every shift that started before the change keeps its person, the running one included.
    just_before = change - timedelta(microseconds=1)
    history = turns(before, utc(2025, 12, 1), just_before, tz)
    assert turns(after, utc(2025, 12, 1), just_before, tz) == history
    running = turn_at(before, change, tz)
    if running is not None and running.start < change:
        assert turn_at(after, change, tz) == running
