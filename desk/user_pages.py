"""Users (admins): accounts, admin rights, passwords, Telegram links; the last admin is kept.

The rules live in desk/accounts.py; these views ask, flash what happened, and commit.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from desk import accounts, linking, logins, two_factor
from desk.extensions import db
from desk.permissions import require_admin
from forms import EmptyForm, ResetPasswordForm, UserForm
from models import ThrottleScope, User
from user_text import isolate

bp = Blueprint("user_pages", __name__, url_prefix="/users")
bp.before_request(require_admin)


def get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def change(user_id: int, action: Callable[[User], object], success: str):
    """Apply an account change (or say why not) and return to the user's page. `success` may
    name the user ({name}) and what the change returned ({result})."""
    user = get_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = action(user)
    except accounts.Refused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        db.session.commit()
        flash(success.format(name=isolate(user.display_name), result=result).strip(), "success")
    return redirect(url_for("user_pages.detail", user_id=user.id))


def user_page(user: User, status: int = 200, **forms: object):
    forms = {
        "form": UserForm(formdata=None, obj=user, editing=user),
        "password_form": ResetPasswordForm(formdata=None),
        "button_form": EmptyForm(formdata=None),
    } | forms
    page = render_template(
        "users/detail.html",
        user=user,
        link_code=linking.live_code(user),
        throttle=logins.throttle_of(user),
        deletable=accounts.is_deletable(user, current_user),
        **forms,
    )
    return page, status


@bp.get("/")
def index():
    """Every account: role, state, Telegram link and last login."""
    users = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.username)).all()
    return render_template("users/index.html", users=users, throttles=logins.active_throttles())


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a user with a first password (to be changed at first login by default)."""
    form = UserForm()
    if form.validate_on_submit():
        user = accounts.create(
            form.username.data,
            form.full_name.data or "",
            form.password.data,
            is_admin=form.is_admin.data,
            must_change_password=form.must_change_password.data,
        )
        db.session.commit()
        flash(f"Added {isolate(user.display_name)}. Next: link their Telegram account.", "success")
        return redirect(url_for("user_pages.detail", user_id=user.id))
    return render_template("users/new.html", form=form), 422 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def detail(user_id: int):
    """A user's page: name, role, state, password reset and Telegram link."""
    user = get_user(user_id)
    form = UserForm(obj=user, editing=user)
    if form.validate_on_submit():
        accounts.rename(user, form.username.data, form.full_name.data or "")
        db.session.commit()
        flash(f"Saved {isolate(user.display_name)}.", "success")
        return redirect(url_for("user_pages.detail", user_id=user.id))
    return user_page(user, 422 if form.errors else 200, form=form)


@bp.post("/<int:user_id>/grant-admin")
def grant_admin(user_id: int):
    """Make the user an admin."""
    return change(user_id, accounts.grant_admin, "{name} is now an admin.")


@bp.post("/<int:user_id>/revoke-admin")
def revoke_admin(user_id: int):
    """Take admin rights away, unless this is the last active admin."""
    return change(user_id, accounts.revoke_admin, "{name} is no longer an admin.")


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int):
    """Deactivate an account (history stays); never one's own or the last active admin."""

    def deactivate_user(user: User) -> str:
        accounts.deactivate(user, current_user)
        return accounts.left_behind(user)

    return change(
        user_id, deactivate_user, "{name} is deactivated and can no longer log in. {result}"
    )


@bp.post("/<int:user_id>/activate")
def activate(user_id: int):
    """Reactivate an account."""
    return change(user_id, accounts.activate, "{name} is active again.")


@bp.post("/<int:user_id>/clear-throttle")
def clear_throttle(user_id: int):
    """Forget the user's failed logins, so their next attempt needs no wait."""
    return change(user_id, logins.clear_user, "{name}'s failed logins are cleared.")


@bp.post("/throttles/<scope>/<path:key>/clear")
def clear_any_throttle(scope: str, key: str):
    """Forget the failed logins of any username typed, or of a client address."""
    if not EmptyForm().validate_on_submit() or scope not in set(ThrottleScope):
        abort(400)
    if logins.clear(ThrottleScope(scope), key):
        db.session.commit()
        flash(f"Cleared the failed logins of {isolate(key)}.", "success")
    return redirect(url_for("user_pages.index"))


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int):
    """Set a temporary password; the user must choose a new one at the next login."""
    user = get_user(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return user_page(user, 422, password_form=form)
    accounts.reset_password(user, form.password.data, by=current_user._get_current_object())
    db.session.commit()
    flash(
        f"Password reset. Give it to {isolate(user.display_name)}; they must change it at next"
        " login.",
        "success",
    )
    return redirect(url_for("user_pages.detail", user_id=user.id))


@bp.post("/<int:user_id>/reset-two-factor")
def reset_two_factor(user_id: int):
    """Turn off a user's two-factor login (a lost phone); their browsers are signed out."""
    return change(
        user_id,
        two_factor.reset,
        "{name}'s two-factor login is off and their sessions have ended. They log in with"
        " the password and can set it up again.",
    )


@bp.post("/<int:user_id>/link-code")
def link_code(user_id: int):
    """Issue a one-time code for the user to send the bot as `/link CODE`."""
    return change(
        user_id, accounts.issue_link_code, "Link code {result} issued: valid for 15 minutes."
    )


@bp.post("/<int:user_id>/unlink")
def unlink(user_id: int):
    """Forget the user's Telegram account (e.g. a lost phone); they can link a new one."""
    return change(
        user_id,
        accounts.unlink,
        "{name}'s Telegram account is unlinked; the bot will skip them.",
    )


@bp.post("/<int:user_id>/delete")
def delete(user_id: int):
    """Delete an account that was never used; one with history can only be deactivated."""
    user = get_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = isolate(user.display_name)
    try:
        accounts.delete(user, current_user)
    except accounts.Refused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("user_pages.detail", user_id=user.id))
    db.session.commit()
    flash(f"Deleted {name}.", "success")
    return redirect(url_for("user_pages.index"))
