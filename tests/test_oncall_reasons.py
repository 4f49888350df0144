"""Why the schedule names nobody the bot can page: `OnCall.unreachable`, told as the team sees it.

Kept apart from tests/test_escalation_on_call.py; these only read the on-call part of
escalation.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from escalation import Person, Unreachable, on_call_at
from weekly_schedule import Slot

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin

ANN = Person(1, "Ann", telegram_id=101)
UNLINKED = Person(2, "Una", telegram_id=None)
GONE = Person(3, "Gus", telegram_id=103, active=False)
GONE_UNLINKED = Person(4, "Gil", telegram_id=None, active=False)
ADA = Person(10, "Ada", telegram_id=110, is_admin=True)
ADMIN_UNLINKED = Person(11, "Admin", telegram_id=None, is_admin=True)


def monday(*person_ids: int) -> list[Slot]:
    """One slot, Monday 09:00-17:00, with these people (primary first)."""
    primary, *backups = person_ids
    return [Slot(1, 0, time(9), time(17), primary, tuple(backups))]


def team(*people: Person) -> dict[int, Person]:
    return {p.id: p for p in people}


def test_someone_reachable_in_the_slot_means_no_reason() -> None:
    on_call = on_call_at(monday(UNLINKED.id, ANN.id), team(ANN, UNLINKED), MONDAY_10, BERLIN)

    assert on_call.primary == ANN
    assert on_call.unreachable is None


def test_fresh_install_no_slot_and_no_admin_linked_nobody_can_be_paged() -> None:
    on_call = on_call_at([], team(ADMIN_UNLINKED), MONDAY_10, BERLIN)

    assert on_call.chain == ()
    assert on_call.unreachable is Unreachable.NO_SLOT


def test_uncovered_hour_with_a_linked_admin_gives_the_reason_and_the_admins() -> None:
    on_call = on_call_at([], team(ADA, ANN), MONDAY_10, BERLIN)

    assert on_call.chain == (ADA,)
    assert on_call.unreachable is Unreachable.NO_SLOT


@pytest.mark.parametrize(
    ("people", "reason"),
    [
        ((UNLINKED,), Unreachable.NOBODY_LINKED),
        ((GONE,), Unreachable.EVERYONE_INACTIVE),
        ((GONE_UNLINKED,), Unreachable.EVERYONE_INACTIVE),  # deactivated says it all
        ((GONE, UNLINKED), Unreachable.NOBODY_REACHABLE),
    ],
    ids=["nobody linked", "everyone deactivated", "deactivated and unlinked", "a mix"],
)
def test_a_slot_with_nobody_reachable_says_why(people, reason) -> None:
    slots = monday(*(p.id for p in people))

    on_call = on_call_at(slots, team(ADMIN_UNLINKED, *people), MONDAY_10, BERLIN)

    assert on_call.chain == ()
    assert on_call.unreachable is reason


def test_a_slot_naming_a_user_that_no_longer_exists_is_nobody_reachable() -> None:
    on_call = on_call_at(monday(99), team(ADMIN_UNLINKED), MONDAY_10, BERLIN)

    assert on_call.unreachable is Unreachable.NOBODY_REACHABLE


def test_the_reason_stays_while_the_admins_stand_in() -> None:
    on_call = on_call_at(monday(UNLINKED.id), team(ADA, UNLINKED), MONDAY_10, BERLIN)

    assert on_call.chain == (ADA,)
    assert on_call.fallback is True
    assert on_call.unreachable is Unreachable.NOBODY_LINKED


def test_reasons_are_json_ready_strings() -> None:
    assert [r.value for r in Unreachable] == [
        "no_slot",
        "nobody_linked",
        "everyone_inactive",
        "nobody_reachable",
    ]
