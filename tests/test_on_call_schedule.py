"""The final schedule: slots naming people or rotations, shifts and gaps over a period.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

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
    local,
    slot,
    utc,
)
from escalation_helpers import (
    shifts as timeline,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from on_call_schedule import (
    Duty,
    Gap,
    Override,
    Role,
    Schedule,
    Shift,
    boundaries,
    gaps,
    lineup_at,
    shifts,
)
from rotations import Rotation, ShiftLength, ShiftUnit
from weekly_schedule import MONDAY, SUNDAY, RotationRef, Slot

PRIMARY, BACKUP = Role.PRIMARY, Role.BACKUP
OPS = RotationRef(1)


def weekly_ops(start: date = date(2026, 1, 5), members: tuple[int, ...] = (ANN.id, BOB.id)):
    weeks = ShiftLength(1, ShiftUnit.WEEKS)
    return Rotation(1, "Ops", members, weeks, MONDAY, time(9), start)


def all_week(primary: int | RotationRef, *backups: int | RotationRef) -> tuple[Slot, ...]:
    return tuple(slot(day + 1, day, "00:00", "00:00", primary, *backups) for day in range(7))


def test_a_slot_naming_a_rotation_pages_whoever_s_turn_it_is_then() -> None:
    schedule = Schedule(all_week(OPS, CID.id), BERLIN, rotations=(weekly_ops(),))

    first_week = lineup_at(schedule, local(BERLIN, 2026, 1, 7, 12, 0))
    second_week = lineup_at(schedule, local(BERLIN, 2026, 1, 14, 12, 0))

    assert first_week.duties == (Duty(ANN.id, PRIMARY, rotation_id=1), Duty(CID.id, BACKUP))
    assert second_week.person_ids == (BOB.id, CID.id)
    assert second_week.slot == all_week(OPS, CID.id)[2]


def test_a_rotation_can_be_the_backup() -> None:
    schedule = Schedule(all_week(CID.id, OPS), BERLIN, rotations=(weekly_ops(),))

    assert lineup_at(schedule, local(BERLIN, 2026, 1, 14, 12, 0)).duties == (
        Duty(CID.id, PRIMARY),
        Duty(BOB.id, BACKUP, rotation_id=1),
    )


def test_before_the_rotation_starts_the_backup_is_first_in_the_chain() -> None:
    schedule = Schedule(all_week(OPS, CID.id), BERLIN, rotations=(weekly_ops(date(2026, 2, 1)),))

    assert lineup_at(schedule, local(BERLIN, 2026, 1, 14, 12, 0)).duties == (Duty(CID.id, BACKUP),)


def test_boundaries_are_slot_edges_rotation_handoffs_and_override_edges() -> None:
    monday = (slot(1, MONDAY, "09:00", "17:00", OPS),)
    cover = Override(1, utc(2026, 1, 13, 10), utc(2026, 1, 13, 11), DAN.id, role=BACKUP)
    schedule = Schedule(monday, BERLIN, (weekly_ops(),), (cover,))

    assert sorted(boundaries(schedule, utc(2026, 1, 12), utc(2026, 1, 14))) == [
        utc(2026, 1, 12, 8),  # the slot starts and the rotation hands over, both Monday 09:00
        utc(2026, 1, 12, 16),
        utc(2026, 1, 13, 10),
        utc(2026, 1, 13, 11),
    ]


# ---------------------------------------------------------------------------------- shifts


def test_shifts_of_a_week_with_a_rotation_a_backup_and_a_gap() -> None:
    days = (slot(1, MONDAY, "09:00", "09:00", OPS, CID.id), slot(2, 1, "09:00", "17:00", OPS))
    schedule = Schedule(days, BERLIN, rotations=(weekly_ops(),))

    found = shifts(schedule, local(BERLIN, 2026, 1, 12, 0, 0), local(BERLIN, 2026, 1, 14, 0, 0))

    assert found == [
        # Monday 09:00 to Tuesday 09:00, then Tuesday's slot: one shift for Bob, merged.
        Shift(utc(2026, 1, 12, 8), utc(2026, 1, 13, 16), PRIMARY, BOB.id),
        Shift(utc(2026, 1, 12, 8), utc(2026, 1, 13, 8), BACKUP, CID.id),
    ]
    assert gaps(schedule, local(BERLIN, 2026, 1, 12, 0, 0), local(BERLIN, 2026, 1, 14, 0, 0)) == [
        Gap(utc(2026, 1, 11, 23), utc(2026, 1, 12, 8)),
        Gap(utc(2026, 1, 13, 16), utc(2026, 1, 13, 23)),
    ]


def test_one_persons_shifts_are_cut_at_the_ends_of_the_period_and_split_by_role() -> None:
    monday = timeline(MONDAY, "09:00", ANN, "13:00", BOB, "17:00")
    monday[1] = slot(2, MONDAY, "13:00", "17:00", BOB.id, ANN.id)
    schedule = Schedule(tuple(monday), BERLIN)

    assert shifts(schedule, utc(2026, 1, 5, 10), utc(2026, 1, 5, 15), person_id=ANN.id) == [
        Shift(utc(2026, 1, 5, 10), utc(2026, 1, 5, 12), PRIMARY, ANN.id),
        Shift(utc(2026, 1, 5, 12), utc(2026, 1, 5, 15), BACKUP, ANN.id),
    ]


def test_an_empty_period_has_no_shifts_and_a_period_ending_before_it_starts_is_refused() -> None:
    schedule = Schedule(all_week(ANN.id), BERLIN)
    at = utc(2026, 1, 5, 12)

    assert shifts(schedule, at, at) == []
    assert gaps(schedule, at, at) == []
    with pytest.raises(ValueError, match="the period must not end before it starts"):
        shifts(schedule, at, at - timedelta(seconds=1))
    with pytest.raises(ValueError, match="the period must not end before it starts"):
        gaps(schedule, at, at - timedelta(seconds=1))


@FALL_BACK
def test_a_slot_boundary_in_the_repeated_autumn_hour_hands_over_at_its_first_pass(
    tz: ZoneInfo, day: tuple[int, int, int], wall: str, first_utc: datetime, second_utc: datetime
) -> None:
    # Ann until the boundary, Bob after it: the second pass of that hour is Bob's.
    schedule = Schedule(tuple(timeline(SUNDAY, "00:00", ANN, wall, BOB, "09:00")), tz)
    start, end = local(tz, *day, 0, 0), local(tz, *day, 9, 0)

    found = shifts(schedule, start, end)

    assert found == [
        Shift(start.astimezone(UTC), first_utc, PRIMARY, ANN.id),
        Shift(first_utc, end.astimezone(UTC), PRIMARY, BOB.id),
    ]
    # Bob's morning is an hour longer than the wall clock says: it holds the repeated hour.
    hours, minutes = map(int, wall.split(":"))
    assert found[1].duration == timedelta(hours=9 - hours, minutes=-minutes) + timedelta(hours=1)
    assert lineup_at(schedule, second_utc).person_ids == (BOB.id,)


def test_gaps_follow_the_wall_clock_across_the_spring_forward_night() -> None:
    # Sunday 00:00-02:30 and 03:00-09:00: on 29 March 02:30-03:00 does not exist, so no gap.
    sunday = (slot(1, SUNDAY, "00:00", "02:30", ANN.id), slot(2, SUNDAY, "03:00", "09:00", BOB.id))
    schedule = Schedule(sunday, BERLIN)

    spring = gaps(schedule, local(BERLIN, 2026, 3, 29, 0, 0), local(BERLIN, 2026, 3, 29, 9, 0))
    winter = gaps(schedule, local(BERLIN, 2026, 3, 22, 0, 0), local(BERLIN, 2026, 3, 22, 9, 0))

    assert spring == []
    assert winter == [Gap(utc(2026, 3, 22, 1, 30), utc(2026, 3, 22, 2, 0))]


# ---------------------------------------------------------------- shifts agree with lineup_at

PEOPLE = (ANN.id, BOB.id, CID.id, DAN.id)
quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
assignees = st.one_of(st.sampled_from(PEOPLE), st.just(OPS))
slots = st.lists(
    st.builds(
        lambda day, start, end, primary, backups: (day, start, end, primary, tuple(backups)),
        st.integers(0, 6),
        quarter_hours,
        quarter_hours,
        assignees,
        st.lists(assignees, max_size=2),
    ),
    max_size=5,
).map(lambda raw: tuple(Slot(i + 1, *fields) for i, fields in enumerate(raw)))
rotations = st.builds(
    Rotation,
    id=st.just(1),
    name=st.just("Ops"),
    member_ids=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4).map(tuple),
    shift=st.one_of(
        st.builds(ShiftLength, st.integers(1, 36), st.just(ShiftUnit.HOURS)),
        st.builds(ShiftLength, st.integers(1, 10), st.just(ShiftUnit.DAYS)),
        st.builds(ShiftLength, st.integers(1, 3), st.just(ShiftUnit.WEEKS)),
    ),
    handoff_weekday=st.integers(0, 6),
    handoff_time=quarter_hours,
    start=st.dates(date(2026, 2, 1), date(2026, 11, 15)),
)
# Four weeks starting anywhere from February to November: some hold a DST night or two.
periods = st.datetimes(datetime(2026, 2, 1), datetime(2026, 10, 20)).map(  # noqa: DTZ001
    lambda naive: naive.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
)


@st.composite
def overrides(draw: st.DrawFn, start: datetime) -> tuple[Override, ...]:
    made = []
    for number in range(draw(st.integers(0, 3))):
        begins = start + timedelta(minutes=15 * draw(st.integers(-96, 4 * 7 * 96)))
        ends = begins + timedelta(minutes=15 * draw(st.integers(1, 4 * 96)))
        person = draw(st.sampled_from(PEOPLE))
        if draw(st.booleans()):
            replaced = draw(st.sampled_from([p for p in PEOPLE if p != person]))
            made.append(Override(number + 1, begins, ends, person, replaces_id=replaced))
        else:
            role = draw(st.sampled_from(list(Role)))
            made.append(Override(number + 1, begins, ends, person, role=role))
    return tuple(made)


# Thirty schedules of four weeks each take a few seconds; the quick loop stays quick.
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    slots=slots,
    rotation=rotations,
    start=periods,
    tz=st.sampled_from([BERLIN, NEW_YORK]),
    data=st.data(),
)
def test_the_shifts_of_four_weeks_agree_with_lineup_at_every_hour_and_every_boundary(
    slots: tuple[Slot, ...], rotation: Rotation, start: datetime, tz: ZoneInfo, data: st.DataObject
) -> None:
    schedule = Schedule(slots, tz, (rotation,), data.draw(overrides(start)))
    end = start + timedelta(weeks=4)
    listed = shifts(schedule, start, end)
    holes = gaps(schedule, start, end)

    def from_shifts(at: datetime) -> set[tuple[int, Role]]:
        return {(s.person_id, s.role) for s in listed if s.start <= at < s.end}

    def in_gap(at: datetime) -> bool:
        return any(g.start <= at < g.end for g in holes)

    hours = [start + timedelta(hours=h) for h in range(4 * 7 * 24)]
    edges = sorted(b for b in boundaries(schedule, start, end) if b < end)
    instants = hours + edges + [b - timedelta(microseconds=1) for b in edges if b > start]
    for at in instants:
        expected = lineup_at(schedule, at).duties
        assert from_shifts(at) == {(d.person_id, d.role) for d in expected}, at
        assert in_gap(at) is (not expected), at
    # Merged: no shift of a person in a role ends where the next of theirs starts.
    for first in listed:
        assert not any(
            (s.person_id, s.role) == (first.person_id, first.role) and s.start == first.end
            for s in listed
        )
