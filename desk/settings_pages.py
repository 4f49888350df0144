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


def current_values() -> dict[str, int]:
    return {key: runtime_settings.get_int(key) for key in runtime_settings.SETTINGS}


@bp.route("/", methods=["GET", "POST"])
def index():
    """Change the escalation timeout and the other run-time settings."""
    form = SettingsForm(data=current_values())
    if form.validate_on_submit():
        # Only changed values are stored: an untouched setting keeps following its default.
        changed = [key for key, value in current_values().items() if form[key].data != value]
        before = current_values()
        for key in changed:
            setting, value = runtime_settings.SETTINGS[key], int(form[key].data)
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
    return render_template(
        "settings.html", form=form, settings=runtime_settings.SETTINGS
    ), 422 if form.errors else 200
