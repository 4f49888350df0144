"""Who is on call, and when a ticket escalates: pure domain logic.

Nothing here reads a clock, a database or the network. Every function takes the instant it
reasons about as an argument, so the bot, the dashboard and the tests all get the same answer
for the same inputs. Datetimes must be aware; naive ones are rejected with ValueError because a
naive datetime in a multi-zone product is a bug waiting for the next DST change.

The week a schedule repeats in (slots, wall-clock time in the team's zone, the DST nights) is
`weekly_schedule.py`; who of the slots, rotations and overrides is on call at an instant is
`on_call_schedule.py` (`lineup_at`); this module says which of them can be paged, and when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from on_call_schedule import Duty, Lineup, Override, Schedule, boundaries, lineup_at
from rotations import Rotation
from weekly_schedule import Slot, require_aware


class TicketStatus(StrEnum):
    """A ticket's status; the dashboard's models use this very enum."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


# -------------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    """Someone who can be paged: a dashboard user, possibly linked to a Telegram account."""

    id: int
    name: str
    telegram_id: int | None
    active: bool = True
    is_admin: bool = False

    @property
    def reachable(self) -> bool:
        """True when the bot can actually page this person."""
        return self.active and self.telegram_id is not None


# --------------------------------------------------------------------------------- on call


@dataclass(frozen=True)
class Skipped:
    """A person of a slot who cannot be paged, and why: inactive, no_telegram or unknown_user."""

    person_id: int
    name: str
    reason: str


class Unreachable(StrEnum):
    """Why the schedule names nobody the bot can page at an instant."""

    NO_SLOT = "no_slot"  # no slot covers the instant
    NOBODY_LINKED = "nobody_linked"  # the slot's people are active, none has Telegram linked
    EVERYONE_INACTIVE = "everyone_inactive"  # every person of the slot is deactivated
    NOBODY_REACHABLE = "nobody_reachable"  # some of each, or users that no longer exist


@dataclass(frozen=True)
class OnCall:
    """Who is on call at an instant, in paging order, and who of the schedule was left out.

    `duties` is the schedule's answer (`on_call_schedule.lineup_at`): everyone it names, in
    their roles, reachable or not; `chain` is who of them the bot can page.
    """

    at: datetime
    slot: Slot | None
    chain: tuple[Person, ...]
    skipped: tuple[Skipped, ...]
    fallback: bool
    duties: tuple[Duty, ...] = ()

    @property
    def primary(self) -> Person | None:
        """The first person to page, or None when nobody can be paged."""
        return self.chain[0] if self.chain else None

    @property
    def unreachable(self) -> Unreachable | None:
        """Why the schedule names nobody reachable, or None when someone of the slot is.

        Set exactly when `fallback` is: the chain is then the reachable admins, and when it is
        empty nobody can be paged at all (no active admin has Telegram linked either).
        """
        if not self.fallback:
            return None
        if not self.skipped:
            # No slot, an override of nobody, or a rotation before its first handoff: the
            # schedule names nobody at all.
            return Unreachable.NO_SLOT
        # The reasons are the ones `_reachable` writes into `Skipped`.
        reasons = {s.reason for s in self.skipped}
        if reasons == {"no_telegram"}:
            return Unreachable.NOBODY_LINKED
        if reasons == {"inactive"}:
            return Unreachable.EVERYONE_INACTIVE
        return Unreachable.NOBODY_REACHABLE


def _reachable(
    person_ids: Sequence[int], people: Mapping[int, Person]
) -> tuple[tuple[Person, ...], tuple[Skipped, ...]]:
    """The reachable people of the schedule's answer in order, and the ones left out."""
    chain: list[Person] = []
    skipped: list[Skipped] = []
    seen: set[int] = set()
    for person_id in person_ids:
        # A person listed twice (primary and backup) is paged once, at the first position.
        if person_id in seen:
            continue
        seen.add(person_id)
        person = people.get(person_id)
        if person is None:
            skipped.append(Skipped(person_id, f"user #{person_id}", "unknown_user"))
        elif not person.active:
            skipped.append(Skipped(person.id, person.name, "inactive"))
        elif person.telegram_id is None:
            skipped.append(Skipped(person.id, person.name, "no_telegram"))
        else:
            chain.append(person)
    return tuple(chain), tuple(skipped)


def _admin_chain(people: Mapping[int, Person]) -> tuple[Person, ...]:
    """Reachable admins, the fallback when the schedule names nobody reachable."""
    admins = (p for p in people.values() if p.is_admin and p.reachable)
    return tuple(sorted(admins, key=lambda p: (p.name, p.id)))


