"""Photos, files, voice and the rest that users send: filed like text, the file uploaded after.

A message with media files a ticket when its caption has the tag (or starts with /support),
and joins a thread when it replies to the bot; its caption is its text, or a line that stands
for the file ("📷 Photo"). The file is spooled before anything else, downloaded from Telegram
(bots may download at most 20 MB; a larger file is recorded by name and size and the user is
told) and uploaded once the dashboard has the message, so a photo sent while the dashboard is
down is attached once it is back.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes, filters

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
)
from botkit.sending import send_with_retries

log = logging.getLogger(__name__)

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what the Bot API lets bots download
MEDIA = (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Sticker.ALL
    | filters.LOCATION
)


def describe(message: Message) -> tuple[dict[str, Any] | None, str]:
    """The file to attach (None for a location) and the line that stands for it as text."""
    if message.location is not None:
        spot = message.location
        return None, f"📍 Location: {spot.latitude:.5f}, {spot.longitude:.5f}"
    if message.photo:
        return _file(message.photo[-1], "photo"), "📷 Photo"  # the largest size
    if message.document is not None:
        name = message.document.file_name
        return _file(message.document, "document", name), f"📎 {name or 'File'}"
    if message.voice is not None:
        return _file(message.voice, "voice"), f"🎤 Voice message ({_length(message.voice)})"
    if message.audio is not None:
        audio = message.audio
        name = audio.file_name
        return _file(audio, "audio", name), f"🎵 {audio.title or name or 'Audio'}"
    if message.video is not None:
        return _file(message.video, "video", message.video.file_name), "🎬 Video"
    if message.video_note is not None:
        return _file(message.video_note, "video_note"), "🎥 Video message"
    sticker = message.sticker
    return _file(sticker, "sticker"), f"{sticker.emoji or ''} Sticker".strip()


def _file(media, kind: str, name: str | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "file_id": media.file_id,
        "file_unique_id": media.file_unique_id,
        "file_name": name,
        "file_size": media.file_size,
    }


def _length(media) -> str:
    # python-telegram-bot 22 gives an int, or a timedelta once PTB_TIMEDELTA is set.
    duration = media.duration or 0
    seconds = int(duration.total_seconds() if hasattr(duration, "total_seconds") else duration)
    return f"{seconds // 60}:{seconds % 60:02d}"


async def media_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    replied = message.reply_to_message
    to_bot = bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
    wants_ticket = is_request(message)
    if not wants_ticket and not to_bot:
        if message.chat.type == "private":
            await message.reply_text(
                messages.media_hint(lang_of(message)), parse_mode=ParseMode.HTML
            )
        return
    attachment, stands_for = describe(message)
    if wants_ticket:
        text = request_text(message) or stands_for
        payload = payload_for(message, text)
    else:
        payload = payload_for(message, message.caption or stands_for) | {"followup_only": True}
    bot_desk = desk(context)
    upload = None
    if attachment is not None:
        upload = attachment | {"chat_id": message.chat_id, "message_id": message.message_id}
        upload["stands_for"] = stands_for
        upload["language_code"] = lang_of(message)
        # Kept before the request is: a crash once the ticket is filed still attaches it.
        bot_desk.spool.keep_upload(upload)
    await file_request(context, message, payload)
    if upload is not None and await send_upload(context.bot, bot_desk, upload):
        bot_desk.spool.upload_done(upload["chat_id"], upload["message_id"])


def local_path(bot_desk: Desk, upload: dict[str, Any]):
    digest = hashlib.sha256(upload["file_unique_id"].encode()).hexdigest()
    return bot_desk.spool.files_dir / digest


async def send_upload(bot: Bot, bot_desk: Desk, upload: dict[str, Any]) -> bool:
    """Download the file (once) and upload it; True when done with it (attached, recorded as
    too big, or refused and the user told), False to try again in a later round."""
    key = (upload["chat_id"], upload["message_id"])
    if bot_desk.not_filed_yet(*key):
        return False  # the message is not filed yet
    name = upload.get("file_name") or upload["stands_for"]
    lang = upload.get("language_code")
    size = upload.get("file_size") or 0
    too_big = size > DOWNLOAD_LIMIT
    path = local_path(bot_desk, upload)
    if not too_big and not path.exists():
        try:
            await download(bot, upload, path)
        except BadRequest as error:
            if "too big" not in error.message.lower():
                log.warning("file from chat %s cannot be downloaded: %s", key[0], error)
                await tell(bot, upload, messages.file_refused(name, error.message, lang))
                return True
            too_big = True
        except TelegramError as error:
            log.warning("file from chat %s not downloaded yet: %s", key[0], error)
            return False
    fields = {
        "chat_id": str(key[0]),
        "message_id": str(key[1]),
        "kind": upload["kind"],
        "file_name": upload.get("file_name") or "",
    }
    if too_big:
        fields |= {"too_big": "true", "size": str(size)}
    try:
        result = await bot_desk.upload("/attachments", fields, None if too_big else path)
    except DashboardUnavailable as error:
        log.warning("file from chat %s not uploaded yet: %s", key[0], error)
        return False
    except DashboardRefused as refused:
        if refused.status == 404:
            log.info("file from chat %s dropped: no ticket knows its message", key[0])
        else:
            reason = (refused.body.get("fields") or {}).get("file") or refused.message
            log.warning("file from chat %s refused: %s", key[0], refused)
            await tell(bot, upload, messages.file_refused(name, f"it {reason}", lang))
        path.unlink(missing_ok=True)
        return True
    path.unlink(missing_ok=True)
    log.info("file from chat %s attached to ticket %s", key[0], result["attachment"]["ticket_id"])
    if too_big and result["created"]:
        await tell(bot, upload, messages.file_too_big(name, size, lang))
    return True


async def download(bot: Bot, upload: dict[str, Any], path) -> None:
    """Fetch the file from Telegram into the spool's folder, whole or not at all."""
    telegram_file = await bot.get_file(upload["file_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    await telegram_file.download_to_drive(partial)
    os.replace(partial, path)


async def tell(bot: Bot, upload: dict[str, Any], text: str) -> None:
    await send_with_retries(
        bot,
        chat_id=upload["chat_id"],
        text=text,
        parse_mode=ParseMode.HTML,
        reply_parameters=reply_to(upload["message_id"]),
    )


async def flush_uploads(bot: Bot, bot_desk: Desk) -> None:
    """Upload the files spooled while the dashboard was down (after their messages)."""
    for upload in bot_desk.spool.pending_uploads():
        if await send_upload(bot, bot_desk, upload):
            bot_desk.spool.upload_done(upload["chat_id"], upload["message_id"])
