"""The bot's long poll for answers: GET /api/responses/pending?wait= answers as soon as a tech
sends an answer (whichever worker it was sent through), when a retry's backoff ends, or with
nothing once the wait is over; a bad wait is a 400 naming it."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import ApiClient

from desk import doorbell, ticket_actions
from models import Ticket


@pytest.fixture
def ticket(api, support_payload, make_user, db):
    api.post("/api/support_message", support_payload())
    return db.session.get(Ticket, 1)


def poll_in_background(app, wait: float) -> dict:
    """Start a long poll in its own thread, as the bot's request runs in its own worker."""
    outcome: dict = {}

    def poll():
        started = time.monotonic()
        response = ApiClient(app.test_client()).get(f"/api/responses/pending?wait={wait}")
        outcome["seconds"] = time.monotonic() - started
        outcome["texts"] = [r["text"] for r in response.get_json()["responses"]]

    outcome["thread"] = threading.Thread(target=poll)
    outcome["thread"].start()
    return outcome


def test_a_waiting_poll_answers_as_soon_as_an_answer_is_sent(app, ticket, make_user, db):
    bob = make_user("bob", full_name="Bob")
    outcome = poll_in_background(app, wait=15)
    time.sleep(0.3)  # the poll has found nothing and waits
    assert outcome["thread"].is_alive()
    ticket_actions.answer(ticket, "Reboot it", bob)
    db.session.commit()
    outcome["thread"].join(10)
    assert outcome["texts"] == ["Reboot it"]
    assert outcome["seconds"] < 5  # woken by the answer, not by the end of the wait


def test_a_poll_with_nothing_to_hand_out_ends_with_its_wait(api, ticket):
    started = time.monotonic()
    response = api.get("/api/responses/pending?wait=0.4")
    assert response.get_json() == {"responses": []}
    assert time.monotonic() - started >= 0.4


def test_an_answer_in_backoff_is_handed_out_when_its_backoff_ends(api, ticket, make_user, db):
    """A failed attempt waits 2 s (deliveries.backoff): the poll wakes for it on its own."""
    answer = ticket_actions.answer(ticket, "Try again", make_user("bob"))
    db.session.commit()
    api.post(f"/api/responses/{answer.id}/claim")
    failed = {"sent": False, "error": "TimedOut", "retryable": True}
    api.post(f"/api/responses/{answer.id}/result", failed)
    started = time.monotonic()
    texts = [r["text"] for r in api.get("/api/responses/pending?wait=15").get_json()["responses"]]
    assert texts == ["Try again"]
    assert 1 < time.monotonic() - started < 5


def test_a_bell_rung_in_another_worker_wakes_the_poll(app, ticket):
    """Workers share nothing but the database and the instance folder: the bell is a file."""
    outcome = poll_in_background(app, wait=15)
    time.sleep(0.3)
    with app.app_context():
        doorbell.ring(doorbell.ANSWERS)  # as a commit in another process rings it
    outcome["thread"].join(10)
    assert outcome["texts"] == []  # nothing new in this database: woken, it looked, found none
    assert outcome["seconds"] < 5


@pytest.mark.parametrize("wait", ["soon", "-1", "nan", "inf"])
def test_a_bad_wait_is_refused_naming_it(api, wait):
    response = api.get(f"/api/responses/pending?wait={wait}")
    assert response.status_code == 400
    assert "wait" in response.get_json()["fields"]
