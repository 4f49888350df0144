"""What users wrote, on every page: in <bdi> so its direction stays its own, controls shown.

A right-to-left override (U+202E) in a name or a ticket reversed the rest of a row or title;
a NUL reached the ticket page's HTML. Pages now carry neither raw (user_text.py, the
`user_text` filter), and the live JSON the scripts read carries the same visible text.
"""

from __future__ import annotations

import re

import pytest
from conftest import AuthActions
from databases import backend

from desk import ticket_actions
from user_text import FSI, PDI

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
SHOWN_RLO = "\ufffd"
# A NUL where the database keeps it (SQLite); PostgreSQL cannot store one (and the API drops
# it), so there an ESC stands for every other control character.
CONTROL, PICTURE = ("\x00", "\u2400") if backend() == "sqlite" else ("\x1b", "\u241b")

TEXT = f"invoice{RLO}fdp.exe{CONTROL} is stuck"
SHOWN_TEXT = f"invoice{SHOWN_RLO}fdp.exe{PICTURE} is stuck"


def bdi(text: str) -> str:
    return f"<bdi>{text}</bdi>"


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert RLO not in page and CONTROL not in page  # never passed through raw
    return page


@pytest.fixture
def ticket(make_ticket, make_user, admin, db):
    """A ticket from Eve (her name ends in an override), taken by Zed (his too)."""
    zed = make_user("zed", full_name=f"Zed{RLO}")
    ticket = make_ticket(
        text=TEXT,
        first_name=f"Eve{RLO}",
        last_name=None,
        username=f"eve{RLO}",
        chat_type="group",
        chat_id=-4001,
        chat_title=f"Ops{RLO}{CONTROL}",
    )
    ticket_actions.take(ticket, zed)
    db.session.commit()
    return ticket


def test_the_ticket_list_isolates_text_sender_and_assignee(admin_client, ticket):
    page = page_of(admin_client, "/tickets/")
    assert bdi(SHOWN_TEXT) in page
    assert f'{bdi("Eve" + SHOWN_RLO)} <span class="muted">@{bdi("eve" + SHOWN_RLO)}</span>' in page
    assert f'<td class="col-assignee">{bdi("Zed" + SHOWN_RLO)}</td>' in page


def test_the_ticket_page_isolates_what_users_wrote(admin_client, ticket):
    page = page_of(admin_client, f"/tickets/{ticket.id}")
    # <title> cannot carry markup: the isolate characters do the same there.
    assert f"<title>#{ticket.number} {FSI}{SHOWN_TEXT}{PDI} · Support Desk</title>" in page
    assert f'<span class="ticket-number">#{ticket.number}</span> {bdi(SHOWN_TEXT)}</h1>' in page
    assert f'<div class="entry-text">{bdi(SHOWN_TEXT)}</div>' in page
    assert f'<strong class="entry-who">{bdi("Eve" + SHOWN_RLO)}</strong>' in page
    assert f'<strong data-role="assignee">{bdi("Zed" + SHOWN_RLO)}</strong>' in page
    assert f"Answer {bdi('Eve' + SHOWN_RLO)}</h2>" in page
    assert f"@{bdi('eve' + SHOWN_RLO)}</dd>" in page
    assert f"group · {bdi('Ops' + SHOWN_RLO + PICTURE)}" in page
    # A name inside a sentence of ours is isolated with the characters too.
    assert f"assigned the ticket {FSI}to Zed{SHOWN_RLO}{PDI}" in page


def test_the_overview_isolates_recent_tickets_and_who_is_on_call(
    admin_client, ticket, on_call_team, clock, db
):
    ann = on_call_team[0]
    ann.full_name = f"Ann{RLO}"
    db.session.commit()
    page = page_of(admin_client, "/")
    assert f'<span class="ticket-preview">{bdi(SHOWN_TEXT)}</span>' in page
    assert re.search(rf"{bdi('Eve' + SHOWN_RLO)}&nbsp;· {bdi('Zed' + SHOWN_RLO)}&nbsp;· ", page)
    assert f'data-role="primary">{bdi("Ann" + SHOWN_RLO)}</p>' in page
    assert f"Backups: {bdi('Bob')}, {bdi('Cid')}" in page


