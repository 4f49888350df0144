"""Editing the weekly on-call schedule (admins): slots with a primary and ordered backups, each
a person or a rotation. The pages everyone reads are `desk/schedule_views.py`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for

import escalation
import weekly_schedule
from desk import audit, oncall, reach, shift_notices
from desk.extensions import db
from desk.permissions import require_admin
from desk.web import weekday_name
from forms import EmptyForm, SlotForm, assignee_value
from models import AuditAction, ScheduleBackup, ScheduleSlot
from schedule_models import Rotation
from user_text import isolate

bp = Blueprint("schedule_pages", __name__, url_prefix="/schedule")
bp.before_request(require_admin)

NEW_SLOT_ID = 0  # ids start at 1, so 0 stands for the slot being added
SLOTS_NAMED = 3  # a warning names this many of a person's slots, then counts the rest


def describe(slot: weekly_schedule.Slot | ScheduleSlot) -> str:
    """How a slot is named in messages and lists: "Tuesday 22:00–06:00 (next day)"."""
    start = slot.start if isinstance(slot, weekly_schedule.Slot) else slot.start_time
    end = slot.end if isinstance(slot, weekly_schedule.Slot) else slot.end_time
    suffix = " (24 hours)" if end == start else " (next day)" if end < start else ""
    return f"{weekday_name(slot.weekday)} {start:%H:%M}–{end:%H:%M}{suffix}"


def _assignee(pair: tuple[int | None, int | None]) -> weekly_schedule.Assignee:
    user_id, rotation_id = pair
    return weekly_schedule.RotationRef(rotation_id) if rotation_id is not None else user_id


def candidate(form: SlotForm, slot_id: int) -> weekly_schedule.Slot:
    return weekly_schedule.Slot(
        id=slot_id,
        weekday=form.weekday.data,
        start=form.start.data,
        end=form.end.data,
        primary_id=_assignee(form.primary_assignee),
        backup_ids=tuple(_assignee(pair) for pair in form.backup_assignees),
    )


def rotation_names() -> dict[int, str]:
    return {row.id: row.name for row in db.session.execute(sa.select(Rotation.id, Rotation.name))}


def assignee_name(
    assignee: weekly_schedule.Assignee,
    people: dict[int, escalation.Person],
    rotations: dict[int, str],
) -> str:
    """A person's name, or "Rotation: Support" for whoever's turn it is then."""
    if isinstance(assignee, weekly_schedule.RotationRef):
        return f"Rotation: {rotations.get(assignee.rotation_id, '?')}"
    return people[assignee].name if assignee in people else f"user #{assignee}"


def collision(new: weekly_schedule.Slot) -> str | None:
    """Why the slot cannot be saved next to the others: the first slot it overlaps."""
    others = [s for s in oncall.load_slots() if s.id != new.id]
    people, rotations = oncall.load_people(), rotation_names()
    for first, second in weekly_schedule.find_overlaps([*others, new]):
        if new is first or new is second:
            other = first if second is new else second
            owner = isolate(assignee_name(other.primary_id, people, rotations))
            return f"This slot overlaps the {describe(other)} slot of {owner}."
    return None


def save(slot: ScheduleSlot, form: SlotForm) -> None:
    slot.weekday = form.weekday.data
    slot.start_time = form.start.data
    slot.end_time = form.end.data
    slot.primary_id, slot.primary_rotation_id = form.primary_assignee
    # Old rows go first: (slot, position) is unique and the flush would insert before deleting.
    slot.backups.clear()
    db.session.flush()
    slot.backups = [
        ScheduleBackup(user_id=user_id, rotation_id=rotation_id, position=i)
        for i, (user_id, rotation_id) in enumerate(form.backup_assignees)
    ]


def submit_slot(form: SlotForm, slot: ScheduleSlot) -> bool:
    """Validate and store a slot; False (with the reason on the form) when it collides."""
    if not form.validate_on_submit():
        return False
    problem = collision(candidate(form, slot.id or NEW_SLOT_ID))
    if problem:
        form.form_errors.append(problem)
        return False
    with shift_notices.announcing_changes():
        if slot.id is None:
            db.session.add(slot)
        save(slot, form)
    db.session.flush()
    audit.record(AuditAction.SLOT_SAVED, describe(slot), f"slot {slot.id}")
    db.session.commit()
    flash(f"Saved the {describe(slot)} slot.", "success")
    return True


def reach_warnings(
    slots: list[weekly_schedule.Slot], people: dict[int, escalation.Person]
) -> list[str]:
    """People named in the schedule whom the bot cannot page, once each, with their slots."""
    unreachable: dict[int, list[str]] = {}
    for slot in slots:
        for person_id in dict.fromkeys(slot.person_ids):
            person = people.get(person_id)
            if person is not None and not person.reachable:
                unreachable.setdefault(person_id, []).append(describe(slot))
    warnings = []
    for person_id, where in unreachable.items():
        person = people[person_id]
        reason = "is deactivated" if not person.active else "has no linked Telegram account"
        shown = "; ".join(where[:SLOTS_NAMED])
        more = f" and {len(where) - SLOTS_NAMED} more" if len(where) > SLOTS_NAMED else ""
        warnings.append(f"{isolate(person.name)} {reason} and will be skipped in: {shown}{more}.")
    return warnings


def now_notice(on_call: escalation.OnCall) -> reach.Notice:
    """Who is paged now, or why nobody (or only the admins) is: the overview's answer."""
    notice = reach.on_call_notice(on_call)
    if notice is not None:
        return notice
    first, *rest = (isolate(p.name) for p in on_call.chain)  # without a notice, someone is paged
    then = f", then {', '.join(rest)}" if rest else ""
    return {"level": "info", "text": f"Paged now: {first}{then}."}


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a weekly slot."""
    form = SlotForm()
    if submit_slot(form, ScheduleSlot()):
        return redirect(url_for("schedule_views.index"))
    status = 422 if form.errors else 200
    return render_template("schedule/form.html", form=form, slot=None, describe=describe), status


@bp.route("/<int:slot_id>/edit", methods=["GET", "POST"])
def edit(slot_id: int):
    """Change a slot's day, times, primary or backups."""
    slot = db.get_or_404(ScheduleSlot, slot_id)
    form = SlotForm(
        weekday=slot.weekday,
        start=slot.start_time,
        end=slot.end_time,
        primary=assignee_value(slot.primary_id, slot.primary_rotation_id),
    )
    if not form.is_submitted():
        form.fill_backups([assignee_value(b.user_id, b.rotation_id) for b in slot.backups])
    if submit_slot(form, slot):
        return redirect(url_for("schedule_views.index"))
    status = 422 if form.errors else 200
    return render_template("schedule/form.html", form=form, slot=slot, describe=describe), status


@bp.post("/<int:slot_id>/delete")
def delete(slot_id: int):
    """Remove a slot; its hours become uncovered (the reachable admins stand in, if any)."""
    slot = db.get_or_404(ScheduleSlot, slot_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    label = describe(slot)
    audit.record(AuditAction.SLOT_DELETED, label, f"slot {slot.id}")
    with shift_notices.announcing_changes():
        db.session.delete(slot)
    db.session.commit()
    flash(f"Removed the {label} slot.", "success")
    return redirect(url_for("schedule_views.index"))
