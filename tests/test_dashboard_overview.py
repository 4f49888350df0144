"""The overview: counts, who is on call now and next, recent tickets, the live JSON."""

from __future__ import annotations

import html
import re
from datetime import time

import pytest

from desk import escalation_steps, outbox, ticket_actions
from models import DeliveryState, ScheduleBackup, ScheduleSlot, Status, Ticket
from user_text import FSI, PDI


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count_on_page(page: str, key: str) -> int:
    return int(re.search(rf'data-count="{key}">(\d+)<', page).group(1))


def test_overview_counts_tickets_by_state(admin_client, admin, make_ticket, db):
    tickets = [make_ticket(text=f"Problem {n}") for n in range(6)]
    ticket_actions.take(tickets[0], admin)
    ticket_actions.take(tickets[1], admin)
    ticket_actions.resolve(tickets[2], admin)
    db.session.commit()
    page = text_of(admin_client.get("/"))
    assert [count_on_page(page, k) for k in ("total", "open", "in_progress", "resolved")] == [
        6,
        3,
        2,
        1,
    ]


def test_overview_shows_who_is_on_call_now_and_next(admin_client, make_user, clock, db):
    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    bob = make_user("bob", full_name="Bob", telegram_user_id=9002)
    cid = make_user("cid", full_name="Cid", telegram_user_id=9003)
    day = ScheduleSlot(weekday=2, start_time=time(8), end_time=time(16), primary_id=ann.id)
    day.backups = [ScheduleBackup(user_id=bob.id, position=0)]
    evening = ScheduleSlot(weekday=2, start_time=time(16), end_time=time(0), primary_id=bob.id)
    evening.backups = [ScheduleBackup(user_id=cid.id, position=0)]
    db.session.add_all([day, evening])
    db.session.commit()

    page = text_of(admin_client.get("/"))  # Wednesday 09:00 UTC
    assert "Now · Wednesday 08:00–16:00" in page
    assert re.search(r'data-role="primary"><bdi>Ann</bdi><', page)
    assert "Backups: <bdi>Bob</bdi>" in page
    assert "Next · Wed 25 Nov 16:00" in page
    assert "<strong><bdi>Bob</bdi></strong>, then <bdi>Cid</bdi>" in page


def test_overview_shows_times_in_the_configured_zone(app, admin_client, on_call_team, clock):
    app.config["TIMEZONE"] = "Europe/Berlin"
    page = text_of(admin_client.get("/"))
    assert "Next · Thu 26 Nov 00:00" in page  # the next day's slot starts at Berlin midnight


def oncall_alert(page: str) -> tuple[str, str]:
    """(level, text) of the on-call block's notice."""
    found = re.search(r'<p class="notice notice-(\w+)" data-role="oncall-alert">([^<]*)</p>', page)
    assert found, "no on-call notice on the page"
    return found.group(1), html.unescape(found.group(2))


def test_fresh_install_says_in_red_that_nobody_can_be_paged_and_why(admin_client, clock):
    page = text_of(admin_client.get("/"))
    assert re.search(r'data-role="primary">Nobody can be paged<', page)
    level, text = oncall_alert(page)
    assert level == "danger"
    assert text.startswith(
        "Nobody can be paged now: no slot covers this hour, "
        "and no active admin has Telegram linked."
    )
    assert "the admins are paged" not in page  # the admin has no Telegram account linked


def test_the_red_notice_says_what_happens_to_new_tickets_meanwhile(app, admin_client, clock):
    _, text = oncall_alert(text_of(admin_client.get("/")))
    assert text.endswith(
        "Meanwhile nothing is sent for a new ticket: paging is retried every 15 min until "
        "someone can be paged. No team group is set (SUPPORT_GROUP_ID)."
    )
    app.config["SUPPORT_GROUP_ID"] = -100123
    _, text = oncall_alert(text_of(admin_client.get("/")))
    assert text.endswith(
        "Meanwhile new tickets are posted to the team group, and paging is retried every "
        "15 min until someone can be paged."
    )


