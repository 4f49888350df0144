"""Sending pages and answers to Telegram and reporting each outcome to the dashboard once."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

import httpx
from telegram import Bot, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from botkit import messages
from botkit.context import Desk
from botkit.dashboard import DashboardRefused, DashboardUnavailable

log = logging.getLogger(__name__)

NETWORK_RETRIES = 3


def retryable(error: TelegramError) -> bool:
    """Whether another attempt is right: not for a blocked bot or a bad request (it cannot
    help) nor after a timeout (the message may have arrived; a human decides)."""
    if isinstance(error, Forbidden | BadRequest | TimedOut):
        return False
    if isinstance(error, NetworkError) and not isinstance(error, RetryAfter):
        return safe_to_resend(error)
    return True


async def send_with_retries(bot: Bot, **kwargs: Any):
    """send_message, retrying only failures after which Telegram has certainly sent nothing.

    A refused connection or a 5xx is safe to retry. A timeout is not: Telegram may have
    delivered the message before the answer was lost, so it is raised for the caller to record
    as uncertain rather than sent again. 429 is retried by the rate limiter.
    """
    for attempt in range(1, NETWORK_RETRIES + 1):
        try:
            return await bot.send_message(**kwargs)
        except (RetryAfter, TimedOut, BadRequest, Forbidden):
            raise
        except NetworkError as error:
            if attempt == NETWORK_RETRIES or not safe_to_resend(error):
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def safe_to_resend(error: NetworkError) -> bool:
    """A refused connection (nothing was sent) or a 5xx answer (Telegram failed the request);
    not a connection that broke while the request was out."""
    cause = error.__cause__
    return cause is None or isinstance(cause, httpx.ConnectError)


# Group posts still on their way; kept so the tasks are not garbage-collected mid-send.
_group_posts: set[asyncio.Task] = set()


async def send_notifications(bot: Bot, desk: Desk, notes: list[dict], ticket: dict) -> None:
    """Page everyone in `notes` at once; one failing chat never holds up the others.

    People are awaited; posts to the team group go on in the background, because Telegram
    lets a group receive only 20 messages a minute and a burst of tickets must not make the
    next page wait for the group's rate limit.
    """
    people = [n for n in notes if n["kind"] not in GROUP_KINDS]
    for note in notes:
        if note["kind"] in GROUP_KINDS:
            task = asyncio.create_task(send_notification(bot, desk, note, ticket))
            _group_posts.add(task)
            task.add_done_callback(_group_posts.discard)
    await asyncio.gather(*(send_notification(bot, desk, note, ticket) for note in people))


GROUP_KINDS = {"post", "group"}


async def send_notification(bot: Bot, desk: Desk, note: dict, ticket: dict) -> None:
    desk.spool.sending("notification", note["id"])
    text = messages.notification(note, ticket, desk.settings.dashboard_url)
    try:
        sent = await send_with_retries(
            bot,
            chat_id=note["chat_id"],
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=messages.buttons(ticket),
        )
    except TelegramError as error:
        log.warning(
            "page %s for ticket #%s to chat %s failed: %s",
            note["kind"],
            ticket["number"],
            note["chat_id"],
            error,
        )
        await report(desk, "notification", note["id"], sent=False, error=str(error))
        return
    desk.spool.sent("notification", note["id"], sent.message_id)
    log.info(
        "paged %s (level %s, %s) about ticket #%s",
        note["chat_id"],
        note["level"],
        note["kind"],
        ticket["number"],
    )
    answer = await report(desk, "notification", note["id"], sent=True, message_id=sent.message_id)
    current = (answer or {}).get("ticket")
    if current and messages.handled_line(current) != messages.handled_line(ticket):
        # Someone pressed a button on another page while this one was on its way.
        await edit_page(bot, desk, note | {"telegram_message_id": sent.message_id}, current)


async def edit_page(bot: Bot, desk: Desk, note: dict, ticket: dict) -> None:
    """Rewrite a page already sent so it says who has the ticket and offers what is left."""
    try:
        await bot.edit_message_text(
            messages.notification(note, ticket, desk.settings.dashboard_url),
            chat_id=note["chat_id"],
            message_id=note["telegram_message_id"],
            parse_mode=ParseMode.HTML,
            reply_markup=messages.buttons(ticket),
        )
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            log.warning("could not update page %s: %s", note["id"], error)
    except TelegramError as error:
        log.warning("could not update page %s: %s", note["id"], error)


async def report(
    desk: Desk,
    kind: str,
    item_id: int,
    *,
    sent: bool,
    message_id: int | None = None,
    error: str | None = None,
    retryable: bool = False,
) -> dict | None:
    """Tell the dashboard; if it is down the journal keeps the outcome for a later report."""
    path = f"/{'notifications' if kind == 'notification' else 'responses'}/{item_id}/result"
    body: dict[str, Any] = {"sent": sent}
    if sent:
        body["telegram_message_id"] = message_id
    else:
        body["error"] = (error or "unknown error")[:2000]
        body["retryable"] = retryable
    answer = None
    try:
        answer = await desk.post(path, body)
    except DashboardUnavailable as unavailable:
        if not sent:
            # Nothing reached the user, so there is nothing to keep: the claim lease or the
            # next poll brings it back.
            desk.spool.settled(kind, item_id)
        log.warning("could not report %s %s: %s", kind, item_id, unavailable)
        return None
    except DashboardRefused as refused:
        log.warning("dashboard refused the report of %s %s: %s", kind, item_id, refused)
    desk.spool.settled(kind, item_id)
    return answer


async def deliver_answers(bot: Bot, desk: Desk) -> int:
    """Deliver every pending answer: in order within a chat, chats side by side."""
    pending = (await desk.get("/responses/pending"))["responses"]
    by_chat: dict[int, list[dict]] = defaultdict(list)
    for delivery in pending:
        by_chat[delivery["chat_id"]].append(delivery)
    results = await asyncio.gather(
        *(deliver_chat(bot, desk, deliveries) for deliveries in by_chat.values())
    )
    return sum(results)


async def deliver_chat(bot: Bot, desk: Desk, deliveries: list[dict]) -> int:
    delivered = 0
    for delivery in deliveries:
        delivered += await deliver_answer(bot, desk, delivery)
    return delivered


async def deliver_answer(bot: Bot, desk: Desk, delivery: dict) -> int:
    claimed = await desk.claim(f"/responses/{delivery['id']}/claim")
    if claimed.get("conflict"):
        return 0
    desk.spool.sending("response", delivery["id"])
    try:
        sent = await send_with_retries(
            bot,
            chat_id=delivery["chat_id"],
            text=messages.answer(claimed),
            parse_mode=ParseMode.HTML,
            reply_parameters=ReplyParameters(
                message_id=delivery["reply_to_message_id"], allow_sending_without_reply=True
            ),
        )
    except TelegramError as error:
        log.warning(
            "answer %s for ticket #%s to chat %s failed: %s",
            delivery["id"],
            delivery["ticket_number"],
            delivery["chat_id"],
            error,
        )
        await report(
            desk,
            "response",
            delivery["id"],
            sent=False,
            error=describe(error),
            retryable=retryable(error),
        )
        return 0
    desk.spool.sent("response", delivery["id"], sent.message_id)
    log.info(
        "delivered answer %s for ticket #%s to chat %s",
        delivery["id"],
        delivery["ticket_number"],
        delivery["chat_id"],
    )
    await report(desk, "response", delivery["id"], sent=True, message_id=sent.message_id)
    return 1


def describe(error: TelegramError) -> str:
    if isinstance(error, Forbidden):
        return f"Forbidden: {error.message} (the user blocked the bot or left the chat)"
    if isinstance(error, BadRequest | RetryAfter):
        return f"{error.__class__.__name__}: {error.message}"
    if isinstance(error, TimedOut) or not retryable(error):
        return (
            "delivery uncertain: the connection to Telegram broke while sending; the message"
            " may have arrived, check the user's chat before retrying"
        )
    return f"{error.__class__.__name__}: {error.message}"


async def settle_journal(desk: Desk, *, at_startup: bool = False) -> None:
    """Report what was sent but not yet reported; never resend it.

    At start-up an entry still `sending` belonged to the previous run, which stopped between
    handing the message to Telegram and hearing back: the outcome is unknown, so it is
    reported as uncertain for a human to check instead of being sent twice.
    """
    for entry in desk.spool.unsettled():
        if entry.state == "sending" and not at_startup:
            continue  # still in flight in this run
        if entry.state == "sent":
            await report(
                desk, entry.kind, entry.item_id, sent=True, message_id=entry.telegram_message_id
            )
        else:
            await report(
                desk,
                entry.kind,
                entry.item_id,
                sent=False,
                error="delivery uncertain: the bot stopped while sending; check before retrying",
            )
        log.info("settled %s %s from the journal (%s)", entry.kind, entry.item_id, entry.state)
