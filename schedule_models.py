"""The on-call schedule's tables beyond the weekly slots: rotations with the member lists they
had, overrides, and cover requests. The rules they feed are the pure `rotations.py` and
`on_call_schedule.py`; `desk/oncall.py` reads these rows into them.

Kept beside `models.py` (which holds the slots, users and tickets) so neither grows past what
one can read; `models.py` imports nothing from here, and `app.py` imports both.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import TimestampMixin, User, UTCDateTime, db, enum_type, utcnow
from on_call_schedule import Role
from rotations import ShiftUnit


class Rotation(TimestampMixin, db.Model):
    """Members taking turns; shift length, handoff and start never change (a new rotation
    does), the member list changes from the next handoff (`RotationLineup`)."""

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    shift_count: Mapped[int] = mapped_column(sa.SmallInteger)
    shift_unit: Mapped[ShiftUnit] = mapped_column(enum_type(ShiftUnit))
    handoff_weekday: Mapped[int] = mapped_column(sa.SmallInteger)  # 0 = Monday
    handoff_time: Mapped[time] = mapped_column(sa.Time)
    start_date: Mapped[date] = mapped_column(sa.Date)

    lineups: Mapped[list[RotationLineup]] = relationship(
        order_by="RotationLineup.id", cascade="all, delete-orphan"
    )

    @property
    def current_members(self) -> list[User]:
        return [member.user for member in self.lineups[-1].members] if self.lineups else []


class RotationLineup(db.Model):
    """A rotation's ordered member list, for shifts starting at or after `effective_from`
    (None: from the rotation's start). Lists are only added, so past shifts keep theirs."""

    __tablename__ = "rotation_lineups"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rotations.id", ondelete="CASCADE"), index=True
    )
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[RotationMember]] = relationship(
        order_by="RotationMember.position", cascade="all, delete-orphan"
    )


class RotationMember(db.Model):
    __tablename__ = "rotation_members"
    __table_args__ = (sa.UniqueConstraint("lineup_id", "position", name="uq_lineup_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lineup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rotation_lineups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)

    user: Mapped[User] = relationship()


class Override(db.Model):
    """A time-bounded change of who is on call: `user` replaces `replaces` (in whatever role
    they have then), or, with no one replaced, is on call in `role`. Absolute instants, the end
    excluded."""

    __tablename__ = "schedule_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    role: Mapped[Role | None] = mapped_column(enum_type(Role))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    replaces: Mapped[User | None] = relationship(foreign_keys=[replaces_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class CoverStatus(enum.StrEnum):
    OPEN = "open"  # posted, nobody has taken it yet
    COVERED = "covered"  # someone pressed "I'll cover": an override was made
    CANCELLED = "cancelled"  # the requester or an admin withdrew it


class CoverRequest(db.Model):
    """ "Who can take my shift from A to B?": posted to the team group with an I'll cover button;
    the first tech to press it gets the override (one winner)."""

    __tablename__ = "cover_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[CoverStatus] = mapped_column(
        enum_type(CoverStatus), default=CoverStatus.OPEN, index=True
    )
    covered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    override_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("schedule_overrides.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    covered_by: Mapped[User | None] = relationship(foreign_keys=[covered_by_id])


class ShiftNotice(db.Model):
    """What a shift reminder or change notice tells one tech; its Notification in the outbox
    delivers it. `key` makes creating it idempotent: one reminder per user, shift start and
    role, however often (and by however many bots) the dashboard is asked."""

    __tablename__ = "shift_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
