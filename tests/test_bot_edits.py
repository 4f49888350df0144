"""A user edits a message in Telegram, end to end: the real bot, the stand-in, the dashboard."""

from __future__ import annotations

from bot_harness import ANN, eventually

USER = 4242


def ticket_texts(live_dashboard):
    from models import Ticket

    return live_dashboard.query(
        lambda db: [t.text for t in db.session.scalars(db.select(Ticket).order_by(Ticket.id))]
    )


def earlier_texts(live_dashboard):
    from message_models import MessageEdit

    return live_dashboard.query(
        lambda db: list(db.session.scalars(db.select(MessageEdit.previous_text)))
    )


def test_an_edited_request_changes_the_ticket_and_rewrites_the_page(
    bot, telegram, live_dashboard, team
):
    sent = telegram.send_message_update("@support the VPN is down", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    telegram.wait_for_message(ANN, contains="the VPN is down")
    telegram.edit_message_update(sent, "@support the VPN is down in Berlin")
    told = telegram.wait_for_message(USER, contains="edit")
    assert told["text"] == "✏️ Your edit is on ticket #1."
    assert told["reply_to_message"]["message_id"] == sent["message"]["message_id"]
    assert ticket_texts(live_dashboard) == ["the VPN is down in Berlin"]
    assert earlier_texts(live_dashboard) == ["the VPN is down"]
    eventually(
        lambda: any("in Berlin" in e["text"] for e in telegram.edits(ANN)),
        what="the page quoting the edited text",
    )
    # One ticket, one page, one confirmation: the edit filed nothing again.
    assert len(telegram.sent_messages(ANN)) == 1
    assert len([m for m in telegram.sent_messages(USER) if "Ticket" in m["text"]]) == 1


def test_an_edited_command_request_follows_too(bot, telegram, live_dashboard, team):
    sent = telegram.send_message_update("/support printer jam", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    telegram.edit_message_update(sent, "/support printer jam on floor 2")
    telegram.wait_for_message(USER, contains="Your edit")
    assert ticket_texts(live_dashboard) == ["printer jam on floor 2"]


def test_an_edit_that_adds_the_tag_files_the_ticket(bot, telegram, live_dashboard, team):
    sent = telegram.send_message_update("the printer is jammed", user_id=USER)
    telegram.wait_for_message(USER, contains="To open a ticket")
    telegram.edit_message_update(sent, "@support the printer is jammed")
    reply = telegram.wait_for_message(USER, contains="Ticket")
    assert "#1" in reply["text"]
    telegram.wait_for_message(ANN, contains="the printer is jammed")
    assert ticket_texts(live_dashboard) == ["the printer is jammed"]


def test_an_edit_while_the_dashboard_is_down_reaches_the_ticket_once_it_is_back(
    bot, telegram, live_dashboard, team
):
    sent = telegram.send_message_update("@support mail is down", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    live_dashboard.stop()
    telegram.edit_message_update(sent, "@support mail is down since 9:00")
    saved = telegram.wait_for_message(USER, contains="edit is saved")
    assert "cannot be reached" in saved["text"]
    live_dashboard.start()
    eventually(
        lambda: ticket_texts(live_dashboard) == ["mail is down since 9:00"],
        timeout=15,
        what="the spooled edit applied",
    )
    assert earlier_texts(live_dashboard) == ["mail is down"]


def test_an_edit_of_a_spooled_request_waits_for_it_and_keeps_both_texts(
    bot, telegram, live_dashboard, team
):
    live_dashboard.stop()
    sent = telegram.send_message_update("@support mail is down", user_id=USER)
    telegram.wait_for_message(USER, contains="Received")
    telegram.edit_message_update(sent, "@support mail and calendar are down")
    telegram.wait_for_message(USER, contains="edit is saved")
    live_dashboard.start()
    telegram.wait_for_message(USER, contains="is now ticket", timeout=15)
    eventually(
        lambda: ticket_texts(live_dashboard) == ["mail and calendar are down"],
        timeout=15,
        what="the edit applied after the request was filed",
    )
    assert earlier_texts(live_dashboard) == ["mail is down"]


def test_an_edited_reply_changes_the_reply_in_the_thread(bot, telegram, live_dashboard, team):
    from models import FollowUp

    telegram.send_message_update("@support the VPN is down", user_id=USER)
    confirmation = telegram.wait_for_message(USER, contains="Ticket")
    reply = telegram.send_message_update("stil down", user_id=USER, reply_to=confirmation)
    telegram.wait_for_message(USER, contains="Added to ticket")
    telegram.edit_message_update(reply, "still down")
    telegram.wait_for_message(USER, contains="Your edit")
    texts = live_dashboard.query(lambda db: list(db.session.scalars(db.select(FollowUp.text))))
    assert texts == ["still down"]
    assert ticket_texts(live_dashboard) == ["the VPN is down"]
