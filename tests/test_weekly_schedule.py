"""The week a schedule repeats in, as the schedule page checks it: overlapping slots, the grid.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

import pytest
from escalation_helpers import (
    ANN,
    BOB,
    CID,
    slot,
)

from weekly_schedule import FRIDAY, MONDAY, SATURDAY, SUNDAY, THURSDAY, coverage, find_overlaps


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        (("MON", "09:00", "17:00"), ("MON", "16:00", "18:00"), True),
        (("MON", "09:00", "17:00"), ("MON", "17:00", "22:00"), False),  # touching
        (("MON", "09:00", "17:00"), ("MON", "10:00", "11:00"), True),  # contained
        (("MON", "09:00", "17:00"), ("TUE", "09:00", "17:00"), False),
        (("MON", "22:00", "06:00"), ("TUE", "05:00", "09:00"), True),  # across midnight
        (("MON", "22:00", "06:00"), ("TUE", "06:00", "09:00"), False),  # touching after midnight
        (("SUN", "22:00", "06:00"), ("MON", "05:59", "07:00"), True),  # across the week wrap
        (("SUN", "22:00", "06:00"), ("MON", "06:00", "07:00"), False),  # touching at the wrap
        (("SUN", "22:00", "06:00"), ("MON", "00:00", "00:01"), True),
        (("SAT", "23:00", "23:00"), ("SUN", "22:00", "23:30"), True),  # 24h slot
        (("SAT", "23:00", "23:00"), ("SUN", "23:00", "01:00"), False),
        (("THU", "00:00", "00:00"), ("FRI", "00:00", "00:00"), False),  # two whole days
    ],
)
def test_overlapping_slots_are_found_and_touching_ones_are_not(
    first: tuple[str, str, str], second: tuple[str, str, str], overlap: bool
) -> None:
    days = dict(zip(("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), range(7), strict=True))
    a = slot(1, days[first[0]], first[1], first[2], ANN.id)
    b = slot(2, days[second[0]], second[1], second[2], BOB.id)

    assert find_overlaps([a, b]) == ([(a, b)] if overlap else [])
    assert find_overlaps([b, a]) == ([(b, a)] if overlap else [])


def test_overlap_report_lists_every_clashing_pair_in_schedule_order() -> None:
    night = slot(1, FRIDAY, "22:00", "06:00", ANN.id)
    early = slot(2, SATURDAY, "05:00", "09:00", BOB.id)
    day = slot(3, SATURDAY, "08:00", "20:00", CID.id)
    monday = slot(4, MONDAY, "09:00", "17:00", ANN.id)

    assert find_overlaps([night, early, day, monday]) == [(night, early), (early, day)]
    assert find_overlaps([]) == []


def test_coverage_grid_shows_each_hour_of_the_week() -> None:
    night = slot(1, SUNDAY, "22:00", "06:00", BOB.id)
    late_start = slot(2, THURSDAY, "09:30", "17:00", ANN.id)

    grid = coverage([night, late_start])

    assert len(grid) == 7 * 24
    assert list(grid)[:2] == [(MONDAY, 0), (MONDAY, 1)]
    covered = {key for key, value in grid.items() if value is not None}
    assert {key for key in covered if grid[key] == night} == {
        (SUNDAY, 22),
        (SUNDAY, 23),
        *((MONDAY, hour) for hour in range(6)),
    }
    # 09:30 does not cover the start of the 09:00 hour; 16:00 is the last hour started inside.
    assert {key for key in covered if grid[key] == late_start} == {
        (THURSDAY, hour) for hour in range(10, 17)
    }
    assert grid[(MONDAY, 6)] is None
    assert len(covered) == 8 + 7


def test_empty_schedule_has_an_empty_grid() -> None:
    assert set(coverage([]).values()) == {None}
