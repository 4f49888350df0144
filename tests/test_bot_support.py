"""The bot end to end: real `python bot.py`, the Telegram stand-in, the live dashboard."""

from __future__ import annotations

from bot_harness import ANN, GROUP_ID, eventually

from user_text import FSI, PDI

USER = 4242


def ticket(live_dashboard, number):
    return live_dashboard.api("GET", f"/message/{number}/status").json()


def test_support_mention_in_private_chat_files_ticket_and_pages_on_call(
    bot, telegram, live_dashboard, team
):
    update = telegram.send_message_update(
        "Hi @support the VPN is down", user_id=USER, first_name="Alice", username="alice"
    )
    reply = telegram.wait_for_message(USER, contains="Ticket")
    assert "#1" in reply["text"]
    assert "on-call team has been notified" in reply["text"]
    assert reply["reply_to_message"]["message_id"] == update["message"]["message_id"]
    page = telegram.wait_for_message(ANN, contains="#1")
    assert "the VPN is down" in page["text"]
    assert f"From: {FSI}Alice{PDI}, @{FSI}alice{PDI}, id 4242" in page["text"]
    assert f"{live_dashboard.url}/tickets/1" in str(page.get("entities")) or (
        "Open in the dashboard" in page["text"]
    )
    buttons = [b["text"] for b in page["reply_markup"]["inline_keyboard"][0]]
    assert buttons == ["👀 Acknowledge", "🙋 Take it", "✔️ Resolve"]
    group_post = telegram.wait_for_message(GROUP_ID, contains="#1")
    assert "New support ticket" in group_post["text"]
    filed = ticket(live_dashboard, 1)
    assert filed["text"] == "Hi the VPN is down"
    assert filed["escalation_level"] == 1


def test_a_page_isolates_what_the_user_wrote_and_shows_its_controls(
    bot, telegram, live_dashboard, team
):
    telegram.send_message_update(
        "@support open invoice\u202efdp.exe\x07 now", user_id=USER, first_name="Eve\u202e"
    )
    page = telegram.wait_for_message(ANN, contains="#1")  # the stand-in parsed its HTML
    assert f"From: {FSI}Eve\ufffd{PDI}, id 4242" in page["text"]
    assert f"\n{FSI}open invoice\ufffdfdp.exe\u2407 now{PDI}\n" in page["text"]
    assert ticket(live_dashboard, 1)["text"] == "open invoice\u202efdp.exe\x07 now"  # kept as sent


def test_a_ticket_as_long_as_telegram_allows_is_paged_cut_to_fit(
    bot, telegram, live_dashboard, team
):
    # 2,040 emoji are 4,080 UTF-16 code units, which is what Telegram counts: a page quoting
    # them whole would be refused as too long, and the page lost.
    telegram.send_message_update("@support " + "😀" * 2040, user_id=USER)
    assert "#1" in telegram.wait_for_message(USER, contains="Ticket")["text"]
    page = telegram.wait_for_message(ANN, contains="#1")
    assert "😀" * 1000 in page["text"] and "(truncated, full text in the dashboard)" in page["text"]
    assert len(page["text"].encode("utf-16-le")) // 2 <= 4096
    assert ticket(live_dashboard, 1)["text"] == "😀" * 2040


def test_a_request_the_dashboard_refuses_is_told_why(bot, telegram, live_dashboard, team):
    # Telegram itself stops a message this long; a request the dashboard refuses for any
    # field must still tell the user what was wrong, not just "invalid fields".
    telegram.send_message_update("/support " + "😀" * 2049, user_id=USER)
    reply = telegram.wait_for_message(USER, contains="could not be filed")
    assert "your message must be at most 4096 UTF-16 code units" in reply["text"]
    assert "(got 4098: an emoji counts as two)" in reply["text"]
    assert "Nothing was filed." in reply["text"]
    assert live_dashboard.api("GET", "/message/1/status").status_code == 404


def test_support_command_in_a_group_files_a_ticket(bot, telegram, live_dashboard, team):
    telegram.send_message_update(
        "/support printer on floor 2 jammed", user_id=USER, chat_id=-4001, chat_type="group"
    )
    reply = telegram.wait_for_message(-4001, contains="Ticket")
    assert "#1" in reply["text"]
    filed = ticket(live_dashboard, 1)
    assert filed["text"] == "printer on floor 2 jammed"
    assert filed["chat_type"] == "group"
    telegram.wait_for_message(ANN, contains="printer on floor 2 jammed")


def test_support_mention_in_a_group_files_a_ticket(bot, telegram, live_dashboard, team):
    telegram.send_message_update(
        "@support wifi is slow", user_id=USER, chat_id=-4002, chat_type="supergroup"
    )
    telegram.wait_for_message(-4002, contains="Ticket")
    assert ticket(live_dashboard, 1)["text"] == "wifi is slow"


