"""Checking a login: the password, and the throttle that locks a username after repeated
failures. The login page (desk/auth.py) asks; this module decides and changes the session
(the view commits, see desk/database.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import bcrypt
import sqlalchemy as sa
from flask import current_app

import models
from desk import clock
from desk.extensions import db
from models import User

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=5)
# The same words whether or not the username exists, so the form cannot be used to probe names.
FAILED_MESSAGE = "Wrong username or password."
LOCKED_MESSAGE = "Too many failed attempts for this username. Wait a few minutes, then try again."
UNKNOWN_NAMES_KEPT = 10_000  # bounds the memory a flood of made-up names can take


@dataclass
class Attempts:
    """Failed logins of one unknown username, kept in memory only."""

    failed_logins: int = 0
    locked_until: datetime | None = None


@cache
def dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"no such user", bcrypt.gensalt(rounds))


def unknown_attempts(username: str) -> Attempts:
    table: dict[str, Attempts] = current_app.extensions.setdefault("unknown_login_attempts", {})
    if username not in table and len(table) >= UNKNOWN_NAMES_KEPT:
        table.pop(next(iter(table)))
    return table.setdefault(username, Attempts())


def find_user(username: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == username.strip().lower())
    )


def check_login(username: str, password: str) -> tuple[User | None, str | None]:
    """The user these credentials open, or an error message; counts failures per username.

    Known and unknown names take the same path (a bcrypt check, the same counters and
    messages), so neither the words nor the time of the answer tell whether a name exists.
    """
    now = clock.now()
    user = find_user(username)
    if user is not None:
        password_ok = user.check_password(password)
        attempts: User | Attempts = user
    else:
        bcrypt.checkpw(models.bcrypt_input(password), dummy_hash(models.BCRYPT_ROUNDS))
        password_ok = False
        attempts = unknown_attempts(username.strip().lower())

    if attempts.locked_until is not None and attempts.locked_until > now:
        return None, LOCKED_MESSAGE
    if password_ok:
        attempts.failed_logins = 0
        attempts.locked_until = None
        return user, None
    if user is not None:
        failures = count_failure(user)
    else:
        attempts.failed_logins = (attempts.failed_logins or 0) + 1
        failures = attempts.failed_logins
    if failures >= MAX_FAILURES:
        attempts.failed_logins = 0
        attempts.locked_until = now + LOCK_DURATION
        return None, LOCKED_MESSAGE
    return None, FAILED_MESSAGE


def count_failure(user: User) -> int:
    """Add one failed login in the database itself and return the new count.

    Guesses sent in parallel each read the old count before any writes; an increment in the
    UPDATE counts every one of them, so parallel requests cannot get around the lock.
    """
    failures = db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.refresh(user)
    return failures


def record_login(user: User) -> None:
    user.last_login_at = clock.now()
