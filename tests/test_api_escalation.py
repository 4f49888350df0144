"""Escalation through the API: due tickets, one claim per level, the chain in order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from user_text import FSI, PDI


@pytest.fixture
def app_config(app_config):
    return app_config | {"ESCALATION_TIMEOUT": 900, "SUPPORT_GROUP_ID": -100777}


def file_ticket(api, support_payload, **fields):
    response = api.post("/api/support_message", support_payload(**fields))
    assert response.status_code == 201
    return response.get_json()


def paged(response):
    return [(n["kind"], n["chat_id"]) for n in response.get_json()["notifications"]]


def test_current_oncall_names_primary_and_backups(api, clock, on_call_team):
    body = api.get("/api/current_oncall").get_json()
    assert body["primary"]["name"] == "Ann"
    assert [p["name"] for p in body["chain"]] == ["Ann", "Bob", "Cid"]
    assert body["fallback"] is False


def test_new_ticket_is_due_at_once_and_pages_primary_and_group(
    api, clock, on_call_team, support_payload
):
    ticket = file_ticket(api, support_payload)
    due = api.get("/api/escalations/due").get_json()["tickets"]
    assert [t["id"] for t in due] == [ticket["id"]]
    response = api.post(f"/api/escalate/{ticket['id']}", {"level": 1})
    assert response.status_code == 200
    assert response.get_json()["action"] == "notify"
    assert paged(response) == [("page", 9001), ("post", -100777)]
    assert api.get("/api/escalations/due").get_json()["tickets"] == []


def test_the_due_list_says_when_the_next_step_falls_due_so_the_bot_can_wake_then(
    api, clock, on_call_team, support_payload
):
    def due():
        return api.get("/api/escalations/due", query_string={"limit": 1}).get_json()

    assert due() == {"tickets": [], "next_due_in": None}  # nothing open: nothing to wake for
    first = api.post("/api/support_message", support_payload(page=True)).get_json()
    assert first["next_escalation_in"] == 900.0
    clock.advance(minutes=10)
    second = api.post("/api/support_message", support_payload(message_id=2, page=True))
    assert second.get_json()["next_escalation_in"] == 900.0
    assert due() == {"tickets": [], "next_due_in": 300.0}
    clock.advance(minutes=5)
    # The first is due now; past the one a page of `limit` holds, the second is next.
    body = due()
    assert [t["id"] for t in body["tickets"]] == [first["id"]]
    assert body["next_due_in"] == 600.0
    assert api.post(f"/api/escalate/{first['id']}", {"level": 2}).status_code == 200
    assert due() == {"tickets": [], "next_due_in": 600.0}  # the second, then the first again
    api.post(
        f"/api/message/{second.get_json()['id']}/action",
        {"action": "resolve", "telegram_user_id": 9001},
    )
    assert due()["next_due_in"] == 900.0


def test_filing_with_page_claims_the_first_page_in_the_same_call(
    api, clock, on_call_team, support_payload
):
    response = api.post("/api/support_message", support_payload(page=True))
    assert response.status_code == 201
    body = response.get_json()
    step = body["escalation"]
    assert step["action"] == "notify"
    assert [(n["kind"], n["chat_id"]) for n in step["notifications"]] == [
        ("page", 9001),
        ("post", -100777),
    ]
    assert body["escalation_level"] == 1
    assert api.get("/api/escalations/due").get_json()["tickets"] == []
    # The bot retrying the same message (its answer was lost) gets the same page again,
    # never a new one, and never nothing.
    retry = api.post("/api/support_message", support_payload(page=True)).get_json()
    assert retry["id"] == body["id"]
    assert retry["escalation"]["replayed"] is True
    assert [n["id"] for n in retry["escalation"]["notifications"]] == [
        n["id"] for n in step["notifications"]
    ]
    assert retry["confirmation"]["id"] == body["confirmation"]["id"]
    assert api.post(f"/api/escalate/{body['id']}", {"level": 2}).get_json()["action"] == "wait"


def test_filing_with_page_and_nobody_on_call_pages_the_team_group(api, clock, support_payload):
    body = api.post("/api/support_message", support_payload(page=True)).get_json()
    assert body["escalation"]["action"] == "notify"
    assert [(n["kind"], n["chat_id"]) for n in body["escalation"]["notifications"]] == [
        ("group", -100777)
    ]


def test_a_followup_with_page_pages_nobody(api, clock, on_call_team, support_payload):
    first = api.post("/api/support_message", support_payload(page=True)).get_json()
    api.post(f"/api/message/{first['id']}/confirmation", {"message_id": 77})
    more = support_payload(message_id=2, reply_to_message_id=77, text="still down", page=True)
    body = api.post("/api/support_message", more).get_json()
    assert body["followup"] is True
    assert "escalation" not in body


def test_page_must_be_a_boolean(api, clock, on_call_team, support_payload):
    response = api.post("/api/support_message", support_payload(page="soon"))
    assert response.status_code == 400
    assert "page" in response.get_json()["fields"]


def test_a_level_is_claimed_once(api, clock, on_call_team, support_payload):
    ticket = file_ticket(api, support_payload)
    first = api.client.post(
        f"/api/escalate/{ticket['id']}", json={"level": 1}, headers=api.headers | bot("a")
    )
    second = api.client.post(
        f"/api/escalate/{ticket['id']}", json={"level": 1}, headers=api.headers | bot("b")
    )
    assert first.status_code == 200
    assert second.status_code == 409  # another bot's live claim is never handed out twice
    assert second.get_json()["notifications"] == []


def bot(instance: str) -> dict[str, str]:
    return {"X-Bot-Instance": instance}


def test_a_bot_retrying_a_claim_whose_answer_it_lost_gets_the_same_pages(
    api, clock, on_call_team, support_payload
):
    ticket = file_ticket(api, support_payload)
    headers = api.headers | bot("a")
    lost = api.client.post(f"/api/escalate/{ticket['id']}", json={"level": 1}, headers=headers)
    retry = api.client.post(f"/api/escalate/{ticket['id']}", json={"level": 1}, headers=headers)
    assert retry.status_code == 200
    assert retry.get_json()["replayed"] is True
    assert [n["id"] for n in retry.get_json()["notifications"]] == [
        n["id"] for n in lost.get_json()["notifications"]
    ]
    assert all(n["attempts"] == 2 for n in retry.get_json()["notifications"])


def test_escalation_walks_the_chain_then_the_group_then_repeats_and_stops(
    api, clock, on_call_team, support_payload
):
    ticket = file_ticket(api, support_payload)
    pages = []
    for _ in range(12):
        for due in api.get("/api/escalations/due").get_json()["tickets"]:
            response = api.post(f"/api/escalate/{due['id']}")
            pages.extend(paged(response))
        clock.advance(minutes=15)
    assert pages == [
        ("page", 9001),
        ("post", -100777),
        ("page", 9002),
        ("page", 9003),
        ("group", -100777),
        ("page", 9001),  # one repeat of the chain by default
        ("page", 9002),
        ("page", 9003),
        ("group", -100777),
    ]
    assert api.get(f"/api/message/{ticket['id']}/status").get_json()["next_escalation_at"] is None


def test_nothing_is_paged_before_the_timeout(api, clock, on_call_team, support_payload):
    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    clock.advance(minutes=14, seconds=59)
    assert api.get("/api/escalations/due").get_json()["tickets"] == []
    early = api.post(f"/api/escalate/{ticket['id']}")
    assert early.get_json()["action"] == "wait"
    assert early.get_json()["notifications"] == []
    clock.advance(seconds=1)
    assert paged(api.post(f"/api/escalate/{ticket['id']}")) == [("page", 9002)]


def test_resolved_ticket_stops_escalating(api, clock, on_call_team, support_payload, db):
    from models import Status, Ticket

    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    row = db.session.get(Ticket, ticket["id"])
    row.status = Status.RESOLVED
    db.session.commit()
    clock.advance(minutes=15)
    response = api.post(f"/api/escalate/{ticket['id']}")
    assert response.get_json()["action"] == "stop"
    assert response.get_json()["notifications"] == []


def test_notification_result_is_recorded_once(api, clock, on_call_team, support_payload):
    ticket = file_ticket(api, support_payload)
    note = api.post(f"/api/escalate/{ticket['id']}").get_json()["notifications"][0]
    sent = api.post(
        f"/api/notifications/{note['id']}/result", {"sent": True, "telegram_message_id": 55}
    )
    assert sent.get_json()["state"] == "sent"
    again = api.post(f"/api/notifications/{note['id']}/result", {"sent": False, "error": "x"})
    assert again.get_json()["state"] == "sent"
    assert again.get_json()["telegram_message_id"] == 55
    missing = api.post(f"/api/notifications/{note['id']}/result", {"sent": True})
    assert missing.status_code == 400
    assert missing.get_json()["fields"] == {"telegram_message_id": "is required"}
    bad = api.post("/api/notifications/999/result", {"sent": True, "telegram_message_id": 1})
    assert bad.status_code == 404


def test_escalation_timeout_setting_changes_the_next_step(
    api, clock, on_call_team, support_payload, db
):
    from desk import escalation_steps, runtime_settings

    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    runtime_settings.set_int("escalation_timeout", 60, user_id=None)
    db.session.commit()
    escalation_steps.reschedule_open_tickets()  # what saving the settings page does
    clock.advance(minutes=1)
    # The poller sees it due after the new timeout, not the 15 minutes it was scheduled for.
    assert [t["id"] for t in api.get("/api/escalations/due").get_json()["tickets"]] == [1]
    assert paged(api.post(f"/api/escalate/{ticket['id']}")) == [("page", 9002)]


def test_rescheduling_leaves_a_step_claimed_meanwhile_alone(
    api, clock, on_call_team, support_payload, db, monkeypatch
):
    import sqlalchemy as sa

    from desk import escalation_steps, runtime_settings
    from models import Ticket

    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    runtime_settings.set_int("escalation_timeout", 60, user_id=None)
    db.session.commit()
    bots_due_time = clock() + timedelta(minutes=30)
    read_state = escalation_steps.ticket_state

    def bot_claims_meanwhile(row, *paged):
        state = read_state(row, *paged)
        # Another process (the bot) claims level 2 between this read and the write.
        with db.engine.begin() as other:
            other.execute(
                sa.update(Ticket)
                .where(Ticket.id == row.id)
                .values(escalation_level=2, next_escalation_at=bots_due_time)
            )
        return state

    monkeypatch.setattr(escalation_steps, "ticket_state", bot_claims_meanwhile)
    assert escalation_steps.reschedule_open_tickets() == 0
    status = api.get(f"/api/message/{ticket['id']}/status").get_json()
    assert status["escalation_level"] == 2
    assert status["next_escalation_at"] == bots_due_time.isoformat()


def press(api, ticket_id, action, telegram_user_id):
    return api.post(
        f"/api/message/{ticket_id}/action",
        {"action": action, "telegram_user_id": telegram_user_id},
    )


def test_take_by_a_second_tech_is_refused_and_changes_nothing(
    api, clock, on_call_team, support_payload
):
    ticket = file_ticket(api, support_payload)
    assert press(api, ticket["id"], "take", 9001).status_code == 200
    second = press(api, ticket["id"], "take", 9002)
    assert second.status_code == 409
    assert second.get_json()["error"] == f"Ticket #1 is already taken by {FSI}Ann{PDI}."
    status = api.get("/api/message/1/status").get_json()
    assert status["assignee"]["username"] == "ann"
    assert status["status"] == "in_progress"


def test_press_on_a_resolved_ticket_says_so(api, clock, on_call_team, support_payload):
    ticket = file_ticket(api, support_payload)
    assert press(api, ticket["id"], "resolve", 9002).status_code == 200
    for action in ("ack", "take", "resolve"):
        response = press(api, ticket["id"], action, 9001)
        assert response.status_code == 409
        assert response.get_json()["error"] == "Ticket #1 is already resolved."


def test_second_acknowledge_names_who_acknowledged(api, clock, on_call_team, support_payload):
    ticket = file_ticket(api, support_payload)
    press(api, ticket["id"], "ack", 9001)
    again = press(api, ticket["id"], "ack", 9002)
    assert again.status_code == 409
    assert again.get_json()["error"] == f"Ticket #1 was already acknowledged by {FSI}Ann{PDI}."


def test_press_by_unlinked_or_deactivated_user_is_forbidden(
    api, clock, on_call_team, support_payload, db
):
    ticket = file_ticket(api, support_payload)
    assert press(api, ticket["id"], "ack", 123).status_code == 403
    ann = on_call_team[0]
    ann.active = False
    db.session.commit()
    assert press(api, ticket["id"], "ack", 9001).status_code == 403
    assert api.get("/api/message/1/status").get_json()["acknowledged_at"] is None


def test_acknowledged_ticket_reminds_the_tech_once_then_resumes(
    api, clock, on_call_team, support_payload
):
    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    press(api, ticket["id"], "ack", 9001)
    clock.advance(minutes=29)
    assert api.get("/api/escalations/due").get_json()["tickets"] == []
    clock.advance(minutes=1)
    reminder = api.post(f"/api/escalate/{ticket['id']}")
    assert reminder.get_json()["action"] == "remind"
    assert paged(reminder) == [("reminder", 9001)]
    assert api.post(f"/api/escalate/{ticket['id']}").get_json()["notifications"] == []
    clock.advance(minutes=15)
    assert paged(api.post(f"/api/escalate/{ticket['id']}")) == [("page", 9002)]


def test_answer_ends_escalation(api, clock, on_call_team, support_payload, db):
    from desk import ticket_actions
    from models import Ticket

    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    ticket_actions.answer(db.session.get(Ticket, 1), "on it", on_call_team[1])
    db.session.commit()
    clock.advance(hours=3)
    assert api.get("/api/escalations/due").get_json()["tickets"] == []


def test_oncall_overview_lists_handovers(api, clock, on_call_team):
    body = api.get("/api/oncall?hours=24").get_json()
    assert body["now"]["primary"]["name"] == "Ann"
    assert body["timezone"] == "UTC"
    assert isinstance(body["handovers"], list)


def test_taking_a_ticket_after_the_reminder_does_not_page_the_taker(
    api, clock, on_call_team, support_payload
):
    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}")
    press(api, ticket["id"], "ack", 9001)  # Ann acknowledges and goes quiet
    clock.advance(minutes=31)
    assert paged(api.post(f"/api/escalate/{ticket['id']}")) == [("reminder", 9001)]
    assert press(api, ticket["id"], "take", 9002).status_code == 200  # Bob takes it over
    clock.advance(minutes=16)
    assert api.get("/api/escalations/due").get_json()["tickets"] == []
    clock.advance(minutes=15)  # Bob's own acknowledgement timeout: he is reminded, not paged
    assert paged(api.post(f"/api/escalate/{ticket['id']}")) == [("reminder", 9002)]


def test_a_resolved_ticket_can_be_reopened_in_the_dashboard(
    api, clock, on_call_team, support_payload, db
):
    from desk import ticket_actions
    from models import Status, Ticket

    ticket = file_ticket(api, support_payload)
    press(api, ticket["id"], "resolve", 9001)
    row = db.session.get(Ticket, ticket["id"])
    db.session.refresh(row)
    ticket_actions.set_status(row, Status.OPEN, on_call_team[1])
    db.session.commit()
    assert api.get("/api/message/1/status").get_json()["status"] == "open"


def test_two_techs_taking_at_once_only_one_wins(api, clock, on_call_team, support_payload, app):
    """Both requests read "unassigned" before either writes; the conditional update decides."""
    import threading

    from conftest import API_TOKEN

    ticket = file_ticket(api, support_payload)
    barrier = threading.Barrier(2)
    results = {}

    def take(telegram_id):
        client = app.test_client()
        barrier.wait()
        results[telegram_id] = client.post(
            f"/api/message/{ticket['id']}/action",
            json={"action": "take", "telegram_user_id": telegram_id},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        ).status_code

    threads = [threading.Thread(target=take, args=(tid,)) for tid in (9002, 9003)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results.values()) == [200, 409]
    winner = api.get("/api/message/1/status").get_json()["assignee"]["username"]
    assert winner == ("bob" if results[9002] == 200 else "cid")


def run_polls(api, clock, minutes: int) -> list[tuple[int, str, int]]:
    """Poll like the bot every minute for `minutes`; (minute, kind, chat) of each message."""
    sent = []
    for minute in range(minutes + 1):
        for due in api.get("/api/escalations/due").get_json()["tickets"]:
            body = api.post(f"/api/escalate/{due['id']}").get_json()
            sent += [(minute, n["kind"], n["chat_id"]) for n in body["notifications"]]
        clock.advance(minutes=1)
    return sent


@pytest.mark.parametrize("how", ["take", "assign", "in_progress"])
def test_a_taken_ticket_reminds_its_owner_and_pages_nobody_else(
    app, api, clock, on_call_team, support_payload, how, db
):
    from desk import ticket_actions
    from models import Status, Ticket, User

    app.config["ACK_TIMEOUT"] = 1800
    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}", {"level": 1})
    clock.advance(minutes=2)
    row = db.session.get(Ticket, ticket["id"])
    ann = db.session.scalar(db.select(User).where(User.username == "ann"))
    if how == "take":
        assert press(api, ticket["id"], "take", 9001).status_code == 200
    elif how == "assign":
        ticket_actions.assign(row, ann, ann)
        db.session.commit()
    else:
        ticket_actions.set_status(row, Status.IN_PROGRESS, ann)
        db.session.commit()
    assert run_polls(api, clock, 100) == [
        (30, "reminder", 9001),  # 30 minutes after she took it, no answer yet
        (60, "reminder", 9001),
        (90, "reminder", 9001),
    ]


def test_page_the_chain_when_the_owner_is_silent_brings_escalation_back(
    api, clock, on_call_team, support_payload, db
):
    from desk import runtime_settings

    runtime_settings.set_int("owner_silence", 45, user_id=None)
    db.session.commit()
    ticket = file_ticket(api, support_payload)
    api.post(f"/api/escalate/{ticket['id']}", {"level": 1})
    assert press(api, ticket["id"], "take", 9001).status_code == 200
    assert run_polls(api, clock, 62) == [
        (30, "reminder", 9001),
        (45, "page", 9002),  # Ann took it and said nothing for 45 minutes
        (60, "page", 9003),
        (61, "reminder", 9001),  # due at 60 too: one step per ticket per poll
    ]


def test_a_ticket_nobody_can_be_paged_for_is_retried_until_someone_is_reachable(
    app, api, clock, support_payload, make_user, db
):
    app.config["SUPPORT_GROUP_ID"] = None  # a fresh install: no group, no admin linked
    body = api.post("/api/support_message", support_payload(page=True)).get_json()
    step = body["escalation"]
    assert (step["action"], step["notifications"]) == ("wait", [])
    assert body["next_escalation_at"] == (clock.current + timedelta(minutes=15)).isoformat()
    assert body["confirmation"]["kind"] == "confirmation"  # the user still learns the number
    clock.advance(minutes=15)
    assert run_polls(api, clock, 0) == []  # still nobody: looked at again, not ended
    make_user("zoe", is_admin=True, telegram_user_id=9100)  # an admin links Telegram
    clock.advance(minutes=15)
    assert run_polls(api, clock, 0) == [(0, "page", 9100)]


def test_filing_with_page_answers_one_next_escalation_time(
    api, clock, on_call_team, support_payload
):
    body = api.post("/api/support_message", support_payload(page=True)).get_json()
    # The answer is the ticket after its first step; the step repeats no copy of it.
    assert "ticket" not in body["escalation"]
    assert body["escalation_level"] == 1
    assert body["next_escalation_at"] == (clock.current + timedelta(minutes=15)).isoformat()
    clock.advance(minutes=15)
    due = api.get("/api/escalations/due").get_json()["tickets"]
    assert [(t["id"], t["next_escalation_at"]) for t in due] == [
        (body["id"], body["next_escalation_at"])
    ]
    retry = api.post("/api/support_message", support_payload(page=True)).get_json()
    assert "ticket" not in retry["escalation"]
    assert retry["next_escalation_at"] == body["next_escalation_at"]
