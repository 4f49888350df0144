"""The outbox through the API: leases, repeats, retries, confirmations; nothing left unsent."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    return app_config | {
        "ESCALATION_TIMEOUT": 900,
        "SUPPORT_GROUP_ID": -100777,
        "OUTBOX_LEASE_SECONDS": 60,
    }


def file_with_page(api, support_payload, **fields):
    response = api.post("/api/support_message", support_payload(page=True, **fields))
    assert response.status_code == 201
    return response.get_json()


def first_page(body):
    return next(n for n in body["escalation"]["notifications"] if n["kind"] == "page")


def pending(api):
    return api.get("/api/notifications/pending").get_json()["notifications"]


def report(api, note_id, **body):
    return api.post(f"/api/notifications/{note_id}/result", body)


def test_a_page_whose_bot_never_reports_goes_out_again_as_a_repeat_after_the_lease(
    api, clock, on_call_team, support_payload
):
    body = file_with_page(api, support_payload)
    page = first_page(body)
    assert page["state"] == "sending"  # claimed by the bot that filed the ticket
    clock.advance(seconds=59)
    assert pending(api) == []
    clock.advance(seconds=2)  # the bot died: nobody reported within the lease
    waiting = {n["id"]: n for n in pending(api)}
    assert waiting[page["id"]]["repeat"] is True
    assert waiting[page["id"]]["ticket"]["number"] == body["number"]
    assert body["confirmation"]["id"] in waiting  # the user is told the number all the same


def test_an_uncertain_page_is_sent_again_labelled_and_a_refused_one_is_not(
    api, clock, on_call_team, support_payload
):
    page = first_page(file_with_page(api, support_payload))
    report(api, page["id"], sent=False, error="delivery uncertain", uncertain=True)
    again = api.post(f"/api/notifications/{page['id']}/claim").get_json()
    assert (again["state"], again["repeat"], again["attempts"]) == ("sending", True, 2)

    blocked = first_page(file_with_page(api, support_payload, message_id=2))
    report(api, blocked["id"], sent=False, error="Forbidden: bot was blocked by the user")
    assert blocked["id"] not in [n["id"] for n in pending(api)]
    status = api.get(f"/api/message/{blocked['ticket_id']}/status")
    assert status.status_code == 200


def test_a_retryable_failure_waits_its_backoff_then_is_offered_again(
    api, clock, on_call_team, support_payload
):
    page = first_page(file_with_page(api, support_payload))
    report(api, page["id"], sent=False, error="Bad Gateway", retryable=True)
    assert page["id"] not in [n["id"] for n in pending(api)]
    clock.advance(seconds=2)
    offered = [n for n in pending(api) if n["id"] == page["id"]]
    assert offered and offered[0]["repeat"] is False  # it never reached Telegram
    assert offered[0]["error"] == "Bad Gateway"


def test_a_page_keeps_being_retried_until_its_attempts_run_out_then_shows_why(
    api, clock, on_call_team, support_payload
):
    from desk.outbox import MAX_ATTEMPTS

    page = first_page(file_with_page(api, support_payload))
    for _ in range(MAX_ATTEMPTS - 1):
        report(api, page["id"], sent=False, error="Internal Server Error", retryable=True)
        clock.advance(minutes=2)
        assert api.post(f"/api/notifications/{page['id']}/claim").status_code == 200
    final = report(api, page["id"], sent=False, error="Internal Server Error", retryable=True)
    assert (final.get_json()["state"], final.get_json()["attempts"]) == ("failed", MAX_ATTEMPTS)


def test_a_late_sent_report_wins_and_a_second_claim_is_refused(
    api, clock, on_call_team, support_payload
):
    page = first_page(file_with_page(api, support_payload))
    clock.advance(minutes=5)
    assert page["id"] in [n["id"] for n in pending(api)]  # lease ran out
    assert api.post(f"/api/notifications/{page['id']}/claim").status_code == 200
    second = api.post(f"/api/notifications/{page['id']}/claim")
    assert second.status_code == 409
    assert "sending" in second.get_json()["error"]
    # The first bot's report arrives after all: the page did reach Telegram.
    sent = report(api, page["id"], sent=True, telegram_message_id=77).get_json()
    assert (sent["state"], sent["telegram_message_id"]) == ("sent", 77)
    late_failure = report(api, page["id"], sent=False, error="timed out", uncertain=True)
    assert late_failure.get_json()["state"] == "sent"


def test_a_sent_confirmation_makes_replies_to_it_join_the_ticket(
    api, clock, on_call_team, support_payload
):
    body = file_with_page(api, support_payload)
    confirmation = body["confirmation"]
    assert (confirmation["kind"], confirmation["chat_id"]) == ("confirmation", 1001)
    report(api, confirmation["id"], sent=True, telegram_message_id=555)
    reply = api.post(
        "/api/support_message",
        support_payload(message_id=9, text="more details", reply_to_message_id=555, page=True),
    ).get_json()
    assert (reply["followup"], reply["id"]) == (True, body["id"])
    # Filed again (the bot lost the answer): the number is not sent a second time.
    again = api.post("/api/support_message", support_payload(page=True)).get_json()
    assert again["confirmation"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [({"sent": "yes"}, "sent"), ({"sent": True}, "telegram_message_id")],
)
def test_a_malformed_result_names_the_field(api, clock, on_call_team, support_payload, body, field):
    page = first_page(file_with_page(api, support_payload))
    response = report(api, page["id"], **body)
    assert response.status_code == 400
    assert field in response.get_json()["fields"]
