"""The bot's JSON API: auth, validation, idempotent intake, on-call and escalation claims."""

from __future__ import annotations

from datetime import time

import pytest
from conftest import API_TOKEN
from databases import read_only

from models import ScheduleSlot, User
from user_text import cut_to, telegram_length


def json_error(response, status: int) -> str:
    """The message of an API refusal: it has this status and, like every API error, is JSON."""
    assert response.status_code == status
    assert response.is_json
    return response.get_json()["error"]


def test_api_refuses_calls_without_a_token(client, support_payload):
    response = client.post("/api/support_message", json=support_payload())
    assert "bearer" in json_error(response, 401)


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {API_TOKEN}x",
        "Bearer ",
        f"Basic {API_TOKEN}",
        API_TOKEN,
        f"Bearer {API_TOKEN[:-1]}",
    ],
)
def test_api_refuses_a_wrong_token(client, header):
    response = client.get("/api/current_oncall", headers={"Authorization": header})
    assert json_error(response, 401) == "missing or wrong bearer token"


def test_api_without_configured_token_answers_503_naming_the_variable(database_url, monkeypatch):
    from app import create_app

    monkeypatch.delenv("BOT_API_TOKEN", raising=False)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "s",
            "BOT_API_TOKEN": "",
        }
    )
    response = app.test_client().get(
        "/api/current_oncall", headers={"Authorization": "Bearer anything"}
    )
    assert response.status_code == 503
    assert "BOT_API_TOKEN" in response.get_json()["error"]
    with app.app_context():
        from desk.extensions import db

        db.engine.dispose()


def test_new_support_message_files_a_ticket(api, support_payload):
    response = api.post("/api/support_message", support_payload())
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["number"] == ticket["id"] == 1
    assert ticket["status"] == "open"
    assert ticket["priority"] == "normal"
    assert ticket["text"] == "The VPN is down"
    assert ticket["sender_name"] == "Alice Liddell"
    assert ticket["created"] is True


def test_retried_support_message_returns_the_same_ticket(api, support_payload):
    first = api.post("/api/support_message", support_payload())
    again = api.post("/api/support_message", support_payload())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["created"] is False
    other = api.post("/api/support_message", support_payload(message_id=2))
    assert other.status_code == 201
    assert other.get_json()["number"] == 2


def test_same_message_id_in_another_chat_is_another_ticket(api, support_payload):
    api.post("/api/support_message", support_payload())
    other_chat = api.post("/api/support_message", support_payload(chat_id=2002))
    assert other_chat.status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"text": None}, "text", "is required"),
        ({"text": "   "}, "text", "must not be empty"),
        ({"text": "x" * 4097}, "text", "at most 4096"),
        ({"text": "😀" * 2049}, "text", "at most 4096 UTF-16 code units, as Telegram counts"),
        ({"text": 12}, "text", "must be a string"),
        ({"chat_id": None}, "chat_id", "is required"),
        ({"chat_id": "1001"}, "chat_id", "must be an integer"),
        ({"chat_id": True}, "chat_id", "must be an integer"),
        ({"message_id": 1.5}, "message_id", "must be an integer"),
        ({"user_id": None}, "user_id", "is required"),
        ({"chat_type": "planet"}, "chat_type", "must be one of"),
        ({"username": ["a"]}, "username", "must be a string"),
    ],
)
def test_invalid_support_message_names_the_field(api, support_payload, change, field, message):
    payload = support_payload()
    for key, value in change.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    response = api.post("/api/support_message", payload)
    assert response.status_code == 400
    body = response.get_json()
    assert message in body["fields"][field]
    assert api.get("/api/message/1/status").status_code == 404  # nothing was filed


def test_text_of_exactly_4096_characters_is_accepted_intact(api, support_payload):
    text = cut_to("<b>ü & ש \U0001f525" * 600, 4096)
    assert telegram_length(text) == 4096  # as Telegram counts: the emoji are two each
    response = api.post("/api/support_message", support_payload(text=text))
    assert response.status_code == 201
    assert api.get("/api/message/1/status").get_json()["text"] == text


def test_malformed_json_is_a_json_400(api):
    response = api.client.post(
        "/api/support_message",
        data="{not json",
        headers=api.headers | {"Content-Type": "application/json"},
    )
    assert "valid JSON" in json_error(response, 400)


def test_json_that_is_not_an_object_is_refused(api):
    response = api.post("/api/support_message", [1, 2])
    assert json_error(response, 400) == "request body must be a JSON object"


def test_wrong_method_is_a_json_405(api):
    assert json_error(api.get("/api/support_message"), 405)


def test_unknown_ticket_status_is_a_json_404(api):
    assert json_error(api.get("/api/message/999/status"), 404) == "ticket 999 not found"


def test_unknown_api_path_is_a_json_404(api):
    assert json_error(api.get("/api/nope"), 404)


