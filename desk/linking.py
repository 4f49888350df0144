"""Linking a Telegram account to a dashboard user with a one-time code."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from desk import clock
from desk.extensions import db
from models import User

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=15)


class LinkRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def new_code(user: User) -> str:
    """Give the user a fresh one-time code (the old one stops working)."""
    user.link_code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    user.link_code_expires_at = clock.now() + CODE_LIFETIME
    return user.link_code


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
    db.session.commit()
    return user
