"""GET /live/mark: the live pages' "has anything changed?". It moves when a ticket is filed,
answered or noted, stays put otherwise, is refused to a browser without a live session, and
costs no database statement while the session is fresh in the worker's memory."""

from __future__ import annotations

import sqlalchemy as sa

from desk import live_marks, sessions, ticket_actions
from models import Ticket, User


def mark_of(client) -> int:
    response = client.get("/live/mark")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["mark"]


def test_the_mark_moves_with_every_change_a_live_page_shows(
    admin_client, api, support_payload, admin, db
):
    first = mark_of(admin_client)
    assert mark_of(admin_client) == first  # nothing happened
    api.post("/api/support_message", support_payload())
    filed = mark_of(admin_client)
    assert filed != first
    ticket = db.session.get(Ticket, 1)
    ticket_actions.add_note(ticket, "Checked the cable", admin)
    db.session.commit()
    noted = mark_of(admin_client)
    assert noted != filed
    ticket_actions.answer(ticket, "Try again now", admin)
    db.session.commit()
    assert mark_of(admin_client) != noted


def test_a_page_carries_the_mark_it_was_built_at(admin_client, api, support_payload):
    api.post("/api/support_message", support_payload())
    page = admin_client.get("/tickets/").get_data(as_text=True)
    assert f'data-live-mark="{mark_of(admin_client)}"' in page


def test_a_browser_without_a_session_is_refused(client):
    response = client.get("/live/mark")
    assert response.status_code == 401
    assert "log in" in response.get_json()["error"]


def test_an_ended_session_is_refused_at_its_next_check(admin_client, admin, db, monkeypatch):
    mark_of(admin_client)
    sessions.end_all(db.session.get(User, admin.id))
    db.session.commit()
    assert admin_client.get("/live/mark").status_code == 200  # trusted for SESSION_CHECK
    monkeypatch.setattr(live_marks, "SESSION_CHECK", 0.0)
    admin_client.application.extensions["desk.live_sessions"].clear()
    assert admin_client.get("/live/mark").status_code == 401


def test_a_fresh_session_asks_the_database_nothing(admin_client, db):
    mark_of(admin_client)  # checks the session once
    statements = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            mark_of(admin_client)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []
