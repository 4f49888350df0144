"""Repeating jobs on python-telegram-bot's JobQueue (APScheduler): escalations, answers, spool."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.ext import ContextTypes

from botkit import edits, media, sending
from botkit.context import Desk, desk
from botkit.dashboard import DashboardRefused, DashboardUnavailable
from botkit.handlers import after_filing, escalate
from botkit.sending import settle_journal

log = logging.getLogger(__name__)

DUE_PAGE = 100
MAX_ROUNDS = 50  # at most 5,000 steps in one poll; the next poll takes the rest
STEPS_AT_ONCE = 16


async def poll_escalations(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take the next step of every ticket whose escalation is due.

    The dashboard hands out due tickets a page at a time; the poll keeps asking until none
    are left, so a burst of 1,000 due tickets is paged as fast as Telegram's limits allow
    instead of 100 per poll interval. Steps run side by side (the rate limiter paces them).
    """
    bot_desk = desk(context)
    handled: set[int] = set()
    gate = asyncio.Semaphore(STEPS_AT_ONCE)

    async def take_step(ticket: dict) -> None:
        async with gate:
            # The level it expects, so a retry after a lost answer replays the same step.
            level = ticket["escalation_level"] + 1
            outcome = await escalate(context.bot, bot_desk, ticket["id"], level=level)
        log.info("escalation poll: ticket #%s %s", ticket["number"], outcome)

    # The alarm and the repeating poll take turns: one that starts while the other runs
    # waits, then looks again, so a step falling due meanwhile is not missed.
    async with bot_desk.escalation_turn:
        for _ in range(MAX_ROUNDS):
            try:
                answer = await bot_desk.get("/escalations/due", limit=DUE_PAGE)
            except (DashboardUnavailable, DashboardRefused) as error:
                log.debug("escalation poll skipped: %s", error)
                return
            fresh = [t for t in answer["tickets"] if t["id"] not in handled]
            if not fresh:
                # Asked after the last steps were taken: their next deadlines count too.
                bot_desk.alarm.set(answer.get("next_due_in"))
                return
            handled.update(t["id"] for t in fresh)
            await asyncio.gather(*(take_step(t) for t in fresh))


async def deliver_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send pages, posts, reminders and confirmations the outbox holds (retries, repeats,
    claims whose bot never reported)."""
    await delivery_round(
        context, sending.deliver_outbox, "outbox delivery", "sent %s message(s) from the outbox"
    )


async def delivery_round(
    context: ContextTypes.DEFAULT_TYPE,
    deliver: Callable[[Bot, Desk], Awaitable[int]],
    what: str,
    done: str,
) -> None:
    """One round of `deliver`; a dashboard that is down or refuses skips it (the next round
    tries again). `done` is the log line for the count delivered, when there was any."""
    try:
        count = await deliver(context.bot, desk(context))
    except (DashboardUnavailable, DashboardRefused) as error:
        log.debug("%s skipped: %s", what, error)
        return
    if count:
        log.info(done, count)


async def shift_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Have the dashboard put the reminders of shifts starting soon in the outbox (once each,
    however often asked), then send them with the rest of the outbox."""
    try:
        created = (await desk(context).post("/shift_reminders", {}))["created"]
    except (DashboardUnavailable, DashboardRefused) as error:
        log.debug("shift reminders skipped: %s", error)
        return
    if created:
        await deliver_outbox(context)


async def sla_breaches(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Have the dashboard tell the team group of tickets past their first-answer target (once
    each, however often asked), then send them with the rest of the outbox."""
    try:
        created = (await desk(context).post("/sla_breaches", {}))["created"]
    except (DashboardUnavailable, DashboardRefused) as error:
        log.debug("sla breaches skipped: %s", error)
        return
    if created:
        await deliver_outbox(context)


async def flush_spool(context: ContextTypes.DEFAULT_TYPE) -> None:
    """File requests that arrived while the dashboard was down, then upload the files and
    send the edits of messages, and settle the journal."""
    bot_desk = desk(context)
    for payload in bot_desk.spool.pending_requests():
        key = (payload["chat_id"], payload["message_id"])
        if key in bot_desk.in_flight:
            continue
        try:
            ticket = await file_spooled(bot_desk, payload)
        except DashboardUnavailable as error:
            if error.status is None:
                break  # still unreachable: try again next round
            # The dashboard failed on this one request; the others must not wait behind it.
            log.warning("spooled request from chat %s failed: %s", key[0], error)
            bot_desk.spool.request_failed(*key)
            continue
        except DashboardRefused as refused:
            log.warning("spooled request from chat %s refused: %s", key[0], refused)
            bot_desk.spool.request_filed(*key)
            continue
        bot_desk.spool.request_filed(*key)
        log.info("spooled request from chat %s filed as ticket #%s", key[0], ticket["number"])
        await after_filing(context.bot, bot_desk, ticket, payload, late=True)
    await media.flush_uploads(context.bot, bot_desk)
    await edits.flush_edits(context.bot, bot_desk)
    try:
        await settle_journal(bot_desk)
    except DashboardUnavailable:
        pass


async def file_spooled(bot_desk, payload: dict) -> dict:
    """File a spooled request. A spooled reply whose ticket cannot be found (it replied to the
    "received" notice, which names no ticket) becomes a ticket of its own: the user was told
    it was received, so it must not be dropped."""
    try:
        return await bot_desk.post("/support_message", payload)
    except DashboardRefused as refused:
        if refused.status != 404 or not payload.get("followup_only"):
            raise
    standalone = {k: v for k, v in payload.items() if k not in ("followup_only",)}
    return await bot_desk.post("/support_message", standalone)


async def heartbeat(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the dashboard the bot is alive; poll Telegram or stand by as it grants."""
    await context.bot_data["guard"].check()
