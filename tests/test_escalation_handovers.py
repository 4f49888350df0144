"""When the pager passes from one slot to the next (what /oncall lists), told as the team lives it.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from escalation_helpers import (
    ADMINS,
    ANN,
    BERLIN,
    BOB,
    CID,
    PEOPLE,
    WINTER_MONDAY,
    WINTER_NEXT_MONDAY,
    WINTER_SUNDAY,
    WINTER_TUESDAY,
    handover_slots,
    local,
    names,
    shifts,
    slot,
    slot_id,
    utc,
)

from escalation import handovers
from on_call_schedule import Override, Role
from rotations import Rotation, ShiftLength, ShiftUnit
from weekly_schedule import MONDAY, SUNDAY, TUESDAY, RotationRef


def test_oncall_command_lists_the_next_24_hours_of_handovers() -> None:
    slots = [
        slot(1, MONDAY, "09:00", "17:00", ANN.id, BOB.id),
        slot(2, MONDAY, "17:00", "09:00", BOB.id, CID.id),
        slot(3, TUESDAY, "09:00", "17:00", CID.id),
    ]
    start = local(BERLIN, *WINTER_MONDAY, 12, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=24), BERLIN)

    assert [(h.at, slot_id(h.on_call), names(h.on_call)) for h in result] == [
        (utc(*WINTER_MONDAY, 16, 0), 2, ["Bob", "Cid"]),
        (utc(*WINTER_TUESDAY, 8, 0), 3, ["Cid"]),
    ]
    assert all(h.at.tzinfo is UTC for h in result)
    assert all(h.on_call.at == h.at for h in result)


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        ((2026, 1, 5), utc(2026, 1, 5, 8, 0)),  # winter, CET = UTC+1
        ((2026, 7, 6), utc(2026, 7, 6, 7, 0)),  # summer, CEST = UTC+2
    ],
    ids=["winter", "summer"],
)
def test_berlin_nine_oclock_handover_follows_the_wall_clock(
    day: tuple[int, int, int], expected_utc: datetime
) -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id)]
    start = utc(*day, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=12), BERLIN)

    assert result[0].at == expected_utc
    assert result[0].on_call.primary == ANN


def test_handover_window_excludes_its_start_and_includes_its_end() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id)]
    nine = utc(*WINTER_MONDAY, 8, 0)

    assert handovers(slots, PEOPLE, nine, nine + timedelta(hours=1), BERLIN) == []
    ending_at_nine = handovers(slots, PEOPLE, nine - timedelta(hours=1), nine, BERLIN)
    assert [h.at for h in ending_at_nine] == [nine]
    assert handovers(slots, PEOPLE, nine, nine, BERLIN) == []


def test_handing_over_into_a_gap_hands_over_to_the_admins() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id)]
    start = local(BERLIN, *WINTER_MONDAY, 12, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=6), BERLIN)

    assert len(result) == 1
    assert result[0].at == utc(*WINTER_MONDAY, 16, 0)
    assert result[0].on_call.slot is None
    assert result[0].on_call.chain == ADMINS
    assert result[0].on_call.fallback is True


def test_back_to_back_slots_with_the_same_people_still_count_as_a_handover() -> None:
    # The dashboard shows slots, so a new slot is news even when the people are the same.
    slots = shifts(MONDAY, "09:00", ANN, "13:00", ANN, "17:00")
    start = local(BERLIN, *WINTER_MONDAY, 10, 0)

    assert handover_slots(slots, start, 4, BERLIN) == [(utc(*WINTER_MONDAY, 12, 0), 2)]


def test_slot_that_never_wins_its_overlap_causes_no_phantom_handover() -> None:
    # Both start Monday 00:00; the lower id wins the tie, so the short slot's end changes nothing.
    slots = [
        slot(1, MONDAY, "00:00", "00:00", ANN.id),
        slot(2, MONDAY, "00:00", "02:00", BOB.id),
    ]
    start = local(BERLIN, *WINTER_SUNDAY, 23, 0)

    assert handover_slots(slots, start, 6, BERLIN) == [(utc(*WINTER_SUNDAY, 23, 0), 1)]


def test_handovers_asked_in_the_middle_of_a_night_slot_include_its_morning_end() -> None:
    slots = [slot(1, SUNDAY, "22:00", "06:00", BOB.id)]
    start = local(BERLIN, *WINTER_NEXT_MONDAY, 3, 0)

    assert handover_slots(slots, start, 24, BERLIN) == [(utc(*WINTER_NEXT_MONDAY, 5, 0), None)]


def test_week_wrap_handover_happens_on_monday_morning() -> None:
    slots = [
        slot(1, SUNDAY, "22:00", "06:00", BOB.id),
        slot(2, MONDAY, "06:00", "22:00", CID.id),
    ]
    start = local(BERLIN, *WINTER_SUNDAY, 12, 0)

    assert handover_slots(slots, start, 24, BERLIN) == [
        (utc(*WINTER_SUNDAY, 21, 0), 1),  # Sunday 22:00 CET
        (utc(*WINTER_NEXT_MONDAY, 5, 0), 2),  # Monday 06:00 CET
    ]


def test_rotation_handoffs_and_override_edges_are_handovers_too() -> None:
    weeks = ShiftLength(1, ShiftUnit.WEEKS)
    rotation = Rotation(1, "Ops", (ANN.id, BOB.id), weeks, MONDAY, time(9), date(2026, 1, 5))
    slots = [slot(day + 1, day, "00:00", "00:00", RotationRef(1)) for day in range(7)]
    cover = Override(1, utc(2026, 1, 13, 12), utc(2026, 1, 13, 14), CID.id, role=Role.PRIMARY)
    start = local(BERLIN, 2026, 1, 12, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(days=2), BERLIN, [rotation], [cover])

    assert [(h.at, slot_id(h.on_call), names(h.on_call)) for h in result] == [
        (utc(2026, 1, 12, 8), 1, ["Bob"]),  # Monday 09:00: Bob's week
        (utc(2026, 1, 12, 23), 2, ["Bob"]),  # Tuesday's slot: news, though the people stay
        (utc(2026, 1, 13, 12), 2, ["Cid", "Bob"]),
        (utc(2026, 1, 13, 14), 2, ["Bob"]),
        (utc(2026, 1, 13, 23), 3, ["Bob"]),
    ]


def test_a_one_member_rotation_handing_over_to_itself_is_no_handover() -> None:
    days = ShiftLength(1, ShiftUnit.DAYS)
    alone = Rotation(1, "Ops", (ANN.id,), days, MONDAY, time(9), date(2026, 1, 5))
    slots = [slot(1, MONDAY, "00:00", "00:00", RotationRef(1))]
    start = local(BERLIN, *WINTER_MONDAY, 10, 0)

    assert handovers(slots, PEOPLE, start, start + timedelta(hours=12), BERLIN, [alone]) == []
