"""Cover requests: "who can take my shift from A to B?", posted to the team group with an
*I'll cover* button; the first tech to press it gets the override (one winner, a conditional
UPDATE as with Acknowledge). The dashboard's schedule page lists and cancels them with
`cancel`; the bot asks through the API (/cover, the button).

Services change the session; the caller commits (docs/architecture.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

import on_call_schedule
from desk import clock, oncall, shift_notices
from desk.database import claim_row
from desk.extensions import db
from models import NotificationKind, User
from schedule_models import CoverRequest, CoverStatus, Override

# How far ahead "my next shift" is looked for.
NEXT_SHIFT_HORIZON = timedelta(days=30)
MAX_LENGTH = timedelta(days=31)


class CoverRefused(Exception):
    """Why a cover request cannot be made, taken or cancelled, in words for the user."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def _own_shifts(user: User, start: datetime, end: datetime) -> list[on_call_schedule.Shift]:
    roster = oncall.load_roster(start, end)
    return on_call_schedule.shifts(roster.schedule, start, end, user.id)


def request(
    user: User, now: datetime, start: datetime | None = None, end: datetime | None = None
) -> CoverRequest:
    """Ask the team to cover `user` from `start` to `end` (default: their next shift, or the
    one running now from now on), and put the post with the button in the outbox."""
    if start is None or end is None:
        upcoming = _own_shifts(user, now, now + NEXT_SHIFT_HORIZON)
        if not upcoming:
            raise CoverRefused("You have no shift in the next 30 days to ask cover for.", 422)
        start, end = upcoming[0].start, upcoming[0].end
    if end <= start:
        raise CoverRefused("The end of the range must be after its start.", 422)
    if end <= now:
        raise CoverRefused("That time is over already.", 422)
    if end - start > MAX_LENGTH:
        raise CoverRefused("Ask cover for at most 31 days at once.", 422)
    start = max(start, now)
    group = current_app.config.get("SUPPORT_GROUP_ID")
    if group is None:
        raise CoverRefused("No team group is set up (SUPPORT_GROUP_ID) to ask for cover in.")
    if not _own_shifts(user, start, end):
        raise CoverRefused("You have no shift in that range, so there is nothing to cover.", 422)
    cover = CoverRequest(requester_id=user.id, starts_at=start, ends_at=end, created_at=now)
    db.session.add(cover)
    db.session.flush()
    shift_notices.add_chat_notice(
        group,
        f"cover:{cover.id}:post",
        NotificationKind.COVER_REQUEST,
        {**_describe(cover), "requester": user.display_name},
        now,
        user=user,
    )
    return cover


def _describe(cover: CoverRequest) -> dict[str, object]:
    return {
        "cover_id": cover.id,
        "start": cover.starts_at.isoformat(),
        "end": cover.ends_at.isoformat(),
        "zone": oncall.schedule_zone().key,
    }


def take(cover: CoverRequest, by: User, now: datetime) -> Override:
    """`by` covers the request: an override of the requester by `by` over its time, made by
    the first to press; a second press, or an override that would overlap one of theirs, is
    refused with the reason."""
    if by.id == cover.requester_id:
        raise CoverRefused("You asked for this cover; someone else has to take it.", 403)
    if cover.status != CoverStatus.OPEN:
        raise CoverRefused(_closed(cover))
    if cover.ends_at <= now:
        raise CoverRefused("That time is over already.")
    start = max(cover.starts_at, now)
    override = Override(
        starts_at=start,
        ends_at=cover.ends_at,
        user_id=by.id,
        replaces_id=cover.requester_id,
        note=f"cover request #{cover.id}",
        created_by_id=by.id,
        created_at=now,
    )
    before = oncall.load_roster(start, cover.ends_at)
    pure = on_call_schedule.Override(
        id=0, start=start, end=cover.ends_at, person_id=by.id, replaces_id=cover.requester_id
    )
    try:
        on_call_schedule.check_override(pure, before.overrides)
    except on_call_schedule.OverrideConflict as conflict:
        zone = oncall.schedule_zone()
        other = conflict.other
        raise CoverRefused(
            f"You cannot cover this: it overlaps override #{other.id} "
            f"({other.start.astimezone(zone):%a %d %b %H:%M} to "
            f"{other.end.astimezone(zone):%a %d %b %H:%M}), which names you already."
        ) from None
    won = claim_row(
        cover,
        CoverRequest.status == CoverStatus.OPEN,
        status=CoverStatus.COVERED,
        covered_by_id=by.id,
        closed_at=now,
    )
    if not won:
        raise CoverRefused(_closed(cover))
    db.session.add(override)
    db.session.flush()
    cover.override_id = override.id
    after = oncall.load_roster(start, cover.ends_at)
    shift_notices.announce_changes(before.schedule, after.schedule, now)
    return override


def cancel(cover: CoverRequest, by: User, now: datetime | None = None) -> None:
    """Withdraw an open request (its requester or an admin); a covered one keeps its override,
    which an admin removes on the schedule page."""
    now = clock.now() if now is None else now
    if by.id != cover.requester_id and not by.is_admin:
        raise CoverRefused("Only the tech who asked, or an admin, can cancel this.", 403)
    won = claim_row(
        cover,
        CoverRequest.status == CoverStatus.OPEN,
        status=CoverStatus.CANCELLED,
        closed_at=now,
    )
    if not won:
        raise CoverRefused(_closed(cover))


def _closed(cover: CoverRequest) -> str:
    if cover.status == CoverStatus.COVERED:
        name = cover.covered_by.display_name if cover.covered_by else "someone"
        return f"{name} covers this already."
    return "This cover request was cancelled."


def open_requests() -> list[CoverRequest]:
    return list(
        db.session.scalars(
            sa.select(CoverRequest)
            .where(CoverRequest.status == CoverStatus.OPEN)
            .order_by(CoverRequest.starts_at)
        )
    )
