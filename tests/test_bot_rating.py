"""Satisfaction end to end: a resolve asks the user, a press rates, a reply comments."""

from __future__ import annotations

from bot_harness import ANN, eventually

USER, STRANGER = 4242, 4343


def resolve_in_dashboard(live_dashboard, number: int) -> None:
    """What the ticket page's Resolve does: the ticket service, then the view's commit."""
    from desk import ticket_actions
    from models import Ticket, User

    def resolve(db):
        ticket = db.session.get(Ticket, number)
        ann = db.session.scalar(db.select(User).where(User.username == "ann"))
        ticket_actions.resolve(ticket, ann)
        db.session.commit()

    live_dashboard.query(resolve)


def reopen_in_dashboard(live_dashboard, number: int) -> None:
    from desk import ticket_actions
    from models import Status, Ticket, User

    def reopen(db):
        ticket = db.session.get(Ticket, number)
        ann = db.session.scalar(db.select(User).where(User.username == "ann"))
        ticket_actions.set_status(ticket, Status.OPEN, ann)
        db.session.commit()

    live_dashboard.query(reopen)


def rating_of(live_dashboard, number: int):
    from models import Ticket

    def read(db):
        ticket = db.session.get(Ticket, number)
        return ticket.rating, ticket.rating_comment, ticket.rating_asked_at is not None

    return live_dashboard.query(read)


def satisfaction_rows(live_dashboard) -> int:
    from models import Notification, NotificationKind

    return live_dashboard.query(
        lambda db: len(
            db.session.scalars(
                db.select(Notification).where(Notification.kind == NotificationKind.SATISFACTION)
            ).all()
        )
    )


def file_ticket(telegram, text="@support the VPN is down"):
    update = telegram.send_message_update(text, user_id=USER, first_name="Alice")
    telegram.wait_for_message(USER, contains="Ticket")
    telegram.wait_for_message(ANN, contains="#1")
    return update


def test_resolve_asks_once_the_sender_rates_and_comments(bot, telegram, live_dashboard, team):
    update = file_ticket(telegram)
    resolve_in_dashboard(live_dashboard, 1)
    question = telegram.wait_for_message(USER, contains="How did we do?")
    assert "#1" in question["text"]
    assert question["reply_to_message"]["message_id"] == update["message"]["message_id"]
    buttons = question["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["1 😞", "2 🙁", "3 😐", "4 🙂", "5 😀"]
    assert [b["callback_data"] for b in buttons] == [f"rate:1:{n}" for n in range(1, 6)]

    # Someone else in the chat cannot rate it.
    telegram.press_button(question, "rate:1:1", user_id=STRANGER)
    eventually(
        lambda: any("Only the person" in a.get("text", "") for a in telegram.callback_answers()),
        what="the stranger is told why not",
    )
    assert rating_of(live_dashboard, 1)[0] is None

    # Two presses before the bot handled either (a double tap): the bot handles updates side
    # by side, so either may reach the dashboard first; the first there wins, and the message
    # and the other press both say the rating that stands.
    telegram.press_button(question, "rate:1:4", user_id=USER)
    telegram.press_button(question, "rate:1:2", user_id=USER)
    eventually(lambda: rating_of(live_dashboard, 1)[0] is not None, what="a rating stored")
    stood = rating_of(live_dashboard, 1)[0]
    assert stood in (4, 2)
    edit = eventually(
        lambda: next((e for e in telegram.edits(USER) if "you rated" in e["text"]), None),
        what="the question becomes a thank-you",
    )
    assert (
        f"Thanks — you rated ticket #1 {stood}/5. Reply to this message to add a comment."
        in (edit["text"])
    )
    assert "reply_markup" not in edit

    eventually(
        lambda: (
            f"You already rated ticket #1: {stood}/5."
            in [a.get("text") for a in telegram.callback_answers()]
        ),
        what="the second press hears it is rated already",
    )
    assert rating_of(live_dashboard, 1)[0] == stood

    telegram.send_message_update("quick and friendly", user_id=USER, reply_to=question)
    saved = telegram.wait_for_message(USER, contains="comment on ticket")
    assert "#1" in saved["text"]
    assert rating_of(live_dashboard, 1) == (stood, "quick and friendly", True)
    from models import FollowUp, Ticket

    def thread(db):
        followups = db.session.scalars(db.select(FollowUp)).all()
        return len(followups), db.session.get(Ticket, 1).status.value

    assert live_dashboard.query(thread) == (0, "resolved")  # no follow-up, not reopened

    # Reopened and resolved again: asked once per ticket, so no second question.
    reopen_in_dashboard(live_dashboard, 1)
    resolve_in_dashboard(live_dashboard, 1)
    assert satisfaction_rows(live_dashboard) == 1
    assert rating_of(live_dashboard, 1) == (stood, "quick and friendly", True)


def test_with_the_setting_off_nothing_is_asked(bot, telegram, live_dashboard, team):
    from desk import runtime_settings

    def switch_off(db):
        runtime_settings.set_int("satisfaction_survey", 0, user_id=None)
        db.session.commit()

    live_dashboard.query(switch_off)
    file_ticket(telegram)
    resolve_in_dashboard(live_dashboard, 1)
    assert satisfaction_rows(live_dashboard) == 0
    assert rating_of(live_dashboard, 1) == (None, None, False)
    assert not [m for m in telegram.sent_messages(USER) if "How did we do?" in m["text"]]


def test_a_resolve_button_in_telegram_asks_too(bot, telegram, live_dashboard, team):
    file_ticket(telegram)
    page = telegram.wait_for_message(ANN, contains="#1")
    telegram.press_button(page, "resolve:1", user_id=ANN, first_name="Ann")
    question = telegram.wait_for_message(USER, contains="How did we do?")
    assert len(question["reply_markup"]["inline_keyboard"][0]) == 5


def test_a_press_whose_answer_is_lost_asks_to_press_again(
    lossy_bot, lossy_dashboard, telegram, live_dashboard, team
):
    file_ticket(telegram)
    resolve_in_dashboard(live_dashboard, 1)
    question = telegram.wait_for_message(USER, contains="How did we do?")
    lossy_dashboard.lose_answers("/api/tickets/1/rating")
    telegram.press_button(question, "rate:1:3", user_id=USER)
    eventually(
        lambda: any("tap again" in a.get("text", "") for a in telegram.callback_answers()),
        what="the press hears to try again",
    )
    assert rating_of(live_dashboard, 1)[0] == 3  # the dashboard had it all the same
    # The keyboard is still there; the next press brings the message up to date.
    telegram.press_button(question, "rate:1:5", user_id=USER)
    edit = eventually(
        lambda: next((e for e in telegram.edits(USER) if "you rated" in e["text"]), None),
        what="the question becomes a thank-you",
    )
    assert "3/5" in edit["text"]
    assert rating_of(live_dashboard, 1)[0] == 3
    assert "Traceback" not in lossy_bot.log()
