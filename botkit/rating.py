"""The satisfaction buttons: a score pressed under "How did we do?" (`rate:<ticket>:<score>`)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from botkit import messages
from botkit.context import desk
from botkit.dashboard import DashboardRefused, DashboardUnavailable

log = logging.getLogger(__name__)

PATTERN = r"^rate:\d+:[1-5]$"


async def rate_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A score under the satisfaction message: the first press of the ticket's sender wins."""
    query = update.callback_query
    _, ticket_id, score = query.data.split(":")
    try:
        result = await desk(context).post(
            f"/tickets/{ticket_id}/rating",
            {"score": int(score), "telegram_user_id": query.from_user.id},
        )
    except DashboardRefused as refused:
        log.info("rating %s by %s refused: %s", query.data, query.from_user.id, refused.message)
        await _answer(query, refused.message, alert=True)
        return
    except DashboardUnavailable as error:
        # The rating may or may not have been stored: a press again is safe either way (the
        # first rating stands, a later press is told it and brings the message up to date).
        log.warning("rating %s by %s not delivered: %s", query.data, query.from_user.id, error)
        await _answer(query, messages.rating_unreachable(query.from_user.language_code), alert=True)
        return
    # The presser is the ticket's sender: what they read follows their language.
    rating = result["rating"] | {"language_code": query.from_user.language_code}
    if result["already_rated"]:
        await _answer(query, messages.already_rated(rating), alert=True)
    else:
        log.info("ticket #%s rated %s/5", rating["number"], rating["score"])
        await _answer(query, messages.thanks_for_rating(rating))
    try:
        # Without a keyboard: the buttons are gone once the rating stands.
        await query.edit_message_text(messages.rated(rating), parse_mode=ParseMode.HTML)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            log.warning("could not update the rating message of #%s: %s", rating["number"], error)
    except TelegramError as error:
        log.warning("could not update the rating message of #%s: %s", rating["number"], error)


async def _answer(query: CallbackQuery, text: str, *, alert: bool = False) -> None:
    """Answer the press; a press Telegram has forgotten (too old) is only logged."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as error:
        log.warning("could not answer the press %s: %s", query.data, error)
