"""The JSON API the bot talks to. Bearer-token auth; every error is JSON."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request

from desk import (
    bot_presence,
    clock,
    database,
    deliveries,
    doorbell,
    escalation_steps,
    health,
    linking,
    oncall,
    outbox,
    satisfaction,
    shift_notices,
    sla_breaches,
    ticket_actions,
    tickets,
)
from desk.errors import ApiError, is_api_request
from desk.extensions import csrf, db
from desk.validation import MAX_JSON_DEPTH, Fields, InvalidRequest, load_json, parse_instant
from escalation import Action
from models import Notification, SupportResponse, Ticket, User

T = TypeVar("T")

# A long poll's longest wait: under gunicorn's 30 s worker timeout with room to spare, and
# under common proxies' idle timeouts (nginx: 60 s).
MAX_WAIT = 20.0

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # bearer-token requests carry no cookie, so there is no session to forge

CHAT_TYPES = ("private", "group", "supergroup", "channel")


@bp.before_app_request
def require_token_on_unknown_paths():
    """An /api path with no route still asks for the token first: the API's shape is not
    told to callers without it."""
    if request.blueprint != bp.name and is_api_request():
        require_token()


@bp.before_request
def require_token():
    """Only the bot, holding BOT_API_TOKEN, may call the API.

    BOT_API_TOKEN may list several tokens separated by commas, so a token can be rotated
    without downtime: add the new one, move the bot over, remove the old one.
    """
    accepted = [t.strip() for t in (current_app.config.get("BOT_API_TOKEN") or "").split(",")]
    accepted = [t for t in accepted if t]
    if not accepted:
        raise ApiError(503, "the API is disabled: set BOT_API_TOKEN for the dashboard and the bot")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    offered = token.strip().encode()
    # Compare with every token (no early exit), each in constant time.
    matches = [hmac.compare_digest(offered, t.encode()) for t in accepted]
    if scheme.lower() != "bearer" or not any(matches):
        raise ApiError(401, "missing or wrong bearer token")


def json_body(*, optional: bool = False) -> Any:
    """The request's JSON object; an empty body is `{}` where every field is optional."""
    raw = request.get_data(cache=True)
    if optional and not raw.strip():
        return {}
    payload = load_json(raw) if request.is_json else None
    if payload is None:
        raise InvalidRequest(
            "request body must be valid JSON, nested at most "
            f"{MAX_JSON_DEPTH} levels, with Content-Type: application/json"
        )
    return payload


def int_arg(name: str, default: int, *, maximum: int) -> int:
    """A whole-number query argument, clamped to 1..maximum; 400 naming it otherwise."""
    try:
        return min(max(int(request.args.get(name, default)), 1), maximum)
    except ValueError:
        raise InvalidRequest("invalid fields", {name: "must be an integer"}) from None


def get_or_404(model: type[T], ident: int, label: str) -> T:
    """The row, or a JSON 404 naming what was not found."""
    row = db.session.get(model, ident)
    if row is None:
        raise ApiError(404, f"{label} {ident} not found")
    return row


def get_ticket(ticket_id: int) -> Ticket:
    return get_or_404(Ticket, ticket_id, "ticket")


