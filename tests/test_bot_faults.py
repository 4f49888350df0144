"""Faults around the bot: dashboard down, restarts, Telegram errors, bad configuration."""

from __future__ import annotations

import os

import pytest
from bot_harness import ANN, ROOT, eventually, one_line_error, run_python

USER = 4242


def tickets(live_dashboard):
    from models import Ticket

    return live_dashboard.query(lambda db: [t.text for t in db.session.scalars(db.select(Ticket))])


def test_request_while_dashboard_is_down_is_spooled_then_filed_once(
    bot, telegram, live_dashboard, team
):
    live_dashboard.stop()
    telegram.send_message_update("@support mail is down", user_id=USER)
    received = telegram.wait_for_message(USER, contains="Received")
    assert "saved" in received["text"]
    live_dashboard.start()
    later = telegram.wait_for_message(USER, contains="is now ticket", timeout=15)
    assert "#1" in later["text"]
    telegram.wait_for_message(ANN, contains="mail is down")
    assert tickets(live_dashboard) == ["mail is down"]


def test_spooled_request_survives_a_bot_restart(bot, telegram, live_dashboard, team):
    live_dashboard.stop()
    telegram.send_message_update("@support printer on fire", user_id=USER)
    telegram.wait_for_message(USER, contains="Received")
    bot.stop(kill=True)
    live_dashboard.start()
    bot.start()
    telegram.wait_for_message(USER, contains="is now ticket", timeout=15)
    assert tickets(live_dashboard) == ["printer on fire"]
    eventually(lambda: len(telegram.sent_messages(ANN)) == 1, what="one page")


def test_telegram_429_on_the_confirmation_is_waited_out(bot, telegram, live_dashboard, team):
    telegram.fail_next("sendMessage", status=429, retry_after=1)
    telegram.send_message_update("@support slow", user_id=USER)
    reply = telegram.wait_for_message(USER, contains="Ticket", timeout=10)
    assert "#1" in reply["text"]
    assert [c.status for c in telegram.calls if c.method == "sendMessage" and c.failed] == [429]
    assert len([m for m in telegram.sent_messages(USER) if "Ticket" in m["text"]]) == 1


def page_states(live_dashboard):
    from models import Notification

    return live_dashboard.query(
        lambda db: sorted(
            (n.kind, n.state.value)
            for n in db.session.scalars(db.select(Notification))
            if n.kind != "confirmation"  # the user's ticket number, not a page
        )
    )


def test_a_page_to_a_blocked_tech_does_not_stop_the_others(bot, telegram, live_dashboard, team):
    telegram.block_chat(ANN)
    telegram.send_message_update("@support help", user_id=USER)
    telegram.wait_for_message(-100555, contains="New support ticket")
    eventually(
        lambda: page_states(live_dashboard) == [("page", "failed"), ("post", "sent")],
        what="the blocked page failed and the group post went out",
    )


BOT_CONFIG_CASES = [
    ({"BOT_TOKEN": ""}, "bot: configuration error: BOT_TOKEN: is not set"),
    ({"BOT_TOKEN": "not-a-token"}, "bot: configuration error: BOT_TOKEN: is malformed"),
    # Started in a folder where no dashboard ever generated one (tests/test_first_start.py).
    ({"BOT_API_TOKEN": ""}, "bot: configuration error: BOT_API_TOKEN: is not set and"),
    (
        {"SUPPORT_GROUP_ID": "team-chat"},
        "bot: configuration error: SUPPORT_GROUP_ID: must be a numeric Telegram chat id",
    ),
    (
        {"ESCALATION_POLL_INTERVAL": "soon"},
        "bot: configuration error: ESCALATION_POLL_INTERVAL: must be a number of seconds",
    ),
    (
        {"TEAM_LANGUAGE": "fr"},
        "bot: configuration error: TEAM_LANGUAGE: must be one of en, de, es, ru, uk, got 'fr'",
    ),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("env", "message"), BOT_CONFIG_CASES)
def test_bad_bot_setting_stops_with_one_line(tmp_path, env, message):
    base = {k: v for k, v in os.environ.items()} | {
        "BOT_TOKEN": "123456:TEST-token",
        "BOT_API_TOKEN": "x",
        "SUPPORT_GROUP_ID": "-100",
        "PYTHONPATH": str(ROOT),
    }
    result = run_python(str(ROOT / "bot.py"), cwd=tmp_path, env=base | env)
    assert one_line_error(result).startswith(message)


def test_restart_between_sending_and_recording_never_sends_an_answer_twice(
    telegram, live_dashboard, team, bot_env, tmp_path
):
    """A previous run handed two answers to Telegram and died before telling the dashboard:
    one it knew was sent, one it never heard back about."""
    from bot_harness import BotProcess

    from botkit.spool import Spool
    from desk import deliveries, ticket_actions
    from models import SupportResponse, Ticket, User

    def two_claimed_answers(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket = Ticket(
            chat_id=USER, message_id=1, sender_id=USER, sender_first_name="Al", text="help"
        )
        db.session.add(ticket)
        db.session.flush()
        answers = [ticket_actions.answer(ticket, text, tech) for text in ("one", "two")]
        db.session.commit()
        for answer in answers:
            assert deliveries.claim(answer)
        return [a.id for a in answers]

    sent_id, unknown_id = live_dashboard.query(two_claimed_answers)
    spool = Spool(bot_env["BOT_SPOOL_PATH"])
    spool.sending("response", sent_id)
    spool.sent("response", sent_id, 777)
    spool.sending("response", unknown_id)
    spool.close()

    workdir = tmp_path / "restarted"
    workdir.mkdir()
    process = BotProcess(workdir, bot_env).start()
    try:

        def states(db):
            return {
                r.id: (r.delivery_state.value, r.telegram_message_id, r.last_error)
                for r in db.session.scalars(db.select(SupportResponse))
            }

        result = eventually(
            lambda: (s := live_dashboard.query(states))[unknown_id][0] == "failed" and s,
            what="journal settled",
        )
        assert result[sent_id] == ("sent", 777, None)
        assert "uncertain" in result[unknown_id][2]
        telegram.wait_for("getUpdates")
        assert telegram.sent_messages(USER) == []  # nothing was sent again
    finally:
        process.stop()


def test_a_reply_to_the_received_notice_is_not_lost(bot, telegram, live_dashboard, team):
    live_dashboard.stop()
    telegram.send_message_update("@support mail is down", user_id=USER)
    notice = telegram.wait_for_message(USER, contains="Received")
    telegram.send_message_update("also the calendar", user_id=USER, reply_to=notice)
    eventually(
        lambda: len([m for m in telegram.sent_messages(USER) if "Received" in m["text"]]) == 2,
        what="the reply spooled too",
    )
    live_dashboard.start()
    eventually(
        lambda: sorted(tickets(live_dashboard)) == ["also the calendar", "mail is down"],
        timeout=15,
        what="both filed",
    )
