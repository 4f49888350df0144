"""Who may reach which page, error pages, escaping of Telegram text and security headers."""

from __future__ import annotations

from datetime import time

import pytest

from models import ScheduleSlot

# Every admin route, with the ids of objects the fixture below creates (slot 1, user 2).
ADMIN_GETS = [
    "/audit/",
    "/audit/export.csv",
    "/schedule/new",
    "/schedule/1/edit",
    "/schedule/rotations/",
    "/schedule/rotations/new",
    "/schedule/rotations/1/members",
    "/schedule/hours/",
    "/schedule/hours/export.csv",
    "/users/",
    "/users/new",
    "/users/2",
    "/settings/",
    "/replies/",
    "/replies/1",
]
ADMIN_POSTS = [
    "/schedule/new",
    "/schedule/1/edit",
    "/schedule/1/delete",
    "/schedule/rotations/new",
    "/schedule/rotations/1/members",
    "/schedule/rotations/1/delete",
    "/users/new",
    "/users/2",
    "/users/2/grant-admin",
    "/users/2/revoke-admin",
    "/users/2/deactivate",
    "/users/2/activate",
    "/users/2/password",
    "/users/2/link-code",
    "/users/2/unlink",
    "/users/2/delete",
    "/users/2/clear-throttle",
    "/users/2/reset-two-factor",
    "/users/throttles/username/tess/clear",
    "/settings/",
    "/replies/",
    "/replies/1",
    "/replies/1/delete",
]
ADMIN_BLUEPRINTS = (
    "schedule_pages",
    "rotation_pages",
    "hours_pages",
    "user_pages",
    "settings_pages",
    "saved_reply_pages",
    "audit_pages",
)


@pytest.fixture
def world(admin, tech, db):
    """Slot 1 (the tech on Mondays) and user 2 (the tech)."""
    slot = ScheduleSlot(weekday=0, start_time=time(8), end_time=time(16), primary_id=tech.id)
    db.session.add(slot)
    db.session.commit()
    assert (slot.id, tech.id) == (1, 2)
    return slot


def test_the_permission_lists_cover_every_admin_route(app):
    """A new admin route must be added above, so that its protection is tested."""
    routes = {
        (
            rule.rule.replace("<int:slot_id>", "1")
            .replace("<int:rotation_id>", "1")
            .replace("<int:reply_id>", "1")
            .replace("<int:user_id>", "2")
            .replace("<scope>/<path:key>", "username/tess"),
            method,
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ADMIN_BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(u, "GET") for u in ADMIN_GETS} | {(u, "POST") for u in ADMIN_POSTS}
    assert routes == listed


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_a_tech_gets_403_on_admin_pages(tech_client, world, url):
    response = tech_client.get(url)
    assert response.status_code == 403
    assert "This page or action is for admins only." in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ADMIN_POSTS)
def test_a_tech_gets_403_on_admin_actions_and_nothing_changes(tech_client, world, tech, db, url):
    response = tech_client.post(url, data={"password": "whatever-123", "username": "x"})
    assert response.status_code == 403
    db.session.refresh(tech)
    assert (tech.is_admin, tech.active, tech.username, tech.link_code) == (
        False,
        True,
        "tess",
        None,
    )
    assert db.session.get(ScheduleSlot, 1) is not None


@pytest.mark.parametrize(
    ("method", "url"), [("GET", u) for u in ADMIN_GETS] + [("POST", u) for u in ADMIN_POSTS]
)
def test_anonymous_visitors_are_sent_to_log_in(client, world, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_a_tech_sees_no_admin_links(tech_client):
    page = tech_client.get("/").get_data(as_text=True)
    assert 'href="/tickets/"' in page
    assert 'href="/schedule/"' in page  # every tech reads the schedule
    for path in ("/users/", "/settings/"):
        assert f'href="{path}"' not in page


def test_a_tech_reads_the_schedule_without_the_edit_buttons(tech_client, world):
    response = tech_client.get("/schedule/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Monday 08:00–16:00" in page
    for path in ("/schedule/new", "/schedule/1/edit", "/schedule/1/delete", "/schedule/rotations/"):
        assert path not in page
    assert 'href="/schedule/overrides/new"' in page  # a tech may put themselves on call


def test_an_admin_sees_the_admin_links(admin_client):
    page = admin_client.get("/").get_data(as_text=True)
    for path in ("/schedule/", "/users/", "/settings/"):
        assert f'href="{path}"' in page


@pytest.mark.parametrize(
    "url", ["/tickets/999", "/users/999", "/schedule/999/edit", "/no/such/page"]
)
def test_unknown_ids_give_a_404_page(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)


def test_api_errors_stay_json(client, api):
    response = api.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and "error" in response.get_json()
    assert client.get("/api/status").get_json() == {"error": "missing or wrong bearer token"}


def test_a_server_error_shows_a_friendly_page(app, admin_client, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production, not as in TESTING

    def explode():
        raise RuntimeError("boom")

    monkeypatch.setattr("desk.overview.live_data", explode)
    response = admin_client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


# ----------------------------------------------------------------------- escaping, headers

EVIL_TEXT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
EVIL_NAME = "<b onmouseover=alert(2)>Eve</b>"


@pytest.mark.parametrize("path", ["/", "/tickets/", "/tickets/1", "/tickets/?q=script"])
def test_telegram_text_is_escaped_everywhere(admin_client, make_ticket, path):
    make_ticket(text=EVIL_TEXT, first_name=EVIL_NAME, username="eve<script>")
    page = admin_client.get(path).get_data(as_text=True)
    for raw in ("<script>alert", "<img src=x", "<b onmouseover", "eve<script>"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b onmouseover=alert(2)&gt;Eve&lt;/b&gt;" in page


def test_pages_forbid_inline_scripts_and_framing(admin_client):
    response = admin_client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert (
        "<script>" not in page and " style=" not in page
    )  # nothing inline for the policy to block
    assert "http://" not in page and "https://" not in page  # no CDN, no external links


def test_static_assets_are_served_locally(client):
    for path in ("/static/css/desk.css", "/static/js/desk.js", "/static/js/overview.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"https://" not in response.data
        response.close()