@bp.post("/support_message")
def support_message():
    """File a ticket from a Telegram message (idempotent on chat_id + message_id)."""
    fields = Fields(json_body())
    intake = tickets.Intake(
        chat_id=fields.integer("chat_id"),
        chat_type=fields.choice("chat_type", CHAT_TYPES, required=False) or "private",
        message_id=fields.integer("message_id"),
        user_id=fields.integer("user_id"),
        username=fields.string("username", max_length=64),
        first_name=fields.string("first_name", max_length=128) or "",
        last_name=fields.string("last_name", max_length=128),
        chat_title=fields.string("chat_title", max_length=255),
        text=fields.text(),
        reply_to_message_id=fields.integer("reply_to_message_id", required=False),
        reply_to_ticket=fields.integer("reply_to_ticket", required=False),
        language_code=fields.string("language_code", max_length=16),
    )
    followup_only = fields.boolean("followup_only", required=False)
    page = fields.boolean("page", required=False)
    fields.check()
    if followup_only:
        rated = satisfaction.add_comment(
            intake.chat_id, intake.reply_to_message_id, intake.user_id, intake.text
        )
        if rated is not None:  # the sender's reply to "How did we do?": the rating's comment
            database.commit()
            extra = {"created": False, "followup": False, "rating_comment": True}
            return jsonify(rated.to_dict() | extra)
        # A plain reply in a chat: it belongs to a ticket's thread or nowhere.
        parent = tickets.ticket_replied_to(intake)
        if parent is None or parent.status.value == "resolved":
            raise ApiError(404, "no open ticket for that message")
    result = tickets.file_request(intake)
    first = note = None
    if page and not result.followup:
        # The first page and the user's confirmation are claimed in the same call: one round
        # trip less between a user's message and the on-call tech's phone. A retry of a call
        # whose answer was lost gets the same messages again, never nothing.
        now, bot = clock.now(), bot_instance()
        first = escalation_steps.step(result.ticket, now, expected_level=1, claimed_by=bot)
        note = outbox.confirmation(result.ticket, bot, now)
    database.commit()
    body = result.ticket.to_dict() | {
        "created": result.created,
        "followup": result.followup,
        "next_escalation_in": seconds_until(result.ticket.next_escalation_at, clock.now()),
    }
    if first is not None:
        # The answer is the ticket after its first step: one next-escalation time, at the top.
        body["escalation"] = step_body(first, with_ticket=False)
        body["confirmation"] = note.to_dict() if note else None
    return jsonify(body), 201 if result.created else 200


def bot_instance() -> str | None:
    """The calling bot's instance id: a replayed claim goes back only to the bot that made it."""
    return request.headers.get("X-Bot-Instance", "")[:64] or None


@bp.post("/message/<int:ticket_id>/confirmation")
def confirmation(ticket_id: int):
    """Remember the bot's reply to the user, so a reply to it joins this ticket's thread."""
    ticket = get_ticket(ticket_id)
    fields = Fields(json_body())
    message_id = fields.integer("message_id")
    fields.check()
    ticket.confirmation_message_id = message_id
    database.commit()
    return jsonify(ticket.to_dict())


@bp.get("/message/<int:ticket_id>/status")
def message_status(ticket_id: int):
    """A ticket's state, as the bot reports it to users and techs."""
    return jsonify(get_ticket(ticket_id).to_dict())


@bp.get("/current_oncall")
def current_oncall():
    """Who is on call at `?at=` (ISO 8601, default now): the primary and the ordered chain."""
    raw = request.args.get("at")
    at = parse_instant("at", raw) if raw else clock.now()
    return jsonify(oncall.on_call_dict(oncall.on_call_at(at)))


@bp.get("/escalations/due")
def escalations_due():
    """Tickets whose next escalation step is due now, oldest first."""
    limit = int_arg("limit", 100, maximum=1000)
    now = clock.now()
    due = escalation_steps.due_tickets(now, limit)
    return jsonify(
        {
            "tickets": [
                {
                    "id": t.id,
                    "number": t.number,
                    "escalation_level": t.escalation_level,
                    "next_escalation_at": t.next_escalation_at.isoformat(),
                }
                for t in due.tickets
            ],
            # Seconds, not an instant: the bot's clock need not agree with this one.
            "next_due_in": seconds_until(due.next_at, now),
        }
    )


