"""Sending pages and answers to Telegram and reporting each outcome to the dashboard once."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from telegram import Bot, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter

from botkit import messages, team_messages
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


async def send_with_retries(bot: Bot, method: str = "send_message", **kwargs: Any):
    """send_message (or `method`: send_photo, send_document), retrying only failures after
    which Telegram has certainly sent nothing.

    A refused connection or a 5xx is safe to retry. A timeout is not: Telegram may have
    delivered the message before the answer was lost, so it is raised for the caller to record
    as uncertain rather than sent again. 429 is retried by the rate limiter.
    """
    for attempt in range(1, NETWORK_RETRIES + 1):
        try:
            return await getattr(bot, method)(**kwargs)
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


@dataclass(frozen=True)
class BeforeSend:
    """`rate_limit_args` for one request: `callback` runs right before it leaves."""

    callback: Callable[[], None]


class JournalingRateLimiter(AIORateLimiter):
    """python-telegram-bot's rate limiter, journalling a message as `sending` when its request
    actually leaves, not when it joins the queue: a message still queued when the bot dies
    never reached Telegram, and is sent after the restart instead of being called uncertain."""

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if not isinstance(rate_limit_args, BeforeSend):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        hook = rate_limit_args.callback

        async def journaled(*call_args, **call_kwargs):
            hook()
            return await callback(*call_args, **call_kwargs)

        return await super().process_request(journaled, args, kwargs, endpoint, data, None)


async def send_journaled(bot: Bot, desk: Desk, kind: str, item_id: int, **kwargs: Any):
    """send_message with retries, journalled `sending` right before the request leaves."""
    return await send_journaling(bot, lambda: desk.spool.sending(kind, item_id), **kwargs)


async def send_journaling(bot: Bot, journal: Callable[[], None], **kwargs: Any):
    """send_message with retries, `journal` called right before the request leaves."""
    if getattr(bot, "rate_limiter", None) is None:
        journal()  # no queue to wait in: it leaves now
        return await send_with_retries(bot, **kwargs)
    return await send_with_retries(bot, rate_limit_args=BeforeSend(journal), **kwargs)


# Group posts still on their way; kept so the tasks are not garbage-collected mid-send.
_group_posts: set[asyncio.Task] = set()
GROUP_KINDS = {"post", "group", "sla_breach"}
# Messages to the user who asked, sent as replies to their request; never rewritten as pages.
USER_KINDS = {"confirmation", "satisfaction"}


async def send_notifications(
    bot: Bot, desk: Desk, notes: list[dict], ticket: dict, *, late: bool = False
) -> None:
    """Send outbox messages at once; one failing chat never holds up the others.

    People are awaited; posts to the team group go on in the background, because Telegram
    lets a group receive only 20 messages a minute and a burst of tickets must not make the
    next page wait for the group's rate limit.
    """
    people = [n for n in notes if n["kind"] not in GROUP_KINDS]
    for note in notes:
        if note["kind"] in GROUP_KINDS:
            if desk.group_posts is not None:
                desk.group_posts.add(bot, desk, note, ticket)  # botkit/group_posts.py
                continue
            task = asyncio.create_task(send_notification(bot, desk, note, ticket))
            _group_posts.add(task)
            task.add_done_callback(_group_posts.discard)
    await asyncio.gather(*(send_notification(bot, desk, n, ticket, late=late) for n in people))


def uncertain(error: TelegramError) -> bool:
    """Telegram may have the message: the request was out when the connection broke."""
    if isinstance(error, TimedOut):
        return True
    if isinstance(error, Forbidden | BadRequest):
        return False
    return (
        isinstance(error, NetworkError)
        and not isinstance(error, RetryAfter)
        and not (safe_to_resend(error))
    )


async def send_notification(
    bot: Bot, desk: Desk, note: dict, ticket: dict, *, late: bool = False
) -> None:
    """Send one outbox message claimed at the dashboard and report what Telegram said."""
    if note["id"] in desk.sending or note["id"] in desk.sent:
        return  # this process is sending it, or has sent it, already
    desk.sending.add(note["id"])
    try:
        await _send_notification(bot, desk, note, ticket, late)
    finally:
        desk.sending.discard(note["id"])


async def _send_notification(
    bot: Bot, desk: Desk, note: dict, ticket: dict | None, late: bool
) -> None:
    known = desk.spool.entry("notification", note["id"])
    if known is not None and known.state == "sent":
        # Sent before, the report was lost: report it, never send it twice.
        await report(
            desk, "notification", note["id"], sent=True, message_id=known.telegram_message_id
        )
        return
    desk.spool.claimed("notification", note["id"])
    confirmation = note["kind"] in USER_KINDS  # to the user, under their request
    extra: dict[str, Any] = {}
    if confirmation:
        extra["reply_parameters"] = ReplyParameters(
            message_id=ticket["message_id"], allow_sending_without_reply=True
        )
        if note["kind"] == "satisfaction":
            extra["reply_markup"] = messages.rating_buttons(ticket)
    elif ticket is not None:
        extra["reply_markup"] = team_messages.buttons(ticket, desk.settings.team_language)
    elif note["kind"] == "cover_request":  # shift reminders and changes have no buttons
        extra["reply_markup"] = team_messages.cover_button(
            note["notice"], desk.settings.team_language
        )
    about = f"ticket #{ticket['number']}" if ticket else f"notice {note.get('notice_id')}"
    try:
        sent = await send_journaled(
            bot,
            desk,
            "notification",
            note["id"],
            chat_id=note["chat_id"],
            text=team_messages.outbox_text(
                note,
                ticket,
                desk.settings.dashboard_url,
                late=late,
                lang=desk.settings.team_language,
            ),
            parse_mode=ParseMode.HTML,
            **extra,
        )
    except TelegramError as error:
        log.warning("%s for %s to chat %s failed: %s", note["kind"], about, note["chat_id"], error)
        await report(
            desk,
            "notification",
            note["id"],
            sent=False,
            error=describe(error),
            # A page is worth another try whenever Telegram may take it later.
            retryable=not isinstance(error, Forbidden | BadRequest),
            uncertain=uncertain(error),
        )
        return
    desk.spool.sent("notification", note["id"], sent.message_id)
    desk.sent.add(note["id"])
    log.info(
        "sent %s (level %s) about %s to %s", note["kind"], note["level"], about, note["chat_id"]
    )
    answer = await report(desk, "notification", note["id"], sent=True, message_id=sent.message_id)
    current = (answer or {}).get("ticket")
    if confirmation or not current or ticket is None:
        return
    if team_messages.handled_line(current) != team_messages.handled_line(ticket):
        # Someone pressed a button on another page while this one was on its way.
        await edit_page(bot, desk, note | {"telegram_message_id": sent.message_id}, current)


async def deliver_outbox(bot: Bot, desk: Desk) -> int:
    """Send what the outbox holds: messages whose claim ran out, retries, repeats."""
    waiting = (await desk.get("/notifications/pending"))["notifications"]
    fresh = [n for n in waiting if n["id"] not in desk.sending | desk.sent]

    async def claim_and_send(note: dict) -> int:
        claimed = await desk.claim(f"/notifications/{note['id']}/claim")
        if claimed.get("conflict"):
            return 0
        # Group posts go on in the background here too: the group's rate limit must not
        # hold up the pages behind them.
        await send_notifications(bot, desk, [claimed], claimed["ticket"], late=True)
        return 1

    return sum(await asyncio.gather(*(claim_and_send(n) for n in fresh)))


async def edit_page(bot: Bot, desk: Desk, note: dict, ticket: dict) -> None:
    """Rewrite a page already sent so it says who has the ticket and offers what is left."""
    try:
        await bot.edit_message_text(
            team_messages.notification(
                note, ticket, desk.settings.dashboard_url, desk.settings.team_language
            ),
            chat_id=note["chat_id"],
            message_id=note["telegram_message_id"],
            parse_mode=ParseMode.HTML,
            reply_markup=team_messages.buttons(ticket, desk.settings.team_language),
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
    uncertain: bool = False,
    digest: bool = False,
) -> dict | None:
    """Tell the dashboard; if it is down the journal keeps the outcome for a later report."""
    path = f"/{'notifications' if kind == 'notification' else 'responses'}/{item_id}/result"
    body: dict[str, Any] = {"sent": sent}
    if sent:
        body["telegram_message_id"] = message_id
        if digest:
            body["digest"] = True
    else:
        body["error"] = (error or "unknown error")[:2000]
        body["retryable"] = retryable
        body["uncertain"] = uncertain
    answer = None
    try:
        answer = await desk.post(path, body)
    except DashboardUnavailable as unavailable:
        if not sent and not uncertain:
            # Nothing reached the user, so there is nothing to keep: the claim lease or the
            # next poll brings it back.
            desk.spool.settled(kind, item_id)
        log.warning("could not report %s %s: %s", kind, item_id, unavailable)
        return None
    except DashboardRefused as refused:
        log.warning("dashboard refused the report of %s %s: %s", kind, item_id, refused)
    desk.spool.settled(kind, item_id)
    return answer


# The dashboard lists the next part of a long answer once the part before it is sent: a round
# asks again after sending a part, so the parts follow each other, not a poll interval apart.
PART_ROUNDS = 8


async def deliver_answers(bot: Bot, desk: Desk, pending: list[dict] | None = None) -> int:
    """Deliver every pending answer: in order within a chat, chats side by side. `pending`:
    the answers a long poll has just handed out (botkit/answer_watch.py), asked for otherwise."""
    total = 0
    for _ in range(PART_ROUNDS):
        if pending is None:
            pending = (await desk.get("/responses/pending"))["responses"]
        by_chat: dict[int, list[dict]] = defaultdict(list)
        for delivery in pending:
            by_chat[delivery["chat_id"]].append(delivery)
        results = await asyncio.gather(
            *(deliver_chat(bot, desk, deliveries) for deliveries in by_chat.values())
        )
        total += sum(results)
        if not sum(results) or not any(d.get("part", 1) < d.get("parts", 1) for d in pending):
            break
        pending = None
    return total


async def deliver_chat(bot: Bot, desk: Desk, deliveries: list[dict]) -> int:
    delivered = 0
    for delivery in deliveries:
        delivered += await deliver_answer(bot, desk, delivery)
    return delivered


async def answer_content(desk: Desk, claimed: dict) -> dict[str, Any]:
    """What to send for a claimed answer: its text, or a tech's file uploaded (never by URL:
    Telegram cannot reach the dashboard) with the answer's header as its caption."""
    file = claimed.get("file")
    if file is None:
        return {"text": messages.answer(claimed)}
    content = await desk.download(f"/attachments/{file['id']}/content")
    upload = InputFile(content, filename=file["name"])
    method = "send_photo" if file["send_as"] == "photo" else "send_document"
    return {"method": method, file["send_as"]: upload, "caption": messages.answer_caption(claimed)}


