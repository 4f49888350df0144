"""The audit log: who changed what and when, for accounts, rights, schedules, settings and
logins (success and failure, with the client's address).

Services record their own changes in the same unit of work (the view's commit writes both or
neither). Nothing secret goes in: no password, code or token, only what changed and for whom.
Lines older than the `audit_retention_days` setting are deleted as new ones arrive.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from desk import clock, runtime_settings
from desk.extensions import db
from models import AuditAction, AuditEvent, User

LABELS = {
    AuditAction.LOGIN: "Logged in",
    AuditAction.LOGIN_FAILED: "Failed login",
    AuditAction.LOGOUT: "Logged out",
    AuditAction.SESSIONS_ENDED: "Sessions ended",
    AuditAction.THROTTLE_CLEARED: "Failed logins cleared",
    AuditAction.USER_CREATED: "User added",
    AuditAction.USER_RENAMED: "User renamed",
    AuditAction.USER_DELETED: "User deleted",
    AuditAction.USER_DEACTIVATED: "User deactivated",
    AuditAction.USER_ACTIVATED: "User reactivated",
    AuditAction.ADMIN_GRANTED: "Admin rights granted",
    AuditAction.ADMIN_REVOKED: "Admin rights revoked",
    AuditAction.PASSWORD_CHANGED: "Own password changed",
    AuditAction.PASSWORD_RESET: "Password reset",
    AuditAction.LINK_CODE_ISSUED: "Telegram link code issued",
    AuditAction.TELEGRAM_LINKED: "Telegram linked",
    AuditAction.TELEGRAM_UNLINKED: "Telegram unlinked",
    AuditAction.SLOT_SAVED: "Schedule slot saved",
    AuditAction.SLOT_DELETED: "Schedule slot removed",
    AuditAction.ROTATION_CREATED: "Rotation added",
    AuditAction.ROTATION_MEMBERS_CHANGED: "Rotation members changed",
    AuditAction.ROTATION_DELETED: "Rotation deleted",
    AuditAction.OVERRIDE_CREATED: "Override added",
    AuditAction.OVERRIDE_DELETED: "Override removed",
    AuditAction.COVER_CANCELLED: "Cover request cancelled",
    AuditAction.SETTING_CHANGED: "Setting changed",
    AuditAction.SAVED_REPLY_SAVED: "Saved reply saved",
    AuditAction.SAVED_REPLY_DELETED: "Saved reply deleted",
    AuditAction.TWO_FACTOR_ENABLED: "Two-factor turned on",
    AuditAction.TWO_FACTOR_DISABLED: "Two-factor turned off",
    AuditAction.TWO_FACTOR_RESET: "Two-factor reset",
    AuditAction.RECOVERY_CODES_ISSUED: "Recovery codes made",
    AuditAction.RECOVERY_CODE_USED: "Recovery code used",
}
PRUNE_EVERY = timedelta(hours=1)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record(
    action: AuditAction, target: str = "", detail: str = "", actor: User | None = None
) -> None:
    """Add a line; the actor is the signed-in user unless given (the bot, a failed login)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    in_request = has_request_context()
    address = request.remote_addr if in_request else None
    # Without a request the change comes from a flask command on the server.
    name = actor.username if actor else ("" if in_request else "command line")
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            actor_name=name,
            action=action,
            target=target[:255],
            detail=detail,
            address=(address or "")[:64] or None,
        )
    )
    _forget_old()


def _forget_old() -> None:
    if not clock.due("prune audit log", PRUNE_EVERY):
        return
    days = runtime_settings.get_int("audit_retention_days")
    db.session.execute(
        sa.delete(AuditEvent)
        .where(AuditEvent.at < clock.now() - timedelta(days=days))
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Filters:
    action: AuditAction | None = None
    actor: str = ""
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None


def query(filters: Filters) -> sa.Select:
    select = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.action is not None:
        select = select.where(AuditEvent.action == filters.action)
    if filters.actor:
        select = select.where(sa.func.lower(AuditEvent.actor_name) == filters.actor.lower())
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%") + "%"
        select = select.where(
            sa.or_(
                AuditEvent.target.ilike(pattern, escape="\\"),
                AuditEvent.detail.ilike(pattern, escape="\\"),
            )
        )
    if filters.since is not None:
        select = select.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        select = select.where(AuditEvent.at < filters.until)
    return select


def spreadsheet_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text and never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def as_csv(events: Iterable[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time (UTC)", "who", "action", "what", "detail", "address"])
    for event in events:
        writer.writerow(
            [
                event.at.isoformat(),
                spreadsheet_cell(event.actor_name),
                LABELS[event.action],
                spreadsheet_cell(event.target),
                spreadsheet_cell(event.detail),
                event.address or "",
            ]
        )
    return out.getvalue()
