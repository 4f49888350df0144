"""Saved replies: admins keep them (titles unique, placeholders checked), every tech is offered
them on a ticket's answer box, filled in for that ticket."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from message_models import SavedReply
from models import AuditEvent


def text_of(response) -> str:
    return response.get_data(as_text=True)


def add(client, title, body):
    return client.post("/replies/", data={"title": title, "body": body})


def test_an_admin_adds_changes_and_deletes_a_saved_reply(admin_client, db):
    assert add(admin_client, " Reboot ", "Hi {first_name}, please reboot.").status_code == 302
    page = text_of(admin_client.get("/replies/"))
    assert "Saved reply “Reboot” added." in page
    assert "<bdi>Hi {first_name}, please reboot.</bdi>" in page
    reply = db.session.scalar(sa.select(SavedReply))
    assert (reply.title, reply.body) == ("Reboot", "Hi {first_name}, please reboot.")
    changed = admin_client.post(
        f"/replies/{reply.id}", data={"title": "Reboot it", "body": "Hi {first_name}, reboot."}
    )
    assert changed.status_code == 302
    db.session.refresh(reply)
    assert reply.title == "Reboot it"
    assert admin_client.post(f"/replies/{reply.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedReply)) == 0
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a.value for a in actions][-3:] == [
        "saved_reply_saved",
        "saved_reply_saved",
        "saved_reply_deleted",
    ]


def test_a_bad_reply_is_refused_next_to_its_field(admin_client, db):
    add(admin_client, "Reboot", "Please reboot.")
    cases = [
        ("", "x", "Give the reply a title."),
        ("Other", "", "Write the reply."),
        ("reboot", "x", "Another saved reply has this title."),  # any case
        (
            "Typo",
            "Hi {frist_name} on {ticket}",
            "Not a placeholder: {frist_name}. Use {first_name}",
        ),
    ]
    for title, body, message in cases:
        response = add(admin_client, title, body)
        assert response.status_code == 422
        assert message in text_of(response), message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedReply)) == 1


def test_a_tech_is_offered_every_reply_filled_in_for_the_ticket(
    admin_client, tech_client, tech, make_ticket
):
    add(admin_client, "Reboot", "Hi {first_name} ({username}), {tech} here about {ticket}.")
    add(admin_client, "<b>Bold</b> title", "Thanks {last_name}! {unknown")
    ticket = make_ticket(first_name="Ava", last_name="Lee", username="ava")
    page = text_of(tech_client.get(f"/tickets/{ticket.id}"))
    data = re.search(
        r'<script type="application/json" id="saved-replies">(.*?)</script>', page, re.S
    )
    offered = {r["title"]: r["body"] for r in json.loads(data.group(1))}
    assert offered == {
        "<b>Bold</b> title": "Thanks Lee! {unknown",
        "Reboot": f"Hi Ava (@ava), {tech.display_name} here about #{ticket.id}.",
    }
    assert "<b>Bold</b>" not in data.group(1)  # escaped inside the script block too
    assert "&lt;b&gt;Bold&lt;/b&gt; title\u2069</option>" in page
    assert "Ctrl</kbd>+<kbd>Enter</kbd> sends" in page


def test_without_saved_replies_the_answer_box_offers_no_picker(tech_client, make_ticket):
    page = text_of(tech_client.get(f"/tickets/{make_ticket().id}"))
    assert 'id="saved-replies"' not in page and "Insert a saved reply" not in page
