"""Run-time settings (admins): escalation timing kept in SystemConfig, validated by range."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from desk import audit, escalation_steps, runtime_settings
from desk.extensions import db
from desk.permissions import require_admin
from forms import settings_form_class
from models import AuditAction

bp = Blueprint("settings_pages", __name__, url_prefix="/settings")
bp.before_request(require_admin)

SettingsForm = settings_form_class(runtime_settings.SETTINGS)


def stored_values() -> dict[str, int]:
    return runtime_settings.get_ints(*runtime_settings.SETTINGS)


def page_values(stored: dict[str, int]) -> dict[str, int]:
    """The values in the page's units (minutes for the timeouts kept in seconds)."""
    settings = runtime_settings.SETTINGS
    return {key: runtime_settings.on_page(settings[key], value) for key, value in stored.items()}


@bp.route("/", methods=["GET", "POST"])
def index():
    """Change the escalation timeout and the other run-time settings."""
    before = stored_values()
    form = SettingsForm(data=page_values(before))
    if form.validate_on_submit():
        # Only changed values are stored: an untouched setting keeps following its default.
        changed = [key for key, value in page_values(before).items() if form[key].data != value]
        for key in changed:
            setting = runtime_settings.SETTINGS[key]
            value = int(form[key].data) * setting.unit
            runtime_settings.set_int(key, value, current_user.id)
            was = runtime_settings.shown(setting, before[key])
            now = runtime_settings.shown(setting, value)
            audit.record(AuditAction.SETTING_CHANGED, setting.label, f"{was} → {now}")
        if {"escalation_timeout", "ack_timeout", "owner_silence"} & set(changed):
            escalation_steps.reschedule_open_tickets()
        db.session.commit()
        if changed:
            labels = ", ".join(runtime_settings.SETTINGS[key].label for key in changed)
            flash(f"Saved {labels}. It applies from the next escalation step.", "success")
        else:
            flash("Nothing changed.", "info")
        return redirect(url_for("settings_pages.index"))
    notes = {
        key: runtime_settings.in_force(runtime_settings.SETTINGS[key], value)
        for key, value in before.items()
    }
    return render_template(
        "settings.html", form=form, settings=runtime_settings.SETTINGS, notes=notes
    ), 422 if form.errors else 200