def seconds_until(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((moment - now).total_seconds(), 3)


@bp.post("/escalate/<int:ticket_id>")
def escalate(ticket_id: int):
    """Claim the ticket's next escalation step; answers whom to notify (409 if already claimed)."""
    ticket = get_ticket(ticket_id)
    fields = Fields(json_body(optional=True))
    expected = fields.integer("level", required=False)
    fields.check()
    result = escalation_steps.step(ticket, expected_level=expected, claimed_by=bot_instance())
    database.commit()
    return jsonify(step_body(result)), 409 if result.action is Action.CONFLICT else 200


def step_body(result: escalation_steps.StepResult, with_ticket: bool = True) -> dict[str, Any]:
    conflict = {"error": result.reason} if result.action is Action.CONFLICT else {}
    ticket = {"ticket": result.ticket.to_dict()} if with_ticket else {}
    return (
        conflict
        | {
            "action": result.action,
            "level": result.level,
            "reason": result.reason,
            "replayed": result.replayed,
            "notifications": [n.to_dict() for n in result.notifications],
        }
        | ticket
    )


@bp.get("/notifications/pending")
def notifications_pending():
    """Pages, posts, reminders and confirmations waiting to be sent (or sent again)."""
    limit = int_arg("limit", 50, maximum=500)
    notes = outbox.pending(limit)
    database.commit()
    return jsonify({"notifications": [note_with_ticket(n) for n in notes]})


def note_with_ticket(note: Notification) -> dict[str, Any]:
    if note.ticket_id is None:  # a shift reminder or change: what it says, no ticket
        return note.to_dict() | {"ticket": None, "notice": shift_notices.payload_of(note)}
    ticket = db.session.get(Ticket, note.ticket_id)
    return note.to_dict() | {"ticket": ticket.to_dict()}


@bp.post("/shift_reminders")
def shift_reminders():
    """Put the reminders of shifts starting soon in the outbox (once each, however often
    asked); the bot's outbox round sends them."""
    created = shift_notices.create_due_reminders(clock.now())
    database.commit()
    return jsonify({"created": created})


@bp.post("/sla_breaches")
def sla_breaches_due():
    """Tell the team group of tickets past their first-answer target (once each, however
    often asked); the bot's outbox round sends the messages."""
    created = sla_breaches.create_due_notices(clock.now())
    database.commit()
    return jsonify({"created": created})


@bp.post("/notifications/<int:notification_id>/claim")
def notification_claim(notification_id: int):
    """Claim a pending message for sending; 409 when another bot has it or it is done."""
    note = get_or_404(Notification, notification_id, "notification")
    if not outbox.claim(note, bot_instance()):
        raise ApiError(409, f"notification {notification_id} is {note.state.value}")
    database.commit()
    return jsonify(note_with_ticket(note))


@bp.post("/notifications/<int:notification_id>/result")
def notification_result(notification_id: int):
    """Record whether a message reached Telegram (message id), or why not."""
    note = get_or_404(Notification, notification_id, "notification")
    fields = Fields(json_body())
    sent = fields.boolean("sent")
    message_id = fields.integer("telegram_message_id", required=bool(sent))
    error = fields.string("error", max_length=2000)
    retryable = fields.boolean("retryable", required=False)
    uncertain = fields.boolean("uncertain", required=False)
    digest = fields.boolean("digest", required=False)
    fields.check()
    outbox.record(
        note,
        sent=bool(sent),
        telegram_message_id=message_id,
        error=error,
        retryable=bool(retryable),
        uncertain=bool(uncertain),
        digest=bool(digest),
    )
    database.commit()
    # The ticket as it is now: if someone acted on it while this page was in flight, the bot
    # updates the page it just sent.
    return jsonify(note_with_ticket(note))


@bp.get("/status")
def status():
    """Health (as /healthz sees it) and counts for the bot's /status command."""
    problem = health.database_problem()
    on_call = oncall.on_call_dict(oncall.on_call_at(clock.now()))
    return jsonify(
        {"database": problem or "ok", "tickets": tickets.status_counts(), "on_call": on_call}
    )


@bp.get("/oncall")
def oncall_overview():
    """Who is on call now and the handovers in the next `?hours=` (default 24)."""
    hours = int_arg("hours", 24, maximum=168)
    now = clock.now()
    roster = oncall.load_roster()
    return jsonify(
        {
            "now": oncall.on_call_dict(oncall.on_call_at(now, roster)),
            "handovers": [
                {"at": h.at.isoformat(), "on_call": oncall.on_call_dict(h.on_call)}
                for h in oncall.upcoming_handovers(now, hours, roster)
            ],
            # Who covers whom now or in the period: overrides beat slots and rotations.
            "overrides": oncall.overrides_dicts(roster, now, now + timedelta(hours=hours)),
            "timezone": current_app.config["TIMEZONE"],
        }
    )


@bp.get("/responses/pending")
def responses_pending():
    """Answers written in the dashboard that wait for delivery, oldest first.

    With `wait` (seconds, at most MAX_WAIT) and none to hand out, this is a long poll: it
    answers as soon as an answer is written (desk/doorbell.py) or a retry's backoff ends, or
    with none once the wait is over.
    """
    wait = wait_arg()
    since = doorbell.mark(doorbell.ANSWERS)
    answers = deliveries.pending()
    if not answers and wait:
        retry_in = deliveries.next_retry_in()
        database.commit()  # no transaction, nor a SQLite snapshot, is held while waiting
        due = retry_in is not None and retry_in <= wait
        rang = doorbell.wait(doorbell.ANSWERS, since, retry_in if due else wait)
        if rang or due:
            answers = deliveries.pending()
    database.commit()
    return jsonify({"responses": [deliveries.delivery_dict(r) for r in answers]})


def wait_arg() -> float:
    """The `wait` query argument: seconds, 0 (the default) to MAX_WAIT; larger is MAX_WAIT."""
    raw = request.args.get("wait", "0")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise InvalidRequest("invalid fields", {"wait": "must be a number of seconds, 0 or more"})
    return min(seconds, MAX_WAIT)


def get_response(response_id: int) -> SupportResponse:
    return get_or_404(SupportResponse, response_id, "response")


@bp.post("/responses/<int:response_id>/claim")
def response_claim(response_id: int):
    """Claim an answer for sending; 409 when it is not pending (another bot has it)."""
    response = get_response(response_id)
    if not deliveries.claim(response):
        raise ApiError(409, f"response {response_id} is {response.delivery_state.value}")
    database.commit()
    return jsonify(deliveries.delivery_dict(response))


@bp.post("/responses/<int:response_id>/result")
def response_result(response_id: int):
    """Report an answer's delivery: sent with the message id, or the error and if retryable."""
    response = get_response(response_id)
    fields = Fields(json_body())
    sent = fields.boolean("sent")
    message_id = fields.integer("telegram_message_id", required=bool(sent))
    error = fields.string("error", max_length=2000)
    retryable = fields.boolean("retryable", required=False)
    fields.check()
    deliveries.report(
        response,
        sent=bool(sent),
        telegram_message_id=message_id,
        error=error,
        retryable=bool(retryable),
    )
    database.commit()
    return jsonify(deliveries.delivery_dict(response))


@bp.post("/link")
def link_account():
    """Link a Telegram account to the dashboard user holding the one-time code."""
    fields = Fields(json_body())
    code = fields.string("code", required=True, max_length=32, allow_blank=False)
    telegram_user_id = fields.integer("telegram_user_id")
    username = fields.string("telegram_username", max_length=64)
    fields.check()
    try:
        user = linking.link(code, telegram_user_id, username)
    except linking.LinkRefused as refused:
        raise ApiError(refused.status, str(refused)) from None
    database.commit()
    return jsonify({"user": user.to_dict()})


@bp.post("/message/<int:ticket_id>/action")
def telegram_action(ticket_id: int):
    """A tech pressed Acknowledge, Take it or Resolve under a notification (409 if it lost)."""
    ticket = get_ticket(ticket_id)
    fields = Fields(json_body())
    action = fields.choice("action", tuple(ticket_actions.Button))
    telegram_user_id = fields.integer("telegram_user_id")
    fields.check()
    actor = db.session.scalar(sa.select(User).where(User.telegram_user_id == telegram_user_id))
    if actor is None or not actor.active:
        raise ApiError(403, "only linked, active techs can act on tickets: link with /link CODE")
    try:
        ticket_actions.press(ticket_actions.Button(action), ticket, actor)
    except ticket_actions.ActionRefused as refused:
        db.session.rollback()
        raise ApiError(409, str(refused)) from None
    database.commit()
    return jsonify(
        {
            "ticket": ticket.to_dict(),
            "by": actor.to_dict(),
            "notifications": [n.to_dict() for n in escalation_steps.sent_notifications(ticket)],
        }
    )


@bp.post("/heartbeat")
def heartbeat():
    """The bot says it is alive, and asks whether it may poll Telegram (one poller at a time)."""
    fields = Fields(json_body(optional=True))
    instance = fields.string("instance", max_length=64)
    stale_after = fields.integer("stale_after", required=False, minimum=1, maximum=86_400)
    fields.check()
    poller = bot_presence.heartbeat(instance, timedelta(seconds=stale_after or 60))
    database.commit()
    return jsonify({"ok": True, "at": clock.now().isoformat(), "poller": poller})