async def deliver_answer(bot: Bot, desk: Desk, delivery: dict) -> int:
    claimed = await desk.claim(f"/responses/{delivery['id']}/claim")
    if claimed.get("conflict"):
        return 0
    desk.spool.claimed("response", delivery["id"])
    try:
        content = await answer_content(desk, claimed)
    except (DashboardUnavailable, DashboardRefused) as error:
        # Nothing left for Telegram (the journal says `claimed`): back to pending, with a
        # backoff, now or once the dashboard can be told.
        await report(desk, "response", delivery["id"], sent=False, error=str(error), retryable=True)
        return 0
    try:
        sent = await send_journaled(
            bot,
            desk,
            "response",
            delivery["id"],
            chat_id=delivery["chat_id"],
            parse_mode=ParseMode.HTML,
            reply_parameters=ReplyParameters(
                message_id=delivery["reply_to_message_id"], allow_sending_without_reply=True
            ),
            **content,
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

    At start-up the journal tells what the previous run left: a `claimed` entry never left
    the bot (it waited in the rate limiter's queue), so it is handed back to be sent; a
    `sending` entry was with Telegram when the bot stopped, so its outcome is unknown: a page
    is sent again labelled as a repeat, an answer is marked uncertain for a human to check.
    """
    for entry in desk.spool.unsettled():
        if entry.state != "sent" and not at_startup:
            continue  # still in flight in this run
        if entry.kind == "notification" and entry.item_id in desk.sending:
            # Sent, and its sender is reporting it now: a digest's reports carry what this
            # one would not (botkit/group_posts.py).
            continue
        if entry.state == "sent":
            await report(
                desk, entry.kind, entry.item_id, sent=True, message_id=entry.telegram_message_id
            )
        elif entry.state == "claimed":
            await report(
                desk,
                entry.kind,
                entry.item_id,
                sent=False,
                error="not sent: the bot stopped before sending it",
                retryable=True,
            )
        else:
            await report(
                desk,
                entry.kind,
                entry.item_id,
                sent=False,
                error="delivery uncertain: the bot stopped while sending; check before retrying",
                uncertain=True,
            )
        log.info("settled %s %s from the journal (%s)", entry.kind, entry.item_id, entry.state)
