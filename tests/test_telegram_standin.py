"""The Telegram stand-in speaks the Bot API well enough for a real python-telegram-bot."""

import asyncio
import http.client
import json
import threading
import time
import urllib.error
import urllib.request

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram_standin import TelegramStandIn

TOKEN = "123456:TEST-token"
USER_ID = 42


@pytest.fixture
def standin():
    with TelegramStandIn() as running:
        yield running


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and offer to open a ticket."""
    button = InlineKeyboardButton("Open a ticket", callback_data="ticket:new")
    await update.message.reply_text(
        "Welcome to the support desk.", reply_markup=InlineKeyboardMarkup([[button]])
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat the user's text as a reply to their message."""
    await update.message.reply_text(update.message.text, do_quote=True)


async def open_ticket(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the button and replace the keyboard with the outcome."""
    query = update.callback_query
    await query.answer("Ticket opened")
    await query.edit_message_text("Your ticket is open.")


def build_app(standin: TelegramStandIn, rate_limiter: AIORateLimiter | None = None) -> Application:
    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(standin.base_url)
        .base_file_url(standin.base_file_url)
        .connect_timeout(2)
        .read_timeout(2)
        .write_timeout(2)
        .pool_timeout(2)
        .get_updates_read_timeout(2)
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(open_ticket, pattern="^ticket:"))
    return app


def run_polling_bot(standin: TelegramStandIn, scenario, **build_kwargs) -> None:
    """Run a polling Application while `scenario(app)` plays; stop it cleanly afterwards."""

    async def main() -> None:
        app = build_app(standin, **build_kwargs)
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                await scenario(app)
            finally:
                await app.updater.stop()
                await app.stop()

    asyncio.run(main())


def run_bot_calls(standin: TelegramStandIn, scenario) -> None:
    """Initialise an Application (no polling) and run `scenario(app)`."""

    async def main() -> None:
        async with build_app(standin) as app:
            await scenario(app)

    asyncio.run(main())


async def in_thread(function, *args, **kwargs):
    # The stand-in's waits block; keep the bot's event loop running meanwhile.
    return await asyncio.to_thread(function, *args, **kwargs)


def post(url: str, body: bytes = b"", content_type: str | None = None) -> tuple[int, dict]:
    """POST like any other HTTP client would (the bot may live in another process)."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.load(err)


def post_json(standin: TelegramStandIn, method: str, params: dict) -> tuple[int, dict]:
    body = json.dumps(params).encode()
    return post(f"{standin.base_url}{TOKEN}/{method}", body, "application/json")


def test_echo_reply_quotes_the_users_message(standin):
    async def scenario(app):
        update = standin.send_message_update("My printer is on fire", user_id=USER_ID)
        reply = await in_thread(standin.wait_for_message, USER_ID, contains="printer")
        user_message_id = update["message"]["message_id"]
        call = standin.wait_for("sendMessage")
        assert call.params["reply_parameters"] == {"message_id": user_message_id}
        assert reply["reply_to_message"]["message_id"] == user_message_id
        assert reply["from"]["username"] == "support_desk_bot"
        assert reply["message_id"] == user_message_id + 1

    run_polling_bot(standin, scenario)
    assert not [call for call in standin.calls if call.failed]  # stopping is clean too


def test_start_command_shows_a_keyboard_whose_button_is_answered(standin):
    async def scenario(app):
        standin.send_message_update("/start", user_id=USER_ID, first_name="Bob")
        welcome = await in_thread(standin.wait_for_message, USER_ID, contains="Welcome")
        assert welcome["reply_markup"] == {
            "inline_keyboard": [[{"text": "Open a ticket", "callback_data": "ticket:new"}]]
        }

        standin.press_button(welcome, "ticket:new")
        await in_thread(standin.wait_for, "editMessageText")

        assert standin.callback_answers()[0]["text"] == "Ticket opened"
        [edited] = standin.edits(USER_ID)
        assert edited["message_id"] == welcome["message_id"]
        assert edited["text"] == "Your ticket is open."
        assert "reply_markup" not in edited  # the edit did not resend the keyboard

    run_polling_bot(standin, scenario)


def test_rate_limited_message_is_retried_and_arrives_once(standin):
    standin.fail_next("sendMessage", 429, retry_after=1)

    async def scenario(app):
        standin.send_message_update("hello?", user_id=USER_ID)
        await in_thread(standin.wait_for_message, USER_ID, contains="hello?")

    run_polling_bot(standin, scenario, rate_limiter=AIORateLimiter(max_retries=1))

    attempts = [c for c in standin.calls if c.method == "sendMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].description == "Too Many Requests: retry after 1"
    assert attempts[1].time - attempts[0].time >= 1
    assert len(standin.sent_messages(USER_ID)) == 1


def test_editing_an_unknown_message_is_a_bad_request(standin):
    async def scenario(app):
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await app.bot.edit_message_text("new text", chat_id=USER_ID, message_id=999)

    run_bot_calls(standin, scenario)
    assert standin.calls[-1].failed


def test_length_is_counted_in_utf16_code_units_as_telegram_does(standin):
    async def scenario(app):
        await app.bot.send_message(USER_ID, "😀" * 2048)  # 4096 units: the limit
        with pytest.raises(BadRequest, match="Message is too long"):
            await app.bot.send_message(USER_ID, "😀" * 2049)  # 2049 characters, 4098 units

    run_bot_calls(standin, scenario)
    assert [c.status for c in standin.calls if c.method == "sendMessage"] == [200, 400]


def test_a_user_who_blocked_the_bot_is_forbidden(standin):
    standin.block_chat(USER_ID)

    async def scenario(app):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(USER_ID, "Your ticket was answered")
        standin.unblock_chat(USER_ID)
        await app.bot.send_message(USER_ID, "Your ticket was answered")

    run_bot_calls(standin, scenario)
    assert [c.status for c in standin.calls if c.method == "sendMessage"] == [403, 200]
    assert len(standin.sent_messages(USER_ID)) == 1


def test_conflicting_polling_raises_conflict(standin):
    standin.conflict_polling()

    async def scenario(app):
        with pytest.raises(Conflict, match="only one bot instance"):
            await app.bot.get_updates(timeout=0)

    run_bot_calls(standin, scenario)


def test_a_newer_long_poll_terminates_the_waiting_one():
    with TelegramStandIn(poll_cap=5) as standin:
        url = f"{standin.base_url}{TOKEN}/getUpdates"
        answers = {}
        waiting = threading.Thread(target=lambda: answers.update(first=post(url, b"timeout=5")))
        waiting.start()
        time.sleep(0.3)
        assert post(url, b"timeout=0") == (200, {"ok": True, "result": []})
        waiting.join(timeout=2)
    status, body = answers["first"]
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


def test_get_updates_honours_offset_limit_and_timeout():
    with TelegramStandIn(poll_cap=0.3) as standin:
        url = f"{standin.base_url}{TOKEN}/getUpdates"
        first = standin.send_message_update("one")["update_id"]
        standin.send_message_update("two")

        assert [u["update_id"] for u in post(url, b"limit=1")[1]["result"]] == [first]
        status, body = post(url, f"offset={first + 1}".encode())
        [second] = body["result"]
        assert second["message"]["text"] == "two"

        started = time.monotonic()
        assert post(url, f"offset={second['update_id'] + 1}&timeout=10".encode())[1] == {
            "ok": True,
            "result": [],
        }
        assert 0.25 < time.monotonic() - started < 1.5  # capped, not 10 s

    with TelegramStandIn(poll_cap=5) as standin:
        threading.Timer(0.2, standin.send_message_update, ["late"]).start()
        started = time.monotonic()
        body = post(f"{standin.base_url}{TOKEN}/getUpdates", b"timeout=5")[1]
        assert body["result"][0]["message"]["text"] == "late"
        assert time.monotonic() - started < 2


def test_any_client_encoding_is_recorded_as_python_values(standin):
    markup = {"inline_keyboard": [[{"text": "Take", "callback_data": "take:1"}]]}
    post_json(standin, "sendMessage", {"chat_id": "7", "text": "1", "reply_markup": markup})
    post_json(
        standin, "sendMessage", {"chat_id": 7, "text": "x", "reply_markup": json.dumps(markup)}
    )
    post(
        f"{standin.base_url}{TOKEN}/sendMessage",
        b"chat_id=7&text=true&disable_notification=true",
        "application/x-www-form-urlencoded",
    )
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n7\r\n'
        b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\n42\r\n--b--\r\n'
    )
    post(f"{standin.base_url}{TOKEN}/sendMessage", multipart, "multipart/form-data; boundary=b")

    params = [c.params for c in standin.calls]
    assert params[0] == {"chat_id": 7, "text": "1", "reply_markup": markup}
    assert params[1]["reply_markup"] == markup
    assert params[2] == {"chat_id": 7, "text": "true", "disable_notification": True}
    assert params[3] == {"chat_id": 7, "text": "42"}
    assert [m["message_id"] for m in standin.sent_messages(7)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (
            429,
            3,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            },
        ),
        (500, None, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
    ],
)
def test_injected_faults_use_telegrams_error_format(standin, status, retry_after, expected):
    standin.fail_next("sendMessage", status, retry_after=retry_after)
    assert post_json(standin, "sendMessage", {"chat_id": 7, "text": "hi"}) == (status, expected)
    assert post_json(standin, "sendMessage", {"chat_id": 7, "text": "hi"})[0] == 200
    assert len(standin.sent_messages(7)) == 1


