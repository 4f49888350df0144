"""Logging in and out, one's own password and Telegram link code (the rules: desk/logins.py,
desk/accounts.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from desk import accounts, audit, linking, logins, sessions
from desk.extensions import db
from forms import ChangePasswordForm, EmptyForm, LoginForm
from models import AuditAction

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Follow `?next=` only within this site: an absolute URL there would be an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            if not target.startswith("//") and "\\" not in target:
                return target
    return url_for("overview.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with username and password; repeated failures make the next attempts wait."""
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"))
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
        if user is not None:
            logins.succeeded(user)
            sessions.start(user)
            db.session.commit()
            # A fresh Flask session (and with it a new CSRF token): nothing an attacker planted
            # in this browser's session before the login survives it.
            session.clear()
            login_user(user, remember=form.remember.data)
            if user.must_change_password:
                flash("Choose a new password before you continue.", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error)


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
    """One's own account: password and the Telegram link."""
    return render_template(
        "auth/account.html",
        user=current_user,
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
