"""Changes to rotations, overrides and cover requests: each changes the session and records
its audit line; the page that calls it commits (docs/architecture.md, transactions)."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

import on_call_schedule
import rotations
from desk import audit, clock, cover, oncall
from desk.extensions import db
from desk.web import localtime
from models import AuditAction, ScheduleBackup, ScheduleSlot, User
from schedule_models import (
    CoverRequest,
    CoverStatus,
    Override,
    Rotation,
    RotationLineup,
    RotationMember,
)


def _lineup(user_ids: list[int], effective_from: datetime | None) -> RotationLineup:
    return RotationLineup(
        effective_from=effective_from,
        members=[RotationMember(user_id=u, position=i) for i, u in enumerate(user_ids)],
    )


def create_rotation(
    name: str,
    shift: rotations.ShiftLength,
    handoff_weekday: int,
    handoff_time: time,
    start_date: date,
    member_ids: list[int],
) -> Rotation:
    rotation = Rotation(
        name=name,
        shift_count=shift.count,
        shift_unit=shift.unit,
        handoff_weekday=handoff_weekday,
        handoff_time=handoff_time,
        start_date=start_date,
        lineups=[_lineup(member_ids, None)],
    )
    db.session.add(rotation)
    db.session.flush()
    audit.record(AuditAction.ROTATION_CREATED, name, f"rotation {rotation.id}")
    return rotation


def change_members(rotation: Rotation, member_ids: list[int]) -> RotationLineup:
    """A new member list from now on: past lists stay, so past shifts keep their person."""
    lineup = _lineup(member_ids, clock.now())
    rotation.lineups.append(lineup)
    db.session.flush()
    names = ", ".join(db.session.get(User, u).display_name for u in member_ids)
    audit.record(AuditAction.ROTATION_MEMBERS_CHANGED, rotation.name, names)
    return lineup


def slots_naming(rotation: Rotation) -> list[ScheduleSlot]:
    """The slots whose primary or a backup is this rotation."""
    backup_slots = sa.select(ScheduleBackup.slot_id).where(
        ScheduleBackup.rotation_id == rotation.id
    )
    return list(
        db.session.scalars(
            sa.select(ScheduleSlot)
            .where(
                sa.or_(
                    ScheduleSlot.primary_rotation_id == rotation.id,
                    ScheduleSlot.id.in_(backup_slots),
                )
            )
            .order_by(ScheduleSlot.weekday, ScheduleSlot.start_time)
        )
    )


def delete_rotation(rotation: Rotation) -> None:
    """Delete a rotation no slot names (the caller checks `slots_naming` first)."""
    audit.record(AuditAction.ROTATION_DELETED, rotation.name, f"rotation {rotation.id}")
    db.session.delete(rotation)


def describe_override(row: Override) -> str:
    """ "Bob replaces Ann, Tue 24 Dec 18:00 to Fri 27 Dec 09:00" (team's time)."""
    who = row.user.display_name
    if row.replaces is not None:
        what = f"{who} replaces {row.replaces.display_name}"
    else:
        what = f"{who} is {row.role.value}"
    return f"{what}, {localtime(row.starts_at)} to {localtime(row.ends_at)}"


def create_override(
    person: User,
    starts_at: datetime,
    ends_at: datetime,
    replaces: User | None,
    role: on_call_schedule.Role | None,
    note: str = "",
) -> Override:
    """Store an override; raises OverrideConflict (naming the other) when one overlaps it for
    the same person, and stores nothing then."""
    candidate = on_call_schedule.Override(
        id=0,
        start=starts_at,
        end=ends_at,
        person_id=person.id,
        replaces_id=replaces.id if replaces else None,
        role=role,
    )
    on_call_schedule.check_override(candidate, oncall.load_overrides(starts_at, ends_at))
    row = Override(
        starts_at=starts_at,
        ends_at=ends_at,
        user=person,
        replaces=replaces,
        role=role,
        note=note,
        created_by=_signed_in(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(AuditAction.OVERRIDE_CREATED, describe_override(row), f"override {row.id}")
    return row


def _signed_in() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def delete_override(row: Override) -> None:
    audit.record(AuditAction.OVERRIDE_DELETED, describe_override(row), f"override {row.id}")
    db.session.delete(row)


def open_cover_requests() -> list[CoverRequest]:
    """Cover requests nobody has taken yet and that have not ended, soonest first."""
    return list(
        db.session.scalars(
            sa.select(CoverRequest)
            .where(CoverRequest.status == CoverStatus.OPEN, CoverRequest.ends_at > clock.now())
            .order_by(CoverRequest.starts_at, CoverRequest.id)
        )
    )


def may_cancel_cover(request: CoverRequest, user: User) -> bool:
    return user.is_admin or request.requester_id == user.id


def cancel_cover(request: CoverRequest, by: User) -> bool:
    """Withdraw an open cover request; False when it is no longer open (taken or withdrawn).

    The rule is desk/cover.py's, the one the bot's button obeys: one conditional UPDATE, so a
    cancel racing an "I'll cover" press has one winner.
    """
    try:
        cover.cancel(request, by)
    except cover.CoverRefused:
        return False
    audit.record(
        AuditAction.COVER_CANCELLED,
        f"{request.requester.display_name}, {localtime(request.starts_at)} to "
        f"{localtime(request.ends_at)}",
        f"cover request {request.id}",
    )
    return True
