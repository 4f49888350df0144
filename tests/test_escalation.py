"""Who is on call and when tickets escalate, told as the team lives it.

Every instant is an explicit aware datetime; nothing here reads the real clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation import (
    FRIDAY,
    MONDAY,
    SATURDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    OnCall,
    Person,
    Policy,
    Skipped,
    Slot,
    TicketState,
    coverage,
    decide,
    find_overlaps,
    handovers,
    on_call_at,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

ANN = Person(1, "Ann", telegram_id=101)
BOB = Person(2, "Bob", telegram_id=102)
CID = Person(3, "Cid", telegram_id=103)
DAN = Person(4, "Dan", telegram_id=None)  # never linked Telegram
EVE = Person(5, "Eve", telegram_id=105, active=False)  # left the team
ZOE = Person(10, "Zoe", telegram_id=110, is_admin=True)
ADA = Person(11, "Ada", telegram_id=111, is_admin=True)
OLD_ADMIN = Person(12, "Abe", telegram_id=112, is_admin=True, active=False)
UNLINKED_ADMIN = Person(13, "Aby", telegram_id=None, is_admin=True)

PEOPLE = {p.id: p for p in (ANN, BOB, CID, DAN, EVE, ZOE, ADA, OLD_ADMIN, UNLINKED_ADMIN)}
# Reachable admins, by name: the inactive and the unlinked admin are never paged.
ADMINS = (ADA, ZOE)


def hm(text: str) -> time:
    """'22:30' -> time(22, 30)."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def slot(slot_id: int, weekday: int, start: str, end: str, primary: int, *backups: int) -> Slot:
    return Slot(slot_id, weekday, hm(start), hm(end), primary, tuple(backups))


def local(tz: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """An aware wall-clock datetime in `tz`, e.g. local(BERLIN, 2026, 1, 5, 9, 0)."""
    return datetime(*parts, tzinfo=tz, fold=fold)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def names(on_call: OnCall) -> list[str]:
    return [p.name for p in on_call.chain]


def slot_id(on_call: OnCall) -> int | None:
    return on_call.slot.id if on_call.slot else None


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


# A week of 2026 in winter (Berlin UTC+1, New York UTC-5): Monday 5 January .. Sunday 11 January.
WINTER_MONDAY = (2026, 1, 5)
WINTER_TUESDAY = (2026, 1, 6)
WINTER_WEDNESDAY = (2026, 1, 7)
WINTER_SUNDAY = (2026, 1, 11)
WINTER_NEXT_MONDAY = (2026, 1, 12)


# ------------------------------------------------------------------------------ on call now


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
        lambda naive: decide(TicketState("open"), 1, Policy(timedelta(minutes=15)), naive),
        lambda naive: TicketState("open", level=1, last_escalated_at=naive),
        lambda naive: TicketState("open", acknowledged_at=naive),
        lambda naive: TicketState("open", reminded_at=naive),
    ],
    ids=[
        "on_call_at",
        "handovers-start",
        "handovers-end",
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


# --------------------------------------------------------------------------- handovers


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
    slots = [
        slot(1, MONDAY, "09:00", "13:00", ANN.id),
        slot(2, MONDAY, "13:00", "17:00", ANN.id),
    ]
    start = local(BERLIN, *WINTER_MONDAY, 10, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=4), BERLIN)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [(utc(*WINTER_MONDAY, 12, 0), 2)]


def test_slot_that_never_wins_its_overlap_causes_no_phantom_handover() -> None:
    # Both start Monday 00:00; the lower id wins the tie, so the short slot's end changes nothing.
    slots = [
        slot(1, MONDAY, "00:00", "00:00", ANN.id),
        slot(2, MONDAY, "00:00", "02:00", BOB.id),
    ]
    start = local(BERLIN, *WINTER_SUNDAY, 23, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=6), BERLIN)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [(utc(*WINTER_SUNDAY, 23, 0), 1)]


def test_handovers_asked_in_the_middle_of_a_night_slot_include_its_morning_end() -> None:
    slots = [slot(1, SUNDAY, "22:00", "06:00", BOB.id)]
    start = local(BERLIN, *WINTER_NEXT_MONDAY, 3, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=24), BERLIN)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [(utc(*WINTER_NEXT_MONDAY, 5, 0), None)]


def test_week_wrap_handover_happens_on_monday_morning() -> None:
    slots = [
        slot(1, SUNDAY, "22:00", "06:00", BOB.id),
        slot(2, MONDAY, "06:00", "22:00", CID.id),
    ]
    start = local(BERLIN, *WINTER_SUNDAY, 12, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=24), BERLIN)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [
        (utc(*WINTER_SUNDAY, 21, 0), 1),  # Sunday 22:00 CET
        (utc(*WINTER_NEXT_MONDAY, 5, 0), 2),  # Monday 06:00 CET
    ]


# ------------------------------------------------------------------------------------ DST

# 2026 DST days, all Sundays: spring forward skips an hour, fall back repeats one.
# Berlin: 29 March 02:00 CET -> 03:00 CEST (01:00 UTC); 25 October 03:00 CEST -> 02:00 CET.
# New York: 8 March 02:00 EST -> 03:00 EDT (07:00 UTC); 1 November 02:00 EDT -> 01:00 EST.


