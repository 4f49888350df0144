"""Rules about accounts: who may lose admin rights, be deactivated or deleted, and what a
password change or reset resets. The pages in desk/user_pages.py and desk/auth.py ask; this
module decides and changes the session (the view commits, see desk/database.py)."""

from __future__ import annotations

import sqlalchemy as sa

from desk import audit, linking, logins, sessions
from desk.extensions import db
from models import (
    AuditAction,
    Notification,
    ScheduleBackup,
    ScheduleSlot,
    Status,
    SupportResponse,
    SystemConfig,
    Ticket,
    TicketEvent,
    TicketNote,
    User,
)


class Refused(Exception):
    """An account change that would lock the team out or lose history; says why."""


def is_last_active_admin(user: User) -> bool:
    if not (user.is_admin and user.active):
        return False
    admins = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.is_admin, User.active)
    )
    return admins <= 1


def _refuse_losing_last_admin(user: User) -> None:
    if is_last_active_admin(user):
        raise Refused(
            f"{user.display_name} is the last active admin: make someone else an admin first."
        )


def _unlock(user: User) -> None:
    logins.clear_user(user)


def history_count(user: User) -> int:
    """Rows that name the user; an account with any is deactivated, never deleted."""
    references = [
        (Ticket, Ticket.assignee_id),
        (Ticket, Ticket.acknowledged_by_id),
        (SupportResponse, SupportResponse.author_id),
        (TicketNote, TicketNote.author_id),
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


def is_deletable(user: User, by: User) -> bool:
    return user.id != by.id and history_count(user) == 0


def left_behind(user: User) -> str:
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


def create(
    username: str, full_name: str, password: str, *, is_admin: bool, must_change_password: bool
) -> User:
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        is_admin=is_admin,
        must_change_password=must_change_password,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()  # the new id, for the page it goes to
    audit.record(AuditAction.USER_CREATED, user.username, "admin" if is_admin else "tech")
    return user


def rename(user: User, username: str, full_name: str) -> None:
    before = f"{user.username} ({user.full_name})"
    user.username = username.strip()
    user.full_name = full_name.strip()
    after = f"{user.username} ({user.full_name})"
    if after != before:
        audit.record(AuditAction.USER_RENAMED, user.username, f"{before} → {after}")


def grant_admin(user: User) -> None:
    user.is_admin = True
    audit.record(AuditAction.ADMIN_GRANTED, user.username)


def revoke_admin(user: User) -> None:
    _refuse_losing_last_admin(user)
    user.is_admin = False
    audit.record(AuditAction.ADMIN_REVOKED, user.username)


def deactivate(user: User, by: User) -> None:
    """History stays; never one's own account or the last active admin."""
    if user.id == by.id:
        raise Refused("You cannot deactivate your own account.")
    _refuse_losing_last_admin(user)
    user.active = False
    user.link_code = None
    sessions.end_all(user)
    audit.record(AuditAction.USER_DEACTIVATED, user.username)


def activate(user: User) -> None:
    user.active = True
    _unlock(user)
    audit.record(AuditAction.USER_ACTIVATED, user.username)


def reset_password(user: User, password: str, by: User | None) -> None:
    """A temporary password, to be changed at the next login; it lifts the login throttle and
    ends the user's sessions (but this browser's, when an admin resets their own; `by` is None
    on the command line)."""
    user.set_password(password)
    user.must_change_password = True
    _unlock(user)
    own = by is not None and by.id == user.id
    sessions.end_others(user, keep=by.session_token if own else None)
    audit.record(AuditAction.PASSWORD_RESET, user.username, "sessions ended")


def change_own_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise Refused("This is not your current password.")
    user.set_password(new)
    user.must_change_password = False
    sessions.end_others(user, keep=user.session_token)
    audit.record(AuditAction.PASSWORD_CHANGED, user.username, "other sessions ended")


def issue_link_code(user: User) -> str:
    if not user.active:
        raise Refused("Reactivate the account before linking Telegram.")
    code = linking.new_code(user)
    audit.record(AuditAction.LINK_CODE_ISSUED, user.username)  # never the code itself
    return code


def unlink(user: User) -> None:
    """Forget the user's Telegram account (e.g. a lost phone); they can link a new one."""
    audit.record(
        AuditAction.TELEGRAM_UNLINKED, user.username, f"Telegram id {user.telegram_user_id}"
    )
    user.telegram_user_id = None
    user.telegram_username = None


def delete(user: User, by: User) -> None:
    """Only an account that was never used; one with history can only be deactivated."""
    if user.id == by.id:
        raise Refused("You cannot delete your own account.")
    if is_last_active_admin(user):
        raise Refused(f"{user.display_name} is the last active admin.")
    if history_count(user):
        raise Refused(
            f"{user.display_name} has history (tickets, answers or slots): deactivate instead."
        )
    audit.record(AuditAction.USER_DELETED, user.username)
    db.session.delete(user)