def test_support_without_text_asks_what_is_needed(bot, telegram, live_dashboard):
    telegram.send_message_update("@support", user_id=USER)
    reply = telegram.wait_for_message(USER, contains="What do you need help with")
    assert reply
    assert live_dashboard.api("GET", "/message/1/status").status_code == 404


def test_plain_private_message_gets_a_hint(bot, telegram):
    telegram.send_message_update("hello?", user_id=USER)
    assert telegram.wait_for_message(USER, contains="To open a ticket")


def test_reply_to_the_confirmation_joins_the_thread(bot, telegram, live_dashboard, team):
    from models import FollowUp

    telegram.send_message_update("@support disk full", user_id=USER)
    confirmation = telegram.wait_for_message(USER, contains="Ticket")
    telegram.send_message_update("it is the /var partition", user_id=USER, reply_to=confirmation)
    added = telegram.wait_for_message(USER, contains="Added to ticket")
    assert "#1" in added["text"]
    texts = live_dashboard.query(lambda db: db.session.scalars(db.select(FollowUp.text)).all())
    assert texts == ["it is the /var partition"]
    assert live_dashboard.api("GET", "/message/2/status").status_code == 404


def test_special_characters_arrive_intact(bot, telegram, live_dashboard, team):
    text = "<b>bold</b> & *stars* _under_ `code` [x](y) 🔥 שלום عربي " + "x" * 3900
    telegram.send_message_update(f"@support {text}", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    assert ticket(live_dashboard, 1)["text"] == text
    page = telegram.wait_for_message(ANN, contains="#1")
    assert "<b>bold</b> & *stars* _under_ `code` [x](y) 🔥 שלום عربي" in page["text"]


def test_status_reports_health_counts_and_on_call(bot, telegram, live_dashboard, team):
    telegram.send_message_update("@support one", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    telegram.send_message_update("/status", user_id=USER)
    status = telegram.wait_for_message(USER, contains="Dashboard reachable")
    assert "Open: 1" in status["text"]
    assert f"On call: {FSI}Ann{PDI} (backups: {FSI}Bob{PDI}, {FSI}Cid{PDI})" in status["text"]
    assert "Bot up" in status["text"]


def test_status_says_when_the_dashboard_is_down(bot, telegram, live_dashboard):
    live_dashboard.stop()
    telegram.send_message_update("/status", user_id=USER)
    assert telegram.wait_for_message(USER, contains="Dashboard unreachable")


def test_help_and_start_explain_the_commands(bot, telegram):
    telegram.send_message_update("/help", user_id=USER)
    assert "/status" in telegram.wait_for_message(USER, contains="@support")["text"]
    telegram.send_message_update("/start", user_id=USER + 1)
    assert telegram.wait_for_message(USER + 1, contains="/oncall")


def link_code_for(live_dashboard, username: str) -> str:
    """A dashboard user with a fresh one-time link code, as the account page shows it."""
    from desk import linking
    from models import User

    def make_code(db):
        user = User(username=username, full_name=username.title())
        user.set_password("password123")
        db.session.add(user)
        code = linking.new_code(user)
        db.session.commit()
        return code

    return live_dashboard.query(make_code)


def test_link_code_links_the_telegram_account(bot, telegram, live_dashboard):
    from models import User

    code = link_code_for(live_dashboard, "dora")
    telegram.send_message_update(f"/link {code.lower()}", user_id=7777, username="dora_tg")
    reply = telegram.wait_for_message(7777, contains="Linked")
    assert "dora" in reply["text"]
    linked = live_dashboard.query(
        lambda db: db.session.scalar(db.select(User).where(User.username == "dora")).to_dict()
    )
    assert linked["telegram_user_id"] == 7777
    assert linked["telegram_username"] == "dora_tg"
    telegram.send_message_update(f"/link {code}", user_id=7778)
    assert telegram.wait_for_message(7778, contains="unknown or expired")


def test_deep_link_start_code_links_too(bot, telegram, live_dashboard):
    code = link_code_for(live_dashboard, "eve")
    telegram.send_message_update(f"/start {code}", user_id=7779)
    assert telegram.wait_for_message(7779, contains="Linked")


def test_answer_from_the_dashboard_reaches_the_user_once(bot, telegram, live_dashboard, team):
    from desk import ticket_actions
    from models import SupportResponse, Ticket, User

    update = telegram.send_message_update("@support printer", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")

    def answer(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.answer(db.session.get(Ticket, 1), "Try <turning> it off & on", tech)
        db.session.commit()

    live_dashboard.query(answer)
    delivered = telegram.wait_for_message(USER, contains="Try <turning> it off & on")
    assert delivered["reply_to_message"]["message_id"] == update["message"]["message_id"]
    state = eventually(
        lambda: live_dashboard.query(
            lambda db: (
                db.session.get(SupportResponse, 1).delivery_state.value == "sent"
                and db.session.get(SupportResponse, 1).to_dict()
            )
        ),
        what="answer recorded as sent",
    )
    assert state["telegram_message_id"] == delivered["message_id"]
    telegram.wait_for("getUpdates", since=len(telegram.calls))  # a few more rounds
    answers = [m for m in telegram.sent_messages(USER) if "turning" in m["text"]]
    assert len(answers) == 1


def test_a_long_answer_reaches_the_user_in_numbered_parts_in_order(
    bot, telegram, live_dashboard, team
):
    from desk import ticket_actions
    from models import SupportResponse, Ticket, User

    telegram.send_message_update("@support printer", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    paragraphs = [f"Step {n}: " + "😀" * 1500 for n in (1, 2, 3)]  # 3,008 units each

    def answer(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.answer(db.session.get(Ticket, 1), "\n\n".join(paragraphs), tech)
        db.session.commit()

    live_dashboard.query(answer)
    last = telegram.wait_for_message(USER, contains="part 3 of 3", timeout=15)
    parts = [m for m in telegram.sent_messages(USER) if " of 3" in m["text"]]
    # The stand-in refuses more than 4,096 UTF-16 units, as Telegram does: each part fit.
    assert [m["text"].split("\n")[0].split(" · ")[-1] for m in parts] == [
        "part 1 of 3",
        "part 2 of 3",
        "part 3 of 3",
    ]
    assert [f"Step {n}:" in m["text"] for n, m in zip((1, 2, 3), parts, strict=True)] == [True] * 3
    assert last["message_id"] == parts[-1]["message_id"]
    states = eventually(
        lambda: (
            live_dashboard.query(
                lambda db: {
                    r.delivery_state.value for r in db.session.scalars(db.select(SupportResponse))
                }
            )
            == {"sent"}
        ),
        what="every part recorded as sent",
    )
    assert states


def test_a_note_never_reaches_the_user_while_the_answer_after_it_does(
    bot, telegram, live_dashboard, team
):
    from desk import ticket_actions
    from models import Ticket, User

    telegram.send_message_update("@support printer", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")

    def note_then_answer(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket = db.session.get(Ticket, 1)
        ticket_actions.add_note(ticket, "Internal: the user broke it again", tech)
        db.session.commit()
        ticket_actions.answer(ticket, "Fixed, try now", tech)
        db.session.commit()

    live_dashboard.query(note_then_answer)
    telegram.wait_for_message(USER, contains="Fixed, try now")
    telegram.wait_for("getUpdates", since=len(telegram.calls))  # a few more rounds
    sent = [m["text"] for chat in (USER, ANN, GROUP_ID) for m in telegram.sent_messages(chat)]
    assert not any("broke it again" in text for text in sent)


def test_answer_to_a_user_who_blocked_the_bot_is_recorded_as_failed(
    bot, telegram, live_dashboard, team
):
    from desk import ticket_actions
    from models import SupportResponse, Ticket, User

    telegram.send_message_update("@support help", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    telegram.block_chat(USER)

    def answer(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.answer(db.session.get(Ticket, 1), "hello", tech)
        db.session.commit()

    live_dashboard.query(answer)
    failed = eventually(
        lambda: live_dashboard.query(
            lambda db: (
                (r := db.session.get(SupportResponse, 1)).delivery_state.value == "failed"
                and r.to_dict()
            )
        ),
        what="answer recorded as failed",
    )
    assert "blocked" in failed["last_error"]
    assert failed["attempts"] == 1  # a permanent error is not retried blindly

    # A human presses retry after the user unblocks the bot.
    telegram.unblock_chat(USER)

    def retry(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.retry_delivery(db.session.get(SupportResponse, 1), tech)
        db.session.commit()

    live_dashboard.query(retry)
    assert telegram.wait_for_message(USER, contains="hello")


def test_telegram_500_and_429_on_answers_are_retried_and_delivered_once(
    bot, telegram, live_dashboard, team
):
    from desk import ticket_actions
    from models import Ticket, User

    telegram.send_message_update("@support help", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")
    telegram.fail_next("sendMessage", status=500, count=1)
    telegram.fail_next("sendMessage", status=429, count=1, retry_after=1)

    def answer(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.answer(db.session.get(Ticket, 1), "fixed now", tech)
        db.session.commit()

    live_dashboard.query(answer)
    telegram.wait_for_message(USER, contains="fixed now", timeout=15)
    failures = [c for c in telegram.calls if c.method == "sendMessage" and c.failed]
    assert [c.status for c in failures] == [500, 429]
    assert len([m for m in telegram.sent_messages(USER) if "fixed now" in m["text"]]) == 1
