"""A user edits a message in Telegram: `POST /api/message/edit` and the thread's history."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from message_models import MessageEdit
from models import FollowUp, Ticket

EDITED = 1_796_300_000  # Unix seconds, as Telegram's edit_date


def edit(api, text, *, message_id=1, chat_id=1001, at=EDITED):
    return api.post(
        "/api/message/edit",
        {"chat_id": chat_id, "message_id": message_id, "text": text, "edit_date": at},
    )


def thread(admin_client, ticket_id=1) -> str:
    return admin_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_an_edited_request_changes_the_ticket_and_the_thread_keeps_the_original(
    api, support_payload, admin_client, db
):
    api.post("/api/support_message", support_payload(text="The VPN is down"))
    response = edit(api, "The VPN is down in the Berlin office")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["changed"], body["followup"]) == (True, False)
    assert body["ticket"]["text"] == "The VPN is down in the Berlin office"
    assert db.session.get(Ticket, 1).text == "The VPN is down in the Berlin office"
    page = thread(admin_client)
    assert re.search(
        r'id="message-1">.*?wrote \(edited\).*?<bdi>The VPN is down in the Berlin office</bdi>',
        page,
        re.S,
    )
    assert re.search(
        r'<li class="entry entry-edit" id="edit-1">.*?edited the request; before, it read:.*?'
        r"<bdi>The VPN is down</bdi>",
        page,
        re.S,
    )
    # The ticket list and the search follow the edit.
    assert "Berlin office" in admin_client.get("/tickets/").get_data(as_text=True)
    found = admin_client.get("/tickets/", query_string={"q": "berlin"}).get_data(as_text=True)
    assert "1 ticket" in found


def test_every_earlier_text_is_kept_and_a_replayed_edit_is_kept_once(
    api, support_payload, admin_client, db
):
    api.post("/api/support_message", support_payload(text="first"))
    assert edit(api, "second", at=EDITED).get_json()["changed"] is True
    assert edit(api, "second", at=EDITED).get_json()["changed"] is False  # a retry
    assert edit(api, "third", at=EDITED + 5).get_json()["changed"] is True
    assert db.session.get(Ticket, 1).text == "third"
    earlier = db.session.scalars(sa.select(MessageEdit.previous_text).order_by(MessageEdit.id))
    assert list(earlier) == ["first", "second"]
    page = thread(admin_client)
    assert page.index("<bdi>first</bdi>") < page.index("<bdi>second</bdi>")


def test_an_older_edit_arriving_late_does_not_undo_a_newer_one(api, support_payload, db):
    # One edit was spooled while the dashboard was down; the next went through at once.
    api.post("/api/support_message", support_payload(text="first"))
    assert edit(api, "newest", at=EDITED + 60).get_json()["changed"] is True
    late = edit(api, "older", at=EDITED)
    assert late.status_code == 200
    assert late.get_json()["changed"] is False
    assert db.session.get(Ticket, 1).text == "newest"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageEdit)) == 1


def test_an_edited_reply_changes_the_reply_not_the_request(api, support_payload, admin_client, db):
    api.post("/api/support_message", support_payload(text="The VPN is down"))
    api.post("/api/message/1/confirmation", {"message_id": 77})
    api.post(
        "/api/support_message",
        support_payload(message_id=3, text="Still dwon", reply_to_message_id=77),
    )
    body = edit(api, "Still down", message_id=3).get_json()
    assert (body["changed"], body["followup"]) == (True, True)
    assert body["notifications"] == []  # the pages quote the request, which did not change
    assert db.session.scalar(sa.select(FollowUp.text)) == "Still down"
    assert db.session.get(Ticket, 1).text == "The VPN is down"
    page = thread(admin_client)
    assert re.search(r"replied \(edited\).*?<bdi>Still down</bdi>", page, re.S)
    assert re.search(r"edited a reply; before, it read:.*?<bdi>Still dwon</bdi>", page, re.S)


def test_the_answer_names_the_pages_that_quote_the_old_text(api, support_payload, on_call_team):
    filed = api.post("/api/support_message", support_payload(page=True)).get_json()
    page = filed["escalation"]["notifications"][0]
    api.post(f"/api/notifications/{page['id']}/result", {"sent": True, "telegram_message_id": 50})
    body = edit(api, "The VPN is down for everyone").get_json()
    assert [(n["id"], n["telegram_message_id"]) for n in body["notifications"]] == [
        (page["id"], 50)
    ]


def test_an_edit_of_a_message_no_ticket_knows_is_404(api, support_payload):
    api.post("/api/support_message", support_payload())
    response = edit(api, "hello", message_id=99)
    assert response.status_code == 404
    assert response.get_json()["error"] == "no ticket for that message"
    assert edit(api, "hello", chat_id=2002).status_code == 404  # same id, another chat


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"message_id": 1, "text": "x", "edit_date": EDITED}, "chat_id", "is required"),
        ({"chat_id": 1001, "message_id": 1, "text": " ", "edit_date": EDITED}, "text", "empty"),
        ({"chat_id": 1001, "message_id": 1, "text": "x"}, "edit_date", "is required"),
        ({"chat_id": 1001, "message_id": 1, "text": "x", "edit_date": -1}, "edit_date", "between"),
        (
            {"chat_id": 1001, "message_id": 1, "text": "😀" * 2049, "edit_date": EDITED},
            "text",
            "UTF-16",
        ),
    ],
)
def test_a_bad_edit_is_refused_naming_the_field(api, support_payload, db, body, field, message):
    api.post("/api/support_message", support_payload(text="as filed"))
    response = api.post("/api/message/edit", body)
    assert response.status_code == 400
    assert message in response.get_json()["fields"][field]
    assert db.session.get(Ticket, 1).text == "as filed"


def test_an_edit_needs_the_token(client):
    response = client.post("/api/message/edit", json={"chat_id": 1})
    assert response.status_code == 401
