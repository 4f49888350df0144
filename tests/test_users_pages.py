"""The users pages: accounts, admin rights, deactivation, passwords, Telegram linking."""

from __future__ import annotations

import re
from datetime import time

import pytest
import sqlalchemy as sa
from conftest import AuthActions

from desk import ticket_actions
from models import ScheduleSlot, User
from user_text import FSI, PDI


def text_of(response) -> str:
    return response.get_data(as_text=True)


def flash_after(client, response) -> str:
    """The page a change leads to, as read: the marks that isolate a name are invisible."""
    return text_of(client.get(response.location)).replace(FSI, "").replace(PDI, "")


def test_user_list_shows_role_state_and_telegram_link(admin_client, make_user):
    make_user("bob", full_name="Bob", telegram_user_id=4242, telegram_username="bobtg")
    make_user("una", full_name="Una")
    make_user("gus", full_name="Gus", active=False)
    page = text_of(admin_client.get("/users/"))
    bob = re.search(r"<tr class=\"\">.*?Bob.*?</tr>", page, re.S).group(0)
    assert "Linked" in bob and "@<bdi>bobtg</bdi>" in bob
    una = re.search(r"<tr class=\"\">(?:(?!</tr>).)*Una.*?</tr>", page, re.S).group(0)
    assert "Not linked" in una
    assert re.search(r'<tr class="is-inactive">.*?Gus.*?Deactivated', page, re.S)
    assert "Admin</span>" in page


def test_admin_adds_a_user_who_must_change_the_first_password(admin_client, app, db):
    response = admin_client.post(
        "/users/new",
        data={
            "username": "newbie",
            "full_name": "New Bie",
            "password": "first-pass-1",
            "must_change_password": "y",
        },
    )
    user = db.session.scalar(sa.select(User).where(User.username == "newbie"))
    assert response.location == f"/users/{user.id}"
    assert "Added New Bie." in flash_after(admin_client, response)
    assert (user.is_admin, user.active, user.must_change_password) == (False, True, True)

    newbie = app.test_client()
    assert AuthActions(newbie).login("newbie", "first-pass-1").location == "/account/password"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "ADMIN"}, "username", "This username is taken."),
        ({"username": "no spaces"}, "username", "Use letters, digits, dot, dash and underscore"),
        ({"username": ""}, "username", "This field is required."),
        ({"password": "short"}, "password", "Use at least 8 characters."),
    ],
)
def test_bad_user_input_is_shown_next_to_the_field(admin_client, db, data, field, message):
    form = {"username": "newbie", "full_name": "", "password": "first-pass-1"} | data
    response = admin_client.post("/users/new", data=form)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-errors">\s*<li>{re.escape(message)}', text_of(response))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_admin_renames_a_user(admin_client, tech, db):
    response = admin_client.post(
        f"/users/{tech.id}", data={"username": "tess2", "full_name": "Tess Tester"}
    )
    assert "Saved Tess Tester." in flash_after(admin_client, response)
    db.session.refresh(tech)
    assert (tech.username, tech.full_name) == ("tess2", "Tess Tester")
    taken = admin_client.post(f"/users/{tech.id}", data={"username": "admin", "full_name": ""})
    assert taken.status_code == 422 and "This username is taken." in text_of(taken)


def test_grant_and_revoke_admin(admin_client, app, tech, db):
    response = admin_client.post(f"/users/{tech.id}/grant-admin")
    assert "Tess Tech is now an admin." in flash_after(admin_client, response)
    db.session.refresh(tech)
    assert tech.is_admin
    response = admin_client.post(f"/users/{tech.id}/revoke-admin")
    assert "Tess Tech is no longer an admin." in flash_after(admin_client, response)
    db.session.refresh(tech)
    assert not tech.is_admin


def test_the_last_active_admin_cannot_be_demoted(admin_client, admin, make_user, db):
    make_user("old", is_admin=True, active=False)  # an inactive admin does not count
    response = admin_client.post(f"/users/{admin.id}/revoke-admin")
    assert (
        "Administrator is the last active admin: make someone else an admin first."
        in flash_after(admin_client, response)
    )
    db.session.refresh(admin)
    assert admin.is_admin


def test_an_admin_can_step_down_once_there_is_another(admin_client, admin, make_user, db):
    make_user("second", is_admin=True)
    response = admin_client.post(f"/users/{admin.id}/revoke-admin")
    assert response.location == f"/users/{admin.id}"
    db.session.refresh(admin)
    assert not admin.is_admin
    assert admin_client.get("/users/").status_code == 403  # the change applies at once


def test_the_last_active_admin_cannot_be_deactivated(
    app, admin, make_user, db, fresh_g_per_request
):
    """Even by another admin whose own rights were just revoked between two clicks."""
    other = make_user("other", password="other-pass-1", is_admin=True)
    client = app.test_client()
    AuthActions(client).login("other", "other-pass-1")
    admin.is_admin = False
    db.session.commit()
    # `other` is now the only active admin, and must not deactivate or demote themselves.
    assert "You cannot deactivate your own account." in flash_after(
        client, client.post(f"/users/{other.id}/deactivate")
    )
    assert "is the last active admin" in flash_after(
        client, client.post(f"/users/{other.id}/revoke-admin")
    )
    db.session.refresh(other)
    assert (other.active, other.is_admin) == (True, True)


