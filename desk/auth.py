"""Logging in and out, one's own password and Telegram link code (the rules: desk/logins.py,
desk/accounts.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from desk import accounts, linking, logins
from desk.extensions import db
from forms import ChangePasswordForm, EmptyForm, LoginForm
from models import User

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
        if user is not None:
            logins.succeeded(user)
            db.session.commit()
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
        "auth/account.html", user=current_user, link_code=linking.live_code(current_user)
    )


@bp.post("/account/link-code")
@login_required
def link_code():
    """Issue a one-time code to link one's Telegram account through the bot."""
    if EmptyForm().validate_on_submit():
        linking.new_code(current_user)
        db.session.commit()
    return redirect(url_for("auth.account"))
