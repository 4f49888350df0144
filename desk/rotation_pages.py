"""Rotations (admins): the list with whose turn it is, a new rotation, new members, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy.orm import selectinload

import rotations
import weekly_schedule
from desk import clock, oncall, schedule_changes, shift_notices
from desk.extensions import db
from desk.permissions import require_admin
from desk.schedule_pages import describe
from forms import EmptyForm
from schedule_forms import UNIT_LABELS, MembersForm, RotationForm
from schedule_models import Rotation, RotationLineup, RotationMember
from user_text import isolate

bp = Blueprint("rotation_pages", __name__, url_prefix="/schedule/rotations")
bp.before_request(require_admin)


@dataclass(frozen=True)
class Status:
    """Whose turn it is now and who takes over next, from the pure rotation rules."""

    current_id: int | None
    next_id: int
    next_handoff: datetime


def status_of(rotation: rotations.Rotation, at: datetime) -> Status:
    tz = oncall.schedule_zone()
    turn = rotations.turn_at(rotation, at, tz)
    if turn is None:  # before the first handoff the rotation names nobody
        first = weekly_schedule.from_wall_clock(rotation.first_handoff, tz)
        return Status(None, rotations.turn_at(rotation, first, tz).person_id, first)
    following = rotations.turn_at(rotation, turn.end, tz)
    return Status(turn.person_id, following.person_id, turn.end)


def shift_label(row: Rotation) -> str:
    unit = UNIT_LABELS[row.shift_unit]
    return f"{row.shift_count} {unit[:-1] if row.shift_count == 1 else unit}"


def rotation_rows() -> list[Rotation]:
    return list(
        db.session.scalars(
            sa.select(Rotation)
            .options(
                selectinload(Rotation.lineups)
                .selectinload(RotationLineup.members)
                .selectinload(RotationMember.user)
            )
            .order_by(Rotation.name)
        )
    )


def statuses() -> dict[int, Status]:
    now = clock.now()
    return {r.id: status_of(r, now) for r in oncall.load_rotations()}


@bp.get("/")
def index():
    """Every rotation: members in turn order, shift, handoff, whose turn it is and who is next."""
    people = oncall.load_people()
    return render_template(
        "schedule/rotations.html",
        rotations=rotation_rows(),
        statuses=statuses(),
        people=people,
        shift_label=shift_label,
        delete_form=EmptyForm(formdata=None),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a rotation; its shift, handoff and start are fixed from then on."""
    form = RotationForm()
    if form.validate_on_submit():
        rotation = schedule_changes.create_rotation(
            form.name.data,
            form.shift,
            form.handoff_weekday.data,
            form.handoff_time.data,
            form.start_date.data,
            form.member_ids,
        )
        db.session.commit()
        flash(f"Added the rotation {isolate(rotation.name)}.", "success")
        return redirect(url_for("rotation_pages.index"))
    status = 422 if form.errors else 200
    return render_template("schedule/rotation_form.html", form=form), status


@bp.route("/<int:rotation_id>/members", methods=["GET", "POST"])
def members(rotation_id: int):
    """Give a rotation a new member list, from the next handoff on."""
    rotation = db.get_or_404(Rotation, rotation_id)
    form = MembersForm()
    if not form.is_submitted():
        form.fill_members([u.id for u in rotation.current_members])
    if form.validate_on_submit():
        with shift_notices.announcing_changes():
            schedule_changes.change_members(rotation, form.member_ids)
        db.session.commit()
        flash(
            f"Changed the members of {isolate(rotation.name)}; from the next handoff on.", "success"
        )
        return redirect(url_for("rotation_pages.index"))
    status = 422 if form.errors else 200
    return (
        render_template(
            "schedule/rotation_members.html",
            form=form,
            rotation=rotation,
            shift_label=shift_label,
        ),
        status,
    )


@bp.post("/<int:rotation_id>/delete")
def delete(rotation_id: int):
    """Delete a rotation, unless a slot still names it (that slot would page nobody there)."""
    rotation = db.get_or_404(Rotation, rotation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    used = schedule_changes.slots_naming(rotation)
    if used:
        where = "; ".join(describe(slot) for slot in used)
        flash(
            f"{isolate(rotation.name)} is still in these slots: {where}. Change them first.",
            "error",
        )
        return redirect(url_for("rotation_pages.index"))
    name = isolate(rotation.name)
    schedule_changes.delete_rotation(rotation)
    db.session.commit()
    flash(f"Deleted the rotation {name}.", "success")
    return redirect(url_for("rotation_pages.index"))
