"""Who is on call, and when a ticket escalates: pure domain logic.

Nothing here reads a clock, a database or the network. Every function takes the instant it
reasons about as an argument, so the bot, the dashboard and the tests all get the same answer
for the same inputs. Datetimes must be aware; naive ones are rejected with ValueError because a
naive datetime in a multi-zone product is a bug waiting for the next DST change.

Schedules are weekly and written in wall-clock time of one zone (the team's). An instant is
turned into wall-clock time in that zone before it is matched against the slots, so "09:00" stays
09:00 local all year round, and the DST days are handled explicitly:

* spring forward: wall-clock times in the gap never happen, so a boundary that falls there takes
  effect at the first instant after the gap;
* fall back: the repeated hour is treated as if the wall clock stood still during its second pass,
  so a boundary in that hour takes effect once, at its first occurrence, and is not undone and
  redone an hour later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
# The smallest step a datetime can take; used to name "the instant just before" a transition.
_TICK = timedelta(microseconds=1)


class TicketStatus(StrEnum):
    """A ticket's status; the dashboard's models use this very enum."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


def _require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless `value` is an aware datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


# --------------------------------------------------------------------------- people and slots


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


@dataclass(frozen=True)
class Slot:
    """A weekly on-call slot in wall-clock time of the schedule's zone.

    `weekday` is the day the slot starts. `end <= start` means the slot runs past midnight into
    the next day; `end == start` means a full 24 hours.
    """

    id: int
    weekday: int
    start: time
    end: time
    primary_id: int
    backup_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not MONDAY <= self.weekday <= SUNDAY:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            # The zone belongs to the schedule, not to the slot; a second zone here would be
            # silently ignored, so refuse it.
            raise ValueError("slot times are wall-clock times and must not carry a tzinfo")

    @property
    def duration(self) -> timedelta:
        """Length of the slot; between a moment and 24 hours."""
        length = _clock(self.end) - _clock(self.start)
        return length if length > timedelta(0) else length + _DAY

    @property
    def person_ids(self) -> tuple[int, ...]:
        """Primary then backups, in paging order (may contain duplicates)."""
        return (self.primary_id, *self.backup_ids)

    @property
    def week_offset(self) -> timedelta:
        """Where the slot starts, measured from Monday 00:00."""
        return self.weekday * _DAY + _clock(self.start)


def _clock(value: time) -> timedelta:
    """A wall-clock time as the distance from midnight."""
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


def _covering(slots: Sequence[Slot], position: timedelta) -> Slot | None:
    """The slot covering a position in the week (distance from Monday 00:00), or None.

    When slots overlap (the dashboard warns about it), the one that started most recently wins,
    so a short override slot laid over a long one takes over for its duration; ties go to the
    lower id so the answer does not depend on the order the slots were loaded in.
    """
    best: tuple[timedelta, int] | None = None
    found: Slot | None = None
    for slot in slots:
        elapsed = (position - slot.week_offset) % _WEEK
        if elapsed < slot.duration and (best is None or (elapsed, slot.id) < best):
            best, found = (elapsed, slot.id), slot
    return found


# ------------------------------------------------------------------------ time-zone arithmetic


def _offset(value: datetime) -> timedelta:
    """UTC offset of an aware datetime (ZoneInfo always has one)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return offset


def _transition(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first instant in (before, after] whose UTC offset in `tz` is that of `after`.

    `before` and `after` must have different offsets with one transition between them. zoneinfo
    does not expose its transition table, so bisect; about 32 steps for an hour.
    """
    lo, hi = before.astimezone(UTC), after.astimezone(UTC)
    target = _offset(hi.astimezone(tz))
    while hi - lo > _TICK:
        mid = lo + (hi - lo) / 2
        if _offset(mid.astimezone(tz)) == target:
            hi = mid
        else:
            lo = mid
    return hi


