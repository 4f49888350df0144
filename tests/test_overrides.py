"""Overrides: a replacement or an extra person for a while, beating slots and rotations.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from escalation_helpers import (
    ANN,
    BERLIN,
    BOB,
    CID,
    DAN,
    WINTER_NEXT_MONDAY,
    WINTER_SUNDAY,
    local,
    slot,
    utc,
)

from on_call_schedule import (
    Duty,
    Override,
    OverrideConflict,
    Role,
    Schedule,
    check_override,
    lineup_at,
    shifts,
)
from rotations import Rotation, ShiftLength, ShiftUnit
from weekly_schedule import MONDAY, RotationRef

PRIMARY, BACKUP = Role.PRIMARY, Role.BACKUP
# Every day 09:00 to 09:00 the next day: Ann primary, Cid backup.
EVERY_DAY = tuple(slot(day + 1, day, "09:00", "09:00", ANN.id, CID.id) for day in range(7))


def berlin(*parts: int) -> datetime:
    return local(BERLIN, *parts)


def replaces(person: int, replaced: int, start: datetime, end: datetime, id: int = 1) -> Override:
    return Override(id, start, end, person, replaces_id=replaced)


def as_role(person: int, role: Role, start: datetime, end: datetime, id: int = 1) -> Override:
    return Override(id, start, end, person, role=role)


def who(schedule: Schedule, at: datetime) -> list[tuple[int, Role]]:
    return [(d.person_id, d.role) for d in lineup_at(schedule, at).duties]


def test_christmas_cover_replaces_ann_from_christmas_eve_to_the_morning_after_boxing_day() -> None:
    cover = replaces(BOB.id, ANN.id, berlin(2026, 12, 24, 18, 0), berlin(2026, 12, 27, 9, 0))
    schedule = Schedule(EVERY_DAY, BERLIN, overrides=(cover,))

    assert who(schedule, berlin(2026, 12, 24, 17, 59)) == [(ANN.id, PRIMARY), (CID.id, BACKUP)]
    for at in (berlin(2026, 12, 24, 18, 0), berlin(2026, 12, 25, 23, 59), berlin(2026, 12, 26, 0)):
        assert who(schedule, at) == [(BOB.id, PRIMARY), (CID.id, BACKUP)], at
    assert who(schedule, berlin(2026, 12, 27, 9, 0)) == [(ANN.id, PRIMARY), (CID.id, BACKUP)]
    assert lineup_at(schedule, berlin(2026, 12, 25, 12, 0)).duties[0] == Duty(
        BOB.id, PRIMARY, override_id=cover.id, replaced_id=ANN.id
    )


def test_a_replacement_takes_the_role_the_replaced_person_has_then() -> None:
    monday = slot(1, MONDAY, "09:00", "17:00", CID.id, ANN.id)
    cover = replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 6))

    assert who(Schedule((monday,), BERLIN, overrides=(cover,)), berlin(2026, 1, 5, 10, 0)) == [
        (CID.id, PRIMARY),
        (BOB.id, BACKUP),
    ]


def test_a_replacement_does_nothing_while_the_replaced_person_is_not_on_call() -> None:
    monday = slot(1, MONDAY, "09:00", "17:00", CID.id)
    cover = replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 6))

    assert who(Schedule((monday,), BERLIN, overrides=(cover,)), berlin(2026, 1, 5, 10, 0)) == [
        (CID.id, PRIMARY)
    ]


def test_a_primary_over_an_uncovered_night_across_sunday_to_monday_is_the_whole_chain() -> None:
    night = as_role(
        BOB.id, PRIMARY, berlin(*WINTER_SUNDAY, 22, 0), berlin(*WINTER_NEXT_MONDAY, 6, 0)
    )
    monday = slot(1, MONDAY, "09:00", "17:00", ANN.id)
    schedule = Schedule((monday,), BERLIN, overrides=(night,))

    assert who(schedule, berlin(*WINTER_SUNDAY, 21, 59)) == []
    assert who(schedule, berlin(*WINTER_SUNDAY, 23, 30)) == [(BOB.id, PRIMARY)]
    assert who(schedule, berlin(*WINTER_NEXT_MONDAY, 5, 59)) == [(BOB.id, PRIMARY)]
    assert lineup_at(schedule, berlin(*WINTER_NEXT_MONDAY, 0, 0)).slot is None
    assert who(schedule, berlin(*WINTER_NEXT_MONDAY, 6, 0)) == []
    assert [(s.start, s.end, s.person_id) for s in shifts(schedule, *sunday_to_monday())] == [
        (utc(*WINTER_SUNDAY, 21, 0), utc(*WINTER_NEXT_MONDAY, 5, 0), BOB.id),
        (utc(*WINTER_NEXT_MONDAY, 8, 0), utc(*WINTER_NEXT_MONDAY, 12, 0), ANN.id),
    ]


def sunday_to_monday() -> tuple[datetime, datetime]:
    return berlin(*WINTER_SUNDAY, 12, 0), berlin(*WINTER_NEXT_MONDAY, 13, 0)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # A primary goes first and the schedule's primary becomes a backup: nobody is dropped.
        (PRIMARY, [(DAN.id, PRIMARY), (ANN.id, BACKUP), (CID.id, BACKUP)]),
        # A backup comes after the schedule's people.
        (BACKUP, [(ANN.id, PRIMARY), (CID.id, BACKUP), (DAN.id, BACKUP)]),
    ],
    ids=["primary", "backup"],
)
def test_an_override_in_a_role_over_a_covered_time_joins_the_chain_in_that_role(
    role: Role, expected: list[tuple[int, Role]]
) -> None:
    extra = as_role(DAN.id, role, utc(2026, 1, 5), utc(2026, 1, 6))
    schedule = Schedule(EVERY_DAY, BERLIN, overrides=(extra,))

    assert who(schedule, berlin(2026, 1, 5, 12, 0)) == expected


def test_someone_replacing_a_colleague_they_back_up_is_on_call_once_at_the_first_place() -> None:
    cover = replaces(CID.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 6))

    assert who(Schedule(EVERY_DAY, BERLIN, overrides=(cover,)), berlin(2026, 1, 5, 12, 0)) == [
        (CID.id, PRIMARY)
    ]


def ops_rotation() -> Rotation:
    weeks = ShiftLength(1, ShiftUnit.WEEKS)
    return Rotation(7, "Ops", (ANN.id, BOB.id), weeks, MONDAY, time(9), date(2026, 1, 5))


def test_an_override_replaces_whoever_a_rotation_puts_on_call_and_says_which_rotation() -> None:
    weekly = ops_rotation()
    daily = tuple(slot(day + 1, day, "00:00", "00:00", RotationRef(7)) for day in range(7))
    cover = replaces(CID.id, BOB.id, berlin(2026, 1, 14, 0, 0), berlin(2026, 1, 15, 0, 0))
    schedule = Schedule(daily, BERLIN, rotations=(weekly,), overrides=(cover,))

    assert lineup_at(schedule, berlin(2026, 1, 13, 12, 0)).duties == (
        Duty(BOB.id, PRIMARY, rotation_id=7),
    )
    assert lineup_at(schedule, berlin(2026, 1, 14, 12, 0)).duties == (
        Duty(CID.id, PRIMARY, rotation_id=7, override_id=cover.id, replaced_id=BOB.id),
    )


# ----------------------------------------------------------------------------- overlapping


def test_two_overrides_putting_the_same_person_on_call_at_once_are_refused_naming_the_other() -> (
    None
):
    first = replaces(BOB.id, ANN.id, utc(2026, 12, 24, 17), utc(2026, 12, 27, 8), id=3)
    second = as_role(BOB.id, BACKUP, utc(2026, 12, 26, 12), utc(2026, 12, 28), id=4)

    with pytest.raises(OverrideConflict) as refused:
        check_override(second, [first])

    assert refused.value.other is first
    assert refused.value.person_id == BOB.id
    assert str(refused.value) == (
        "overlaps override #3 for person #2 "
        "(2026-12-24T17:00:00+00:00 to 2026-12-27T08:00:00+00:00)"
    )


@pytest.mark.parametrize(
    "second",
    [
        replaces(CID.id, ANN.id, utc(2026, 1, 5, 12), utc(2026, 1, 7)),  # Ann replaced twice
        replaces(CID.id, BOB.id, utc(2026, 1, 5, 12), utc(2026, 1, 7)),  # the cover replaced
        replaces(ANN.id, BOB.id, utc(2026, 1, 5, 12), utc(2026, 1, 7)),  # a swap at once
        as_role(ANN.id, PRIMARY, utc(2026, 1, 4), utc(2026, 1, 5, 0, 1)),  # one minute shared
    ],
    ids=["same-replaced", "chain", "swap", "one-minute"],
)
def test_overlapping_overrides_sharing_anyone_are_refused(second: Override) -> None:
    first = replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 6), id=9)

    with pytest.raises(OverrideConflict, match="overlaps override #9"):
        check_override(replace_id(second, 10), [first])


def replace_id(override: Override, new_id: int) -> Override:
    return Override(
        new_id,
        override.start,
        override.end,
        override.person_id,
        override.replaces_id,
        override.role,
    )


@pytest.mark.parametrize(
    "second",
    [
        replaces(BOB.id, ANN.id, utc(2026, 1, 6), utc(2026, 1, 7)),  # starts where it ends
        replaces(BOB.id, ANN.id, utc(2026, 1, 4), utc(2026, 1, 5)),  # ends where it starts
        replaces(DAN.id, CID.id, utc(2026, 1, 5), utc(2026, 1, 6)),  # other people
    ],
    ids=["after", "before", "other-people"],
)
def test_touching_overrides_and_overrides_of_other_people_are_accepted(second: Override) -> None:
    first = replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 6), id=9)

    check_override(replace_id(second, 10), [first])


def test_an_edited_override_is_not_compared_with_its_old_self() -> None:
    old = replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 6), id=9)

    check_override(replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 7), id=9), [old])


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: replaces(BOB.id, ANN.id, utc(2026, 1, 6), utc(2026, 1, 5)),
            "an override must end after it starts: end 2026-01-05T00:00:00+00:00 is not after "
            "start 2026-01-06T00:00:00+00:00",
        ),
        (
            lambda: replaces(BOB.id, ANN.id, utc(2026, 1, 5), utc(2026, 1, 5)),
            "an override must end after it starts",
        ),
        (
            lambda: replaces(BOB.id, ANN.id, datetime(2026, 1, 5), utc(2026, 1, 6)),  # noqa: DTZ001
            "start must be timezone-aware",
        ),
        (
            lambda: Override(1, utc(2026, 1, 5), utc(2026, 1, 6), BOB.id),
            "either replaces someone (replaces_id) or gives a role (role)",
        ),
        (
            lambda: Override(1, utc(2026, 1, 5), utc(2026, 1, 6), BOB.id, ANN.id, PRIMARY),
            "either replaces someone (replaces_id) or gives a role (role)",
        ),
        (
            lambda: replaces(BOB.id, BOB.id, utc(2026, 1, 5), utc(2026, 1, 6)),
            "person #2 cannot replace themselves",
        ),
        (
            lambda: Override(1, utc(2026, 1, 5), utc(2026, 1, 6), BOB.id, role="boss"),
            "role must be one of primary, backup, got 'boss'",
        ),
        (
            lambda: Schedule((slot(1, MONDAY, "09:00", "17:00", RotationRef(5)),), BERLIN),
            "slot #1 names rotation #5, which is not in the schedule",
        ),
        (
            lambda: Schedule((), BERLIN, rotations=(ops_rotation(), ops_rotation())),
            "two rotations share the id #7",
        ),
    ],
    ids=[
        "end-before-start",
        "empty",
        "naive",
        "neither",
        "both",
        "replaces-self",
        "unknown-role",
        "unknown-rotation",
        "rotation-id-twice",
    ],
)
def test_impossible_overrides_are_refused_with_a_clear_message(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_an_override_is_absolute_so_it_lasts_its_real_length_across_a_dst_night() -> None:
    # Midnight to 06:00 on the autumn Sunday in Berlin is seven real hours.
    night = as_role(BOB.id, PRIMARY, berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 25, 6, 0))
    [shift] = shifts(Schedule((), BERLIN, overrides=(night,)), utc(2026, 10, 24), utc(2026, 10, 26))

    assert shift.duration == timedelta(hours=7)
    assert (shift.start, shift.end) == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 5, 0))
    assert shift.start.tzinfo is UTC
