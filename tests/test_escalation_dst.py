"""On call across daylight-saving nights: skipped and repeated wall-clock hours.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from escalation_helpers import (
    ANN,
    BERLIN,
    BOB,
    CID,
    FALL_BACK,
    NEW_YORK,
    PEOPLE,
    SPRING_FORWARD,
    handover_slots,
    local,
    shifts,
    slot,
    slot_id,
    utc,
)

from escalation import handovers, on_call_at
from weekly_schedule import SATURDAY, SUNDAY


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    @property
    def minute(self) -> int:
        return int((self.now - self.start) / timedelta(minutes=1))


@SPRING_FORWARD
def test_slot_starting_at_0230_on_spring_forward_day_starts_when_the_clock_jumps(
    tz: ZoneInfo, day: tuple[int, int, int], jump_utc: datetime
) -> None:
    # 02:30 never shows on the clock that night; the slot starts at the first instant after.
    slots = shifts(SUNDAY, "00:00", ANN, "02:30", BOB, "09:00")

    assert handover_slots(slots, local(tz, *day, 0, 0), 12, tz) == [
        (jump_utc, 2),
        (local(tz, *day, 9, 0).astimezone(UTC), None),
    ]
    assert jump_utc.astimezone(tz).hour == 3  # the slot starts at 03:00 summer time
    assert slot_id(on_call_at(slots, PEOPLE, jump_utc - timedelta(seconds=1), tz)) == 1
    assert slot_id(on_call_at(slots, PEOPLE, jump_utc, tz)) == 2


@SPRING_FORWARD
def test_slot_lying_entirely_in_the_spring_forward_gap_is_never_on_call(
    tz: ZoneInfo, day: tuple[int, int, int], jump_utc: datetime
) -> None:
    # Bob's slot, 02:10-02:50, does not exist that night.
    slots = shifts(SUNDAY, "00:00", ANN, "02:10", BOB, "02:50", CID, "12:00")

    assert handover_slots(slots, local(tz, *day, 0, 0), 6, tz) == [(jump_utc, 3)]


@FALL_BACK
def test_handover_in_the_repeated_fall_back_hour_happens_once_at_first_occurrence(
    tz: ZoneInfo, day: tuple[int, int, int], wall: str, first_utc: datetime, second_utc: datetime
) -> None:
    slots = shifts(SUNDAY, "00:00", ANN, wall, BOB, "09:00")

    assert handover_slots(slots, local(tz, *day, 0, 0), 6, tz) == [(first_utc, 2)]
    # When the clock replays the hour, Bob stays on call: Ann does not come back.
    replay_start = second_utc - timedelta(minutes=30)
    for minutes in range(0, 61, 5):
        at = replay_start + timedelta(minutes=minutes)
        assert slot_id(on_call_at(slots, PEOPLE, at, tz)) == 2, at
    assert slot_id(on_call_at(slots, PEOPLE, first_utc - timedelta(seconds=1), tz)) == 1


def test_slot_inside_the_repeated_hour_is_on_call_only_during_the_first_pass() -> None:
    # Berlin, 25 October: 02:15-02:45 happens at 00:15 UTC (CEST) and again at 01:15 UTC (CET).
    slots = shifts(SUNDAY, "00:00", ANN, "02:15", BOB, "02:45", CID, "09:00")
    start = local(BERLIN, 2026, 10, 25, 0, 0)

    assert handover_slots(slots, start, 6, BERLIN) == [
        (utc(2026, 10, 25, 0, 15), 2),
        (utc(2026, 10, 25, 0, 45), 3),
    ]
    assert slot_id(on_call_at(slots, PEOPLE, utc(2026, 10, 25, 1, 20), BERLIN)) == 3


def test_handover_at_the_end_of_the_repeated_hour_waits_for_the_second_pass() -> None:
    # 03:00 in Berlin on 25 October happens once, after the replayed hour: 02:00 UTC.
    slots = shifts(SUNDAY, "00:00", ANN, "03:00", BOB, "09:00")
    start = local(BERLIN, 2026, 10, 25, 0, 0)

    assert handover_slots(slots, start, 6, BERLIN) == [(utc(2026, 10, 25, 2, 0), 2)]
    assert slot_id(on_call_at(slots, PEOPLE, utc(2026, 10, 25, 1, 59), BERLIN)) == 1


def test_second_pass_of_the_repeated_hour_is_recognised_from_a_fold_one_local_time() -> None:
    slots = shifts(SUNDAY, "00:00", ANN, "01:30", BOB, "09:00")
    first = local(NEW_YORK, 2026, 11, 1, 1, 10, fold=0)
    second = local(NEW_YORK, 2026, 11, 1, 1, 10, fold=1)

    assert slot_id(on_call_at(slots, PEOPLE, first, NEW_YORK)) == 1
    assert slot_id(on_call_at(slots, PEOPLE, second, NEW_YORK)) == 2


# Boundaries around every interesting wall-clock time of a DST night, plus a night slot that
# wraps into the DST Sunday from Saturday.
DST_DAY_SLOTS = [
    slot(1, SATURDAY, "22:00", "01:00", ANN.id),
    slot(2, SUNDAY, "01:00", "01:30", BOB.id),
    slot(3, SUNDAY, "01:30", "02:00", CID.id),
    slot(4, SUNDAY, "02:00", "02:30", ANN.id, BOB.id),
    slot(5, SUNDAY, "02:30", "03:00", BOB.id, CID.id),
    slot(6, SUNDAY, "03:00", "03:30", CID.id, ANN.id),
    slot(7, SUNDAY, "03:30", "09:00", ANN.id),
    slot(8, SUNDAY, "09:00", "17:00", BOB.id),
]


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        (BERLIN, (2026, 3, 29)),
        (BERLIN, (2026, 10, 25)),
        (NEW_YORK, (2026, 3, 8)),
        (NEW_YORK, (2026, 11, 1)),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_handovers_agree_with_on_call_minute_by_minute_across_dst_nights(
    tz: ZoneInfo, day: tuple[int, int, int]
) -> None:
    clock = FakeClock(local(tz, *day, 0, 0).astimezone(UTC) - timedelta(hours=3))
    end = clock.now + timedelta(hours=24)
    result = handovers(DST_DAY_SLOTS, PEOPLE, clock.now, end, tz)

    seen = [slot_id(on_call_at(DST_DAY_SLOTS, PEOPLE, clock.now, tz))]
    changes = []
    while clock.now < end:
        at = clock.tick()
        current = slot_id(on_call_at(DST_DAY_SLOTS, PEOPLE, at, tz))
        if current != seen[-1]:
            changes.append((at, current))
        seen.append(current)

    # Every boundary is on a whole minute, so stepping by minutes sees every change.
    assert [(h.at, slot_id(h.on_call)) for h in result] == changes
    # No slot is on call twice in the night, whatever the clock did.
    order = [slot_id(h.on_call) for h in result]
    assert len(order) == len(set(order))
    if day[1] in (10, 11):  # fall back: every slot of the night gets its turn, once
        assert order == [1, 2, 3, 4, 5, 6, 7, 8, None]
    else:  # spring forward: 02:00-03:00 does not exist, so slots 4 and 5 never come
        assert order == [1, 2, 3, 6, 7, 8, None]


def test_a_skipped_wall_time_given_in_the_team_zone_is_read_as_the_instant_it_names() -> None:
    # 02:30 on 29 March does not exist in Berlin; datetime keeps it with the winter offset,
    # which names 01:30 UTC (03:30 summer time), after the slot's 03:00 start.
    slots = shifts(SUNDAY, "00:00", ANN, "03:00", BOB, "09:00")
    skipped = local(BERLIN, 2026, 3, 29, 2, 30)

    assert skipped.astimezone(UTC) == utc(2026, 3, 29, 1, 30)
    assert slot_id(on_call_at(slots, PEOPLE, skipped, BERLIN)) == 2
