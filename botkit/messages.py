"""Every text the bot sends, as pure functions of the API's JSON (HTML parse mode, escaped)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

# Room for the header and footer of a notification inside Telegram's 4096 characters.
QUOTE_LIMIT = 3500

HELP = (
    "<b>Support desk</b>\n"
    "• <code>@support your request</code> or <code>/support your request</code> opens a ticket.\n"
    "• Reply to one of my messages about a ticket to add to it.\n"
    "• /status shows whether the desk is up and how many tickets are open.\n"
    "• /oncall shows who is on call now and the next handovers.\n"
    "• Techs: /link CODE links your Telegram account to the dashboard."
)
ASK_FOR_TEXT = (
    "What do you need help with? Write <code>@support</code> followed by your request, "
    "for example: <code>@support the printer on floor 2 is jammed</code>"
)
PRIVATE_HINT = (
    "To open a ticket, write <code>@support your request</code> or "
    "<code>/support your request</code>. /help lists the commands."
)
SPOOLED = (
    "📥 Received. The support desk cannot be reached right now; your request is saved and "
    "will be filed as soon as it is back. You will get the ticket number here."
)
NO_OPEN_TICKET = (
    "That ticket is closed. To open a new one, write <code>@support your request</code>."
)


def ticket_filed(ticket: dict[str, Any]) -> str:
    return (
        f"✅ Ticket <b>#{ticket['number']}</b> filed. The on-call tech has been notified "
        "and will answer here. Reply to this message to add details."
    )


def ticket_filed_later(ticket: dict[str, Any]) -> str:
    return (
        f"✅ Your request is now ticket <b>#{ticket['number']}</b>. The on-call tech has been "
        "notified and will answer here."
    )


def followup_added(ticket: dict[str, Any]) -> str:
    return f"📝 Added to ticket <b>#{ticket['number']}</b>."


def answer(delivery: dict[str, Any]) -> str:
    author = delivery.get("author") or "Support"
    return (
        f"💬 <b>{escape(author)}</b> · ticket #{delivery['ticket_number']}\n\n"
        f"{escape(delivery['text'])}"
    )


def quote(text: str) -> str:
    if len(text) > QUOTE_LIMIT:
        text = text[:QUOTE_LIMIT] + "… (truncated, full text in the dashboard)"
    return escape(text)


def sender(ticket: dict[str, Any]) -> str:
    parts = [escape(ticket.get("sender_name") or "")]
    if ticket.get("username"):
        parts.append(f"@{escape(ticket['username'])}")
    parts.append(f"id {ticket['user_id']}")
    return ", ".join(p for p in parts if p)


HEADINGS = {
    "page": "🚨 New support ticket",
    "post": "🆕 New support ticket",
    "group": "📣 Unhandled ticket: nobody on call reacted",
    "reminder": "⏰ Reminder: you acknowledged this ticket and it has no answer yet",
}


def notification(note: dict[str, Any], ticket: dict[str, Any], dashboard_url: str) -> str:
    heading = HEADINGS.get(note["kind"], "Support ticket")
    if note["kind"] == "page" and note["level"] > 1:
        heading = f"🚨 Escalated ticket (level {note['level']}): the previous tech did not react"
    link = f"{dashboard_url}/tickets/{ticket['id']}"
    lines = [
        f"<b>{heading}</b>",
        f"Ticket <b>#{ticket['number']}</b> · priority {escape(ticket['priority'])}",
        f"From: {sender(ticket)}",
        "",
        quote(ticket["text"]),
        "",
        f'<a href="{escape(link, quote=True)}">Open in the dashboard</a>',
    ]
    handled = handled_line(ticket)
    if handled:
        lines += ["", handled]
    return "\n".join(lines)


def handled_line(ticket: dict[str, Any]) -> str:
    if ticket["status"] == "resolved":
        return "✔️ <b>Resolved</b>"
    if ticket.get("assignee"):
        return f"👤 <b>Taken by {escape(ticket['assignee']['name'])}</b>"
    if ticket.get("acknowledged_by"):
        return f"👀 <b>Acknowledged by {escape(ticket['acknowledged_by']['name'])}</b>"
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
    return ", ".join(escape(p["name"]) for p in people) or "nobody"


def on_call_summary(on_call: dict[str, Any]) -> str:
    chain = on_call["chain"]
    if not chain:
        return "nobody is reachable"
    text = f"<b>{escape(chain[0]['name'])}</b>"
    if len(chain) > 1:
        text += f" (backups: {person_list(chain[1:])})"
    if on_call.get("fallback"):
        text += " · no slot covers this hour, admins stand in"
    return text


def status(
    health: dict[str, Any] | None, uptime_seconds: float, spooled: int, error: str = ""
) -> str:
    lines = []
    if health is None:
        lines.append(f"🔴 Dashboard unreachable ({escape(error)})")
    else:
        lines.append(f"🟢 Dashboard reachable · database {escape(health['database'])}")
    lines.append(f"🤖 Bot up {duration(uptime_seconds)}")
    if spooled:
        lines.append(f"📥 {spooled} request(s) waiting to be filed")
    if health is not None:
        counts = health["tickets"]
        lines.append(f"Open: {counts['open']} · In progress: {counts['in_progress']}")
        lines.append(f"On call: {on_call_summary(health['on_call'])}")
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
    return "\n".join(lines)


def linked(user: dict[str, Any]) -> str:
    return (
        f"🔗 Linked to the dashboard account <b>{escape(user['username'])}</b>. "
        "You will be paged here when you are on call."
    )
