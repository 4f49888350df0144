"""Logging in and out, one's own password and Telegram link code (the rules: desk/logins.py,
desk/accounts.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from desk import accounts, audit, clock, linking, logins, sessions, two_factor
from desk.extensions import db
from forms import ChangePasswordForm, EmptyForm, LoginForm, TwoFactorLoginForm
from models import AuditAction, User

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Follow `?next=` only within this site: an absolute URL there would be an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            if not target.startswith("//") and "\\" not in target:
                return target
    return url_for("overview.index")


# The code step of a login, kept in the (signed) Flask session between the two pages.
PENDING = "pending_login"
CODE_STEP = timedelta(minutes=5)
CODE_TRIES = 5  # wrong codes before the password must be typed again
WRONG_CODE = "That code is not right. Type the newest code from your app, or a recovery code."


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with username and password; repeated failures make the next attempts wait."""
    if current_user.is_authenticated:
        # Signed in meanwhile (another tab, a second try): on to where the login was leading.
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        wait = logins.begin_attempt(form.username.data, request.remote_addr)
        # The attempt counts for every worker before the slow password check starts.
        db.session.commit()
        user = None if wait else logins.check_password(form.username.data, form.password.data)
        if wait:
            error = wait.message
        elif user is None:
            error = logins.FAILED_MESSAGE
        elif not user.active:
            user, error = None, "This account has been deactivated. Ask an admin."
        if user is None:
            logins.failed(form.username.data, wait)
            db.session.commit()
        elif user.two_factor:
            # The password alone opens nothing: the code step signs in. Its count on the
            # username's throttle goes on, so codes are guessed no faster than passwords.
            session.clear()
            session[PENDING] = {
                "user": user.id,
                "remember": bool(form.remember.data),
                "next": request.args.get("next"),
                "since": clock.now().timestamp(),
                "tries": 0,
            }
            return redirect(url_for("auth.login_code"))
        else:
            logins.succeeded(user)
            return finish_login(user, remember=form.remember.data, target=request.args.get("next"))
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The login's second step, for users with two-factor on (desk/two_factor.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"))
    pending = session.get(PENDING)
    user = _pending_user(pending)
    if user is None:
        session.pop(PENDING, None)
        if pending:
            flash("Log in again: the code must follow the password within 5 minutes.", "warning")
        return redirect(url_for("auth.login"))
    form = TwoFactorLoginForm()
    error = None
    if form.validate_on_submit():
        wait = logins.begin_attempt(user.username, request.remote_addr)
        db.session.commit()
        if not wait and two_factor.verify(user, form.code.data):
            logins.succeeded(user)
            return finish_login(user, remember=pending["remember"], target=pending["next"])
        error = wait.message if wait else WRONG_CODE
        logins.failed(user.username, wait, reason="wrong two-factor code")
        db.session.commit()
        if not wait:  # a throttled attempt checked no code
            pending["tries"] += 1
        session[PENDING] = pending
        if pending["tries"] >= CODE_TRIES:
            session.pop(PENDING)
            flash("Too many wrong codes. Log in again.", "error")
            return redirect(url_for("auth.login"))
    status = 422 if error or form.errors else 200
    return render_template("auth/login_code.html", form=form, error=error), status


def _pending_user(pending: object) -> User | None:
    """The user whose password was right a moment ago, while the code step is still open."""
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    started = datetime.fromtimestamp(pending.get("since", 0), UTC)
    if clock.now() - started > CODE_STEP:
        return None
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or not user.two_factor:
        return None
    return user


def recheck_wait(user: User) -> str | None:
    """A password or code typed again inside a session counts on the login throttle too, so a
    stolen session cookie is no faster way to guess them; the wait's words, if it must wait."""
    wait = logins.begin_attempt(user.username, request.remote_addr)
    db.session.commit()
    return wait.message if wait else None


def finish_login(user: User, *, remember: bool, target: str | None):
    """Sign the browser in: a server-side session, and a fresh Flask session (with it a new
    CSRF token), so nothing an attacker planted in this browser before the login survives."""
    sessions.start(user)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember)
    if user.must_change_password:
        flash("Choose a new password before you continue.", "warning")
        return redirect(url_for("auth.change_password"))
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no other site can log a tech out)."""
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            # Ended on the server: a copy of this browser's cookies opens nothing any more.
            sessions.end(current_user._get_current_object())
            audit.record(AuditAction.LOGOUT, current_user.username)
            db.session.commit()
        logout_user()
        flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; the only page open while a change is required."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            if wait := recheck_wait(user):
                raise accounts.Refused(wait)
            accounts.change_own_password(user, form.current_password.data, form.new_password.data)
        except accounts.Refused as refusal:
            form.current_password.errors.append(str(refusal))
        else:
            db.session.commit()
            flash("Your password has been changed. Your other sessions have ended.", "success")
            return redirect(url_for("overview.index"))
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status


@bp.get("/account")
@login_required
def account():
    """One's own account: password, two-factor and the Telegram link."""
    return render_template(
        "auth/account.html",
        user=current_user,
        recovery_left=two_factor.recovery_codes_left(current_user),
        link_code=linking.live_code(current_user),
        browsers=sessions.live(current_user),
        this_browser=sessions.current(current_user),
    )


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign out every other browser (a lost phone, a shared computer)."""
    if EmptyForm().validate_on_submit():
        ended = sessions.end_others(current_user, keep=current_user.session_token)
        audit.record(AuditAction.SESSIONS_ENDED, current_user.username, f"{ended} other(s)")
        db.session.commit()
        flash(f"Signed out {ended} other session(s).", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/link-code")
@login_required
def link_code():
    """Issue a one-time code to link one's Telegram account through the bot."""
    if EmptyForm().validate_on_submit():
        accounts.issue_link_code(current_user._get_current_object())
        db.session.commit()
    return redirect(url_for("auth.account"))
