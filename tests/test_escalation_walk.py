"""When a ticket escalates and whom it pages, told as the team lives it (fake clock only).

Escalation walks people, not positions: every step pages the first person of the chain in
force at that moment who has not been paged in this round, then the team group, then the next
round. Handovers, people leaving and joining, late polls and ownership are played minute by
minute with the decisions applied the way the dashboard applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest

from escalation import (
    Action,
    Decision,
    Person,
    Policy,
    Reason,
    Target,
    TargetKind,
    TicketState,
    decide,
    is_handled,
    next_target,
    on_call_at,
)
from weekly_schedule import MONDAY, Slot

UTC_ZONE = ZoneInfo("UTC")
POLICY = Policy(timeout=timedelta(minutes=15))  # 30 min to answer after "seen", one repeat
T0 = datetime(2026, 1, 5, 9, 50, tzinfo=UTC)  # a Monday

ANN = Person(1, "Ann", telegram_id=101)
BOB = Person(2, "Bob", telegram_id=102)
CID = Person(3, "Cid", telegram_id=103)
PIA = Person(21, "Pia", telegram_id=121)
BEN = Person(22, "Ben", telegram_id=122)
CAT = Person(23, "Cat", telegram_id=123)
PAT = Person(31, "Pat", telegram_id=131)
CY = Person(33, "Cy", telegram_id=133)
ZOE = Person(10, "Zoe", telegram_id=110, is_admin=True)
CHAIN = (ANN, BOB, CID)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def person(target: Target | None) -> Target:
    assert target is not None
    return target


# --------------------------------------------------------------------------- single decisions


def test_round_walks_the_people_then_the_group_then_repeats() -> None:
    ticket = TicketState("open")
    targets = []
    while (target := next_target(ticket, CHAIN, POLICY)) is not None:
        targets.append((target.kind.value, target.person_id, target.round))
        ticket = apply(ticket, Decision(Action.NOTIFY, target, planned_at=T0))
        assert len(targets) < 20, "next_target never ran out"
    assert targets == [
        ("person", 1, 0),
        ("person", 2, 0),
        ("person", 3, 0),
        ("group", None, 0),
        ("person", 1, 1),
        ("person", 2, 1),
        ("person", 3, 1),
        ("group", None, 1),
    ]


@pytest.mark.parametrize(
    ("ticket", "handled"),
    [
        (TicketState("open"), False),
        (TicketState("open", level=3, last_escalated_at=T0), False),
        (TicketState("open", acknowledged_at=T0), True),
        (TicketState("open", assignee_id=ANN.id), True),
        (TicketState("open", answered=True), True),
        (TicketState("in_progress"), True),
        (TicketState("resolved"), True),
    ],
    ids=["new", "escalating", "acknowledged", "assigned", "answered", "in-progress", "resolved"],
)
def test_ticket_counts_as_handled_once_someone_took_it(ticket: TicketState, handled: bool) -> None:
    assert is_handled(ticket) is handled


@pytest.mark.parametrize(
    ("ticket", "now", "action", "reason", "next_minute"),
    [
        (TicketState("resolved", acknowledged_at=T0), 60, Action.STOP, Reason.RESOLVED, None),
        (TicketState("open", level=1, answered=True), 60, Action.STOP, Reason.ANSWERED, None),
        (
            TicketState("open", level=1, last_escalated_at=T0),
            14,
            Action.WAIT,
            Reason.NEXT_LEVEL,
            15,
        ),
        (TicketState("open", acknowledged_at=minutes(5)), 34, Action.WAIT, Reason.ACKNOWLEDGED, 35),
        (
            TicketState("open", acknowledged_at=minutes(5)),
            35,
            Action.REMIND,
            Reason.ACKNOWLEDGED_NO_ANSWER,
            50,
        ),
        (
            TicketState("in_progress", acknowledged_at=minutes(5), assignee_id=ANN.id),
            34,
            Action.WAIT,
            Reason.OWNED,
            35,
        ),
    ],
    ids=["resolved", "answered", "waits", "acked-waits", "acked-reminded", "taken-waits"],
)
def test_decide(
    ticket: TicketState, now: int, action: Action, reason: Reason, next_minute: int | None
) -> None:
    decision = decide(ticket, CHAIN, POLICY, minutes(now))
    assert (decision.action, decision.reason) == (action, reason)
    assert decision.next_at == (None if next_minute is None else minutes(next_minute))


def test_decide_accepts_the_status_enum_the_models_use() -> None:
    class Status(StrEnum):
        OPEN = "open"
        RESOLVED = "resolved"

    assert decide(TicketState(Status.RESOLVED), CHAIN, POLICY, T0).reason == Reason.RESOLVED
    assert decide(TicketState(Status.OPEN), CHAIN, POLICY, T0).action is Action.NOTIFY


def test_new_ticket_with_nobody_on_call_still_reaches_the_group() -> None:
    decision = decide(TicketState("open"), (), POLICY, T0)
    assert decision.target == Target(1, TargetKind.GROUP, None, 0)


def test_naive_now_and_impossible_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        decide(TicketState("open"), CHAIN, POLICY, datetime(2026, 1, 5, 10))  # noqa: DTZ001
    with pytest.raises(ValueError):
        Policy(timeout=timedelta(0))
    with pytest.raises(ValueError):
        Policy(timeout=timedelta(minutes=1), owner_silence=timedelta(0))


# ---------------------------------------------------------------- simulated escalation runs


@dataclass
class Run:
    """The escalation job played on a fake clock, applying decisions like the dashboard."""

    chain_at: Callable[[datetime], Sequence[Person]]
    policy: Policy = POLICY
    ticket: TicketState = field(default_factory=lambda: TicketState("open"))
    log: list[tuple[float, str]] = field(default_factory=list)
    last: Decision = field(default_factory=lambda: Decision(Action.WAIT))

    def play(
        self,
        until: float,
        *,
        step: float = 1,
        late: float = 0,
        events: dict[float, Callable[[TicketState, datetime], TicketState]] | None = None,
    ) -> list[tuple[float, str]]:
        """Poll every `step` minutes (each poll `late` minutes after its due time at most)."""
        events = dict(events or {})
        now = T0
        polls = 0
        while now <= minutes(until):
            for at in [at for at in events if minutes(at) <= now]:
                self.ticket = events.pop(at)(self.ticket, now)
            self.last = decide(self.ticket, self.chain_at(now), self.policy, now)
            if self.last.action is Action.STOP:
                break
            if self.last.action is Action.NOTIFY:
                self.log.append((minute(now), name(self.last.target)))
            elif self.last.action is Action.REMIND:
                self.log.append((minute(now), "reminder"))
            self.ticket = apply(self.ticket, self.last)
            assert self.last.next_at is not None and self.last.next_at >= now
            polls += 1
            assert polls < 5000, "the job never got past one instant"
            now = min(now + timedelta(minutes=step), self.last.next_at + timedelta(minutes=late))
        return self.log


def apply(ticket: TicketState, decision: Decision) -> TicketState:
    """What the dashboard stores after a decision."""
    if decision.action is Action.REMIND:
        return replace(ticket, reminded_at=decision.planned_at)
    if decision.action is not Action.NOTIFY:
        return ticket
    target = person(decision.target)
    fresh = target.round != ticket.round
    paged = frozenset() if fresh else ticket.paged
    group = False if fresh else ticket.group_paged
    if target.kind is TargetKind.PERSON:
        paged |= {target.person_id}
    else:
        group = True
    return replace(
        ticket,
        level=target.level,
        round=target.round,
        paged=paged,
        group_paged=group,
        last_escalated_at=decision.planned_at,
    )


NAMES = {p.id: p.name for p in (ANN, BOB, CID, PIA, BEN, CAT, PAT, CY, ZOE)}


def name(target: Target | None) -> str:
    target = person(target)
    return "group" if target.kind is TargetKind.GROUP else NAMES[target.person_id]


def minute(at: datetime) -> float:
    return (at - T0) / timedelta(minutes=1)


def always(*chain: Person) -> Callable[[datetime], Sequence[Person]]:
    return lambda _now: chain


def handover_at(
    minute_: float, before: Sequence[Person], after: Sequence[Person]
) -> Callable[[datetime], Sequence[Person]]:
    return lambda now: before if now < minutes(minute_) else after


@pytest.mark.parametrize(
    ("chain_at", "walk"),
    [
        pytest.param(
            always(*CHAIN),
            [
                (0, "Ann"),
                (15, "Bob"),
                (30, "Cid"),
                (45, "group"),
                (60, "Ann"),
                (75, "Bob"),
                (90, "Cid"),
                (105, "group"),
            ],
            id="primary-backups-group-then-the-repeat",
        ),
        pytest.param(
            # Pia, Ben, Cat until 10:00, then Pat alone: the repeat pages Pat again.
            handover_at(10, (PIA, BEN, CAT), (PAT,)),
            [(0, "Pia"), (15, "Pat"), (30, "group"), (45, "Pat"), (60, "group")],
            id="handover-into-a-one-person-slot-keeps-the-repeat",
        ),
    ],
)
def test_unanswered_ticket_walks_the_chain_and_the_group_repeats_once_then_stops(
    chain_at: Callable[[datetime], Sequence[Person]], walk: list[tuple[float, str]]
) -> None:
    run = Run(chain_at)
    assert run.play(600) == walk
    assert run.last.reason == Reason.EXHAUSTED


def test_handover_to_a_new_team_brings_the_new_primary_in_at_the_next_step() -> None:
    # Pia, Ben, Cat until 10:00, then Pat, Cid, Cy; the ticket comes at 09:50.
    run = Run(handover_at(10, (PIA, BEN, CAT), (PAT, CID, CY)))
    assert run.play(600)[:5] == [
        (0, "Pia"),
        (15, "Pat"),
        (30, "Cid"),
        (45, "Cy"),
        (60, "group"),
    ]
    assert run.log[5:] == [(75, "Pat"), (90, "Cid"), (105, "Cy"), (120, "group")]


def test_handover_into_an_uncovered_hour_pages_the_admins_before_the_group() -> None:
    slots = [Slot(1, MONDAY, time(0), time(10), PIA.id, (BEN.id,))]
    people = {p.id: p for p in (PIA, BEN, ZOE)}
    run = Run(lambda now: on_call_at(slots, people, now, UTC_ZONE).chain)
    assert run.play(50) == [(0, "Pia"), (15, "Zoe"), (30, "group"), (45, "Zoe")]


def test_someone_leaving_after_being_paged_never_makes_the_next_level_skip_a_backup() -> None:
    # Ann is paged at level 1, then unlinked: the chain shrinks to Bob, Cid.
    run = Run(handover_at(5, (ANN, BOB, CID), (BOB, CID)))
    assert run.play(46) == [(0, "Ann"), (15, "Bob"), (30, "Cid"), (45, "group")]


def test_someone_joining_between_levels_is_paged_in_this_round() -> None:
    run = Run(handover_at(20, (ANN, BOB), (ANN, BOB, CID)))
    assert run.play(46) == [(0, "Ann"), (15, "Bob"), (30, "Cid"), (45, "group")]


def test_nobody_reachable_is_retried_every_timeout_until_someone_is() -> None:
    policy = Policy(timedelta(minutes=15), has_group=False)
    run = Run(handover_at(40, (), (BOB,)), policy=policy)
    assert run.play(50, step=600) == [(45, "Bob")]  # the poller asks at next_at
    first = decide(TicketState("open"), (), policy, T0)
    assert (first.action, first.reason, first.next_at) == (
        Action.WAIT,
        Reason.NOBODY_REACHABLE,
        minutes(15),
    )


def test_with_nobody_reachable_the_group_hears_each_round_then_retries_go_on() -> None:
    policy = Policy(timedelta(minutes=15), repeats=1)
    run = Run(handover_at(100, (), (BOB,)), policy=policy)
    assert run.play(130, step=600) == [(0, "group"), (15, "group"), (105, "Bob")]


def test_chain_emptied_mid_escalation_without_a_group_waits_for_someone_reachable() -> None:
    policy = Policy(timedelta(minutes=15), repeats=0, has_group=False)
    run = Run(lambda now: (ANN,) if now < minutes(5) else () if now < minutes(100) else (BOB,))
    run.policy = policy
    assert run.play(130, step=600) == [(0, "Ann"), (105, "Bob")]


def test_late_polls_never_add_up_lateness_between_levels() -> None:
    # Each poll runs 0.5 minutes after the step fell due (a slow dashboard, a busy bot).
    run = Run(always(*CHAIN))
    pages = run.play(600, step=60, late=0.5)
    assert [at for at, _ in pages] == [0, 15.5, 30.5, 45.5, 60.5, 75.5, 90.5, 105.5]
    assert run.ticket.last_escalated_at == minutes(105)  # the plan, not the late poll


def test_an_outage_longer_than_a_timeout_pages_one_level_not_a_burst() -> None:
    run = Run(always(*CHAIN))
    run.play(0)
    run.last = decide(run.ticket, CHAIN, POLICY, minutes(120))
    assert (run.last.action, name(run.last.target)) == (Action.NOTIFY, "Bob")
    assert run.last.next_at == minutes(135)


def test_acknowledged_ticket_is_reminded_then_escalation_resumes_where_it_paused() -> None:
    def acknowledge(ticket: TicketState, now: datetime) -> TicketState:
        return replace(ticket, acknowledged_at=now)

    run = Run(always(*CHAIN))
    assert run.play(600, events={20: acknowledge}) == [
        (0, "Ann"),
        (15, "Bob"),
        (50, "reminder"),  # Bob said "seen" at 20 and had 30 minutes to answer
        (65, "Cid"),  # one more timeout after the reminder, the chain carries on
        (80, "group"),
        (95, "Ann"),
        (110, "Bob"),
        (125, "Cid"),
        (140, "group"),
    ]


def take(ticket: TicketState, now: datetime) -> TicketState:
    return replace(ticket, acknowledged_at=now, assignee_id=BOB.id, status="in_progress")


def test_a_taken_ticket_pages_nobody_else_and_reminds_its_owner_every_ack_timeout() -> None:
    run = Run(always(*CHAIN))
    assert run.play(200, events={3: take}) == [
        (0, "Ann"),
        (33, "reminder"),
        (63, "reminder"),
        (93, "reminder"),
        (123, "reminder"),
        (153, "reminder"),
        (183, "reminder"),
    ]


def test_owner_silence_setting_brings_the_chain_back_for_a_silent_owner() -> None:
    policy = replace(POLICY, owner_silence=timedelta(minutes=60))
    run = Run(always(*CHAIN), policy=policy)
    assert run.play(100, events={3: take}) == [
        (0, "Ann"),
        (33, "reminder"),
        (63, "Bob"),
        (63, "reminder"),
        (78, "Cid"),
        (93, "group"),
        (93, "reminder"),
    ]


def test_resolving_during_the_reminder_wait_stops_everything() -> None:
    def resolve(ticket: TicketState, now: datetime) -> TicketState:
        return replace(ticket, status="resolved")

    run = Run(always(*CHAIN))
    assert run.play(600, events={3: take, 40: resolve}) == [(0, "Ann"), (33, "reminder")]
    assert run.last.reason == Reason.RESOLVED


def test_decision_next_at_is_when_the_next_step_happens() -> None:
    # The job does not need to poll every minute: sleeping until next_at gives the same pages.
    run = Run(always(*CHAIN))
    assert [at for at, _ in run.play(600, step=600)] == [0, 15, 30, 45, 60, 75, 90, 105]
