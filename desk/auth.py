"""Logging in and out, the login throttle, one's own password and Telegram link code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

import bcrypt
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

import models
from desk import clock, linking
from desk.extensions import db
from forms import ChangePasswordForm, EmptyForm, LoginForm
from models import User

bp = Blueprint("auth", __name__)

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=5)
# The same words whether or not the username exists, so the form cannot be used to probe names.
FAILED_MESSAGE = "Wrong username or password."
LOCKED_MESSAGE = "Too many failed attempts for this username. Wait a few minutes, then try again."
UNKNOWN_NAMES_KEPT = 10_000  # bounds the memory a flood of made-up names can take

LINK_ALPHABET = linking.CODE_ALPHABET


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
    db.session.commit()
    db.session.refresh(user)
    return failures


def safe_next(target: str | None) -> str:
    """Follow `?next=` only within this site: an absolute URL there would be an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            if not target.startswith("//") and "\\" not in target:
                return target
    return url_for("overview.index")


issue_link_code = linking.new_code
live_link_code = linking.live_code


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with username and password; repeated failures lock the username for a while."""
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user, error = check_login(form.username.data, form.password.data)
        if user is not None and not user.active:
            user, error = None, "This account has been deactivated. Ask an admin."
        if user is not None:
            user.last_login_at = clock.now()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            if user.must_change_password:
                flash("Choose a new password before you continue.", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")))
        db.session.commit()  # the failure counters
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no other site can log a tech out)."""
    if EmptyForm().validate_on_submit():
        logout_user()
        flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; the only page open while a change is required."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            user = current_user._get_current_object()
            user.set_password(form.new_password.data)
            user.must_change_password = False
            db.session.commit()
            keep_signed_in(user)
            flash("Your password has been changed. Your other sessions have ended.", "success")
            return redirect(url_for("overview.index"))
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status


def keep_signed_in(user: User) -> None:
    """Renew this browser's session after a password change, which ends all the others
    (see `User.get_id`); a remember-me cookie is renewed too, if there was one."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=cookie in request.cookies)


@bp.get("/account")
@login_required
def account():
    """One's own account: password and the Telegram link."""
    return render_template(
        "auth/account.html", user=current_user, link_code=live_link_code(current_user)
    )


@bp.post("/account/link-code")
@login_required
def link_code():
    """Issue a one-time code to link one's Telegram account through the bot."""
    if EmptyForm().validate_on_submit():
        issue_link_code(current_user)
        db.session.commit()
    return redirect(url_for("auth.account"))