def test_message_status_reports_the_ticket(api, support_payload):
    api.post("/api/support_message", support_payload())
    body = api.get("/api/message/1/status").get_json()
    assert body["status"] == "open"
    assert body["escalation_level"] == 0


def test_reply_to_the_bots_confirmation_joins_the_ticket_thread(api, support_payload, db):
    from models import FollowUp

    api.post("/api/support_message", support_payload())
    api.post("/api/message/1/confirmation", {"message_id": 77})
    reply = api.post(
        "/api/support_message",
        support_payload(message_id=3, text="Still down", reply_to_message_id=77),
    )
    assert reply.status_code == 200
    assert reply.get_json()["followup"] is True
    assert reply.get_json()["id"] == 1
    assert [f.text for f in db.session.scalars(db.select(FollowUp))] == ["Still down"]
    # Posting the same reply again adds nothing.
    api.post(
        "/api/support_message",
        support_payload(message_id=3, text="Still down", reply_to_message_id=77),
    )
    assert len(db.session.scalars(db.select(FollowUp)).all()) == 1


def test_reply_to_an_unknown_message_opens_a_new_ticket(api, support_payload):
    response = api.post(
        "/api/support_message", support_payload(message_id=5, reply_to_message_id=12345)
    )
    assert response.status_code == 201


def test_current_oncall_rejects_a_naive_or_malformed_time(api):
    naive = api.get("/api/current_oncall?at=2026-11-25T10:00:00")
    assert naive.status_code == 400
    assert "at" in naive.get_json()["fields"]
    garbage = api.get("/api/current_oncall?at=yesterday")
    assert garbage.status_code == 400
    assert garbage.get_json()["fields"]["at"] == "must be an ISO 8601 time"


def test_current_oncall_on_a_fresh_install_is_nobody_because_no_slot_covers_now(api, clock):
    body = api.get("/api/current_oncall").get_json()
    assert (body["slot"], body["primary"], body["chain"]) == (None, None, [])
    assert body["fallback"] is True
    assert body["unreachable"] == "no_slot"


def test_current_oncall_says_why_the_admins_stand_in_for_the_slot(api, clock, make_user, db):
    db.session.get(User, 1).telegram_user_id = 7001  # the bootstrap admin links Telegram
    una = make_user("una", full_name="Una")
    db.session.add(
        ScheduleSlot(weekday=2, start_time=time(8), end_time=time(16), primary_id=una.id)
    )
    db.session.commit()
    body = api.get("/api/current_oncall").get_json()  # Wednesday 09:00 UTC
    assert [p["name"] for p in body["chain"]] == ["Administrator"]
    assert body["skipped"] == [{"id": una.id, "name": "Una", "reason": "no_telegram"}]
    assert (body["fallback"], body["unreachable"]) == (True, "nobody_linked")
    later = api.get("/api/current_oncall?at=2026-11-25T17:00:00%2B00:00").get_json()
    assert (later["slot"], later["unreachable"]) == (None, "no_slot")


def test_current_oncall_and_the_overview_give_the_same_answer(
    api, admin_client, on_call_team, clock
):
    body = api.get("/api/current_oncall").get_json()
    overview = admin_client.get("/overview/live.json").get_json()["on_call"]
    assert body["unreachable"] is None
    assert [body["primary"]["name"], *[p["name"] for p in body["chain"][1:]]] == [
        overview["primary"],
        *overview["backups"],
    ]


def test_during_token_rotation_old_and_new_tokens_both_work(app, client):
    app.config["BOT_API_TOKEN"] = "new-token-123, old-token-456"
    for token in ("new-token-123", "old-token-456"):
        response = client.get("/api/status", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, token
    wrong = client.get("/api/status", headers={"Authorization": "Bearer new-token-123, old"})
    assert wrong.status_code == 401


def test_out_of_range_numbers_are_refused_not_a_server_error(api, support_payload):
    huge = api.post("/api/support_message", support_payload(chat_id=2**70))
    assert huge.status_code == 400
    assert huge.get_json()["fields"]["chat_id"] == "is out of range"
    reply = api.post(
        "/api/support_message",
        support_payload(message_id=9, reply_to_message_id=5, reply_to_ticket=2**40),
    )
    assert reply.status_code == 201  # no such ticket: a new one


@pytest.mark.parametrize(
    "path", ["/api/message/99999999999/status", "/api/message/2147483648/status"]
)
def test_ids_beyond_any_table_are_404_not_a_server_error(api, path):
    assert json_error(api.get(path), 404)


def test_status_tells_the_bot_when_the_database_is_read_only(api, db):
    assert api.get("/api/status").get_json()["database"] == "ok"
    with read_only(db):
        response = api.get("/api/status")
    assert response.status_code == 200  # the counts and the on-call chain are still read
    assert response.get_json()["database"] == "read-only"
    assert response.get_json()["tickets"]["total"] == 0
