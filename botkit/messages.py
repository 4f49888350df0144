"""Every text the bot sends, as pure functions of the API's JSON (HTML parse mode, escaped).

What users wrote (ticket texts, answers, Telegram and dashboard names) goes in through `shown`:
its control characters made visible and its direction isolated (user_text.py), then escaped.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape, unescape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from botkit.i18n import translator
from user_text import cut_to, isolate, telegram_length

# Telegram's limit for one message, in UTF-16 code units of the text once its HTML is parsed.
MESSAGE_LIMIT = 4096
# The most of a ticket's text a notification quotes, leaving room for its header and footer.
QUOTE_LIMIT = 3500
TRUNCATED = "… (truncated, full text in the dashboard)"
AUTHOR_LIMIT = 64
TAG = re.compile(r"<[^>]*>")

# What people who ask for help read follows their Telegram language (botkit/i18n.py): each of
# these texts takes their language_code, or the ticket that carries it.


def help_text(lang: str | None) -> str:
    _ = translator(lang)
    return _(
        "<b>Support desk</b>\n"
        "• <code>@support your request</code> or <code>/support your request</code> opens a "
        "ticket; a photo or a file with it in the caption too.\n"
        "• Reply to one of my messages about a ticket to add to it.\n"
        "• /status shows whether the desk is up and how many tickets are open.\n"
        "• /oncall shows who is on call now and the next handovers.\n"
        "• Techs: /link CODE links your Telegram account to the dashboard.\n"
        "• Techs: /cover asks the team to cover your next shift; "
        "<code>/cover 2026-12-24 18:00 to 2026-12-27 09:00</code> a time range of yours."
    )


def ask_for_text(lang: str | None) -> str:
    _ = translator(lang)
    return _(
        "What do you need help with? Write <code>@support</code> followed by your request, "
        "for example: <code>@support the printer on floor 2 is jammed</code>"
    )


def private_hint(lang: str | None) -> str:
    _ = translator(lang)
    return _(
        "To open a ticket, write <code>@support your request</code> or "
        "<code>/support your request</code>. /help lists the commands."
    )


# Every language's "received" notice starts with it: a reply to one is a request of its own.
SPOOLED_MARK = "📥"


def spooled(lang: str | None) -> str:
    _ = translator(lang)
    return (
        SPOOLED_MARK
        + " "
        + _(
            "Received. The support desk cannot be reached right now; your request is saved and "
            "will be filed as soon as it is back. You will get the ticket number here."
        )
    )


def no_open_ticket(lang: str | None) -> str:
    _ = translator(lang)
    return _("That ticket is closed. To open a new one, write <code>@support your request</code>.")


def shown(text: str) -> str:
    """What a user wrote, as a message carries it: controls visible, isolated, escaped."""
    return escape(isolate(text))


def who_knows(ticket: dict[str, Any]) -> str:
    """What the user is told about who was told: only what the dashboard really did."""
    _ = translator(ticket.get("language_code"))
    if ticket.get("escalation_level", 0) > 0:
        return _("The on-call team has been notified and will answer here.")
    return _(
        "Nobody on call can be reached right now; the team sees your ticket in the dashboard "
        "and the on-call tech is paged as soon as someone is reachable."
    )


def ticket_filed(ticket: dict[str, Any]) -> str:
    _ = translator(ticket.get("language_code"))
    return "✅ " + _(
        "Ticket <b>#{number}</b> filed. {who} Reply to this message to add details."
    ).format(number=ticket["number"], who=who_knows(ticket))


def ticket_filed_later(ticket: dict[str, Any]) -> str:
    _ = translator(ticket.get("language_code"))
    text = _("Your request is now ticket <b>#{number}</b>. {who}")
    return "✅ " + text.format(number=ticket["number"], who=who_knows(ticket))


def request_refused(reason: str, fields: dict[str, str], lang: str | None = None) -> str:
    """Why the dashboard refused a request, in the user's terms (plain text: it is ours)."""
    _ = translator(lang)
    if not fields:
        return _("Sorry, that request was refused: {reason}.").format(reason=reason)
    names = {
        "text": _("your message"),
        "first_name": _("your name"),
        "username": _("your username"),
    }
    why = "; ".join(f"{names.get(name, name)} {problem}" for name, problem in fields.items())
    return _("Sorry, that request could not be filed: {why}. Nothing was filed.").format(why=why)


