"""The audit log: every change to people, rights, schedules, settings and logins leaves a line
saying who, what, when and from where, never a secret; admins filter it and download it."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from conftest import ADMIN_PASSWORD, TECH_PASSWORD, AuthActions
from test_schedule_pages import slot_form

from desk import runtime_settings
from models import AuditAction, AuditEvent


def lines(db) -> list[tuple[str, str, str, str]]:
    """(who, action, what, detail) of every audit line, oldest first."""
    db.session.expire_all()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_name, e.action.value, e.target, e.detail) for e in events]


def test_account_changes_are_recorded_with_who_and_never_a_secret(admin_client, tech, db):
    db.session.execute(sa.delete(AuditEvent))  # the admin's own login
    db.session.commit()
    admin_client.post(f"/users/{tech.id}/grant-admin")
    admin_client.post(f"/users/{tech.id}/revoke-admin")
    admin_client.post(f"/users/{tech.id}/password", data={"password": "temp-pass-456"})
    admin_client.post(f"/users/{tech.id}/link-code")
    admin_client.post(f"/users/{tech.id}/deactivate")
    admin_client.post(f"/users/{tech.id}/activate")
    assert [line[:3] for line in lines(db)] == [
        ("admin", "admin_granted", "tess"),
        ("admin", "admin_revoked", "tess"),
        ("admin", "password_reset", "tess"),
        ("admin", "link_code_issued", "tess"),
        ("admin", "user_deactivated", "tess"),
        ("admin", "user_activated", "tess"),
    ]
    db.session.refresh(tech)
    everything = " ".join(" ".join(line) for line in lines(db))
    assert "temp-pass-456" not in everything
    assert tech.link_code is None  # ended by the deactivation; the code was never written


def test_logins_are_recorded_with_the_address_and_the_name_typed(app, tech, db, clock):
    browser = AuthActions(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    browser.login("tess", "wrong-guess")
    browser.login("nobody-here", "wrong-guess")
    browser.login("tess", TECH_PASSWORD)
    browser.logout()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.target, e.address) for e in events] == [
        (AuditAction.LOGIN_FAILED, "tess", "198.51.100.7"),
        (AuditAction.LOGIN_FAILED, "nobody-here", "198.51.100.7"),
        (AuditAction.LOGIN, "tess", "198.51.100.7"),
        (AuditAction.LOGOUT, "tess", "198.51.100.7"),
    ]
    assert "wrong-guess" not in " ".join(e.detail for e in events)


def test_schedule_and_settings_changes_are_recorded(admin_client, tech, db):
    admin_client.post("/schedule/new", data=slot_form(primary=tech.id))
    untouched = {k: str(s.default) for k, s in runtime_settings.SETTINGS.items() if not s.switch}
    untouched |= {k: "y" for k, s in runtime_settings.SETTINGS.items() if s.switch and s.default}
    admin_client.post("/settings/", data=untouched | {"escalation_timeout": "10"})
    admin_client.post("/schedule/1/delete")
    recorded = [line for line in lines(db) if line[1] != "login"]
    assert [(who, action) for who, action, _, _ in recorded] == [
        ("admin", "slot_saved"),
        ("admin", "setting_changed"),
        ("admin", "slot_deleted"),
    ]
    assert recorded[1][2:] == ("Escalation timeout (minutes)", "15 min → 10 min")


def test_the_command_line_is_named_as_the_actor(app, admin, db):
    app.test_cli_runner().invoke(
        args=["set-password", "admin"], input="back-in-again\nback-in-again\n"
    )
    assert lines(db)[-1][:3] == ("command line", "password_reset", "admin")


def test_admins_filter_the_log_and_download_it_as_csv(admin_client, app, tech, db):
    AuthActions(app.test_client()).login("tess", "wrong-guess")
    AuthActions(app.test_client()).login("=cmd|' /C calc'!A0", "wrong-guess")
    admin_client.post(f"/users/{tech.id}/grant-admin")

    def shown(**query) -> list[str]:
        page = admin_client.get("/audit/", query_string=query).get_data(as_text=True)
        page = re.sub(r"</?bdi>", "", page)  # names are isolated; the cells' text is the same
        return re.findall(r'<tr data-role="audit-event">\s*<td>[^<]*</td>\s*<td>([^<]*)</td>'
                          r'\s*<td>([^<]*)</td>', page)  # fmt: skip

    assert shown(action="login_failed") == [("—", "Failed login")] * 2
    assert shown(actor="ADMIN") == [("admin", "Admin rights granted"), ("admin", "Logged in")]
    assert [label for _, label in shown(text="tess")] == ["Admin rights granted", "Failed login"]
    assert shown(since="2999-01-01") == []
    assert len(shown(action="no-such-action", page="99999999999999")) == 4  # forgiven

    response = admin_client.get("/audit/export.csv", query_string={"action": "login_failed"})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["time (UTC)", "who", "action", "what", "detail", "address"]
    assert [row[3] for row in rows[1:]] == ["'=cmd|' /C calc'!A0", "tess"]  # no formula runs


def test_lines_older_than_the_retention_are_deleted(clock, admin_client, app, db):
    before = len(lines(db))
    clock.advance(days=366)
    AuthActions(app.test_client()).login("admin", ADMIN_PASSWORD)
    assert before >= 1 and lines(db) == [("admin", "login", "admin", "")]
