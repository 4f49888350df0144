"""Who may see what: login for every page, admin rights for admin areas, a forced password
change, two-factor when it is required."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, logout_user

from desk import two_factor
from desk.extensions import login_manager

# Reachable while a password change is pending: the page itself, leaving, and the assets.
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}
# Reachable by an admin who must set up two-factor first (the admin_two_factor setting).
TWO_FACTOR_SETUP_ENDPOINTS = {
    "two_factor.index",
    "two_factor.setup",
    "two_factor.confirm",
    "two_factor.cancel",
    "auth.logout",
    "static",
}


def wants_json() -> bool:
    """The live data endpoints are polled by scripts, which need a status code, not a page."""
    return request.path.endswith(".json")


def require_login() -> Any:
    """`before_request` of every dashboard blueprint: anonymous visitors go to the login page."""
    if current_user.is_authenticated:
        return None
    if wants_json():
        abort(401)
    return login_manager.unauthorized()


def require_admin() -> Any:
    """`before_request` of the admin blueprints: every route in them is admin-only."""
    refusal = require_login()
    if refusal is not None:
        return refusal
    if not current_user.is_admin:
        abort(403)
    return None


def enforce_account_state() -> Any:
    """App-wide `before_request`: end deactivated sessions and hold pending password changes.

    A user deactivated after logging in already counts as anonymous, but the session still
    names them: it is ended here and they are told why. A user flagged must-change-password
    reaches nothing but that page.
    """
    if request.blueprint in ("api", "live"):
        return None  # the bot's token; the live mark checks its session itself
    if getattr(current_user, "active", True) is False:
        logout_user()
        flash("Your account has been deactivated. Ask an admin if this is a mistake.", "error")
        return redirect(url_for("auth.login"))
    if not current_user.is_authenticated:
        return None
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if wants_json():
            abort(403)
        return redirect(url_for("auth.change_password"))
    if (
        current_user.is_admin
        and not current_user.two_factor
        and request.endpoint not in TWO_FACTOR_SETUP_ENDPOINTS
        and two_factor.required_for(current_user)
    ):
        if wants_json():
            abort(403)
        flash("Admins must use two-factor login here. Set it up to continue.", "warning")
        return redirect(url_for("two_factor.index"))
    return None
