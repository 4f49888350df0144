"""Satisfaction in the dashboard: asked once per resolved ticket, rated once by its sender,
a reply to the question kept as the comment, shown on the ticket page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk import outbox, runtime_settings
from models import DeliveryState, FollowUp, Notification, NotificationKind, Status, Ticket


def questions(db) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.SATISFACTION)
    ).all()


def sent_question(db, ticket, message_id: int = 700) -> Notification:
    """The bot reports the question sent, with its Telegram message id."""
    (note,) = questions(db)
    outbox.claim(note, "bot-1")
    outbox.record(note, sent=True, telegram_message_id=message_id)
    db.session.commit()
    return note


@pytest.fixture
def resolved(db, admin, admin_client, make_ticket):
    ticket = make_ticket(text="VPN down")
    assert admin_client.post(f"/tickets/{ticket.id}/resolve").status_code == 302
    db.session.refresh(ticket)
    return ticket


def test_a_resolve_in_the_dashboard_asks_the_sender_once(db, admin_client, resolved):
    (note,) = questions(db)
    assert (note.chat_id, note.ticket_id, note.state) == (1001, resolved.id, DeliveryState.PENDING)
    assert resolved.rating_asked_at is not None
    # Reopened and resolved again (status form): no second question.
    url = f"/tickets/{resolved.id}/status"
    admin_client.post(url, data={"status": "open"})
    admin_client.post(url, data={"status": "resolved"})
    db.session.refresh(resolved)
    assert resolved.status == Status.RESOLVED
    assert len(questions(db)) == 1
    # The outbox offers it to the bot with its ticket, like every other kind.
    assert [n.id for n in outbox.pending()] == [note.id]


def test_with_the_setting_off_a_resolve_asks_nothing(db, admin, admin_client, make_ticket):
    page = admin_client.get("/settings/").get_data(as_text=True)
    assert "Ask users to rate resolved tickets" in page
    assert runtime_settings.get_int("satisfaction_survey") == 1  # on by default
    runtime_settings.set_int("satisfaction_survey", 0, user_id=None)
    db.session.commit()
    ticket = make_ticket()
    admin_client.post(f"/tickets/{ticket.id}/resolve")
    db.session.refresh(ticket)
    assert ticket.status == Status.RESOLVED and ticket.rating_asked_at is None
    assert questions(db) == []


def test_the_first_rating_of_the_sender_wins(db, api, resolved):
    url = f"/api/tickets/{resolved.id}/rating"
    first = api.post(url, json={"score": 4, "telegram_user_id": 555})
    assert first.status_code == 200
    assert first.json["rating"]["score"] == 4 and first.json["already_rated"] is False
    second = api.post(url, json={"score": 1, "telegram_user_id": 555})
    assert second.status_code == 200
    assert second.json["rating"]["score"] == 4 and second.json["already_rated"] is True
    db.session.refresh(resolved)
    assert resolved.rating == 4 and resolved.rated_at is not None


def test_only_the_sender_may_rate(db, api, resolved):
    refused = api.post(
        f"/api/tickets/{resolved.id}/rating", json={"score": 5, "telegram_user_id": 9}
    )
    assert refused.status_code == 403
    assert "Only the person who asked for help" in refused.json["error"]
    db.session.refresh(resolved)
    assert resolved.rating is None


def test_a_ticket_not_asked_cannot_be_rated(api, make_ticket):
    ticket = make_ticket()
    answer = api.post(
        f"/api/tickets/{ticket.id}/rating", json={"score": 5, "telegram_user_id": 555}
    )
    assert answer.status_code == 409
    assert (
        api.post("/api/tickets/999/rating", json={"score": 5, "telegram_user_id": 555}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"score": 0, "telegram_user_id": 555}, "score", "must be between 1 and 5"),
        ({"score": 6, "telegram_user_id": 555}, "score", "must be between 1 and 5"),
        ({"score": "4", "telegram_user_id": 555}, "score", "must be an integer"),
        ({"score": 4}, "telegram_user_id", "is required"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, resolved, body, field, message):
    answer = api.post(f"/api/tickets/{resolved.id}/rating", json=body)
    assert answer.status_code == 400
    assert answer.json["fields"] == {field: message}


def test_a_reply_to_the_question_is_the_comment(db, api, support_payload, resolved):
    sent_question(db, resolved, message_id=700)
    reply = support_payload(
        message_id=50, text="quick, thanks", reply_to_message_id=700, followup_only=True
    )
    answer = api.post("/api/support_message", json=reply)
    assert answer.status_code == 200
    assert answer.json["rating_comment"] is True and answer.json["followup"] is False
    db.session.refresh(resolved)
    assert resolved.rating_comment == "quick, thanks"
    assert resolved.status == Status.RESOLVED  # not reopened
    assert db.session.scalars(sa.select(FollowUp)).all() == []
    # Someone else's reply in the chat is no comment: the ticket is closed to them.
    other = support_payload(
        message_id=51, user_id=9, text="me too", reply_to_message_id=700, followup_only=True
    )
    assert api.post("/api/support_message", json=other).status_code == 404
    db.session.refresh(resolved)
    assert resolved.rating_comment == "quick, thanks"


def test_the_ticket_page_shows_the_rating_and_the_comment_escaped(db, admin_client, api, resolved):
    api.post(f"/api/tickets/{resolved.id}/rating", json={"score": 2, "telegram_user_id": 555})
    resolved = db.session.get(Ticket, resolved.id)
    resolved.rating_comment = "<script>alert(1)</script> \u202eslow"
    db.session.commit()
    page = admin_client.get(f"/tickets/{resolved.id}").get_data(as_text=True)
    assert "<strong>2/5</strong>" in page
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt; \ufffdslow</bdi>" in page
    assert "<script>alert(1)" not in page


def test_the_demo_asks_no_demo_user_but_has_ratings(app, db, clock):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert questions(db) == []
    rated = db.session.scalars(sa.select(Ticket).where(Ticket.rating.is_not(None))).all()
    assert rated and all(t.status == Status.RESOLVED and t.rating_asked_at for t in rated)