def followup_added(ticket: dict[str, Any]) -> str:
    _ = translator(ticket.get("language_code"))
    return "📝 " + _("Added to ticket <b>#{number}</b>.").format(number=ticket["number"])


def media_hint(lang: str | None) -> str:
    _ = translator(lang)
    return _(
        "To open a ticket with this, send it again with <code>@support</code> and your request "
        "in the caption, or send it as a reply to my message about your ticket."
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def file_too_big(name: str, size: int, lang: str | None = None) -> str:
    _ = translator(lang)
    return "📎 " + _(
        "{name} ({size}) could not be attached: bots can download files of up to 20 MB. "
        "Please send a smaller file, or a link to it."
    ).format(name=shown(name), size=megabytes(size))


def file_refused(name: str, reason: str, lang: str | None = None) -> str:
    _ = translator(lang)
    text = _("{name} could not be attached: {reason}.")
    return "📎 " + text.format(name=shown(name), reason=escape(reason))


def edit_spooled(lang: str | None) -> str:
    _ = translator(lang)
    return "✏️ " + _(
        "The support desk cannot be reached right now; your edit is saved and will reach "
        "your ticket as soon as it is back."
    )


def edit_saved(ticket: dict[str, Any]) -> str:
    _ = translator(ticket.get("language_code"))
    return "✏️ " + _("Your edit is on ticket <b>#{number}</b>.").format(number=ticket["number"])


def rendered_length(markup: str) -> int:
    """How long Telegram finds a message of ours: its HTML parsed, in UTF-16 code units."""
    return telegram_length(unescape(TAG.sub("", markup)))


def answer_caption(delivery: dict[str, Any]) -> str:
    """A tech's file's caption: the answer's header (who, which ticket, which part)."""
    return answer(delivery).split("\n\n", 1)[0]


def answer(delivery: dict[str, Any]) -> str:
    # The dashboard keeps an answer within Telegram's limit less room for this header; a
    # long name (120 emoji are 240 units) must not eat into it.
    author = delivery.get("author") or "Support"
    if telegram_length(author) > AUTHOR_LIMIT:
        author = cut_to(author, AUTHOR_LIMIT - 1) + "…"
    _ = translator(delivery.get("language_code"))
    parts = delivery.get("parts") or 1
    header = [
        f"💬 <b>{shown(author)}</b>",
        _("ticket #{number}").format(number=delivery["ticket_number"]),
    ]
    if parts > 1:
        header.append(
            _("part {part} of {parts}").format(part=delivery.get("part") or 1, parts=parts)
        )
    return " · ".join(header) + f"\n\n{shown(delivery['text'])}"


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """The ticket's text as a notification shows it, at most `limit` units as Telegram counts."""
    if telegram_length(isolate(text)) > limit:
        room = limit - telegram_length(TRUNCATED) - 2  # and the isolate's FSI and PDI
        return shown(cut_to(text, max(room, 0))) + TRUNCATED
    return shown(text)


def sender(ticket: dict[str, Any]) -> str:
    parts = [shown(ticket.get("sender_name") or "")]
    if ticket.get("username"):
        parts.append(f"@{shown(ticket['username'])}")
    parts.append(f"id {ticket['user_id']}")
    return ", ".join(p for p in parts if p)


HEADINGS = {
    "page": "🚨 New support ticket",
    "post": "🆕 New support ticket",
    "group": "📣 Unhandled ticket: nobody on call reacted",
    "reminder": "⏰ Reminder: this ticket is yours and has no answer yet",
}


REPEAT = (
    "🔁 <b>Repeat</b>: sent again because the first attempt's fate is unknown; "
    "you may have this twice."
)


def outbox_text(
    note: dict[str, Any], ticket: dict[str, Any], dashboard_url: str, *, late: bool = False
) -> str:
    """The text of any outbox message: a page, a post, a reminder or the user's confirmation."""
    if note["kind"] in SHIFT_TEXTS:
        text = SHIFT_TEXTS[note["kind"]](note["notice"])
    elif note["kind"] == "confirmation":
        text = ticket_filed_later(ticket) if late else ticket_filed(ticket)
    elif note["kind"] == "satisfaction":
        text = satisfaction_question(ticket)
    else:
        text = notification(note, ticket, dashboard_url)
    return f"{REPEAT}\n{text}" if note.get("repeat") else text


def heading(note: dict[str, Any]) -> str:
    kind, level, round_ = note["kind"], note["level"], note.get("round", 0)
    if kind == "page" and level > 1:
        text = f"🚨 Escalated ticket (level {level}): the previous tech did not react"
    elif kind == "group" and round_ > 0:
        return f"📣 Still unhandled, round {round_ + 1}: nobody reacted to the pages again"
    else:
        text = HEADINGS.get(kind, "Support ticket")
    return f"{text} · round {round_ + 1}" if round_ > 0 and kind == "page" else text


def breach_heading(note: dict[str, Any], ticket: dict[str, Any]) -> str:
    """An SLA breach notice: how long the ticket had waited when the dashboard noticed it."""
    waited = datetime.fromisoformat(note["created_at"]) - datetime.fromisoformat(
        ticket["created_at"]
    )
    return (
        f"⏰ #{ticket['number']} ({escape(ticket['priority'])}) has had no answer for "
        f"{duration(waited.total_seconds())}: past its first-answer target"
    )


def notification(note: dict[str, Any], ticket: dict[str, Any], dashboard_url: str) -> str:
    if note["kind"] == "sla_breach":
        heading_text = breach_heading(note, ticket)
    else:
        heading_text = heading(note)
    link = f"{dashboard_url}/tickets/{ticket['id']}"
    head = [
        f"<b>{heading_text}</b>",
        f"Ticket <b>#{ticket['number']}</b> · priority {escape(ticket['priority'])}",
        f"From: {sender(ticket)}",
        "",
    ]
    tail = ["", f'<a href="{escape(link, quote=True)}">Open in the dashboard</a>']
    handled = handled_line(ticket)
    if handled:
        tail += ["", handled]
    # Whatever the names around it take (and a repeat's warning above it), the quote gets the
    # rest: a page Telegram refuses as too long would be a page lost.
    around = "\n".join([*head, *tail, REPEAT, ""])
    room = min(QUOTE_LIMIT, MESSAGE_LIMIT - rendered_length(around))
    return "\n".join([*head, quote(ticket["text"], room), *tail])


def handled_line(ticket: dict[str, Any]) -> str:
    if ticket["status"] == "resolved":
        return "✔️ <b>Resolved</b>"
    if ticket.get("assignee"):
        return f"👤 <b>Taken by {shown(ticket['assignee']['name'])}</b>"
    if ticket.get("acknowledged_by"):
        return f"👀 <b>Acknowledged by {shown(ticket['acknowledged_by']['name'])}</b>"
    return ""


def buttons(ticket: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """The actions still open on the ticket: none once resolved."""
    if ticket["status"] == "resolved":
        return None
    row = []
    if not ticket.get("acknowledged_by") and not ticket.get("assignee"):
        row.append(InlineKeyboardButton("👀 Acknowledge", callback_data=f"ack:{ticket['id']}"))
    if not ticket.get("assignee"):
        row.append(InlineKeyboardButton("🙋 Take it", callback_data=f"take:{ticket['id']}"))
    row.append(InlineKeyboardButton("✔️ Resolve", callback_data=f"resolve:{ticket['id']}"))
    return InlineKeyboardMarkup([row])


ACTION_DONE = {
    "ack": "You acknowledged ticket #{n}.",
    "take": "Ticket #{n} is yours.",
    "resolve": "Ticket #{n} resolved.",
}


def person_list(people: list[dict[str, Any]]) -> str:
    return ", ".join(shown(p["name"]) for p in people) or "nobody"


UNREACHABLE = {
    "no_slot": "no slot covers this hour",
    "nobody_linked": "nobody in the slot has Telegram linked",
    "everyone_inactive": "everyone in the slot is deactivated",
    "nobody_reachable": "nobody in the slot can be paged",
}


def on_call_summary(on_call: dict[str, Any]) -> str:
    chain = on_call["chain"]
    why = UNREACHABLE.get(on_call.get("unreachable") or "", "")
    if not chain:
        return f"🔴 nobody can be paged ({why or 'nobody reachable'})"
    text = f"<b>{shown(chain[0]['name'])}</b>"
    if len(chain) > 1:
        text += f" (backups: {person_list(chain[1:])})"
    if on_call.get("fallback"):
        text += f" · {why or 'no slot covers this hour'}, admins stand in"
    return text


def status(
    health: dict[str, Any] | None,
    uptime_seconds: float,
    spooled: int,
    error: str = "",
    lang: str | None = None,
) -> str:
    _ = translator(lang)
    lines = []
    if health is None:
        lines.append("🔴 " + _("Dashboard unreachable ({error})").format(error=escape(error)))
    else:
        database = escape(health["database"])
        lines.append("🟢 " + _("Dashboard reachable · database {state}").format(state=database))
    lines.append("🤖 " + _("Bot up {duration}").format(duration=duration(uptime_seconds)))
    if spooled:
        lines.append("📥 " + _("{count} request(s) waiting to be filed").format(count=spooled))
    if health is not None:
        counts = health["tickets"]
        open_line = _("Open: {open} · In progress: {in_progress}")
        lines.append(open_line.format(open=counts["open"], in_progress=counts["in_progress"]))
        lines.append(_("On call: {who}").format(who=on_call_summary(health["on_call"])))
    return "\n".join(lines)


def duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def oncall(overview: dict[str, Any]) -> str:
    zone = ZoneInfo(overview["timezone"])
    lines = [f"On call now: {on_call_summary(overview['now'])}"]
    if overview["handovers"]:
        lines.append(f"\nNext 24 hours ({escape(overview['timezone'])}):")
        for handover in overview["handovers"]:
            at = datetime.fromisoformat(handover["at"]).astimezone(zone)
            lines.append(f"• {at:%a %H:%M}: {on_call_summary(handover['on_call'])}")
    else:
        lines.append("No handover in the next 24 hours.")
    if overview.get("overrides"):
        lines.append("\nOverrides:")
        lines += [override_line(o, zone) for o in overview["overrides"]]
    return "\n".join(lines)


def linked(user: dict[str, Any]) -> str:
    return (
        f"🔗 Linked to the dashboard account <b>{shown(user['username'])}</b>. "
        "You will be paged here when you are on call."
    )


# ------------------------------------------------------------------ shift reminders, changes


def shift_span(shift: dict[str, Any], zone: ZoneInfo) -> str:
    """09:00-18:00 within a day, with the days when the shift runs past midnight."""
    start = datetime.fromisoformat(shift["start"]).astimezone(zone)
    end = datetime.fromisoformat(shift["end"]).astimezone(zone)
    if start.date() == end.date():
        return f"{start:%a %d %b} {start:%H:%M}-{end:%H:%M}"
    return f"{start:%a %d %b %H:%M} - {end:%a %d %b %H:%M}"


def names(people: list[str]) -> str:
    return ", ".join(shown(name) for name in people) or "nobody"


def shift_reminder(notice: dict[str, Any]) -> str:
    """ "You're on call 09:00-18:00 (primary); backups: ..." before a shift starts."""
    zone = ZoneInfo(notice["zone"])
    start = datetime.fromisoformat(notice["start"]).astimezone(zone)
    end = datetime.fromisoformat(notice["end"]).astimezone(zone)
    span = (
        f"{start:%H:%M}-{end:%H:%M}"
        if start.date() == end.date()
        else f"{start:%a %H:%M} - {end:%a %d %b %H:%M}"
    )
    text = f"⏰ You're on call {span} ({escape(notice['role'])})"
    if notice["role"] == "backup":
        text += f"; primary: {names(notice['primary'])}"
    return f"{text}; backups: {names(notice['backups'])}."


def shift_change(notice: dict[str, Any]) -> str:
    """What changed in a tech's shifts of the next 7 days."""
    zone = ZoneInfo(notice["zone"])
    lines = [f"📅 Your on-call shifts of the next 7 days changed ({escape(notice['zone'])}):"]
    lines += [f"➖ no longer {shift_span(s, zone)} ({s['role']})" for s in notice["removed"]]
    lines += [f"➕ now {shift_span(s, zone)} ({s['role']})" for s in notice["added"]]
    return "\n".join(lines)


def cover_request(notice: dict[str, Any]) -> str:
    """The team group's post: who asks cover, when; the button takes it."""
    span = shift_span(notice, ZoneInfo(notice["zone"]))
    return (
        f"🙋 <b>{shown(notice['requester'])}</b> asks for cover {span} "
        f"({escape(notice['zone'])}). The first to press I'll cover takes it."
    )


def cover_button(notice: dict[str, Any]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("I'll cover", callback_data=f"cover:{notice['cover_id']}")]]
    )