def test_a_user_with_history_is_deactivated_and_told_what_is_left(
    admin_client, admin, tech, make_ticket, db
):
    ticket = make_ticket()
    ticket_actions.take(ticket, tech)
    db.session.add(
        ScheduleSlot(weekday=0, start_time=time(8), end_time=time(16), primary_id=tech.id)
    )
    db.session.commit()
    page = text_of(admin_client.get(f"/users/{tech.id}"))
    assert "Accounts with history are deactivated, never deleted." in page
    assert f'action="/users/{tech.id}/delete"' not in page

    response = admin_client.post(f"/users/{tech.id}/deactivate")
    message = flash_after(admin_client, response)
    assert "Tess Tech is deactivated and can no longer log in." in message
    assert "is still in 1 schedule slot(s)" in message
    assert "has 1 unresolved ticket(s) assigned" in message
    db.session.refresh(tech)
    assert tech.active is False

    refused = admin_client.post(f"/users/{tech.id}/delete")
    assert "has history" in flash_after(admin_client, refused)
    assert db.session.get(User, tech.id) is not None

    admin_client.post(f"/users/{tech.id}/activate")
    db.session.refresh(tech)
    assert tech.active is True


def test_a_user_without_history_can_be_deleted(admin_client, make_user, db):
    typo = make_user("tpyo")
    assert f'action="/users/{typo.id}/delete"' in text_of(admin_client.get(f"/users/{typo.id}"))
    response = admin_client.post(f"/users/{typo.id}/delete")
    assert response.location == "/users/"
    assert "Deleted tpyo." in flash_after(admin_client, response)
    assert db.session.scalar(sa.select(User).where(User.username == "tpyo")) is None


def test_nobody_deactivates_or_deletes_themselves(admin_client, admin, make_user, db):
    make_user("second", is_admin=True)
    page = text_of(admin_client.get(f"/users/{admin.id}"))
    assert f'action="/users/{admin.id}/deactivate"' not in page
    response = admin_client.post(f"/users/{admin.id}/deactivate")
    assert "You cannot deactivate your own account." in flash_after(admin_client, response)
    response = admin_client.post(f"/users/{admin.id}/delete")
    assert "You cannot delete your own account." in flash_after(admin_client, response)
    db.session.refresh(admin)
    assert admin.active


def test_reset_password_forces_a_change_at_next_login(admin_client, app, tech, db):
    response = admin_client.post(f"/users/{tech.id}/password", data={"password": "temp-pass-9"})
    assert "Password reset." in flash_after(admin_client, response)
    db.session.refresh(tech)
    assert tech.must_change_password and tech.check_password("temp-pass-9")
    client = app.test_client()
    assert AuthActions(client).login("tess", "temp-pass-9").location == "/account/password"


def test_a_short_reset_password_is_refused_next_to_the_field(admin_client, tech, db):
    response = admin_client.post(f"/users/{tech.id}/password", data={"password": "short"})
    assert response.status_code == 422
    assert re.search(r'id="password-errors">\s*<li>Use at least 8', text_of(response))
    db.session.refresh(tech)
    assert not tech.must_change_password


def test_admin_issues_a_link_code_and_sees_the_message_to_send(admin_client, tech, db):
    page = text_of(admin_client.get(f"/users/{tech.id}"))
    assert "Not linked" in page
    response = admin_client.post(f"/users/{tech.id}/link-code")
    db.session.refresh(tech)
    page = flash_after(admin_client, response)
    assert f"Link code {tech.link_code} issued" in page
    assert f'data-role="link-message">/link {tech.link_code}</code>' in page
    assert "Ask <bdi>Tess Tech</bdi> to send this message to the bot" in page


def test_admin_unlinks_a_telegram_account(admin_client, tech, db):
    tech.telegram_user_id = 4242
    db.session.commit()
    response = admin_client.post(f"/users/{tech.id}/unlink")
    assert "Telegram account is unlinked" in flash_after(admin_client, response)
    db.session.refresh(tech)
    assert tech.telegram_user_id is None


DEACTIVATED = "Bob Baker is deactivated: the bot does not page them"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"telegram_user_id": 4242}, "The bot can page Bob Baker."),
        ({"telegram_user_id": 4242, "active": False}, DEACTIVATED),
        ({"active": False}, DEACTIVATED),
        ({}, "The bot cannot page Bob Baker until a Telegram account is linked."),
    ],
)
def test_a_users_page_says_what_the_bot_will_do_with_them(admin_client, make_user, fields, says):
    bob = make_user("bob", full_name="Bob Baker", **fields)
    page = " ".join(re.sub(r"<[^>]+>", "", text_of(admin_client.get(f"/users/{bob.id}"))).split())
    assert says in page
    if "deactivated" in says:
        assert "can page" not in page
