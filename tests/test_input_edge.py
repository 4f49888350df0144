"""Bad input at the edge: every malformed request is a 4xx that names what is wrong, never a 500.

The API keeps what the bot relays from Telegram (a NUL byte or a lone surrogate is cleaned, so
no ticket is lost to a character PostgreSQL cannot store); a form a person typed is refused
next to the field, so they can fix it.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import API_TOKEN

from models import SupportResponse, Ticket, User

# Every JSON endpoint and a body it would accept, so the refusal is about the body alone.
JSON_ENDPOINTS = [
    "/api/support_message",
    "/api/message/1/confirmation",
    "/api/escalate/1",
    "/api/notifications/1/result",
    "/api/responses/1/result",
    "/api/link",
    "/api/message/1/action",
    "/api/heartbeat",
]


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["error"]
    return body


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400_on_every_endpoint(
    api, support_payload, on_call_team, admin, db, path
):
    # Ticket 1 with its first page (notification 1) and an answer (response 1) to address.
    assert api.post("/api/support_message", support_payload(page=True)).status_code == 201
    db.session.add(SupportResponse(ticket_id=1, author_id=admin.id, text="On it"))
    db.session.commit()
    nested = "[" * 100_000 + "]" * 100_000
    response = api.client.post(
        path, data=nested, content_type="application/json", headers=api.headers
    )
    assert "JSON" in error_of(response, 400)["error"]


@pytest.mark.parametrize("path", ["/api/escalate/1", "/api/heartbeat"])
def test_malformed_json_is_refused_where_a_body_is_optional(api, make_ticket, path):
    make_ticket()
    response = api.client.post(
        path, data="{not json", content_type="application/json", headers=api.headers
    )
    assert "JSON" in error_of(response, 400)["error"]


def test_a_body_too_large_is_a_413_in_json(api):
    response = api.post("/api/support_message", json={"text": "x" * 2_000_000})
    assert error_of(response, 413)


@pytest.mark.parametrize(
    "text, stored",
    [
        ("\x00 nul byte", " nul byte"),
        ("half a pair \ud83d here", "half a pair \ufffd here"),
        ("a whole pair 😀 stays", "a whole pair 😀 stays"),
    ],
)
def test_a_ticket_text_postgresql_cannot_store_is_cleaned_not_lost(
    api, support_payload, db, text, stored
):
    response = api.post("/api/support_message", support_payload(text=text, first_name="A\x00n"))
    assert response.status_code == 201, response.get_data(as_text=True)
    ticket = db.session.get(Ticket, response.get_json()["id"])
    assert (ticket.text, ticket.sender_first_name) == (stored, "An")


@pytest.mark.parametrize("stale_after", [-1, 0, 10**12, 2**62])
def test_heartbeat_refuses_a_stale_after_out_of_range(api, stale_after):
    response = api.post("/api/heartbeat", {"instance": "bot-a", "stale_after": stale_after})
    assert "stale_after" in error_of(response, 400)["fields"]


def test_a_negative_stale_after_cannot_take_over_polling(api):
    assert api.post("/api/heartbeat", {"instance": "bot-a"}).get_json()["poller"] == "bot-a"
    api.post("/api/heartbeat", {"instance": "bot-b", "stale_after": -3600})
    assert api.post("/api/heartbeat", {"instance": "bot-a"}).get_json()["poller"] == "bot-a"


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_current_oncall_refuses_an_instant_out_of_range(api, on_call_team, at):
    response = api.get("/api/current_oncall", query_string={"at": at})
    assert "at" in error_of(response, 400)["fields"]


def test_a_lost_escalation_claim_says_why_under_error(api, make_ticket):
    ticket = make_ticket()
    response = api.post(f"/api/escalate/{ticket.id}", {"level": 0})
    assert "already claimed" in error_of(response, 409)["error"]


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_ask_for_the_token_first(client, method):
    response = getattr(client, method)("/api/no/such/thing")
    assert "bearer" in error_of(response, 401)["error"]
    response = getattr(client, method)(
        "/api/no/such/thing", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert error_of(response, 404)


def test_a_failed_statement_never_shows_its_parameters(db, make_user, caplog):
    make_user("bob", password="a secret password")
    duplicate = User(username="bob", password_hash="$2b$12$the-hash-nobody-may-read")
    db.session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError) as failure:
        db.session.flush()
    db.session.rollback()
    assert "the-hash-nobody-may-read" not in str(failure.value)
    assert "the-hash-nobody-may-read" not in caplog.text


def test_a_search_with_a_nul_byte_is_a_page_not_a_500(admin_client, make_ticket):
    make_ticket(text="The VPN is down")
    response = admin_client.get("/tickets/", query_string={"q": "VPN\x00"})
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["99999999999999999999", "-5", "abc"])
def test_an_absurd_page_number_is_a_page_not_a_500(admin_client, make_ticket, page):
    make_ticket()
    assert admin_client.get("/tickets/", query_string={"page": page}).status_code in (200, 404)


def test_a_nul_byte_in_the_login_username_is_refused_by_the_form(client, admin):
    response = client.post("/login", data={"username": "ad\x00min", "password": "wrong-pass"})
    assert response.status_code == 200
    assert "control character" in response.get_data(as_text=True)


def test_an_answer_with_a_nul_byte_is_refused_next_to_the_field(admin_client, make_ticket, db):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/answer", data={"text": "hi\x00 there"})
    assert response.status_code == 422
    assert re.search(r'id="text-errors">\s*<li>[^<]*control character', response.text)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 0


@pytest.mark.parametrize("name", ["Bob\n", "bob\n", " BOB ", "bob"])
def test_a_username_is_trimmed_and_compared_case_folded(admin_client, make_user, db, name):
    make_user("bob")
    response = admin_client.post(
        "/users/new", data={"username": name, "full_name": "", "password": "long-enough-1"}
    )
    assert response.status_code == 422
    assert "This username is taken." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2  # admin, bob


def test_a_full_name_with_a_nul_byte_is_refused(admin_client, db):
    response = admin_client.post(
        "/users/new",
        data={"username": "carol", "full_name": "Ca\x00rol", "password": "long-enough-1"},
    )
    assert response.status_code == 422
    assert "control character" in response.get_data(as_text=True)
