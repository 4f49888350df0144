"""CSRF protection, switched on as in production: a POST without the form's token is refused."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import ADMIN_PASSWORD

from models import SupportResponse, User


@pytest.fixture
def app_config(app_config):
    return app_config | {"WTF_CSRF_ENABLED": True}


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"', page
    )
    return found.group(1)


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_login_without_a_token_is_refused(client, admin, fresh_g_per_request):
    response = client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert "did not come from this dashboard" in response.get_data(as_text=True)
    assert not logged_in(client)


@pytest.fixture
def browser(client, admin, fresh_g_per_request):
    """A client logged in through the form, token and all."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return client


def test_logout_without_a_token_is_refused(browser):
    assert browser.post("/logout").status_code == 400
    assert logged_in(browser)
    token = csrf_token(browser, "/")
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not logged_in(browser)


def test_an_answer_without_a_token_is_refused(browser, make_ticket, db):
    ticket = make_ticket()
    assert browser.post(f"/tickets/{ticket.id}/answer", data={"text": "Hi"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 0
    token = csrf_token(browser, f"/tickets/{ticket.id}")
    response = browser.post(
        f"/tickets/{ticket.id}/answer", data={"text": "Hi", "csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 1


def test_an_admin_action_without_a_token_is_refused(browser, make_user, db):
    bob = make_user("bob")
    assert browser.post(f"/users/{bob.id}/grant-admin").status_code == 400
    db.session.refresh(bob)
    assert bob.is_admin is False
    token = csrf_token(browser, f"/users/{bob.id}")
    assert (
        browser.post(f"/users/{bob.id}/grant-admin", data={"csrf_token": token}).status_code == 302
    )
    db.session.refresh(bob)
    assert bob.is_admin is True


def test_a_token_from_another_session_is_refused(browser, app, make_user, db):
    bob = make_user("bob")
    stranger = app.test_client()
    foreign_token = csrf_token(stranger, "/login")
    response = browser.post(f"/users/{bob.id}/grant-admin", data={"csrf_token": foreign_token})
    assert response.status_code == 400
    assert db.session.get(User, bob.id).is_admin is False


def test_the_bot_api_needs_no_csrf_token(api, support_payload):
    assert api.post("/api/support_message", support_payload()).status_code == 201