def random_failures(seed: int, calls: int = 60) -> list[tuple[int, dict | None]]:
    """Status and error body (None for a success) of `calls` sends under a 35% fault rate."""
    with TelegramStandIn() as standin:
        standin.fail_randomly("sendMessage", rate=0.35, seed=seed)
        answers = [
            post_json(standin, "sendMessage", {"chat_id": 7, "text": "hi"}) for _ in range(calls)
        ]
        assert len(standin.sent_messages(7)) == sum(status == 200 for status, _ in answers)
    return [(status, None if status == 200 else body) for status, body in answers]


def test_random_faults_are_seeded_and_answer_as_telegram_does():
    answers = random_failures(seed=7)
    assert answers == random_failures(seed=7)
    assert answers != random_failures(seed=8)
    errors = {status: body for status, body in answers if status != 200}
    assert set(errors) == {429, 500, 502}
    assert 10 <= sum(status != 200 for status, _ in answers) <= 35
    assert errors[429] == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert errors[500] == {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    assert errors[502] == {"ok": False, "error_code": 502, "description": "Bad Gateway"}


def test_stop_failing_ends_random_faults_for_that_method_only(standin):
    standin.fail_randomly("sendMessage", rate=1, statuses=(500,))
    standin.fail_randomly("sendChatAction", rate=1, statuses=(502,))
    assert post_json(standin, "sendMessage", {"chat_id": 7, "text": "hi"})[0] == 500
    standin.stop_failing("sendMessage")
    assert post_json(standin, "sendMessage", {"chat_id": 7, "text": "hi"})[0] == 200
    assert post_json(standin, "sendChatAction", {"chat_id": 7, "action": "typing"})[0] == 502
    standin.stop_failing()
    assert post_json(standin, "sendChatAction", {"chat_id": 7, "action": "typing"})[0] == 200


def test_a_lost_answer_is_delivered_but_the_client_hears_nothing(standin):
    standin.lose_answers("sendMessage", count=1)
    with pytest.raises(http.client.RemoteDisconnected):
        post_json(standin, "sendMessage", {"chat_id": 7, "text": "did it arrive?"})
    assert post_json(standin, "sendMessage", {"chat_id": 7, "text": "second"})[0] == 200
    assert [m["text"] for m in standin.sent_messages(7)] == ["did it arrive?", "second"]
    assert [c.answer_lost for c in standin.calls] == [True, False]


def test_the_bot_sees_a_lost_answer_as_a_network_error(standin):
    standin.lose_answers("sendMessage", count=1)

    async def scenario(app):
        with pytest.raises(NetworkError) as raised:
            await app.bot.send_message(USER_ID, "Your ticket is #1")
        # Not a refused connection: the request went out, so resending it may send it twice.
        assert isinstance(raised.value.__cause__, httpx.RemoteProtocolError)

    run_bot_calls(standin, scenario)
    assert [m["text"] for m in standin.sent_messages(USER_ID)] == ["Your ticket is #1"]


def test_unknown_method_is_not_found(standin):
    assert post_json(standin, "sendTelepathy", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


def test_wait_for_timeout_lists_the_calls_received(standin):
    post_json(standin, "sendMessage", {"chat_id": 7, "text": "something else"})
    with pytest.raises(AssertionError, match="something else"):
        standin.wait_for_message(7, contains="expected", timeout=0.1)


def test_concurrent_requests_get_distinct_messages_and_stop_leaves_no_threads():
    threads_before = threading.active_count()
    with TelegramStandIn() as standin:
        senders = [
            threading.Thread(
                target=post_json, args=(standin, "sendMessage", {"chat_id": 7, "text": str(n)})
            )
            for n in range(40)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        ids = sorted(m["message_id"] for m in standin.sent_messages(7))
    assert ids == list(range(1, 41))
    assert threading.active_count() == threads_before
