"""The languages end to end: a user whose Telegram language_code is `de` reads the bot in
German, from the confirmation to the satisfaction question, while the tech's page is in the
team's language (English unless TEAM_LANGUAGE says otherwise)."""

from __future__ import annotations

import pytest
from bot_harness import ANN, GROUP_ID, eventually, running_bot
from test_bot_rating import resolve_in_dashboard

USER = 4242


def answer_in_dashboard(live_dashboard, text: str) -> None:
    from desk import ticket_actions
    from models import Ticket, User

    def answer(db):
        bob = db.session.scalar(db.select(User).where(User.username == "bob"))
        ticket_actions.answer(db.session.get(Ticket, 1), text, bob)
        db.session.commit()

    live_dashboard.query(answer)


def test_a_german_user_gets_german_texts_and_the_tech_english_ones(
    bot, telegram, live_dashboard, team
):
    telegram.send_message_update("/help", user_id=USER, language_code="de")
    assert "eröffnet ein Ticket" in telegram.wait_for_message(USER, contains="Support-Desk")["text"]
    telegram.send_message_update("@support", user_id=USER, language_code="de")
    telegram.wait_for_message(USER, contains="Wobei brauchen Sie Hilfe?")
    telegram.send_message_update("@support Drucker kaputt", user_id=USER, language_code="de-AT")
    confirmation = telegram.wait_for_message(USER, contains="#1")
    assert confirmation["text"] == (
        "✅ Ticket #1 erfasst. Das Bereitschaftsteam ist benachrichtigt und antwortet hier. "
        "Antworten Sie auf diese Nachricht, um Details hinzuzufügen."
    )
    page = telegram.wait_for_message(ANN, contains="#1")
    assert "New support ticket" in page["text"]  # techs read the team's language
    telegram.send_message_update(
        "immer noch", user_id=USER, language_code="de", reply_to=confirmation
    )
    telegram.wait_for_message(USER, contains="Zu Ticket #1 hinzugefügt.")
    answer_in_dashboard(live_dashboard, "Bitte neu starten")
    answered = telegram.wait_for_message(USER, contains="Bitte neu starten")
    assert answered["text"].startswith("💬 \u2068Bob\u2069 · Ticket #1\n")
    resolve_in_dashboard(live_dashboard, 1)
    question = telegram.wait_for_message(USER, contains="Wie waren wir?")
    assert "Ticket #1 ist gelöst." in question["text"]
    telegram.press_button(question, "rate:1:5", user_id=USER, language_code="de")
    eventually(
        lambda: any("mit 5/5 bewertet" in e["text"] for e in telegram.edits(USER)),
        what="the rating thanked in German",
    )


def test_a_language_without_a_catalogue_reads_english(bot, telegram, live_dashboard, team):
    telegram.send_message_update("@support printer", user_id=USER, language_code="fr")
    reply = telegram.wait_for_message(USER, contains="#1")
    assert reply["text"].startswith("✅ Ticket #1 filed.")


def test_a_russian_user_who_is_told_the_desk_is_down_then_gets_the_number(
    bot, telegram, live_dashboard, team
):
    live_dashboard.stop()
    telegram.send_message_update("@support почта не работает", user_id=USER, language_code="ru")
    received = telegram.wait_for_message(USER, contains="Получено")
    assert received["text"].startswith("📥 Получено. Служба поддержки сейчас недоступна")
    live_dashboard.start()
    later = telegram.wait_for_message(USER, contains="заявка", timeout=15)
    assert later["text"].startswith("✅ Ваш запрос теперь заявка #1.")


@pytest.fixture
def german_team_bot(request, tmp_path, bot_env, telegram):
    yield from running_bot(request, tmp_path / "bot", bot_env | {"TEAM_LANGUAGE": "de"}, telegram)


def test_a_german_team_reads_german_pages_about_a_russian_users_ticket(
    german_team_bot, telegram, live_dashboard, team
):
    telegram.send_message_update("@support почта не работает", user_id=USER, language_code="ru")
    confirmation = telegram.wait_for_message(USER, contains="#1")
    assert confirmation["text"].startswith("✅ Заявка #1 зарегистрирована.")
    page = telegram.wait_for_message(ANN, contains="#1")
    assert page["text"].startswith("🚨 Neues Support-Ticket\nTicket #1 · Priorität normal\n")
    assert "почта не работает" in page["text"]
    labels = [b["text"] for b in page["reply_markup"]["inline_keyboard"][0]]
    assert labels == ["👀 Bestätigen", "🙋 Übernehmen", "✔️ Lösen"]
    post = telegram.wait_for_message(GROUP_ID, contains="#1")
    assert post["text"].startswith("🆕 Neues Support-Ticket")
    telegram.press_button(page, "take:1", user_id=ANN, first_name="Ann")
    pressed = eventually(telegram.callback_answers, what="the press answered")[0]
    assert pressed["text"] == "Ticket #1 gehört jetzt Ihnen."
    eventually(
        lambda: any("Übernommen von" in e["text"] for e in telegram.edits(ANN)),
        what="the page says in German who took the ticket",
    )
    telegram.send_message_update("/oncall", user_id=USER, language_code="ru")
    assert telegram.wait_for_message(USER, contains="Сейчас")["text"].startswith("Сейчас")
