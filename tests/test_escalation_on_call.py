"""Who is on call now: slots, fallback to the admins, who is skipped and why.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from escalation_helpers import (
    ADA,
    ADMINS,
    ANN,
    BERLIN,
    BOB,
    CID,
    DAN,
    EVE,
    PEOPLE,
    TOKYO,
    WINTER_MONDAY,
    WINTER_NEXT_MONDAY,
    WINTER_SUNDAY,
    WINTER_TUESDAY,
    WINTER_WEDNESDAY,
    local,
    names,
    slot,
    slot_id,
    utc,
)

from escalation import (
    Person,
    Policy,
    Skipped,
    TicketState,
    Unreachable,
    decide,
    handovers,
    on_call_at,
)
from on_call_schedule import Duty, Override, Role
from rotations import Rotation, ShiftLength, ShiftUnit
from weekly_schedule import (
    MONDAY,
    SUNDAY,
    TUESDAY,
    WEDNESDAY,
    RotationRef,
    Slot,
    boundaries,
    slot_at,
)


def test_weekday_slot_pages_primary_then_backups_in_order() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id, BOB.id, CID.id)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 12, 0), BERLIN)

    assert names(on_call) == ["Ann", "Bob", "Cid"]
    assert on_call.primary == ANN
    assert slot_id(on_call) == 1
    assert on_call.skipped == ()
    assert on_call.fallback is False


@pytest.mark.parametrize(
    ("wall", "covered"),
    [
        ((*WINTER_TUESDAY, 21, 59), False),
        ((*WINTER_TUESDAY, 22, 0), True),  # the start is inside the slot
        ((*WINTER_TUESDAY, 23, 59), True),
        ((*WINTER_WEDNESDAY, 0, 0), True),
        ((*WINTER_WEDNESDAY, 3, 0), True),
        ((*WINTER_WEDNESDAY, 5, 59), True),
        ((*WINTER_WEDNESDAY, 6, 0), False),  # the end is not
        ((*WINTER_MONDAY, 23, 0), False),  # Monday night is not Tuesday night
    ],
)
def test_night_slot_covers_until_morning_of_the_next_day(
    wall: tuple[int, ...], covered: bool
) -> None:
    slots = [slot(7, TUESDAY, "22:00", "06:00", BOB.id)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *wall), BERLIN)

    assert (slot_id(on_call) == 7) is covered
    assert names(on_call) == (["Bob"] if covered else ["Ada", "Zoe"])


@pytest.mark.parametrize(
    ("wall", "expected_slot"),
    [
        ((*WINTER_SUNDAY, 21, 59), 1),
        ((*WINTER_SUNDAY, 22, 0), 2),
        ((*WINTER_NEXT_MONDAY, 0, 0), 2),
        ((*WINTER_NEXT_MONDAY, 3, 30), 2),
        ((*WINTER_NEXT_MONDAY, 6, 0), 3),
    ],
)
def test_night_slot_covers_sunday_to_monday_wrap(wall: tuple[int, ...], expected_slot: int) -> None:
    slots = [
        slot(1, SUNDAY, "06:00", "22:00", ANN.id),
        slot(2, SUNDAY, "22:00", "06:00", BOB.id),
        slot(3, MONDAY, "06:00", "22:00", CID.id),
    ]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *wall), BERLIN)

    assert slot_id(on_call) == expected_slot


def test_slot_with_equal_start_and_end_covers_the_whole_day_and_nothing_else() -> None:
    slots = [slot(1, WEDNESDAY, "08:00", "08:00", CID.id)]

    assert slot_id(on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_WEDNESDAY, 8, 0), BERLIN)) == 1
    assert slot_id(on_call_at(slots, PEOPLE, local(BERLIN, 2026, 1, 8, 7, 59), BERLIN)) == 1
    assert slot_id(on_call_at(slots, PEOPLE, local(BERLIN, 2026, 1, 8, 8, 0), BERLIN)) is None
    assert (
        slot_id(on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_WEDNESDAY, 7, 59), BERLIN)) is None
    )


def test_same_instant_gives_same_answer_whatever_zone_the_caller_used() -> None:
    # Monday 09:30 in Berlin is 08:30 UTC and 17:30 in Tokyo.
    slots = [slot(1, MONDAY, "09:00", "10:00", ANN.id)]
    instants = [
        local(BERLIN, *WINTER_MONDAY, 9, 30),
        utc(*WINTER_MONDAY, 8, 30),
        local(TOKYO, *WINTER_MONDAY, 17, 30),
    ]

    answers = [on_call_at(slots, PEOPLE, at, BERLIN) for at in instants]

    assert [slot_id(a) for a in answers] == [1, 1, 1]
    # The slot is read in the schedule's zone: the same instant is uncovered for a Tokyo team.
    assert slot_id(on_call_at(slots, PEOPLE, instants[0], TOKYO)) is None


def test_on_call_keeps_the_instant_it_was_asked_about() -> None:
    at = local(BERLIN, *WINTER_MONDAY, 9, 30)
    assert on_call_at([], PEOPLE, at, BERLIN).at == at


def test_uncovered_hour_falls_back_to_reachable_admins_by_name() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 18, 0), BERLIN)

    assert on_call.slot is None
    assert on_call.chain == ADMINS
    assert on_call.primary == ADA
    assert on_call.fallback is True
    assert on_call.skipped == ()


def test_admins_with_the_same_name_are_ordered_by_id() -> None:
    twin_b = Person(21, "Sam", telegram_id=2, is_admin=True)
    twin_a = Person(20, "Sam", telegram_id=1, is_admin=True)

    on_call = on_call_at([], {21: twin_b, 20: twin_a}, utc(*WINTER_MONDAY, 12, 0), BERLIN)

    assert [p.id for p in on_call.chain] == [20, 21]


def test_slot_where_nobody_is_reachable_falls_back_to_admins_and_says_why() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", DAN.id, EVE.id, 99)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 10, 0), BERLIN)

    assert slot_id(on_call) == 1
    assert on_call.chain == ADMINS
    assert on_call.fallback is True
    assert on_call.skipped == (
        Skipped(DAN.id, "Dan", "no_telegram"),
        Skipped(EVE.id, "Eve", "inactive"),
        Skipped(99, "user #99", "unknown_user"),
    )


def test_unreachable_people_are_skipped_and_the_rest_of_the_chain_moves_up() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", EVE.id, DAN.id, BOB.id, CID.id)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 10, 0), BERLIN)

    assert names(on_call) == ["Bob", "Cid"]
    assert on_call.primary == BOB
    assert on_call.fallback is False
    assert [(s.name, s.reason) for s in on_call.skipped] == [
        ("Eve", "inactive"),
        ("Dan", "no_telegram"),
    ]


def test_inactive_person_without_telegram_is_reported_as_inactive() -> None:
    gone = Person(30, "Gus", telegram_id=None, active=False)
    slots = [slot(1, MONDAY, "09:00", "17:00", gone.id, ANN.id)]

    on_call = on_call_at(slots, {**PEOPLE, gone.id: gone}, utc(*WINTER_MONDAY, 10, 0), BERLIN)

    assert on_call.skipped == (Skipped(30, "Gus", "inactive"),)
    assert gone.reachable is False
    assert ANN.reachable is True


def test_person_listed_as_primary_and_backup_is_paged_once_at_first_position() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id, BOB.id, ANN.id, CID.id, BOB.id)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 10, 0), BERLIN)

    assert names(on_call) == ["Ann", "Bob", "Cid"]


def test_unreachable_duplicate_is_reported_once() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", DAN.id, ANN.id, DAN.id)]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 10, 0), BERLIN)

    assert names(on_call) == ["Ann"]
    assert on_call.skipped == (Skipped(DAN.id, "Dan", "no_telegram"),)


def test_without_slots_and_without_admins_nobody_is_on_call() -> None:
    on_call = on_call_at([], {ANN.id: ANN}, utc(*WINTER_MONDAY, 10, 0), BERLIN)

    assert on_call.chain == ()
    assert on_call.primary is None
    assert on_call.fallback is True


def test_short_override_laid_over_a_long_slot_wins_while_it_lasts() -> None:
    slots = [
        slot(1, MONDAY, "00:00", "00:00", ANN.id),  # all of Monday
        slot(2, MONDAY, "12:00", "14:00", BOB.id),  # lunch cover
    ]

    def at(hour: int) -> int | None:
        return slot_id(on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, hour, 0), BERLIN))

    assert [at(11), at(12), at(13), at(14)] == [1, 2, 2, 1]


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: on_call_at([], PEOPLE, naive, BERLIN),
        lambda naive: handovers([], PEOPLE, naive, utc(2026, 1, 6), BERLIN),
        lambda naive: handovers([], PEOPLE, utc(2026, 1, 4), naive, BERLIN),
        lambda naive: slot_at([], naive, BERLIN),
        lambda naive: boundaries([], naive, utc(2026, 1, 6), BERLIN),
        lambda naive: boundaries([], utc(2026, 1, 4), naive, BERLIN),
        lambda naive: decide(TicketState("open"), 1, Policy(timedelta(minutes=15)), naive),
        lambda naive: TicketState("open", level=1, last_escalated_at=naive),
        lambda naive: TicketState("open", acknowledged_at=naive),
        lambda naive: TicketState("open", reminded_at=naive),
    ],
    ids=[
        "on_call_at",
        "handovers-start",
        "handovers-end",
        "slot_at",
        "boundaries-start",
        "boundaries-end",
        "decide",
        "last_escalated_at",
        "acknowledged_at",
        "reminded_at",
    ],
)
def test_naive_datetime_is_rejected(call: Callable[[datetime], object]) -> None:
    naive = datetime(2026, 1, 5, 12, 0)  # noqa: DTZ001 - the point of the test

    with pytest.raises(ValueError, match="timezone-aware"):
        call(naive)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Slot(1, 7, time(9), time(17), 1),
        lambda: Slot(1, -1, time(9), time(17), 1),
        lambda: Slot(1, MONDAY, time(9, tzinfo=UTC), time(17), 1),
        lambda: Policy(timedelta(0)),
        lambda: Policy(timedelta(minutes=15), ack_timeout=timedelta(0)),
        lambda: Policy(timedelta(minutes=15), repeats=-1),
        lambda: TicketState("in-progress"),
        lambda: TicketState("open", level=-1),
    ],
    ids=[
        "weekday-7",
        "weekday-negative",
        "slot-time-with-zone",
        "zero-timeout",
        "zero-ack-timeout",
        "negative-repeats",
        "unknown-status",
        "negative-level",
    ],
)
def test_impossible_settings_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


# ------------------------------------------------------------- rotations and overrides


def weekly_rotation(*members: Person, start: date = date(2026, 1, 5)) -> Rotation:
    weeks = ShiftLength(1, ShiftUnit.WEEKS)
    return Rotation(1, "Ops", tuple(p.id for p in members), weeks, MONDAY, time(9), start)


def test_a_slot_naming_a_rotation_pages_whoever_s_turn_it_is() -> None:
    slots = [slot(1, WEDNESDAY, "00:00", "00:00", RotationRef(1), CID.id)]
    rotations = [weekly_rotation(ANN, BOB)]

    first = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_WEDNESDAY, 12, 0), BERLIN, rotations)
    second = on_call_at(slots, PEOPLE, local(BERLIN, 2026, 1, 14, 12, 0), BERLIN, rotations)

    assert (names(first), names(second)) == (["Ann", "Cid"], ["Bob", "Cid"])
    assert first.duties[0] == Duty(ANN.id, Role.PRIMARY, rotation_id=1)


def test_an_override_to_someone_unreachable_skips_them_and_says_why() -> None:
    slots = [slot(1, MONDAY, "09:00", "17:00", ANN.id, BOB.id)]
    cover = Override(1, utc(*WINTER_MONDAY), utc(*WINTER_TUESDAY), DAN.id, replaces_id=ANN.id)
    at = local(BERLIN, *WINTER_MONDAY, 10, 0)

    on_call = on_call_at(slots, PEOPLE, at, BERLIN, overrides=[cover])

    assert names(on_call) == ["Bob"]
    assert on_call.skipped == (Skipped(DAN.id, "Dan", "no_telegram"),)


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ([], Unreachable.NO_SLOT),
        (
            [Override(1, utc(*WINTER_MONDAY), utc(*WINTER_TUESDAY), DAN.id, role=Role.PRIMARY)],
            Unreachable.NOBODY_LINKED,
        ),
    ],
    ids=["nothing-covers", "override-to-someone-unlinked"],
)
def test_over_an_uncovered_hour_an_override_decides_why_the_admins_are_paged(
    overrides: list[Override], why: Unreachable
) -> None:
    at = local(BERLIN, *WINTER_MONDAY, 20, 0)

    on_call = on_call_at([], PEOPLE, at, BERLIN, overrides=overrides)

    assert (on_call.chain, on_call.fallback, on_call.unreachable) == (ADMINS, True, why)


def test_a_rotation_before_its_first_handoff_names_nobody_so_the_admins_are_paged() -> None:
    slots = [slot(1, MONDAY, "00:00", "00:00", RotationRef(1))]
    later = [weekly_rotation(ANN, start=date(2026, 2, 2))]

    on_call = on_call_at(slots, PEOPLE, local(BERLIN, *WINTER_MONDAY, 12, 0), BERLIN, later)

    assert slot_id(on_call) == 1
    assert (on_call.chain, on_call.unreachable) == (ADMINS, Unreachable.NO_SLOT)
