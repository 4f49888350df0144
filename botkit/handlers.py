"""Update handlers: parse the update, call the dashboard, reply. Texts live in messages.py."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from telegram import Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from botkit import messages, team_messages
from botkit.context import Desk, desk
from botkit.dashboard import DashboardRefused, DashboardUnavailable
from botkit.sending import (
    deliver_outbox,
    edit_page,
    send_notification,
    send_notifications,
    send_with_retries,
)

log = logging.getLogger(__name__)

# Every bot message about a ticket names it as "#N" first, in every language.
TICKET_NUMBER = re.compile(r"#(\d+)")
MENTION = re.compile(r"(?i)(?<![\w@])@support\b")
# The tag with the blanks after it, so "Hi @support the VPN" files "Hi the VPN".
MENTION_WITH_SPACE = re.compile(r"(?i)(?<![\w@])@support\b[ \t]*")


def request_text(message: Message) -> str:
    """The request without the `@support` tag or the `/support` command (a photo's or a
    file's caption is its text)."""
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or ()
    if entities and entities[0].type == "bot_command" and entities[0].offset == 0:
        return text[entities[0].length :].strip()
    return MENTION_WITH_SPACE.sub("", text, count=1).strip()


def lang_of(message: Message) -> str | None:
    """The sender's Telegram language_code: what they read from the bot follows it."""
    return message.from_user.language_code if message.from_user else None


def team(context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language techs read (TEAM_LANGUAGE)."""
    return desk(context).settings.team_language


def is_request(message: Message) -> bool:
    """Would this text (or caption), as it reads now, file a ticket?"""
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or ()
    if entities and entities[0].type == "bot_command" and entities[0].offset == 0:
        command = text[: entities[0].length].partition("@")[0]
        return command.lower() == "/support"
    return bool(MENTION.search(text))


def payload_for(message: Message, text: str) -> dict[str, Any]:
    user = message.from_user
    payload: dict[str, Any] = {
        "chat_id": message.chat_id,
        "chat_type": message.chat.type,
        "chat_title": message.chat.title,
        "message_id": message.message_id,
        "user_id": user.id if user else message.chat_id,
        "username": user.username if user else None,
        "first_name": (user.first_name if user else "") or "",
        "last_name": user.last_name if user else None,
        "text": text,
        "language_code": lang_of(message),
        # Claim and return the first page with the ticket: one dashboard round trip, not two.
        "page": True,
    }
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.is_bot:
        payload["reply_to_message_id"] = reply.message_id
        # Every bot message about a ticket names it; this covers a reply that arrives before
        # the dashboard has recorded which message the confirmation was.
        number = TICKET_NUMBER.search(reply.text or "")
        if number:
            payload["reply_to_ticket"] = int(number.group(1))
    return payload


async def support_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`@support <text>` or `/support <text>`: file a ticket and page the on-call tech."""
    message = update.effective_message
    text = request_text(message)
    if not text:
        log.info("empty @support in chat %s: asked what is needed", message.chat_id)
        await message.reply_text(messages.ask_for_text(lang_of(message)), parse_mode=ParseMode.HTML)
        return
    await file_request(context, message, payload_for(message, text))


async def reply_to_bot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Telegram reply to one of the bot's messages: add it to that ticket's thread."""
    message = update.effective_message
    reply = message.reply_to_message
    if reply.from_user is None or reply.from_user.id != context.bot.id:
        if message.chat.type == "private":
            await message.reply_text(
                messages.private_hint(lang_of(message)), parse_mode=ParseMode.HTML
            )
        return
    payload = payload_for(message, message.text) | {"followup_only": True}
    await file_request(context, message, payload)


async def file_request(
    context: ContextTypes.DEFAULT_TYPE, message: Message, payload: dict[str, Any]
) -> None:
    bot_desk = desk(context)
    key = (payload["chat_id"], payload["message_id"])
    if payload.get("followup_only") and replies_to_spooled_notice(message):
        # The notice names no ticket yet: this is more about the saved request, so it is
        # filed (or spooled) as a request of its own rather than refused.
        payload = {k: v for k, v in payload.items() if k != "followup_only"}
    # Written down before anything else: a crash or a dead dashboard must not lose it.
    # A request kept already was replayed after a crash: the user was told "received".
    late = not bot_desk.spool.keep_request(payload)
    bot_desk.in_flight.add(key)
    try:
        try:
            ticket = await bot_desk.post("/support_message", payload)
        except DashboardUnavailable as error:
            log.warning("dashboard unreachable, spooled request from chat %s: %s", key[0], error)
            await message.reply_text(messages.spooled(lang_of(message)))
            return
        except DashboardRefused as refused:
            bot_desk.spool.request_filed(*key)
            if refused.status == 404 and payload.get("followup_only"):
                await message.reply_text(
                    messages.no_open_ticket(lang_of(message)), parse_mode=ParseMode.HTML
                )
                return
            log.warning("dashboard refused request from chat %s: %s", key[0], refused)
            await message.reply_text(
                messages.request_refused(
                    refused.message, refused.body.get("fields") or {}, lang_of(message)
                )
            )
            return
        bot_desk.spool.request_filed(*key)
        await after_filing(context.bot, bot_desk, ticket, payload, late=late)
    finally:
        bot_desk.in_flight.discard(key)


async def after_filing(bot, bot_desk: Desk, ticket: dict, payload: dict, *, late: bool) -> None:
    """Page the on-call tech, then tell the user the ticket number.

    Both come claimed in the dashboard's answer; a page or confirmation that fails here is
    retried from the dashboard's outbox, so the user always learns the number.
    """
    chat_id, message_id = payload["chat_id"], payload["message_id"]
    if ticket.get("rating_comment"):
        log.info("chat %s commented on the rating of ticket #%s", chat_id, ticket["number"])
        await send_with_retries(
            bot,
            chat_id=chat_id,
            text=messages.rating_comment_saved(ticket),
            parse_mode=ParseMode.HTML,
            reply_parameters=reply_to(message_id),
        )
        return
    if ticket.get("followup"):
        log.info("chat %s added to ticket #%s", chat_id, ticket["number"])
        await send_with_retries(
            bot,
            chat_id=chat_id,
            text=messages.followup_added(ticket),
            parse_mode=ParseMode.HTML,
            reply_parameters=reply_to(message_id),
        )
        return
    log.info(
        "ticket #%s %s from chat %s",
        ticket["number"],
        "filed" if ticket["created"] else "found again",
        chat_id,
    )
    confirmation = ticket.get("confirmation")
    step = ticket.get("escalation")
    if step is not None:
        # Page first: the confirmation says whether the on-call team has been notified.
        # The answer is the ticket after that step; the step carries no copy of it.
        await send_step(bot, bot_desk, step | {"ticket": ticket}, late=late)
    # Its next step falls due in ESCALATION_TIMEOUT: the alarm takes it then, not at a poll.
    bot_desk.alarm.sooner(ticket.get("next_escalation_in"))
    if confirmation is not None:
        await send_notification(bot, bot_desk, confirmation, ticket, late=late)


def replies_to_spooled_notice(message: Message) -> bool:
    reply = message.reply_to_message
    return bool(reply and (reply.text or "").startswith(messages.SPOOLED_MARK))


def reply_to(message_id: int) -> ReplyParameters:
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


CLAIM_TRIES = 3


async def escalate(bot, bot_desk: Desk, ticket_id: int, level: int | None = None) -> str:
    """Claim the ticket's next step at the dashboard and send the messages it names.

    A call whose answer is lost may still have claimed the step: it is tried again for the
    same level, and the dashboard replays that step's messages instead of claiming nothing.
    """
    body = {"level": level} if level is not None else {}
    for attempt in range(1, CLAIM_TRIES + 1):
        try:
            result = await bot_desk.claim(f"/escalate/{ticket_id}", body)
            break
        except DashboardUnavailable as error:
            if attempt == CLAIM_TRIES or level is None:
                # The outbox's lease brings back whatever the lost answer had claimed.
                log.warning("escalation of ticket %s deferred: %s", ticket_id, error)
                return "deferred"
            await asyncio.sleep(0.2 * attempt)
        except DashboardRefused as error:
            log.warning("escalation of ticket %s refused: %s", ticket_id, error)
            return "deferred"
    if result.get("conflict"):
        return "conflict"
    return await send_step(bot, bot_desk, result)


async def send_step(bot, bot_desk: Desk, step: dict, *, late: bool = False) -> str:
    """Send the messages of a claimed escalation step; answers the step's action."""
    if step["notifications"]:
        await send_notifications(bot, bot_desk, step["notifications"], step["ticket"], late=late)
    return step["action"]


async def private_hint(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain private message without @support: explain how to open a ticket."""
    log.info("hint sent to chat %s", update.effective_chat.id)
    message = update.effective_message
    await message.reply_text(messages.private_hint(lang_of(message)), parse_mode=ParseMode.HTML)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: the commands."""
    log.info("/help in chat %s", update.effective_chat.id)
    message = update.effective_message
    await message.reply_text(messages.help_text(lang_of(message)), parse_mode=ParseMode.HTML)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, or /start CODE from a deep link, which links the account."""
    log.info("/start in chat %s", update.effective_chat.id)
    if context.args:
        await link_account(update, context, context.args[0])
        return
    message = update.effective_message
    await message.reply_text(messages.help_text(lang_of(message)), parse_mode=ParseMode.HTML)


async def link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link CODE: link this Telegram account to a dashboard user."""
    if not context.args:
        await update.effective_message.reply_text(team_messages.link_usage(team(context)))
        return
    await link_account(update, context, context.args[0])


async def link_account(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    message = update.effective_message
    user = update.effective_user
    if message.chat.type != "private":
        await message.reply_text(team_messages.link_in_private(team(context)))
        return
    try:
        result = await desk(context).post(
            "/link",
            {"code": code, "telegram_user_id": user.id, "telegram_username": user.username},
        )
    except DashboardRefused as refused:
        log.info("link refused for Telegram user %s: %s", user.id, refused.message)
        await message.reply_text(team_messages.link_refused(refused.message, team(context)))
        return
    except DashboardUnavailable:
        await message.reply_text(messages.desk_unreachable(team(context)))
        return
    log.info("Telegram user %s linked to %s", user.id, result["user"]["username"])
    await message.reply_text(
        team_messages.linked(result["user"], team(context)), parse_mode=ParseMode.HTML
    )


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status: is the desk up, how many tickets are open, who is on call."""
    log.info("/status in chat %s", update.effective_chat.id)
    bot_desk = desk(context)
    try:
        health, error = await bot_desk.get("/status"), ""
    except (DashboardUnavailable, DashboardRefused) as problem:
        health, error = None, str(problem)
    text = messages.status(
        health,
        time.monotonic() - bot_desk.started_at,
        len(bot_desk.spool.pending_requests()),
        error,
        lang_of(update.effective_message),
    )
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


async def oncall(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/oncall: who is on call now and the handovers in the next 24 hours."""
    log.info("/oncall in chat %s", update.effective_chat.id)
    message = update.effective_message
    try:
        overview = await desk(context).get("/oncall", hours=24)
    except (DashboardUnavailable, DashboardRefused):
        await message.reply_text(messages.desk_unreachable(lang_of(message)))
        return
    await message.reply_text(messages.oncall(overview, lang_of(message)), parse_mode=ParseMode.HTML)


async def cover(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cover [range]: ask the team group to cover one's next shift, or a range of it."""
    message = update.effective_message
    user = update.effective_user
    bot_desk = desk(context)
    try:
        result = await bot_desk.post(
            "/cover", {"telegram_user_id": user.id, "range": " ".join(context.args or ())}
        )
    except DashboardRefused as refused:
        await message.reply_text(team_messages.cover_refused(refused.message, team(context)))
        return
    except DashboardUnavailable:
        await message.reply_text(messages.desk_unreachable(team(context)))
        return
    log.info("cover request %s by Telegram user %s", result["cover"]["id"], user.id)
    await message.reply_text(
        team_messages.cover_asked(result["cover"], team(context)), parse_mode=ParseMode.HTML
    )
    await _send_outbox(context)


async def cover_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """I'll cover under a cover request: the first to press gets the override."""
    query = update.callback_query
    cover_id = query.data.partition(":")[2]
    try:
        result = await desk(context).post(
            f"/cover/{cover_id}/take", {"telegram_user_id": query.from_user.id}
        )
    except DashboardRefused as refused:
        log.info("cover %s by %s refused: %s", cover_id, query.from_user.id, refused.message)
        await query.answer(refused.message, show_alert=True)
        return
    except DashboardUnavailable:
        await query.answer(messages.desk_unreachable(team(context)), show_alert=True)
        return
    covered = result["cover"]
    await query.answer(team_messages.you_cover(covered, team(context)))
    try:
        await query.edit_message_text(
            team_messages.covered(covered, team(context)), parse_mode=ParseMode.HTML
        )
    except TelegramError as error:
        log.warning("could not update the cover post %s: %s", cover_id, error)
    await _send_outbox(context)  # both techs' notices of what changed


async def _send_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what the last call queued now rather than at the next outbox round."""
    try:
        await deliver_outbox(context.bot, desk(context))
    except (DashboardUnavailable, DashboardRefused) as error:
        log.debug("outbox round after a cover call skipped: %s", error)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge / Take it / Resolve under a notification."""
    query = update.callback_query
    action, _, ticket_id = query.data.partition(":")
    try:
        result = await desk(context).post(
            f"/message/{ticket_id}/action",
            {"action": action, "telegram_user_id": query.from_user.id},
        )
    except DashboardRefused as refused:
        log.info("button %s by %s refused: %s", query.data, query.from_user.id, refused.message)
        await query.answer(refused.message, show_alert=True)
        return
    except DashboardUnavailable:
        await query.answer(messages.desk_unreachable(team(context)), show_alert=True)
        return
    ticket = result["ticket"]
    await query.answer(team_messages.action_done(action, ticket, team(context)))
    log.info("ticket #%s: %s by %s", ticket["number"], action, result["by"]["username"])
    await update_notifications(context.bot, desk(context), result["notifications"], ticket)


async def update_notifications(bot, bot_desk: Desk, notes: list[dict], ticket: dict) -> None:
    """Rewrite every page already sent about the ticket to say who has it."""
    for note in notes:
        await edit_page(bot, bot_desk, note, ticket)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what a handler or job raised (polling errors go to PollingGuard.on_polling_error)."""
    log.error("error while handling %s", update, exc_info=context.error)