def test_the_users_list_isolates_names(admin_client, make_user):
    mal = make_user(
        f"mal{RLO}", full_name=f"Mal{RLO}{CONTROL}", telegram_user_id=7, telegram_username=f"m{RLO}"
    )
    page = page_of(admin_client, "/users/")
    assert f"<strong>{bdi('Mal' + SHOWN_RLO + PICTURE)}</strong></a>" in page
    assert f'<span class="muted">{bdi("mal" + SHOWN_RLO)}</span>' in page
    assert f'<span class="muted">@{bdi("m" + SHOWN_RLO)}</span>' in page
    assert f'<a class="me-name" href="/account" title="Your account">{bdi("Administrator")}' in page
    # (Not page_of: the username box holds the name as stored, override and all, to edit it.)
    detail = admin_client.get(f"/users/{mal.id}").get_data(as_text=True)
    assert f"<title>{FSI}Mal{SHOWN_RLO}{PICTURE}{PDI} · Support Desk</title>" in detail
    assert f"<h1>{bdi('Mal' + SHOWN_RLO + PICTURE)}" in detail


def test_the_schedule_isolates_names_in_the_grid_the_slots_and_the_notices(
    admin_client, on_call_team, db
):
    ann = on_call_team[0]
    ann.full_name, ann.telegram_user_id = f"Ann Smith{RLO}", None  # now she cannot be paged
    db.session.commit()
    page = page_of(admin_client, "/schedule/")
    assert f'<span class="name-long">{bdi("Ann Smith" + SHOWN_RLO)}</span>' in page
    assert f'<td data-label="Primary">{bdi("Ann Smith" + SHOWN_RLO)}</td>' in page
    assert f"{FSI}Ann Smith{SHOWN_RLO}{PDI} has no linked Telegram account" in page


def test_a_name_typed_at_the_login_is_isolated_in_the_audit_log_and_the_throttles(
    admin_client, app
):
    guesser = AuthActions(app.test_client())
    for _ in range(6):  # past the free attempts, so the name is slowed down too
        guesser.login(f"ghost{RLO}", "wrong-guess")
    audit = page_of(admin_client, "/audit/")
    assert f"<td>{bdi('ghost' + SHOWN_RLO)}</td>" in audit
    users = page_of(admin_client, "/users/")
    assert f"Username <code>{bdi('ghost' + SHOWN_RLO)}</code>" in users


def test_a_browser_name_is_isolated_among_the_signed_in_browsers(app, admin, fresh_g_per_request):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = f"Browser{RLO}"
    assert AuthActions(client).login().status_code == 302
    page = page_of(client, "/account")
    assert f'<li data-role="session">{bdi("Browser" + SHOWN_RLO)} · ' in page


def test_the_live_json_carries_the_visible_text(admin_client, ticket):
    overview = admin_client.get("/overview/live.json").get_json()
    row = overview["recent"][0]
    assert (row["preview"], row["sender"], row["assignee"]) == (
        SHOWN_TEXT,
        f"Eve{SHOWN_RLO}",
        f"Zed{SHOWN_RLO}",
    )
    live = admin_client.get(f"/tickets/{ticket.id}/live.json").get_json()
    assert live["assignee"] == f"Zed{SHOWN_RLO}"
    first = live["thread"][0]
    assert (first["who"], first["text"]) == (f"Eve{SHOWN_RLO}", SHOWN_TEXT)
    assigned = next(e for e in live["thread"] if e["what"].startswith("assigned"))
    assert assigned["what"] == f"assigned the ticket {FSI}to Zed{SHOWN_RLO}{PDI}"


def test_the_users_pages_messages_isolate_the_name(admin_client, make_user):
    mal = make_user(f"mal{RLO}", full_name=f"Mal{RLO}")
    response = admin_client.post(f"/users/{mal.id}/grant-admin", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"{FSI}Mal{SHOWN_RLO}{PDI} is now an admin." in page
    assert f"<title>{FSI}Mal{SHOWN_RLO}{PDI} · " in page
    assert f"<h1>{bdi('Mal' + SHOWN_RLO)}" in page
    assert f'data-confirm="Deactivate {FSI}Mal{SHOWN_RLO}{PDI}?' in page
    # Only the form that edits the names holds them as they are, to be corrected.
    assert page.count(RLO) == 2 and f'value="mal{RLO}"' in page and f'value="Mal{RLO}"' in page
