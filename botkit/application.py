"""Builds the python-telegram-bot Application (handlers, jobs, resources) and runs it."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from botkit import edits, handlers, jobs, media, rating
from botkit.alarms import Alarm
from botkit.answer_watch import AnswerWatch
from botkit.context import Desk
from botkit.dashboard import DashboardClient, LongPollClient
from botkit.group_posts import GroupPosts
from botkit.sending import JournalingRateLimiter, settle_journal
from botkit.settings import BotSettings
from botkit.spool import Spool
from botkit.standby import PollingGuard
from botkit.updates import LAST_GROUP, JournalingBot, replay_unhandled, update_handled

log = logging.getLogger(__name__)

# As Application.run_polling() has them on Linux.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)

COMMANDS = [
    BotCommand("support", "Open a support ticket: /support what is wrong"),
    BotCommand("status", "Is the support desk up, and who is on call"),
    BotCommand("oncall", "Who is on call now and next"),
    BotCommand("help", "How to use this bot"),
]

SPOOL_INTERVAL = 2.0  # seconds between rounds of the spool job (spooled requests, the journal)


def build_application(settings: BotSettings) -> Application:
    spool = Spool(settings.spool_path)
    bot = JournalingBot(
        settings.bot_token,
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_api_url.removesuffix("/bot") + "/file/bot",
        # The builder's defaults: a pool for the senders, one connection for long polling.
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(),
        # Keeps to Telegram's limits (30 msg/s overall, 20/min per group) and retries 429s;
        # journals each outbox message right before its request leaves.
        rate_limiter=JournalingRateLimiter(max_retries=3),
        journal=spool,
    )
    application = (
        ApplicationBuilder()
        .bot(bot)
        # One slow chat or dashboard call must not hold up everyone else's updates.
        .concurrent_updates(8)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["spool"] = spool
    add_handlers(application)
    add_jobs(application, settings)
    return application


def add_handlers(application: Application) -> None:
    # First: an edit must not run the handlers of a new message (file it again, hint again).
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edits.message_edited))
    application.add_handler(CommandHandler("support", handlers.support_request))
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler("status", handlers.status))
    application.add_handler(CommandHandler("oncall", handlers.oncall))
    application.add_handler(CommandHandler("link", handlers.link))
    application.add_handler(CommandHandler("cover", handlers.cover))
    application.add_handler(CallbackQueryHandler(handlers.cover_button, pattern=r"^cover:\d+$"))
    application.add_handler(
        CallbackQueryHandler(handlers.button, pattern=r"^(ack|take|resolve):\d+$")
    )
    application.add_handler(CallbackQueryHandler(rating.rate_button, pattern=rating.PATTERN))
    application.add_handler(MessageHandler(media.MEDIA, media.media_message))
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(
        MessageHandler(text & filters.Regex(handlers.MENTION), handlers.support_request)
    )
    application.add_handler(MessageHandler(text & filters.REPLY, handlers.reply_to_bot))
    application.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, handlers.private_hint))
    application.add_handler(TypeHandler(Update, update_handled), group=LAST_GROUP)
    application.add_error_handler(handlers.on_error)


def add_jobs(application: Application, settings: BotSettings) -> None:
    """Register the repeating jobs, each first run a moment after start-up."""
    # (name, job, seconds between runs, seconds before the first run)
    table = (
        ("escalations", jobs.poll_escalations, settings.poll_interval, 0.5),
        ("outbox", jobs.deliver_outbox, settings.delivery_interval, 0.7),
        ("reminders", jobs.shift_reminders, settings.poll_interval, 0.9),
        ("sla_breaches", jobs.sla_breaches, settings.poll_interval, 0.95),
        ("spool", jobs.flush_spool, SPOOL_INTERVAL, 1.0),
        ("heartbeat", jobs.heartbeat, settings.heartbeat_interval, 0.1),
    )
    # coalesce + one instance: a slow round is not followed by a burst of catch-up rounds.
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    for name, callback, interval, first in table:
        application.job_queue.run_repeating(
            callback, interval, first=first, name=name, job_kwargs=options
        )


async def post_init(application: Application) -> None:
    settings: BotSettings = application.bot_data["settings"]
    spool: Spool = application.bot_data["spool"]
    instance = spool.instance_id()
    client = DashboardClient(
        settings.dashboard_url, settings.api_token, settings.request_timeout, instance
    )
    desk = Desk(
        settings=settings,
        client=client,
        spool=spool,
        alarm=Alarm(application.job_queue, jobs.poll_escalations),
        group_posts=GroupPosts(),
    )
    application.bot_data["desk"] = desk
    long_polls = LongPollClient(
        settings.dashboard_url, settings.api_token, settings.request_timeout, instance
    )
    application.bot_data["answer_watch"] = AnswerWatch(application.bot, desk, long_polls)
    application.bot_data["guard"] = PollingGuard(
        application, settings.takeover_after, instance=instance
    )
    try:
        await application.bot.set_my_commands(COMMANDS)
    except Exception as error:  # noqa: BLE001 - a menu is nice to have, not worth dying for
        log.warning("could not set the command menu: %s", error)
    try:
        await settle_journal(desk, at_startup=True)
    except Exception as error:  # noqa: BLE001
        log.warning("journal not settled yet (dashboard unreachable?): %s", error)
    await replay_unhandled(application, spool)
    log.info("bot @%s started; dashboard %s", application.bot.username, settings.dashboard_url)
    if settings.api_token_file is not None:
        log.info("BOT_API_TOKEN is not set: using the token in %s", settings.api_token_file)


async def post_shutdown(application: Application) -> None:
    desk: Desk | None = application.bot_data.get("desk")
    if desk is not None:
        desk.close()


def run(application: Application) -> None:
    """Run the bot until SIGINT, SIGTERM or SIGABRT; the PollingGuard decides about polling.

    This is Application.run_polling() without its own start of the Updater: run_polling()
    starts polling (deleteWebhook, then getUpdates) right after post_init, before any
    heartbeat could tell a standby that another bot holds the grant. The steps and their
    order are otherwise run_polling's, through the Application's public methods.
    """
    asyncio.run(serve(application))


async def serve(application: Application) -> None:
    """Start, wait for a stop signal, then stop and shut down in run_polling()'s order."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stopping.set)
    try:
        await application.initialize()
        await application.post_init(application)
        # A stop signal during start-up (each step is bounded by its timeout) ends it here.
        if not stopping.is_set():
            await application.bot_data["guard"].begin()
            await application.start()
            application.bot_data["answer_watch"].start()
            await stopping.wait()
    finally:
        watch: AnswerWatch | None = application.bot_data.get("answer_watch")
        if watch is not None:
            await watch.stop()  # first: its long poll would hold the stop up for its wait
        guard: PollingGuard | None = application.bot_data.get("guard")
        if guard is not None:
            await guard.stop()  # before the jobs stop: a heartbeat must not restart polling
        if application.running:
            # JobQueue.stop() waits only for the jobs running when it is called; one that
            # the scheduler started during that wait would be cancelled mid-request by the
            # scheduler's shutdown. Paused, the scheduler starts nothing new.
            if application.job_queue is not None and application.job_queue.scheduler.running:
                application.job_queue.scheduler.pause()
            await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)