@pytest.mark.parametrize(
    ("tz", "day", "jump_utc"),
    [
        (BERLIN, (2026, 3, 29), utc(2026, 3, 29, 1, 0)),
        (NEW_YORK, (2026, 3, 8), utc(2026, 3, 8, 7, 0)),
    ],
    ids=["berlin", "new-york"],
)
def test_slot_starting_at_0230_on_spring_forward_day_starts_when_the_clock_jumps(
    tz: ZoneInfo, day: tuple[int, int, int], jump_utc: datetime
) -> None:
    # 02:30 never shows on the clock that night; the slot starts at the first instant after.
    slots = [
        slot(1, SUNDAY, "00:00", "02:30", ANN.id),
        slot(2, SUNDAY, "02:30", "09:00", BOB.id),
    ]
    start = local(tz, *day, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=12), tz)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [
        (jump_utc, 2),
        (local(tz, *day, 9, 0).astimezone(UTC), None),
    ]
    assert result[0].at.astimezone(tz).hour == 3  # 03:00 summer time
    assert slot_id(on_call_at(slots, PEOPLE, jump_utc - timedelta(seconds=1), tz)) == 1
    assert slot_id(on_call_at(slots, PEOPLE, jump_utc, tz)) == 2


@pytest.mark.parametrize(
    ("tz", "day", "jump_utc"),
    [
        (BERLIN, (2026, 3, 29), utc(2026, 3, 29, 1, 0)),
        (NEW_YORK, (2026, 3, 8), utc(2026, 3, 8, 7, 0)),
    ],
    ids=["berlin", "new-york"],
)
def test_slot_lying_entirely_in_the_spring_forward_gap_is_never_on_call(
    tz: ZoneInfo, day: tuple[int, int, int], jump_utc: datetime
) -> None:
    slots = [
        slot(1, SUNDAY, "00:00", "02:10", ANN.id),
        slot(2, SUNDAY, "02:10", "02:50", BOB.id),  # 02:10-02:50 does not exist that night
        slot(3, SUNDAY, "02:50", "12:00", CID.id),
    ]
    start = local(tz, *day, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=6), tz)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [(jump_utc, 3)]


@pytest.mark.parametrize(
    ("tz", "day", "wall", "first_utc", "second_utc"),
    [
        # Berlin repeats 02:00-03:00: 02:30 CEST is 00:30 UTC, 02:30 CET is 01:30 UTC.
        (BERLIN, (2026, 10, 25), "02:30", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
        # New York repeats 01:00-02:00: 01:30 EDT is 05:30 UTC, 01:30 EST is 06:30 UTC.
        (NEW_YORK, (2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
    ],
    ids=["berlin", "new-york"],
)
def test_handover_in_the_repeated_fall_back_hour_happens_once_at_first_occurrence(
    tz: ZoneInfo, day: tuple[int, int, int], wall: str, first_utc: datetime, second_utc: datetime
) -> None:
    slots = [
        slot(1, SUNDAY, "00:00", wall, ANN.id),
        slot(2, SUNDAY, wall, "09:00", BOB.id),
    ]
    start = local(tz, *day, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=6), tz)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [(first_utc, 2)]
    # When the clock replays the hour, Bob stays on call: Ann does not come back.
    replay_start = second_utc - timedelta(minutes=30)
    for minutes in range(0, 61, 5):
        at = replay_start + timedelta(minutes=minutes)
        assert slot_id(on_call_at(slots, PEOPLE, at, tz)) == 2, at
    assert slot_id(on_call_at(slots, PEOPLE, first_utc - timedelta(seconds=1), tz)) == 1


def test_slot_inside_the_repeated_hour_is_on_call_only_during_the_first_pass() -> None:
    # Berlin, 25 October: 02:15-02:45 happens at 00:15 UTC (CEST) and again at 01:15 UTC (CET).
    slots = [
        slot(1, SUNDAY, "00:00", "02:15", ANN.id),
        slot(2, SUNDAY, "02:15", "02:45", BOB.id),
        slot(3, SUNDAY, "02:45", "09:00", CID.id),
    ]
    start = local(BERLIN, 2026, 10, 25, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=6), BERLIN)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [
        (utc(2026, 10, 25, 0, 15), 2),
        (utc(2026, 10, 25, 0, 45), 3),
    ]
    assert slot_id(on_call_at(slots, PEOPLE, utc(2026, 10, 25, 1, 20), BERLIN)) == 3


def test_handover_at_the_end_of_the_repeated_hour_waits_for_the_second_pass() -> None:
    # 03:00 in Berlin on 25 October happens once, after the replayed hour: 02:00 UTC.
    slots = [
        slot(1, SUNDAY, "00:00", "03:00", ANN.id),
        slot(2, SUNDAY, "03:00", "09:00", BOB.id),
    ]
    start = local(BERLIN, 2026, 10, 25, 0, 0)

    result = handovers(slots, PEOPLE, start, start + timedelta(hours=6), BERLIN)

    assert [(h.at, slot_id(h.on_call)) for h in result] == [(utc(2026, 10, 25, 2, 0), 2)]
    assert slot_id(on_call_at(slots, PEOPLE, utc(2026, 10, 25, 1, 59), BERLIN)) == 1


def test_second_pass_of_the_repeated_hour_is_recognised_from_a_fold_one_local_time() -> None:
    slots = [
        slot(1, SUNDAY, "00:00", "01:30", ANN.id),
        slot(2, SUNDAY, "01:30", "09:00", BOB.id),
    ]
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


# ---------------------------------------------------------------------- schedule checks


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
