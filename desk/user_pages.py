"""Users (admins): accounts, admin rights, passwords, Telegram links; the last admin is kept."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from desk import clock
from desk.auth import issue_link_code, keep_signed_in, live_link_code
from desk.extensions import db
from desk.permissions import require_admin
from forms import EmptyForm, ResetPasswordForm, UserForm
from models import (
    Notification,
    ScheduleBackup,
    ScheduleSlot,
    Status,
    SupportResponse,
    SystemConfig,
    Ticket,
    TicketEvent,
    User,
)

bp = Blueprint("user_pages", __name__, url_prefix="/users")
bp.before_request(require_admin)


class Refused(Exception):
    """An account change that would lock the team out or lose history; says why."""


def get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def is_last_active_admin(user: User) -> bool:
    if not (user.is_admin and user.active):
        return False
    admins = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.is_admin, User.active)
    )
    return admins <= 1


def refuse_losing_last_admin(user: User) -> None:
    if is_last_active_admin(user):
        raise Refused(
            f"{user.display_name} is the last active admin: make someone else an admin first."
        )


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


def history_count(user: User) -> int:
    """Rows that name the user; an account with any is deactivated, never deleted."""
    references = [
        (Ticket, Ticket.assignee_id),
        (Ticket, Ticket.acknowledged_by_id),
        (SupportResponse, SupportResponse.author_id),
        (Notification, Notification.user_id),
        (TicketEvent, TicketEvent.actor_id),
        (ScheduleSlot, ScheduleSlot.primary_id),
        (ScheduleBackup, ScheduleBackup.user_id),
        (SystemConfig, SystemConfig.updated_by_id),
    ]
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(model).where(column == user.id))
        for model, column in references
    )


def schedule_and_ticket_load(user: User) -> str:
    """What a deactivation leaves behind, so the admin can reassign it."""
    slots = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ScheduleSlot.id)))
        .select_from(ScheduleSlot)
        .outerjoin(ScheduleSlot.backups)
        .where(sa.or_(ScheduleSlot.primary_id == user.id, ScheduleBackup.user_id == user.id))
    )
    open_tickets = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(Ticket.assignee_id == user.id, Ticket.status != Status.RESOLVED)
    )
    parts = []
    if slots:
        parts.append(f"is still in {slots} schedule slot(s) and will be skipped when paged")
    if open_tickets:
        parts.append(f"has {open_tickets} unresolved ticket(s) assigned")
    return f"{user.display_name} " + " and ".join(parts) + "." if parts else ""


def change(user: User, action: Callable[[], str]):
    """Apply an account change (or explain why not) and return to the user's page."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        message = action()
    except Refused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("user_pages.detail", user_id=user.id))


def user_page(user: User, status: int = 200, **forms: object):
    forms = {
        "form": UserForm(formdata=None, obj=user, editing=user),
        "password_form": ResetPasswordForm(formdata=None),
        "button_form": EmptyForm(formdata=None),
    } | forms
    page = render_template(
        "users/detail.html",
        user=user,
        link_code=live_link_code(user),
        locked_until=user.locked_until if is_locked(user) else None,
        deletable=history_count(user) == 0 and user.id != current_user.id,
        **forms,
    )
    return page, status


@bp.get("/")
def index():
    """Every account: role, state, Telegram link and last login."""
    users = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.username)).all()
    return render_template("users/index.html", users=users)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a user with a first password (to be changed at first login by default)."""
    form = UserForm()
    if form.validate_on_submit():
        user = User(
            username=form.username.data.strip(),
            full_name=(form.full_name.data or "").strip(),
            is_admin=form.is_admin.data,
            must_change_password=form.must_change_password.data,
        )
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.commit()
        flash(f"Added {user.display_name}. Next: link their Telegram account.", "success")
        return redirect(url_for("user_pages.detail", user_id=user.id))
    return render_template("users/new.html", form=form), 422 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def detail(user_id: int):
    """A user's page: name, role, state, password reset and Telegram link."""
    user = get_user(user_id)
    form = UserForm(obj=user, editing=user)
    if form.validate_on_submit():
        user.username = form.username.data.strip()
        user.full_name = (form.full_name.data or "").strip()
        db.session.commit()
        flash(f"Saved {user.display_name}.", "success")
        return redirect(url_for("user_pages.detail", user_id=user.id))
    return user_page(user, 422 if form.errors else 200, form=form)


