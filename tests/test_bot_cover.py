"""Cover from Telegram end to end: /cover posts to the group, the first press covers."""

from __future__ import annotations

from bot_harness import ANN, BOB, CID, GROUP_ID, eventually

from user_text import FSI, PDI


def overrides(live_dashboard):
    from schedule_models import Override

    return live_dashboard.query(
        lambda db: [(o.user_id, o.replaces_id) for o in db.session.scalars(db.select(Override))]
    )


def test_cover_asked_in_private_is_taken_by_the_first_to_press(bot, telegram, live_dashboard, team):
    telegram.send_message_update("/cover", user_id=ANN, first_name="Ann")
    assert telegram.wait_for_message(ANN, contains="Asked the team group to cover you")
    post = telegram.wait_for_message(GROUP_ID, contains="asks for cover")
    assert f"<b>{FSI}Ann{PDI}</b>" in post["text"] or f"{FSI}Ann{PDI}" in post["text"]
    buttons = post["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["I'll cover"]
    # Both press before the bot has handled either: one wins, the other hears who did.
    telegram.press_button(post, buttons[0]["callback_data"], user_id=BOB, first_name="Bob")
    telegram.press_button(post, buttons[0]["callback_data"], user_id=CID, first_name="Cid")
    edit = eventually(
        lambda: next((e for e in telegram.edits(GROUP_ID) if "covers" in e["text"]), None),
        what="the group post says who covers",
    )
    winner = "Bob" if f"{FSI}Bob{PDI} covers" in edit["text"] else "Cid"
    assert f"{FSI}{winner}{PDI} covers {FSI}Ann{PDI}" in edit["text"]
    assert "reply_markup" not in edit  # the button is gone once someone covers
    eventually(
        lambda: any(
            "covers this already" in a.get("text", "") for a in telegram.callback_answers()
        ),
        what="the late press hears who covers",
    )
    assert overrides(live_dashboard) == [(team[winner.lower()], team["ann"])]
    telegram.wait_for_message(ANN, contains="shifts of the next 7 days changed")
    chat = {"Bob": BOB, "Cid": CID}[winner]
    telegram.wait_for_message(chat, contains="shifts of the next 7 days changed")


def test_cover_from_an_unlinked_user_gets_a_clear_reply(bot, telegram, live_dashboard, team):
    telegram.send_message_update("/cover", user_id=4242)
    assert telegram.wait_for_message(4242, contains="link with /link CODE")


def test_a_malformed_range_gets_a_clear_reply(bot, telegram, live_dashboard, team):
    telegram.send_message_update("/cover next tuesday", user_id=ANN)
    assert telegram.wait_for_message(ANN, contains="2026-12-24 18:00 to 2026-12-27 09:00")
