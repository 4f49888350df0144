"""Linking a Telegram account to a dashboard user with a one-time code."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from desk import audit, clock
from desk.extensions import db
from models import AuditAction, User

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I/L to misread
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=15)


class LinkRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def new_code(user: User) -> str:
    """Give the user a fresh one-time code to send the bot as `/link CODE` (the old one stops
    working)."""
    for _ in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(sa.select(User.id).where(User.link_code == code)) is None:
            break
    user.link_code = code
    user.link_code_expires_at = clock.now() + CODE_LIFETIME
    return code


def live_code(user: User) -> str | None:
    """The user's link code while it is still valid."""
    if user.link_code and user.link_code_expires_at and user.link_code_expires_at > clock.now():
        return user.link_code
    return None


def link(code: str, telegram_user_id: int, telegram_username: str | None) -> User:
    normalized = code.strip().upper()
    user = db.session.scalar(sa.select(User).where(User.link_code == normalized))
    if user is None or user.link_code_expires_at is None or user.link_code_expires_at < clock.now():
        raise LinkRefused(404, "this code is unknown or expired: get a new one in the dashboard")
    if not user.active:
        raise LinkRefused(403, "this dashboard account is deactivated")
    holder = db.session.scalar(sa.select(User).where(User.telegram_user_id == telegram_user_id))
    if holder is not None and holder.id != user.id:
        raise LinkRefused(
            409, f"this Telegram account is already linked to {holder.username}; unlink it first"
        )
    user.telegram_user_id = telegram_user_id
    user.telegram_username = telegram_username
    user.link_code = None
    user.link_code_expires_at = None
    detail = f"Telegram id {telegram_user_id}"
    audit.record(AuditAction.TELEGRAM_LINKED, user.username, detail, actor=user)
    return user