@bp.post("/<int:user_id>/grant-admin")
def grant_admin(user_id: int):
    """Make the user an admin."""
    user = get_user(user_id)

    def grant() -> str:
        user.is_admin = True
        return f"{user.display_name} is now an admin."

    return change(user, grant)


@bp.post("/<int:user_id>/revoke-admin")
def revoke_admin(user_id: int):
    """Take admin rights away, unless this is the last active admin."""
    user = get_user(user_id)

    def revoke() -> str:
        refuse_losing_last_admin(user)
        user.is_admin = False
        return f"{user.display_name} is no longer an admin."

    return change(user, revoke)


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int):
    """Deactivate an account (history stays); never one's own or the last active admin."""
    user = get_user(user_id)

    def deactivate_user() -> str:
        if user.id == current_user.id:
            raise Refused("You cannot deactivate your own account.")
        refuse_losing_last_admin(user)
        user.active = False
        user.link_code = None
        leftover = schedule_and_ticket_load(user)
        return f"{user.display_name} is deactivated and can no longer log in. {leftover}".strip()

    return change(user, deactivate_user)


@bp.post("/<int:user_id>/activate")
def activate(user_id: int):
    """Reactivate an account."""
    user = get_user(user_id)

    def activate_user() -> str:
        user.active = True
        user.failed_logins = 0
        user.locked_until = None
        return f"{user.display_name} is active again."

    return change(user, activate_user)


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int):
    """Set a temporary password; the user must choose a new one at the next login."""
    user = get_user(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return user_page(user, 422, password_form=form)
    user.set_password(form.password.data)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    # A new password ends the user's sessions; an admin resetting their own keeps this one.
    if user.id == current_user.id:
        keep_signed_in(user)
    flash(
        f"Password reset. Give it to {user.display_name}; they must change it at next login.",
        "success",
    )
    return redirect(url_for("user_pages.detail", user_id=user.id))


@bp.post("/<int:user_id>/link-code")
def link_code(user_id: int):
    """Issue a one-time code for the user to send the bot as `/link CODE`."""
    user = get_user(user_id)

    def issue() -> str:
        if not user.active:
            raise Refused("Reactivate the account before linking Telegram.")
        code = issue_link_code(user)
        return f"Link code {code} issued: valid for 15 minutes."

    return change(user, issue)


@bp.post("/<int:user_id>/unlink")
def unlink(user_id: int):
    """Forget the user's Telegram account (e.g. a lost phone); they can link a new one."""
    user = get_user(user_id)

    def forget() -> str:
        user.telegram_user_id = None
        user.telegram_username = None
        return f"{user.display_name}'s Telegram account is unlinked; the bot will skip them."

    return change(user, forget)


@bp.post("/<int:user_id>/delete")
def delete(user_id: int):
    """Delete an account that was never used; one with history can only be deactivated."""
    user = get_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    problem = None
    if user.id == current_user.id:
        problem = "You cannot delete your own account."
    elif is_last_active_admin(user):
        problem = f"{user.display_name} is the last active admin."
    elif history_count(user):
        problem = (
            f"{user.display_name} has history (tickets, answers or slots): deactivate instead."
        )
    if problem:
        flash(problem, "error")
        return redirect(url_for("user_pages.detail", user_id=user.id))
    db.session.delete(user)
    db.session.commit()
    flash(f"Deleted {user.display_name}.", "success")
    return redirect(url_for("user_pages.index"))
