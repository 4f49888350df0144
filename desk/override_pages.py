"""Overrides and cover requests: admins make and remove any override, a tech puts themselves on
call; the requester or an admin cancels a cover request."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

import on_call_schedule
import weekly_schedule
from desk import clock, oncall, schedule_changes, shift_notices
from desk.extensions import db
from desk.permissions import require_login
from forms import NOBODY, EmptyForm
from models import User
from schedule_forms import OverrideForm, OverrideKind
from schedule_models import CoverRequest, Override
from user_text import isolate

bp = Blueprint("override_pages", __name__, url_prefix="/schedule")
bp.before_request(require_login)


def upcoming_overrides() -> list[Override]:
    """Overrides running now or still to come, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Override)
            .where(Override.ends_at > clock.now())
            .order_by(Override.starts_at, Override.id)
        )
    )


def may_delete(row: Override, user: User) -> bool:
    """Admins remove any override; a tech only one they made for themselves."""
    return user.is_admin or (row.user_id == user.id and row.created_by_id == user.id)


def instant(wall: datetime) -> datetime:
    """A time typed in the team's zone as a UTC instant: a time the spring-forward night skips
    is the first instant after the jump, one in the repeated autumn hour its first pass, as
    for slot boundaries and handoffs (README, "On-call schedules")."""
    return weekly_schedule.from_wall_clock(wall, oncall.schedule_zone())


def conflict_text(error: on_call_schedule.OverrideConflict) -> str:
    other = db.session.get(Override, error.other.id)
    person = db.session.get(User, error.person_id)
    return (
        f"This overlaps another override for {isolate(person.display_name)}: "
        f"{isolate(schedule_changes.describe_override(other))} (override #{other.id})."
    )


def submit_override(form: OverrideForm) -> Override | None:
    """Validate and store an override; None (with the reason on the form) when refused."""
    if not form.validate_on_submit():
        return None
    kind = OverrideKind(form.kind.data)
    replaces = db.session.get(User, form.replaces.data) if form.replaces.data != NOBODY else None
    try:
        with shift_notices.announcing_changes():
            return schedule_changes.create_override(
                db.session.get(User, form.person.data),
                instant(form.starts.data),
                instant(form.ends.data),
                replaces if kind is OverrideKind.REPLACES else None,
                None if kind is OverrideKind.REPLACES else on_call_schedule.Role(kind.value),
                form.note.data or "",
            )
    except on_call_schedule.OverrideConflict as error:
        form.form_errors.append(conflict_text(error))
    except ValueError as error:  # the pure rules refuse a period that ends before it starts
        form.ends.errors.append(f"{str(error)[:1].upper()}{str(error)[1:]}.")
    return None


@bp.get("/overrides/")
def overrides():
    """Overrides running now and to come."""
    return render_template(
        "schedule/overrides.html",
        overrides=upcoming_overrides(),
        now=clock.now(),
        may_delete=may_delete,
        delete_form=EmptyForm(formdata=None),
    )


@bp.route("/overrides/new", methods=["GET", "POST"])
def new_override():
    """Add an override: any for admins, a tech only puts themselves on call."""
    user = current_user._get_current_object()
    form = OverrideForm(only=None if user.is_admin else user)
    row = submit_override(form)
    if row is not None:
        db.session.commit()
        flash(f"Added the override: {isolate(schedule_changes.describe_override(row))}.", "success")
        return redirect(url_for("override_pages.overrides"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("schedule/override_form.html", form=form), status


@bp.post("/overrides/<int:override_id>/delete")
def delete_override(override_id: int):
    """Remove an override; the schedule's own people are on call again for that time."""
    row = db.get_or_404(Override, override_id)
    if not may_delete(row, current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    label = isolate(schedule_changes.describe_override(row))
    with shift_notices.announcing_changes():
        schedule_changes.delete_override(row)
    db.session.commit()
    flash(f"Removed the override: {label}.", "success")
    return redirect(url_for("override_pages.overrides"))


@bp.post("/cover/<int:request_id>/cancel")
def cancel_cover(request_id: int):
    """Withdraw an open cover request (its requester or an admin)."""
    request = db.get_or_404(CoverRequest, request_id)
    if not schedule_changes.may_cancel_cover(request, current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if schedule_changes.cancel_cover(request, current_user._get_current_object()):
        db.session.commit()
        flash("Cancelled the cover request.", "success")
    else:
        flash("That cover request is no longer open: someone took it or it was cancelled.", "info")
    return redirect(url_for("schedule_views.index"))