def _on_call(lineup: Lineup, people: Mapping[int, Person]) -> OnCall:
    """The schedule's answer at an instant, reduced to whom the bot can page."""
    chain, skipped = _reachable(lineup.person_ids, people)
    fallback = not chain
    return OnCall(
        at=lineup.at,
        slot=lineup.slot,
        chain=_admin_chain(people) if fallback else chain,
        skipped=skipped,
        fallback=fallback,
        duties=lineup.duties,
    )


def on_call_at(
    slots: Sequence[Slot],
    people: Mapping[int, Person],
    at: datetime,
    tz: ZoneInfo,
    rotations: Sequence[Rotation] = (),
    overrides: Sequence[Override] = (),
) -> OnCall:
    """Who is on call at instant `at`, for a schedule written in zone `tz`.

    Who the schedule names (slots, the rotations they name, overrides) is
    `on_call_schedule.lineup_at`. Falls back to the reachable admins (fallback=True) when it
    names nobody or when everyone it names is unreachable; in the latter case `skipped` still
    lists them so the dashboard can say why.
    """
    require_aware(at, "at")
    schedule = Schedule(tuple(slots), tz, tuple(rotations), tuple(overrides))
    return _on_call(lineup_at(schedule, at), people)


@dataclass(frozen=True)
class Handover:
    """The on-call chain changes at `at` (UTC) to `on_call`."""

    at: datetime
    on_call: OnCall


def handovers(
    slots: Sequence[Slot],
    people: Mapping[int, Person],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    rotations: Sequence[Rotation] = (),
    overrides: Sequence[Override] = (),
) -> list[Handover]:
    """Every instant in (start, end] where the covering slot or the chain changes, in order.

    Only slot starts and ends, rotation handoffs and override starts and ends can change who is
    on call (`on_call_schedule.boundaries`), so they are the only candidates. One that changes
    nothing (a slot lying entirely in a spring-forward gap, a slot ending where it did not win
    an overlap, a one-member rotation handing over to itself) is dropped. A new slot with the
    very same people is still reported, since the dashboard shows slots. Each handover agrees
    with `on_call_at` at its instant.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    schedule = Schedule(tuple(slots), tz, tuple(rotations), tuple(overrides))
    previous = _on_call(lineup_at(schedule, start), people)
    result: list[Handover] = []
    for instant in sorted(boundaries(schedule, start, end)):
        current = _on_call(lineup_at(schedule, instant), people)
        if (current.slot, current.chain) != (previous.slot, previous.chain):
            result.append(Handover(at=instant, on_call=current))
        previous = current
    return result


# ------------------------------------------------------------------------------ escalation


class Action(StrEnum):
    """What the escalation job should do with a ticket now."""

    NOTIFY = "notify"
    REMIND = "remind"
    WAIT = "wait"
    STOP = "stop"
    # Never decided here: the dashboard's answer when another claim took the step first.
    CONFLICT = "conflict"


class Reason(StrEnum):
    """Why `decide` answered what it did; shown in the API and the bot's log."""

    RESOLVED = "resolved"
    ANSWERED = "answered"
    ACKNOWLEDGED = "acknowledged"
    ACKNOWLEDGED_NO_ANSWER = "acknowledged, no answer"
    REMINDED = "reminded, waiting for an answer"
    OWNED = "taken, waiting for the owner's answer"
    OWNER_NO_ANSWER = "taken, no answer yet"
    OWNER_SILENT = "taken, the owner is silent: paging the chain"
    NEXT_LEVEL = "waiting for the next level"
    LAST_LEVEL = "waiting on the last level"
    LEVEL = "next level"
    NOBODY_REACHABLE = "nobody can be paged now: trying again after a timeout"
    EXHAUSTED = "chain exhausted"


class TargetKind(StrEnum):
    PERSON = "person"
    GROUP = "group"


@dataclass(frozen=True)
class Policy:
    """The team's escalation settings.

    `owner_silence`: when set, a taken ticket whose owner has not answered for that long pages
    the chain again; by default a taken ticket only ever reminds its owner.
    """

    timeout: timedelta
    ack_timeout: timedelta = timedelta(minutes=30)
    repeats: int = 1
    has_group: bool = True
    owner_silence: timedelta | None = None

    def __post_init__(self) -> None:
        # A zero timeout would page the whole chain in one go; refuse it rather than spam.
        if self.timeout <= timedelta(0) or self.ack_timeout <= timedelta(0):
            raise ValueError("timeout and ack_timeout must be positive")
        if self.repeats < 0:
            raise ValueError(f"repeats must be >= 0, got {self.repeats}")
        if self.owner_silence is not None and self.owner_silence <= timedelta(0):
            raise ValueError("owner_silence must be positive (or None for never)")


