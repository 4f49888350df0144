"""A user edits a message they sent: the ticket's text follows; the dashboard keeps the old one.

An edit is spooled like a request before the dashboard is asked, and flushed after the
spooled requests, so it is never lost to a dead dashboard and never arrives before the
message it changes. An edit that adds the tag to a message no ticket knows files it.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from botkit import messages
from botkit.context import Desk, desk
from botkit.dashboard import DashboardRefused, DashboardUnavailable
from botkit.handlers import (
    file_request,
    is_request,
    lang_of,
    payload_for,
    reply_to,
    request_text,
    update_notifications,
)
from botkit.sending import send_with_retries

log = logging.getLogger(__name__)


async def message_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.edited_message
    text = request_text(message)
    if not text or message.edit_date is None:
        log.info("edit without text in chat %s left the ticket as it was", message.chat_id)
        return
    edit: dict[str, Any] = {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "text": text,
        "edit_date": int(message.edit_date.timestamp()),
        # What to file should no ticket know the message: the edit added the tag.
        "as_request": payload_for(message, text) if is_request(message) else None,
    }
    bot_desk = desk(context)
    bot_desk.spool.keep_edit(edit)
    try:
        result = await post_edit(bot_desk, edit)
    except DashboardUnavailable as error:
        log.warning("dashboard unreachable, spooled edit from chat %s: %s", message.chat_id, error)
        await message.reply_text(messages.edit_spooled(lang_of(message)))
        return
    except DashboardRefused as refused:
        bot_desk.spool.edit_done(edit)
        log.warning("dashboard refused an edit from chat %s: %s", message.chat_id, refused)
        await message.reply_text(
            messages.request_refused(
                refused.message, refused.body.get("fields") or {}, lang_of(message)
            )
        )
        return
    if result is None:
        if bot_desk.not_filed_yet(edit["chat_id"], edit["message_id"]):
            return  # the flush applies it once the message is filed
        bot_desk.spool.edit_done(edit)
        if edit["as_request"] is not None:
            log.info("an edit in chat %s added the tag: filing it", message.chat_id)
            await file_request(context, message, edit["as_request"])
        else:
            log.info("edit of a message no ticket knows, in chat %s", message.chat_id)
        return
    bot_desk.spool.edit_done(edit)
    await after_edit(context.bot, bot_desk, result, edit)


async def post_edit(bot_desk: Desk, edit: dict[str, Any]) -> dict[str, Any] | None:
    """Tell the dashboard; None when no ticket knows the message (yet)."""
    body = {k: v for k, v in edit.items() if k != "as_request"}
    try:
        return await bot_desk.post("/message/edit", body)
    except DashboardRefused as refused:
        if refused.status == 404:
            return None
        raise


async def after_edit(bot, bot_desk: Desk, result: dict[str, Any], edit: dict[str, Any]) -> None:
    if not result["changed"]:
        return  # a replay, an older edit arriving late, or the same text again
    ticket = result["ticket"]
    log.info("chat %s edited a message of ticket #%s", edit["chat_id"], ticket["number"])
    # The pages quote the request: they are rewritten to quote it as it reads now.
    await update_notifications(bot, bot_desk, result["notifications"], ticket)
    await send_with_retries(
        bot,
        chat_id=edit["chat_id"],
        text=messages.edit_saved(ticket),
        parse_mode=ParseMode.HTML,
        reply_parameters=reply_to(edit["message_id"]),
    )


async def flush_edits(bot, bot_desk: Desk) -> None:
    """Tell the dashboard the edits spooled while it was down (the requests went first)."""
    for edit in bot_desk.spool.pending_edits():
        if bot_desk.not_filed_yet(edit["chat_id"], edit["message_id"]):
            continue
        try:
            result = await post_edit(bot_desk, edit)
        except DashboardUnavailable as error:
            if error.status is None:
                return  # still unreachable: try again next round
            log.warning("spooled edit from chat %s failed: %s", edit["chat_id"], error)
            continue
        except DashboardRefused as refused:
            log.warning("spooled edit from chat %s refused: %s", edit["chat_id"], refused)
            bot_desk.spool.edit_done(edit)
            continue
        if result is None and edit["as_request"] is not None:
            # The request the edit made is filed by the next round, which tells the user.
            bot_desk.spool.keep_request(edit["as_request"])
        bot_desk.spool.edit_done(edit)
        if result is not None:
            await after_edit(bot, bot_desk, result, edit)