def test_an_uncovered_hour_with_a_linked_admin_says_the_admins_are_paged(
    admin_client, admin, clock, db
):
    admin.telegram_user_id = 7001
    db.session.commit()
    page = text_of(admin_client.get("/"))
    assert re.search(r'data-role="primary"><bdi>Administrator</bdi><', page)
    assert oncall_alert(page) == ("warning", "No slot covers this hour: the admins are paged.")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "nobody in the slot has Telegram linked"),
        ({"telegram_user_id": 9001, "active": False}, "everyone in the slot is deactivated"),
    ],
    ids=["unlinked", "deactivated"],
)
def test_the_red_notice_names_why_nobody_in_the_slot_can_be_paged(
    admin_client, make_user, clock, db, fields, reason
):
    ann = make_user("ann", full_name="Ann", **fields)
    db.session.add(
        ScheduleSlot(weekday=2, start_time=time(8), end_time=time(16), primary_id=ann.id)
    )
    db.session.commit()
    page = text_of(admin_client.get("/"))  # Wednesday 09:00 UTC, inside Ann's slot
    level, text = oncall_alert(page)
    assert level == "danger"
    assert text.startswith(
        f"Nobody can be paged now: {reason}, and no active admin has Telegram linked."
    )
    assert f"Skipped: {FSI}Ann{PDI}" in page


def test_a_handover_to_nobody_is_not_called_the_admins(admin_client, make_user, clock, db):
    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    db.session.add(
        ScheduleSlot(weekday=2, start_time=time(8), end_time=time(16), primary_id=ann.id)
    )
    db.session.commit()
    page = text_of(admin_client.get("/"))
    assert "Next · Wed 25 Nov 16:00" in page
    assert "<strong>Nobody can be paged</strong>" in page
    assert "Nobody can be paged then: no slot covers that hour" in page
    assert "admins are paged" not in page


def test_live_json_carries_the_notice_the_page_shows(admin_client, clock):
    page = text_of(admin_client.get("/"))
    on_call = admin_client.get("/overview/live.json").get_json()["on_call"]
    assert on_call["primary"] is None
    assert on_call["unreachable"] == "no_slot"
    assert (on_call["alert"]["level"], on_call["alert"]["text"]) == oncall_alert(page)


def test_overview_lists_recent_tickets_newest_first_with_a_take_button(
    admin_client, admin, make_ticket, clock, db
):
    for n in range(12):
        clock.advance(minutes=1)
        make_ticket(text=f"Request number {n}")
    ticket_actions.take(db.session.get(Ticket, 12), admin)
    db.session.commit()
    page = text_of(admin_client.get("/"))
    shown = re.findall(r'data-ticket="(\d+)"', page)
    assert shown == [str(n) for n in range(12, 2, -1)]  # the ten newest
    assert 'action="/tickets/12/take"' not in page  # already taken
    assert 'action="/tickets/11/take"' in page


def test_take_from_the_overview_makes_the_ticket_mine(admin_client, admin, make_ticket, db):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/take")
    assert response.location == f"/tickets/{ticket.id}"
    assert f"Ticket #{ticket.id} is yours." in text_of(admin_client.get(response.location))
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.status) == (admin.id, Status.IN_PROGRESS)


def test_live_json_follows_new_tickets_and_state_changes(admin_client, api, support_payload, db):
    before = admin_client.get("/overview/live.json").get_json()
    assert before["counts"] == {"open": 0, "in_progress": 0, "resolved": 0, "total": 0}
    assert before["recent"] == []

    api.post("/api/support_message", support_payload(text="Mail server <down>"))
    after = admin_client.get("/overview/live.json").get_json()
    assert after["counts"]["open"] == 1
    row = after["recent"][0]
    assert row["preview"] == "Mail server <down>"  # raw text: the script sets textContent
    assert (row["status"], row["status_label"], row["url"]) == ("open", "Open", "/tickets/1")
    assert row["take_url"] == "/tickets/1/take"

    admin_client.post("/tickets/1/take")
    changed = admin_client.get("/overview/live.json").get_json()
    assert changed["counts"]["in_progress"] == 1
    assert changed["recent"][0]["status_label"] == "In progress"
    assert changed["recent"][0]["assignee"] == "Administrator"
    assert changed["recent"][0]["take_url"] is None


def test_live_json_includes_the_on_call_chain(admin_client, on_call_team, clock):
    on_call = admin_client.get("/overview/live.json").get_json()["on_call"]
    assert on_call["primary"] == "Ann"
    assert on_call["backups"] == ["Bob", "Cid"]
    assert on_call["fallback"] is False
    assert (on_call["unreachable"], on_call["alert"]) == (None, None)
    assert on_call["next"]["primary"] == "Ann"


def test_live_json_answers_401_to_a_logged_out_script(client):
    response = client.get("/overview/live.json")
    assert response.status_code == 401


def test_overview_page_loads_its_live_script_with_the_poll_interval(app, admin_client):
    app.config["LIVE_POLL_MS"] = 750
    page = text_of(admin_client.get("/"))
    assert 'src="/static/js/overview.js"' in page
    assert 'data-live-url="/overview/live.json" data-poll-ms="750"' in page


