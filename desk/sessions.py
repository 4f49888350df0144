"""Signed-in browsers, kept on the server so that ending one ends it for real.

A cookie (the Flask session, or the remember-me cookie) carries "<user id>:<token>"; the
database keeps only the token's SHA-256. Logout ends this browser's row; a new password, a
deactivation or "sign out the others" end the rest. A copied cookie then opens nothing, remember-me
included, however long it was meant to last.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import request

from desk import clock
from desk.extensions import db
from models import LoginSession, User

TOKEN_BYTES = 32
ENDED_KEPT = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> str:
    """A new session for this browser; the user object now carries its token for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_hash(token),
            address=(request.remote_addr or "")[:64] or None,
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    user.session_token = token
    _forget_ended()
    return token


def _forget_ended() -> None:
    """Drop sessions ended a month ago: the list of browsers and the audit log keep what matters."""
    if clock.due("prune ended sessions", timedelta(hours=1)):
        db.session.execute(
            sa.delete(LoginSession)
            .where(LoginSession.ended_at < clock.now() - ENDED_KEPT)
            .execution_options(synchronize_session=False)
        )


def load(cookie_id: str) -> User | None:
    """The user of a live session cookie; None for an ended, unknown or malformed one."""
    user_id, _, token = cookie_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or int(user_id) >= 2**31 or not token:
        return None
    row = db.session.scalar(
        sa.select(LoginSession).where(
            LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None)
        )
    )
    if row is None or not hmac.compare_digest(str(row.user_id), user_id):
        return None
    user = db.session.get(User, row.user_id)
    if user is not None:
        user.session_token = token
    return user


def current(user: User) -> LoginSession | None:
    if not user.session_token:
        return None
    return db.session.scalar(
        sa.select(LoginSession).where(LoginSession.token_hash == _hash(user.session_token))
    )


def end(user: User) -> None:
    """End this browser's session (logout)."""
    if user.session_token:
        _end(LoginSession.token_hash == _hash(user.session_token))


def end_others(user: User, keep: str | None) -> int:
    """End every session of the user but the one whose token is `keep` (this browser's, after
    one's own new password or "sign out the others"; None ends them all)."""
    condition = LoginSession.user_id == user.id
    if keep:
        condition = sa.and_(condition, LoginSession.token_hash != _hash(keep))
    return _end(condition)


def end_all(user: User) -> int:
    return _end(LoginSession.user_id == user.id)


def _end(condition: sa.ColumnElement[bool]) -> int:
    result = db.session.execute(
        sa.update(LoginSession)
        .where(condition, LoginSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def live(user: User) -> list[LoginSession]:
    """The user's signed-in browsers, newest first."""
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
        )
    )