@dataclass(frozen=True)
class TicketState:
    """What escalation needs to know about a ticket.

    `level` counts the steps taken so far (1 is the first page); `round` is the pass through
    the chain that step belonged to, and `paged` / `group_paged` say who was already paged in
    that round. `last_escalated_at` and `reminded_at` are the instants those steps were due by
    the plan, not when a poll happened to run them, so lateness never adds up.
    `acknowledged_at` starts the owner's clock once a ticket is taken or assigned.
    """

    status: TicketStatus | str
    level: int = 0
    last_escalated_at: datetime | None = None
    acknowledged_at: datetime | None = None
    reminded_at: datetime | None = None
    answered: bool = False
    assignee_id: int | None = None
    round: int = 0
    paged: frozenset[int] = frozenset()
    group_paged: bool = False

    def __post_init__(self) -> None:
        # An unknown status (a typo like "in-progress") would otherwise read as "open" and page.
        try:
            object.__setattr__(self, "status", TicketStatus(self.status))
        except ValueError:
            known = ", ".join(s.value for s in TicketStatus)
            raise ValueError(f"status must be one of {known}, got {self.status!r}") from None
        if self.level < 0 or self.round < 0:
            raise ValueError(f"level and round must be >= 0, got {self.level}, {self.round}")
        for name in ("last_escalated_at", "acknowledged_at", "reminded_at"):
            value = getattr(self, name)
            if value is not None:
                require_aware(value, name)

    @property
    def owned(self) -> bool:
        """Taken, assigned or in progress: somebody owns it, so nobody else is paged."""
        return self.assignee_id is not None or self.status is TicketStatus.IN_PROGRESS


@dataclass(frozen=True)
class Target:
    """One escalation step: a person (by id) or the team group, in a round of the chain."""

    level: int
    kind: TargetKind
    person_id: int | None
    round: int


@dataclass(frozen=True)
class Decision:
    """The outcome of `decide`: what to do now and when to look at the ticket again.

    `planned_at` is the instant the step was due by the plan: the caller records it (as
    `last_escalated_at` after NOTIFY, `reminded_at` after REMIND) instead of the moment it ran.
    """

    action: Action
    target: Target | None = None
    next_at: datetime | None = None
    reason: Reason | str = ""
    planned_at: datetime | None = None


def is_handled(ticket: TicketState) -> bool:
    """True once a human has taken the ticket in any way."""
    return (
        ticket.acknowledged_at is not None
        or ticket.assignee_id is not None
        or ticket.answered
        or ticket.status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED)
    )


def next_target(ticket: TicketState, chain: Sequence[Person], policy: Policy) -> Target | None:
    """Whom step `ticket.level + 1` pages, or None when the rounds are exhausted.

    Escalation walks people, not positions: each step pages the first person of the chain in
    force now who has not been paged in this round, so a handover brings the new primary in at
    the next step and someone who left never shifts the others. When everyone has been paged
    the team group is, then the next round starts, `1 + policy.repeats` rounds in all.
    """
    level = ticket.level + 1
    for round_ in range(ticket.round, policy.repeats + 1):
        fresh = round_ != ticket.round
        paged = frozenset() if fresh else ticket.paged
        for person in chain:
            if person.id not in paged:
                return Target(level, TargetKind.PERSON, person.id, round_)
        if policy.has_group and (fresh or not ticket.group_paged):
            return Target(level, TargetKind.GROUP, None, round_)
        if not chain and not policy.has_group:
            return None
    return None


def _plan(due: datetime, now: datetime, policy: Policy) -> datetime:
    """The instant a step that fell due at `due` counts as taken.

    A poll a few seconds late keeps the plan, so the next level is still due one timeout after
    this one was due. After an outage longer than a timeout the plan starts again from now:
    otherwise every overdue level would fire in one burst.
    """
    return due if now - due < policy.timeout else now