def test_overview_warns_when_the_bot_is_silent_and_clears_when_it_beats(admin_client, api, clock):
    assert "The bot is silent" in text_of(admin_client.get("/"))
    api.post("/api/heartbeat", {"instance": "bot-a"})
    page = text_of(admin_client.get("/"))
    assert "The bot is silent" not in page
    assert "Bot last seen" in page
    clock.advance(seconds=61)
    live = admin_client.get("/overview/live.json").get_json()
    assert live["bot"]["silent"] is True
    assert "1 min ago" in live["bot"]["label"]


def late_notice(page: str) -> str | None:
    found = re.search(r'<p class="notice notice-warning" data-role="late">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else None


def test_overview_warns_when_a_page_has_waited_over_a_minute(
    admin_client, on_call_team, make_ticket, clock, db
):
    note = escalation_steps.step(make_ticket()).notifications[0]  # Ann's page, pending
    clock.advance(seconds=60)
    assert late_notice(text_of(admin_client.get("/"))) is None
    assert admin_client.get("/overview/live.json").get_json()["late"] is None

    clock.advance(seconds=1)
    expected = (
        "1 notification has waited over a minute to be sent (the oldest for 1 min 1 s): "
        "check that the bot is running and can reach Telegram."
    )
    assert late_notice(text_of(admin_client.get("/"))) == expected
    assert admin_client.get("/overview/live.json").get_json()["late"] == {"text": expected}

    note.state = DeliveryState.SENDING  # claimed by a bot, outcome not reported yet
    db.session.commit()
    assert late_notice(text_of(admin_client.get("/"))) == expected

    outbox.record(note, sent=True, telegram_message_id=555)
    assert late_notice(text_of(admin_client.get("/"))) is None
    assert admin_client.get("/overview/live.json").get_json()["late"] is None


def test_the_late_notice_counts_every_waiting_notification(
    app, admin_client, on_call_team, make_ticket, clock
):
    app.config["SUPPORT_GROUP_ID"] = -100123  # the first level also posts to the group
    escalation_steps.step(make_ticket())
    clock.advance(minutes=3)
    escalation_steps.step(make_ticket())
    clock.advance(seconds=30)  # the second ticket's notifications are 30 s old
    assert late_notice(text_of(admin_client.get("/"))) == (
        "2 notifications have waited over a minute to be sent (the oldest for 3 min 30 s): "
        "check that the bot is running and can reach Telegram."
    )


def test_first_steps_tell_an_admin_where_the_generated_api_token_is(
    app, admin_client, tech_client, api
):
    app.config["BOT_API_TOKEN_FILE"] = "/srv/desk/instance/bot_api_token"
    page = text_of(admin_client.get("/"))
    assert "First steps" in page
    assert "/srv/desk/instance/bot_api_token" in page
    assert app.config["BOT_API_TOKEN"] not in page  # where the token is, never what it is
    assert "First steps" not in text_of(tech_client.get("/"))


def checklist(page: str) -> dict[str, bool]:
    """Each step of the first-steps list: its first link's text (or first words) -> done."""
    section = page[page.index('class="checklist"') : page.index("</ol>")]
    steps = {}
    for state, body in re.findall(r'<li class="(done|todo)">(.*?)</li>', section, re.S):
        text = re.sub(r"<[^>]+>", "", body)
        words = re.sub(r"\s+", " ", text.replace("Done:", "").replace("To do:", "")).strip()
        steps[" ".join(words.split()[:3])] = state == "done"
    return steps


def test_the_first_steps_tick_as_each_becomes_true_and_go_when_all_are(
    app, admin, admin_client, tech, api, db
):
    app.config["SUPPORT_GROUP_ID"] = None
    tech.active = False  # a deactivated tech is nobody to page
    db.session.commit()
    # The forced change of the generated password comes before any page: it is always ticked.
    assert checklist(text_of(admin_client.get("/"))) == {
        "Change your password": True,
        "Add the techs": False,
        "Link your Telegram": False,
        "Add an on-call": False,
        "Start the bot:": False,
        "Set SUPPORT_GROUP_ID in": False,
    }
    tech.active = True
    admin.telegram_user_id = 5001
    db.session.add(ScheduleSlot(weekday=0, start_time=time(9), end_time=time(17), primary=tech))
    db.session.commit()
    api.post("/api/heartbeat", {})
    assert [done for done in checklist(text_of(admin_client.get("/"))).values()] == [
        True,
        True,
        True,
        True,
        True,
        False,
    ]
    app.config["SUPPORT_GROUP_ID"] = -100123
    assert "First steps" not in text_of(admin_client.get("/"))