def covered(cover: dict[str, Any]) -> str:
    """The group post once someone pressed I'll cover."""
    span = shift_span(cover, ZoneInfo(cover["zone"]))
    return (
        f"🤝 <b>{shown(cover['covered_by'])}</b> covers <b>{shown(cover['requester'])}</b> "
        f"{span} ({escape(cover['zone'])}). Pages for that time go to "
        f"{shown(cover['covered_by'])}."
    )


def cover_asked(cover: dict[str, Any]) -> str:
    span = shift_span(cover, ZoneInfo(cover["zone"]))
    return f"🙋 Asked the team group to cover you {span} ({escape(cover['zone'])})."


def you_cover(cover: dict[str, Any]) -> str:
    span = shift_span(cover, ZoneInfo(cover["zone"]))
    return f"You cover {isolate(cover['requester'])} {span}."


SHIFT_TEXTS = {
    "shift_reminder": shift_reminder,
    "shift_change": shift_change,
    "cover_request": cover_request,
}


def override_line(override: dict[str, Any], zone: ZoneInfo) -> str:
    span = shift_span(override, zone)
    who = f"<b>{shown(override['person'] or 'someone')}</b>"
    if override["replaces"]:
        return f"• {span}: {who} covers {shown(override['replaces'])}"
    return f"• {span}: {who} is on call ({escape(override['role'] or 'primary')})"


