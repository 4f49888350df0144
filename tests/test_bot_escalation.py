"""Escalation end to end: the real bot pages the chain, buttons stop it, restarts resume it."""

from __future__ import annotations

import time

import pytest
from bot_harness import ANN, BOB, CID, GROUP_ID, BotProcess, eventually, no_repeats

from user_text import FSI, PDI

USER = 4242
# How a page says who has it, the name isolated (user_text.py).
ACKNOWLEDGED_BY_ANN = f"Acknowledged by {FSI}Ann{PDI}"
TAKEN_BY_ANN = f"Taken by {FSI}Ann{PDI}"


@pytest.fixture
def dashboard_config():
    return {"ESCALATION_TIMEOUT": 1, "ACK_TIMEOUT": 1}


def page_order(telegram, chats):
    """Chats in the order they were first paged."""
    order = []
    for call in telegram.calls:
        if call.method == "sendMessage" and not call.failed:
            chat = call.result["chat"]["id"]
            if chat in chats and chat not in order:
                order.append(chat)
    return order


def notifications(live_dashboard):
    from models import Notification

    return live_dashboard.query(
        lambda db: [
            (n.kind, n.level, n.chat_id, n.state.value)
            for n in db.session.scalars(db.select(Notification).order_by(Notification.id))
            if n.kind != "confirmation"  # the user's ticket number, not a page
        ]
    )


def test_unhandled_ticket_escalates_through_backups_to_the_group(
    bot, telegram, live_dashboard, team
):
    telegram.send_message_update("@support server room is hot", user_id=USER)
    telegram.wait_for_message(ANN, contains="New support ticket")
    bob_page = telegram.wait_for_message(BOB, contains="Escalated ticket (level 2)", timeout=10)
    assert "server room is hot" in bob_page["text"]
    telegram.wait_for_message(CID, contains="Escalated ticket (level 3)", timeout=10)
    telegram.wait_for_message(GROUP_ID, contains="Unhandled ticket", timeout=10)
    assert page_order(telegram, {ANN, BOB, CID}) == [ANN, BOB, CID]
    kinds = [(kind, level, chat) for kind, level, chat, _ in notifications(live_dashboard)[:5]]
    assert kinds == [
        ("page", 1, ANN),
        ("post", 1, GROUP_ID),
        ("page", 2, BOB),
        ("page", 3, CID),
        ("group", 4, GROUP_ID),
    ]


def test_acknowledge_stops_escalation_and_updates_every_page(bot, telegram, live_dashboard, team):
    telegram.send_message_update("@support printer", user_id=USER)
    ann_page = telegram.wait_for_message(ANN, contains="New support ticket")
    telegram.wait_for_message(GROUP_ID, contains="New support ticket")
    telegram.press_button(ann_page, "ack:1", user_id=ANN, first_name="Ann")
    answer = telegram.wait_for("answerCallbackQuery")
    assert "acknowledged" in answer.params.get("text", "").lower()
    edited = eventually(
        lambda: [e for e in telegram.edits(ANN) if ACKNOWLEDGED_BY_ANN in e["text"]],
        what="Ann's page edited",
    )
    assert [b["text"] for b in edited[-1]["reply_markup"]["inline_keyboard"][0]] == [
        "🙋 Take it",
        "✔️ Resolve",
    ]
    eventually(
        lambda: [e for e in telegram.edits(GROUP_ID) if ACKNOWLEDGED_BY_ANN in e["text"]],
        what="group post edited",
    )
    # Well past the 1 s timeout (but before the 1 s ack reminder fires a page to Bob): nobody else.
    time.sleep(0.5)
    assert telegram.sent_messages(BOB) == []
    status = live_dashboard.api("GET", "/message/1/status").json()
    assert status["acknowledged_by"]["username"] == "ann"


def test_take_it_assigns_and_leaves_only_resolve_on_every_page(bot, telegram, live_dashboard, team):
    telegram.send_message_update("@support laptop broken", user_id=USER)
    ann_page = telegram.wait_for_message(ANN, contains="New support ticket")
    telegram.wait_for_message(GROUP_ID, contains="New support ticket")
    telegram.press_button(ann_page, "take:1", user_id=ANN, first_name="Ann")
    eventually(
        lambda: [e for e in telegram.edits(GROUP_ID) if TAKEN_BY_ANN in e["text"]],
        what="group post says Ann took it",
    )
    status = live_dashboard.api("GET", "/message/1/status").json()
    assert status["assignee"]["username"] == "ann"
    assert status["status"] == "in_progress"
    # Bob, looking at the group post, can no longer take it: only Resolve is left.
    post = eventually(
        lambda: [e for e in telegram.edits(GROUP_ID) if TAKEN_BY_ANN in e["text"]],
        what="group post edit",
    )[-1]
    assert [b["text"] for b in post["reply_markup"]["inline_keyboard"][0]] == ["✔️ Resolve"]


