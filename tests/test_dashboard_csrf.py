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


def test_an_answer_from_an_ended_session_goes_through_the_login_back_to_its_ticket(
    browser, make_ticket, db
):
    """Logged out in another tab: the answer is not saved, and the login leads back to the
    ticket, where the browser restores the draft (tests/test_browser_drafts.py)."""
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    token = csrf_token(browser, page)
    browser.post("/logout", data={"csrf_token": token})
    response = browser.post(
        f"{page}/answer",
        data={"text": "A long answer", "csrf_token": token},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 0
    login = csrf_token(browser, "/login")
    again = browser.post(
        response.location,
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": login},
        follow_redirects=True,
    )
    assert again.request.path == page  # where the browser restores the draft


def test_an_expired_form_of_a_signed_in_user_goes_back_to_its_page(browser, make_ticket, db):
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    response = browser.post(
        f"{page}/answer",
        data={"text": "Hi", "csrf_token": "stale"},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert (response.status_code, response.location) == (302, page)
    assert "nothing was saved" in browser.get(page).get_data(as_text=True)


def test_a_post_forged_by_another_site_is_still_refused_with_a_page(browser, make_user, db):
    bob = make_user("bob")
    response = browser.post(
        f"/users/{bob.id}/grant-admin", headers={"Referer": "https://evil.example/users/1"}
    )
    assert response.status_code == 400
    assert db.session.get(User, bob.id).is_admin is False


def test_a_login_after_an_ended_session_returns_an_answer_to_its_ticket(
    client, admin, make_ticket, fresh_g_per_request
):
    """Without CSRF (or with a remembered login), the login's `next` is the answer's address:
    its GET leads to the ticket, never to a 405 page."""
    ticket = make_ticket()
    response = client.get(f"/tickets/{ticket.id}/answer")
    assert response.status_code == 302 and "/login" in response.location
    token = csrf_token(client, "/login")
    client.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token}
    )
    back = client.get(f"/tickets/{ticket.id}/answer")
    assert (back.status_code, back.location) == (302, f"/tickets/{ticket.id}#answer-form")


def test_a_refused_live_poll_leaves_the_session_alone(client, make_ticket):
    """A signed-out tab's poll must not mint a session: arriving after the login page set
    its CSRF token, it would replace that one and the login would be refused."""
    ticket = make_ticket()
    response = client.get(f"/tickets/{ticket.id}/live.json")
    assert response.status_code == 401
    assert response.is_json
    assert response.headers.get("Set-Cookie") is None


def test_a_login_form_whose_token_raced_goes_back_to_the_same_login(browser, make_ticket):
    """The login page's token can lose a race with a poll of the page before it: the second
    try must still lead to the ticket, not to a login whose next is a login."""
    page = "/login?next=/tickets/1"
    response = browser.post(
        page,
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": "stale"},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert response.status_code == 302
    assert response.location == page


def test_a_signed_in_user_sent_to_the_login_goes_on_to_its_next_page(browser, make_ticket):
    ticket = make_ticket()
    response = browser.get(f"/login?next=/tickets/{ticket.id}")
    assert response.location == f"/tickets/{ticket.id}"
    assert browser.get("/login?next=https://evil.example/").location == "/"