# Satisfaction: 1 (poor) to 5 (great); the number first, so the label reads without the face.
RATING_LABELS = {1: "1 😞", 2: "2 🙁", 3: "3 😐", 4: "4 🙂", 5: "5 😀"}


def rating_unreachable(lang: str | None) -> str:
    _ = translator(lang)
    return _("The support desk cannot be reached right now; please tap again in a minute.")


def satisfaction_question(ticket: dict[str, Any]) -> str:
    _ = translator(ticket.get("language_code"))
    return "✔️ " + _(
        "Ticket <b>#{number}</b> is resolved. <b>How did we do?</b>\n"
        "Tap a score from 1 (poor) to 5 (great)."
    ).format(number=ticket["number"])


def rating_buttons(ticket: dict[str, Any]) -> InlineKeyboardMarkup:
    """One row of five scores; callback data `rate:<ticket id>:<score>`."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=f"rate:{ticket['id']}:{score}")
                for score, label in RATING_LABELS.items()
            ]
        ]
    )


def rated(rating: dict[str, Any]) -> str:
    _ = translator(rating.get("language_code"))
    return "🙏 " + _(
        "Thanks — you rated ticket <b>#{number}</b> {score}/5. "
        "Reply to this message to add a comment."
    ).format(number=rating["number"], score=rating["score"])


def thanks_for_rating(rating: dict[str, Any]) -> str:
    _ = translator(rating.get("language_code"))
    return _("Thanks! You rated {score}/5.").format(score=rating["score"])


def already_rated(rating: dict[str, Any]) -> str:
    _ = translator(rating.get("language_code"))
    text = _("You already rated ticket #{number}: {score}/5.")
    return text.format(number=rating["number"], score=rating["score"])


def rating_comment_saved(ticket: dict[str, Any]) -> str:
    _ = translator(ticket.get("language_code"))
    text = _("Thanks, your comment on ticket <b>#{number}</b> is saved.")
    return "📝 " + text.format(number=ticket["number"])
