"""Checking a login: the password, and the throttle that slows down guessing.

The throttle is kept in the database, so every worker sees the same counts. It counts
failures per username typed (real or not: the answer and its timing never tell which names
exist) and per client address. After a few free failures each further attempt must wait a
delay that doubles up to a minute: an attacker gets about one guess a minute, while the real
user, with the right password, is in after that short wait. Nobody can lock an account for
good. An attempt counts as a failure the moment it starts, before the slow password check,
so a burst of guesses sent at once cannot slip past the count.

The login page (desk/auth.py) asks; this module decides and changes the session. The view
commits the attempt before checking the password (see desk/database.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import bcrypt
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import models
from desk import audit, clock
from desk.extensions import db
from models import AuditAction, LoginThrottle, ThrottleScope, User

# Failures allowed before the delays start: an office behind one address gets more room.
FREE_FAILURES = {ThrottleScope.USERNAME: 5, ThrottleScope.ADDRESS: 20}
MAX_DELAY = timedelta(minutes=1)
QUIET = timedelta(minutes=15)  # failures are forgotten after this long without an attempt
# The same words whether or not the username exists, so the form cannot be used to probe names.
FAILED_MESSAGE = "Wrong username or password."
WAIT_MESSAGE = "Too many failed attempts. Wait {seconds} s, then try again."


@dataclass(frozen=True)
class Wait:
    """An attempt refused before its password was read: how long until the next may come."""

    seconds: int

    @property
    def message(self) -> str:
        return WAIT_MESSAGE.format(seconds=self.seconds)


@cache
def dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"no such user", bcrypt.gensalt(rounds))


def username_key(username: str) -> str:
    return username.strip().casefold()[:255]


def find_user(username: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == username.strip().lower())
    )


def delay(failures: int, scope: ThrottleScope) -> timedelta | None:
    """The wait after `failures` attempts that did not succeed: none while they are free."""
    over = failures - FREE_FAILURES[scope]
    if over < 0:
        return None
    return min(timedelta(seconds=2**over), MAX_DELAY)


def begin_attempt(username: str, address: str | None) -> Wait | None:
    """Count a login attempt against its username and address; a Wait if either must wait.

    The caller commits at once: the count then holds for every worker before the password is
    checked, and the row lock of the UPDATE makes a parallel burst take its turns.
    """
    now = clock.now()
    keys = [(ThrottleScope.USERNAME, username_key(username))]
    if address:
        keys.append((ThrottleScope.ADDRESS, address[:255]))
    waits = [wait for scope, key in keys if (wait := _count(scope, key, now)) is not None]
    return max(waits, default=None, key=lambda wait: wait.seconds)


def _count(scope: ThrottleScope, key: str, now: datetime) -> Wait | None:
    row = _increment(scope, key, now)
    if row is None:
        blocked = db.session.scalar(
            sa.select(LoginThrottle.blocked_until).where(
                LoginThrottle.scope == scope, LoginThrottle.key == key
            )
        )
        if blocked is not None:
            return Wait(max(1, math.ceil((blocked - now).total_seconds())))
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(scope=scope, key=key, failures=1, last_attempt_at=now))
        except IntegrityError:
            row = _increment(scope, key, now)  # a parallel first attempt made the row
            if row is None:
                return _count(scope, key, now)
        else:
            _forget_quiet(now)
            row = 1
    pause = delay(row, scope)
    if pause is not None:
        db.session.execute(
            sa.update(LoginThrottle)
            .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
            .values(blocked_until=now + pause)
            .execution_options(synchronize_session=False)
        )
    return None


def _increment(scope: ThrottleScope, key: str, now: datetime) -> int | None:
    """One more attempt on the row if it may try now; its count, or None (blocked or new)."""
    quiet_since = now - QUIET
    return db.session.execute(
        sa.update(LoginThrottle)
        .where(
            LoginThrottle.scope == scope,
            LoginThrottle.key == key,
            sa.or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now),
        )
        .values(
            failures=sa.case(
                (LoginThrottle.last_attempt_at < quiet_since, 1),
                else_=LoginThrottle.failures + 1,
            ),
            last_attempt_at=now,
            blocked_until=None,
        )
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def _forget_quiet(now: datetime) -> None:
    """Drop rows quiet for a day: a flood of invented names cannot grow the table for ever."""
    db.session.execute(
        sa.delete(LoginThrottle)
        .where(LoginThrottle.last_attempt_at < now - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )


def check_password(username: str, password: str) -> User | None:
    """The user these credentials open, or None. Known and unknown names both cost one bcrypt
    check, so the time of the answer does not tell whether a name exists."""
    user = find_user(username)
    if user is None:
        bcrypt.checkpw(models.bcrypt_input(password), dummy_hash(models.BCRYPT_ROUNDS))
        return None
    return user if user.check_password(password) else None


def succeeded(user: User) -> None:
    """The right password: the username's count starts again (the address's keeps decaying,
    so one account of one's own cannot reset a spray of guesses at others)."""
    clear(ThrottleScope.USERNAME, username_key(user.username), audited=False)
    user.last_login_at = clock.now()
    audit.record(AuditAction.LOGIN, user.username, actor=user)


def failed(username: str, wait: Wait | None, reason: str = "wrong username or password") -> None:
    """A refused login, under the name typed (no password or code, ever)."""
    detail = f"throttled: wait {wait.seconds} s" if wait else reason
    audit.record(AuditAction.LOGIN_FAILED, username.strip()[:64], detail)


def clear(scope: ThrottleScope, key: str, *, audited: bool = True) -> bool:
    """Forget a throttle (an admin, the `unlock` command, a password reset)."""
    result = db.session.execute(
        sa.delete(LoginThrottle)
        .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount and audited:
        audit.record(AuditAction.THROTTLE_CLEARED, key, f"{scope.value} throttle")
    return result.rowcount > 0


def clear_user(user: User) -> None:
    clear(ThrottleScope.USERNAME, username_key(user.username))


def throttle_of(user: User) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, (ThrottleScope.USERNAME, username_key(user.username)))


def active_throttles(now: datetime | None = None) -> list[LoginThrottle]:
    """Throttles that slow someone down now or soon (past their free failures), newest first."""
    now = now or clock.now()
    rows = db.session.scalars(
        sa.select(LoginThrottle)
        .where(LoginThrottle.last_attempt_at >= now - QUIET)
        .order_by(LoginThrottle.last_attempt_at.desc())
        .limit(200)
    )
    return [row for row in rows if row.failures >= FREE_FAILURES[row.scope]]
