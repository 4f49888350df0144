"""Who may see what: login for every page, admin rights for admin areas, forced password change."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, logout_user

from desk.extensions import login_manager

# Reachable while a password change is pending: the page itself, leaving, and the assets.
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}


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
    if request.blueprint == "api":
        return None
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
    return None