def _escalate(
    ticket: TicketState, chain: Sequence[Person], policy: Policy, now: datetime, due: datetime
) -> Decision:
    """Page the next target if its step is due; wait, retry later or stop otherwise."""
    target = next_target(ticket, chain, policy)
    if now < due:
        reason = Reason.LAST_LEVEL if target is None and chain else Reason.NEXT_LEVEL
        return Decision(Action.WAIT, next_at=due, reason=reason)
    if target is None:
        if not chain:
            # Nobody can be paged now; someone may be linked or come on call any minute, so
            # look again after a timeout instead of ending escalation silently.
            return Decision(
                Action.WAIT, next_at=now + policy.timeout, reason=Reason.NOBODY_REACHABLE
            )
        return Decision(Action.STOP, reason=Reason.EXHAUSTED)
    planned = _plan(due, now, policy)
    return Decision(Action.NOTIFY, target, planned + policy.timeout, Reason.LEVEL, planned)


def _owned(ticket: TicketState, chain: Sequence[Person], policy: Policy, now: datetime) -> Decision:
    """A taken ticket reminds its owner every ack timeout; it pages the chain again only when
    the team asked for that (`owner_silence`) and the owner has been silent that long."""
    start = ticket.acknowledged_at or now
    last_reminder = (
        ticket.reminded_at if ticket.reminded_at and ticket.reminded_at >= start else None
    )
    remind_at = (last_reminder or start) + policy.ack_timeout
    page_at = None
    if policy.owner_silence is not None:
        page_at = start + policy.owner_silence
        if ticket.last_escalated_at is not None and ticket.last_escalated_at >= page_at:
            page_at = ticket.last_escalated_at + policy.timeout
        if now >= page_at:
            decision = _escalate(ticket, chain, policy, now, page_at)
            if decision.action is Action.NOTIFY:
                # The owner's reminder keeps its own rhythm beside the pages.
                next_at = min(decision.next_at or remind_at, remind_at)
                return replace(decision, next_at=next_at, reason=Reason.OWNER_SILENT)
            page_at = None if decision.action is Action.STOP else decision.next_at
    if now >= remind_at:
        planned = _plan(remind_at, now, policy)
        next_at = planned + policy.ack_timeout
        if page_at is not None:
            next_at = min(next_at, page_at)
        return Decision(
            Action.REMIND, next_at=next_at, reason=Reason.OWNER_NO_ANSWER, planned_at=planned
        )
    next_at = remind_at if page_at is None else min(remind_at, page_at)
    return Decision(Action.WAIT, next_at=next_at, reason=Reason.OWNED)


def decide(ticket: TicketState, chain: Sequence[Person], policy: Policy, now: datetime) -> Decision:
    """What to do with a ticket at `now`: notify the next target, remind, wait or stop.

    `chain` is who is on call at `now`, in paging order. The caller applies the decision
    (after NOTIFY: level, round, `paged` and `last_escalated_at = planned_at`; after REMIND:
    `reminded_at = planned_at`) and calls again at `next_at`. Calling earlier is harmless: the
    answer is WAIT with the same `next_at`.
    """
    require_aware(now, "now")
    if ticket.status is TicketStatus.RESOLVED:
        return Decision(Action.STOP, reason=Reason.RESOLVED)
    if ticket.answered:
        return Decision(Action.STOP, reason=Reason.ANSWERED)
    if ticket.owned:
        return _owned(ticket, chain, policy, now)

    if ticket.acknowledged_at is not None:
        # Someone said "seen": stop paging others, but do not let the ticket rot silently.
        if ticket.reminded_at is None or ticket.reminded_at < ticket.acknowledged_at:
            remind_at = ticket.acknowledged_at + policy.ack_timeout
            if now < remind_at:
                return Decision(Action.WAIT, next_at=remind_at, reason=Reason.ACKNOWLEDGED)
            planned = _plan(remind_at, now, policy)
            return Decision(
                Action.REMIND,
                next_at=planned + policy.timeout,
                reason=Reason.ACKNOWLEDGED_NO_ANSWER,
                planned_at=planned,
            )
        due = ticket.reminded_at + policy.timeout
        # Once escalation has resumed after the reminder, levels are again spaced by the
        # timeout; without this a job polling every minute would page one level per minute.
        if ticket.last_escalated_at is not None and ticket.last_escalated_at > ticket.reminded_at:
            due = ticket.last_escalated_at + policy.timeout
        decision = _escalate(ticket, chain, policy, now, due)
        if decision.action is Action.WAIT and decision.reason != Reason.NOBODY_REACHABLE:
            return replace(decision, reason=Reason.REMINDED)
        return decision

    if ticket.level == 0 or ticket.last_escalated_at is None:
        # level > 0 without a timestamp is inconsistent; paging now is safer than stalling.
        return _escalate(ticket, chain, policy, now, now)
    return _escalate(ticket, chain, policy, now, ticket.last_escalated_at + policy.timeout)