def test_resolve_button_resolves_and_removes_the_buttons(bot, telegram, live_dashboard, team):
    telegram.send_message_update("@support vpn", user_id=USER)
    ann_page = telegram.wait_for_message(ANN, contains="New support ticket")
    telegram.press_button(ann_page, "resolve:1", user_id=ANN, first_name="Ann")
    edited = eventually(
        lambda: [e for e in telegram.edits(ANN) if "Resolved" in e["text"]],
        what="page says resolved",
    )
    assert "reply_markup" not in edited[-1]
    assert live_dashboard.api("GET", "/message/1/status").json()["status"] == "resolved"


def test_a_press_by_an_unlinked_stranger_changes_nothing(bot, telegram, live_dashboard, team):
    telegram.send_message_update("@support vpn", user_id=USER)
    group_post = telegram.wait_for_message(GROUP_ID, contains="New support ticket")
    telegram.press_button(group_post, "resolve:1", user_id=31337, first_name="Mallory")
    answer = eventually(lambda: telegram.callback_answers(), what="press answered")[0]
    assert "only linked, active techs" in answer["text"]
    assert live_dashboard.api("GET", "/message/1/status").json()["status"] == "open"


def test_acknowledged_ticket_without_answer_reminds_then_resumes(
    bot, telegram, live_dashboard, team
):
    telegram.send_message_update("@support db slow", user_id=USER)
    ann_page = telegram.wait_for_message(ANN, contains="New support ticket")
    telegram.press_button(ann_page, "ack:1", user_id=ANN, first_name="Ann")
    reminder = telegram.wait_for_message(ANN, contains="Reminder", timeout=10)
    assert "db slow" in reminder["text"]
    telegram.wait_for_message(BOB, contains="Escalated ticket (level 2)", timeout=10)
    assert len([m for m in telegram.sent_messages(ANN) if "Reminder" in m["text"]]) == 1


def test_oncall_lists_the_chain(bot, telegram, team):
    telegram.send_message_update("/oncall", user_id=USER)
    reply = telegram.wait_for_message(USER, contains="On call now")
    assert f"{FSI}Ann{PDI} (backups: {FSI}Bob{PDI}, {FSI}Cid{PDI})" in reply["text"]


def test_a_restarted_bot_resumes_escalation_without_paging_twice(
    bot, telegram, live_dashboard, team, bot_env, tmp_path
):
    no_repeats(live_dashboard)
    telegram.send_message_update("@support network down", user_id=USER)
    telegram.wait_for_message(ANN, contains="New support ticket")
    # Killed once the page is known to be sent: a kill while Telegram still had the request
    # sends it again as a labelled repeat (tests/test_paging_faults.py covers that).
    eventually(
        lambda: ("page", 1, ANN, "sent") in notifications(live_dashboard),
        what="the page recorded as sent",
    )
    bot.stop(kill=True)  # SIGKILL: no clean shutdown
    time.sleep(1.5)  # the next level came due while the bot was down
    bot.start()
    telegram.wait_for_message(BOB, contains="level 2", timeout=15)
    telegram.wait_for_message(CID, contains="level 3", timeout=15)
    assert len(telegram.sent_messages(ANN)) == 1
    assert len(telegram.sent_messages(BOB)) == 1


def test_two_bots_polling_one_dashboard_page_each_level_once(
    bot, telegram, live_dashboard, team, bot_env, tmp_path
):
    no_repeats(live_dashboard)
    workdir = tmp_path / "second"
    workdir.mkdir()
    second = BotProcess(workdir, bot_env | {"BOT_SPOOL_PATH": str(workdir / "spool.sqlite3")})
    second.start()
    try:
        telegram.send_message_update("@support everything is on fire", user_id=USER)
        telegram.wait_for_message(GROUP_ID, contains="Unhandled ticket", timeout=15)
        time.sleep(0.5)
    finally:
        second.stop()
    levels = [(kind, level) for kind, level, _, _ in notifications(live_dashboard)]
    assert len(levels) == len(set(levels)), levels
    assert len(telegram.sent_messages(ANN)) == 1
    assert len(telegram.sent_messages(BOB)) == 1
    assert len(telegram.sent_messages(CID)) == 1
