"""The answer outbox through the API: claims, outcomes, backoff, leases."""

from __future__ import annotations

import pytest


@pytest.fixture
def answer(api, clock, support_payload, make_user, db):
    """Ticket #1 with one answer by Bob waiting for delivery; returns its id."""
    from desk import ticket_actions
    from models import Ticket

    api.post("/api/support_message", support_payload())
    bob = make_user("bob", full_name="Bob")
    response = ticket_actions.answer(db.session.get(Ticket, 1), "Reboot it <now>", bob)
    db.session.commit()
    return response.id


def pending_ids(api):
    return [r["id"] for r in api.get("/api/responses/pending").get_json()["responses"]]


def test_pending_answer_carries_text_chat_and_the_message_to_reply_to(api, answer):
    (delivery,) = api.get("/api/responses/pending").get_json()["responses"]
    assert delivery["text"] == "Reboot it <now>"
    assert delivery["author"] == "Bob"
    assert delivery["chat_id"] == 1001
    assert delivery["reply_to_message_id"] == 1
    assert delivery["ticket_number"] == 1


def test_an_answer_is_claimed_once(api, answer):
    assert api.post(f"/api/responses/{answer}/claim").status_code == 200
    second = api.post(f"/api/responses/{answer}/claim")
    assert second.status_code == 409
    assert second.get_json()["error"] == f"response {answer} is sending"
    assert pending_ids(api) == []


def test_sent_answer_is_recorded_with_message_id(api, answer):
    api.post(f"/api/responses/{answer}/claim")
    body = api.post(
        f"/api/responses/{answer}/result", {"sent": True, "telegram_message_id": 99}
    ).get_json()
    assert body["delivery_state"] == "sent"
    assert body["telegram_message_id"] == 99
    # A late failure report cannot undo it.
    late = api.post(f"/api/responses/{answer}/result", {"sent": False, "error": "boom"})
    assert late.get_json()["delivery_state"] == "sent"


def test_retryable_failure_waits_out_a_backoff_then_fails_after_five_attempts(api, answer, clock):
    for attempt in range(1, 6):
        assert pending_ids(api) == [answer], attempt
        api.post(f"/api/responses/{answer}/claim")
        body = api.post(
            f"/api/responses/{answer}/result",
            {"sent": False, "error": "TimedOut", "retryable": True},
        ).get_json()
        assert body["attempts"] == attempt
        assert pending_ids(api) == []  # backing off
        clock.advance(minutes=5)
    assert body["delivery_state"] == "failed"
    assert body["last_error"] == "TimedOut"


def test_permanent_failure_fails_at_once(api, answer):
    api.post(f"/api/responses/{answer}/claim")
    body = api.post(
        f"/api/responses/{answer}/result",
        {"sent": False, "error": "Forbidden: bot was blocked by the user"},
    ).get_json()
    assert body["delivery_state"] == "failed"


def test_a_claim_nobody_reports_becomes_uncertain_not_resent(api, answer, clock):
    api.post(f"/api/responses/{answer}/claim")
    clock.advance(minutes=3)
    assert pending_ids(api) == []
    status = api.get("/api/message/1/status").get_json()
    assert status["id"] == 1
    from desk.extensions import db
    from models import SupportResponse

    response = db.session.get(SupportResponse, answer)
    db.session.refresh(response)
    assert response.delivery_state.value == "failed"
    assert "uncertain" in response.last_error


def test_unknown_response_is_404(api):
    assert api.post("/api/responses/42/claim").status_code == 404
    assert (
        api.post("/api/responses/42/result", {"sent": True, "telegram_message_id": 1}).status_code
        == 404
    )