def _wall_clock(at: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time in `tz` that the schedule sees at instant `at`.

    During the second pass of a fall-back hour the clock shows times it already showed. The
    schedule has already handed over at those times, so the wall clock is held at the last
    instant of the first pass; otherwise a 01:30 handover would happen twice, and be undone in
    between.
    """
    local = at.astimezone(tz)
    if local.fold == 1:
        repeat = _offset(local.replace(fold=0)) - _offset(local)
        if repeat > timedelta(0):
            at_utc = at.astimezone(UTC)
            second_pass_start = _transition(tz, at_utc - repeat, at_utc)
            local = (second_pass_start - _TICK).astimezone(tz)
    return local.replace(tzinfo=None, fold=0)


def _week_position(wall: datetime) -> timedelta:
    """Distance of a naive wall-clock datetime from the Monday 00:00 before it."""
    return wall.weekday() * _DAY + _clock(wall.time())


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which a wall-clock boundary in `tz` takes effect.

    Unambiguous times map directly; a time in the repeated fall-back hour takes its first
    occurrence (fold=0); a time inside a spring-forward gap never shows on the clock, so it takes
    effect when the clock jumps over it, the first instant after the gap.
    """
    early = wall.replace(tzinfo=tz, fold=0)
    late = wall.replace(tzinfo=tz, fold=1)
    if _offset(early) >= _offset(late):
        return early.astimezone(UTC)
    # In a gap fold=0 uses the old offset (an instant after the jump) and fold=1 the new one
    # (an instant before it); the jump lies between the two.
    return _transition(tz, late, early)


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
    """Who is on call at an instant, in paging order, and who of the slot was left out."""

    at: datetime
    slot: Slot | None
    chain: tuple[Person, ...]
    skipped: tuple[Skipped, ...]
    fallback: bool

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
        if self.slot is None:
            return Unreachable.NO_SLOT
        # The reasons are the ones `_slot_chain` writes into `Skipped`.
        reasons = {s.reason for s in self.skipped}
        if reasons == {"no_telegram"}:
            return Unreachable.NOBODY_LINKED
        if reasons == {"inactive"}:
            return Unreachable.EVERYONE_INACTIVE
        return Unreachable.NOBODY_REACHABLE


def _slot_chain(
    slot: Slot, people: Mapping[int, Person]
) -> tuple[tuple[Person, ...], tuple[Skipped, ...]]:
    """The reachable people of a slot in order, and the ones left out."""
    chain: list[Person] = []
    skipped: list[Skipped] = []
    seen: set[int] = set()
    for person_id in slot.person_ids:
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


def on_call_at(
    slots: Sequence[Slot], people: Mapping[int, Person], at: datetime, tz: ZoneInfo
) -> OnCall:
    """Who is on call at instant `at`, for a weekly schedule written in zone `tz`.

    Falls back to the reachable admins (fallback=True) when no slot covers the instant or when
    every person of the covering slot is unreachable; in the latter case `skipped` still lists
    them so the dashboard can say why.
    """
    _require_aware(at, "at")
    slot = _covering(slots, _week_position(_wall_clock(at, tz)))
    if slot is None:
        return OnCall(at=at, slot=None, chain=_admin_chain(people), skipped=(), fallback=True)
    chain, skipped = _slot_chain(slot, people)
    if not chain:
        return OnCall(at=at, slot=slot, chain=_admin_chain(people), skipped=skipped, fallback=True)
    return OnCall(at=at, slot=slot, chain=chain, skipped=skipped, fallback=False)


@dataclass(frozen=True)
class Handover:
    """The on-call chain changes at `at` (UTC) to `on_call`."""

    at: datetime
    on_call: OnCall


def _boundaries(
    slots: Sequence[Slot], start: datetime, end: datetime, tz: ZoneInfo
) -> set[datetime]:
    """Every instant in (start, end] at which some slot starts or ends."""
    first_day = start.astimezone(tz).date() - 2 * _DAY  # a slot lasts at most a day
    last_day = end.astimezone(tz).date() + _DAY
    instants: set[datetime] = set()
    day = first_day
    while day <= last_day:
        midnight = datetime.combine(day, time())  # naive on purpose: wall-clock arithmetic
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            begins = midnight + _clock(slot.start)
            for wall in (begins, begins + slot.duration):
                instant = _instant(wall, tz)
                if start < instant <= end:
                    instants.add(instant)
        day += _DAY
    return instants


def handovers(
    slots: Sequence[Slot],
    people: Mapping[int, Person],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> list[Handover]:
    """Every instant in (start, end] where the covering slot or the chain changes, in order.

    Only slot starts and ends can change who is on call, so they are the only candidates. One
    that changes nothing (a slot lying entirely in a spring-forward gap, a slot ending where it
    did not win an overlap) is dropped. A new slot with the very same people is still reported,
    since the dashboard shows slots. Each handover agrees with `on_call_at` at its instant.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    previous = on_call_at(slots, people, start, tz)
    result: list[Handover] = []
    for instant in sorted(_boundaries(slots, start, end, tz)):
        current = on_call_at(slots, people, instant, tz)
        if (current.slot, current.chain) != (previous.slot, previous.chain):
            result.append(Handover(at=instant, on_call=current))
        previous = current
    return result


# ------------------------------------------------------------------------- schedule checks


def find_overlaps(slots: Sequence[Slot]) -> list[tuple[Slot, Slot]]:
    """Pairs of slots whose weekly wall-clock spans intersect, in input order.

    Spans are half-open, so a slot ending at 06:00 and one starting at 06:00 only touch. The week
    wraps, so Sunday 22:00-06:00 overlaps Monday 05:00-09:00.
    """
    overlaps: list[tuple[Slot, Slot]] = []
    for i, first in enumerate(slots):
        for second in slots[i + 1 :]:
            # Two arcs of a circle intersect iff one starts inside the other.
            if (second.week_offset - first.week_offset) % _WEEK < first.duration or (
                first.week_offset - second.week_offset
            ) % _WEEK < second.duration:
                overlaps.append((first, second))
    return overlaps


def coverage(slots: Sequence[Slot]) -> dict[tuple[int, int], Slot | None]:
    """For each (weekday, hour) of the week, the slot covering the start of that hour, or None."""
    return {
        (weekday, hour): _covering(slots, weekday * _DAY + timedelta(hours=hour))
        for weekday in range(7)
        for hour in range(24)
    }


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
                _require_aware(value, name)

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
    _require_aware(now, "now")
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
