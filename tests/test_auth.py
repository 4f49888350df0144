"""Logging in and out, the forced password change and Telegram link codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import ADMIN_PASSWORD, TECH_PASSWORD, AuthActions, logged_in_client

from desk.linking import CODE_ALPHABET as LINK_ALPHABET
from desk.logins import FAILED_MESSAGE
from models import User


def page_text(response) -> str:
    return response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/tickets/?status=open")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Ftickets%2F%3Fstatus%3Dopen"
    assert "Log in" in page_text(client.get(response.location))


def test_login_opens_the_overview_and_records_the_time(auth, admin, clock, db):
    response = auth.login()
    assert response.status_code == 302
    assert response.location == "/"
    overview = auth.client.get("/")
    assert overview.status_code == 200
    assert "Administrator" in page_text(overview)  # the display name in the top bar
    db.session.refresh(admin)
    assert admin.last_login_at == clock.current


def test_login_follows_next_to_the_page_asked_for(auth, admin):
    response = auth.client.post(
        "/login?next=/tickets/%3Fstatus%3Dopen",
        data={"username": "admin", "password": ADMIN_PASSWORD},
    )
    assert response.location == "/tickets/?status=open"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(auth, admin, target):
    response = auth.client.post(
        "/login",
        query_string={"next": target},
        data={"username": "admin", "password": ADMIN_PASSWORD},
    )
    assert response.location == "/"


def test_usernames_are_matched_without_regard_to_case(auth, admin):
    assert auth.login("ADMIN").location == "/"


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password"), ("nobody", "wrong-password"), ("", ADMIN_PASSWORD)],
)
def test_failed_login_says_the_same_whether_or_not_the_user_exists(auth, admin, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert auth.client.get("/").status_code == 302  # still logged out
    if username:
        assert FAILED_MESSAGE in page_text(response)
    else:
        assert "This field is required." in page_text(response)


def test_a_deactivated_user_cannot_log_in(auth, make_user):
    make_user("gone", password="gone-pass-123", active=False)
    response = auth.login("gone", "gone-pass-123")
    assert "deactivated" in page_text(response)
    assert auth.client.get("/").status_code == 302


def test_a_deactivated_users_open_session_ends_at_the_next_click(admin_client, tech_client, tech):
    assert tech_client.get("/").status_code == 200
    admin_client.post(f"/users/{tech.id}/deactivate")
    response = tech_client.get("/tickets/")
    assert response.location.startswith("/login")  # the session was ended on the server
    page = page_text(AuthActions(tech_client).login("tess", TECH_PASSWORD))
    assert "This account has been deactivated. Ask an admin." in page


def test_logout_needs_a_post_and_ends_the_session(auth, admin):
    auth.login()
    assert auth.client.get("/logout").status_code == 405
    response = auth.logout()
    assert response.location == "/login"
    assert "You have logged out." in page_text(auth.client.get("/login"))
    assert auth.client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(auth, admin):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_remember_me_sets_a_long_lived_httponly_cookie(auth, admin):
    without = auth.login()
    assert not any(h.startswith("remember_token=") for h in without.headers.getlist("Set-Cookie"))
    auth.logout()
    response = auth.login(remember="y")
    remember = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
    ]
    assert len(remember) == 1
    assert "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0] and "Expires=" in remember[0]


# ------------------------------------------------------------------- forced password change

PAGES_HELD_BACK = [
    "/",
    "/tickets/",
    "/tickets/1",
    "/schedule/",
    "/users/",
    "/settings/",
    "/account",
]


def test_bootstrap_admin_must_change_password_before_anything_else(auth, make_ticket):
    make_ticket()
    response = auth.login("admin", "admin123")
    assert response.location == "/account/password"
    for path in PAGES_HELD_BACK:
        held = auth.client.get(path)
        assert (held.status_code, held.location) == (302, "/account/password"), path
    assert auth.client.get("/overview/live.json").status_code == 403
    assert auth.client.post("/tickets/1/take").location == "/account/password"
    page = page_text(auth.client.get("/account/password"))
    assert "temporary password" in page
    assert 'href="/tickets/"' not in page  # no navigation to pages that are held back


def test_changing_the_bootstrap_password_opens_the_dashboard(auth, db):
    auth.login("admin", "admin123")
    response = auth.client.post(
        "/account/password",
        data={
            "current_password": "admin123",
            "new_password": "a-better-one",
            "confirm": "a-better-one",
        },
    )
    assert response.location == "/"
    assert "Your password has been changed." in page_text(auth.client.get("/"))
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert admin.must_change_password is False
    auth.logout()
    assert "Wrong username or password" in page_text(auth.login("admin", "admin123"))
    assert auth.login("admin", "a-better-one").location == "/"


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong-one", "a-better-one", "a-better-one", "This is not your current password."),
        ("admin123", "a-better-one", "another-one", "The passwords differ."),
        ("admin123", "short", "short", "Use at least 8 characters."),
        ("admin123", "admin123", "admin123", "Choose a password different from the current one."),
        ("admin123", "", "", "This field is required."),
    ],
)
def test_a_bad_password_change_is_refused_next_to_the_field(
    auth, db, current, new, confirm, message
):
    auth.login("admin", "admin123")
    response = auth.client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm": confirm},
    )
    assert response.status_code == 422
    assert re.search(
        r'<ul class="errors" id="\w+-errors">\s*<li>' + re.escape(message), page_text(response)
    )
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert admin.must_change_password is True
    assert admin.check_password("admin123")


def test_every_user_can_change_their_own_password(tech_client, tech, db):
    response = tech_client.post(
        "/account/password",
        data={
            "current_password": TECH_PASSWORD,
            "new_password": "tess-new-pass",
            "confirm": "tess-new-pass",
        },
    )
    assert response.location == "/"
    db.session.refresh(tech)
    assert tech.check_password("tess-new-pass")


def change_own_password(client, current: str, new: str):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm": new},
    )


def test_a_new_password_ends_the_users_other_sessions_but_not_this_one(app, tech_client, tech):
    laptop = logged_in_client(app, "tess", TECH_PASSWORD)
    assert laptop.get("/tickets/").status_code == 200
    response = change_own_password(tech_client, TECH_PASSWORD, "tess-new-pass")
    assert response.location == "/"
    assert "Your other sessions have ended" in page_text(tech_client.get("/"))
    assert tech_client.get("/tickets/").status_code == 200
    assert laptop.get("/tickets/").location.startswith("/login")


def test_a_new_password_voids_remember_me_cookies_elsewhere(app, auth, tech):
    phone = app.test_client()
    assert AuthActions(phone).login("tess", TECH_PASSWORD, remember="y").status_code == 302
    phone.delete_cookie("session")  # the browser was closed; only the remember cookie is left
    assert phone.get("/tickets/").status_code == 200
    phone.delete_cookie("session")
    auth.login("tess", TECH_PASSWORD)
    change_own_password(auth.client, TECH_PASSWORD, "tess-new-pass")
    assert phone.get("/tickets/").location.startswith("/login")


def test_the_remember_me_cookie_of_the_changing_browser_is_renewed(app, tech):
    browser = app.test_client()
    AuthActions(browser).login("tess", TECH_PASSWORD, remember="y")
    change_own_password(browser, TECH_PASSWORD, "tess-new-pass")
    browser.delete_cookie("session")
    assert browser.get("/tickets/").status_code == 200


def test_an_admin_password_reset_ends_the_users_sessions(admin_client, tech_client, tech):
    assert tech_client.get("/tickets/").status_code == 200
    admin_client.post(f"/users/{tech.id}/password", data={"password": "temp-pass-456"})
    assert tech_client.get("/tickets/").location.startswith("/login")
    assert admin_client.get("/users/").status_code == 200


def test_a_session_cookie_without_a_server_side_session_is_logged_out(app, tech):
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(tech.id)
        session["_fresh"] = True
    assert browser.get("/tickets/").location.startswith("/login")


# ------------------------------------------------------------------------ Telegram linking


def link_message(page: str) -> str | None:
    found = re.search(r'data-role="link-message">/link ([A-Z0-9]+)</code>', page)
    return found.group(1) if found else None


def test_a_tech_gets_a_one_time_link_code_to_send_the_bot(tech_client, tech, clock, db):
    page = page_text(tech_client.get("/account"))
    assert "Not linked" in page
    assert link_message(page) is None
    response = tech_client.post("/account/link-code")
    assert response.location == "/account"
    code = link_message(page_text(tech_client.get("/account")))
    assert code is not None and len(code) == 8 and set(code) <= set(LINK_ALPHABET)
    db.session.refresh(tech)
    assert tech.link_code == code
    assert tech.link_code_expires_at == clock.current + timedelta(minutes=15)


def test_a_link_code_is_no_longer_shown_after_fifteen_minutes(tech_client, clock):
    tech_client.post("/account/link-code")
    clock.advance(minutes=15, seconds=1)
    page = page_text(tech_client.get("/account"))
    assert link_message(page) is None
    assert "Link Telegram" in page


def test_a_new_link_code_replaces_the_old_one(tech_client):
    tech_client.post("/account/link-code")
    first = link_message(page_text(tech_client.get("/account")))
    tech_client.post("/account/link-code")
    second = link_message(page_text(tech_client.get("/account")))
    assert first != second


def test_a_linked_account_shows_the_telegram_identity(tech_client, tech, db):
    tech.telegram_user_id = 4242
    tech.telegram_username = "tess_tg"
    db.session.commit()
    page = page_text(tech_client.get("/account"))
    assert "Linked" in page and "@<bdi>tess_tg</bdi>" in page and "4242" in page


def test_a_password_longer_than_bcrypt_reads_is_a_wrong_password_not_a_crash(auth, admin):
    response = auth.login("admin", "x" * 100)
    assert response.status_code == 200
    assert "Wrong username or password" in response.get_data(as_text=True)


# ------------------------------------------------------------------ sessions that really end


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_opens_nothing(app, tech):
    browser = app.test_client()
    AuthActions(browser).login("tess", TECH_PASSWORD, remember="y")
    session_cookie = browser.get_cookie("session").value
    remember_cookie = browser.get_cookie("remember_token").value
    AuthActions(browser).logout()
    thief = app.test_client()
    thief.set_cookie("session", session_cookie)
    assert thief.get("/tickets/").location.startswith("/login")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember_cookie)
    assert thief.get("/tickets/").location.startswith("/login")


def test_a_deactivation_ends_remember_me_cookies_too(admin_client, app, tech, db):
    phone = app.test_client()
    AuthActions(phone).login("tess", TECH_PASSWORD, remember="y")
    phone.delete_cookie("session")
    admin_client.post(f"/users/{tech.id}/deactivate")
    admin_client.post(f"/users/{tech.id}/activate")
    assert phone.get("/tickets/").location.startswith("/login")  # reactivating revives nothing


def test_the_csrf_token_is_renewed_at_login(app, tech):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()

    def csrf_token() -> str:
        page = page_text(browser.get("/login"))
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    before = csrf_token()
    with browser.session_transaction() as session:
        planted = session["csrf_token"]
    browser.post(
        "/login", data={"username": "tess", "password": TECH_PASSWORD, "csrf_token": before}
    )
    with browser.session_transaction() as session:
        assert session.get("csrf_token") != planted


def test_the_account_page_lists_browsers_and_signs_out_the_others(app, tech_client, tech):
    laptop = logged_in_client(app, "tess", TECH_PASSWORD)
    page = page_text(tech_client.get("/account"))
    assert page.count('data-role="session"') == 2 and "this browser" in page
    tech_client.post("/account/sessions/end-others")
    assert laptop.get("/tickets/").location.startswith("/login")
    assert tech_client.get("/tickets/").status_code == 200
    assert page_text(tech_client.get("/account")).count('data-role="session"') == 1


def test_sessions_ended_a_month_ago_are_forgotten_and_live_ones_kept(
    app, db, tech, clock, fresh_g_per_request
):
    from models import LoginSession

    old, live = app.test_client(), app.test_client()
    AuthActions(old).login("tess", TECH_PASSWORD)
    AuthActions(live).login("tess", TECH_PASSWORD)
    old.post("/logout")
    clock.advance(days=31)
    AuthActions(app.test_client()).login("tess", TECH_PASSWORD)
    rows = db.session.scalars(sa.select(LoginSession.ended_at)).all()
    assert rows == [None, None]  # the month-old ended one is gone; both live ones stay
    assert live.get("/").status_code == 200
