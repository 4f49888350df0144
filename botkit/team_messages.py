"""What techs and the team group read, in the team's one language (TEAM_LANGUAGE, passed as
`lang`): pages, group posts, reminders and SLA notices with their buttons, what a press
answers, shift reminders and changes, cover requests, /link. Pure functions of the API's JSON,
HTML parse mode, escaped like every text of the bot (messages.py).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from botkit.i18n import translator
from botkit.messages import (
    MESSAGE_LIMIT,
    N_,
    ROLES,
    duration,
    named,
    names,
    rendered_length,
    satisfaction_question,
    shift_span,
    shown,
    ticket_filed,
    ticket_filed_later,
    when,
)
from user_text import cut_to, isolate, telegram_length

# The most of a ticket's text a notification quotes, leaving room for its header and footer.
QUOTE_LIMIT = 3500


TRUNCATED = N_("… (truncated, full text in the dashboard)")


def quote(text: str, limit: int = QUOTE_LIMIT, lang: str | None = None) -> str:
    """The ticket's text as a notification shows it, at most `limit` units as Telegram counts."""
    if telegram_length(isolate(text)) > limit:
        truncated = translator(lang)(TRUNCATED)
        room = limit - telegram_length(truncated) - 2  # and the isolate's FSI and PDI
        return shown(cut_to(text, max(room, 0))) + truncated
    return shown(text)


def sender(ticket: dict[str, Any]) -> str:
    parts = [shown(ticket.get("sender_name") or "")]
    if ticket.get("username"):
        parts.append(f"@{shown(ticket['username'])}")
    parts.append(f"id {ticket['user_id']}")
    return ", ".join(p for p in parts if p)


PRIORITIES = {
    "low": N_("low"),
    "normal": N_("normal"),
    "high": N_("high"),
    "urgent": N_("urgent"),
}


HEADINGS = {
    "page": ("🚨", N_("New support ticket")),
    "post": ("🆕", N_("New support ticket")),
    "group": ("📣", N_("Unhandled ticket: nobody on call reacted")),
    "reminder": ("⏰", N_("Reminder: this ticket is yours and has no answer yet")),
}


REPEAT = N_(
    "🔁 <b>Repeat</b>: sent again because the first attempt's fate is unknown; "
    "you may have this twice."
)


def outbox_text(
    note: dict[str, Any],
    ticket: dict[str, Any],
    dashboard_url: str,
    *,
    late: bool = False,
    lang: str | None = None,
) -> str:
    """The text of any outbox message: a page, a post, a reminder or the user's confirmation.

    `lang` is the team's; what goes to the user follows the language their ticket carries."""
    if note["kind"] in SHIFT_TEXTS:
        text = SHIFT_TEXTS[note["kind"]](note["notice"], lang)
    elif note["kind"] == "confirmation":
        text = ticket_filed_later(ticket) if late else ticket_filed(ticket)
        lang = ticket.get("language_code")
    elif note["kind"] == "satisfaction":
        text = satisfaction_question(ticket)
        lang = ticket.get("language_code")
    else:
        text = notification(note, ticket, dashboard_url, lang)
    return f"{translator(lang)(REPEAT)}\n{text}" if note.get("repeat") else text


def heading(note: dict[str, Any], lang: str | None = None) -> str:
    _ = translator(lang)
    kind, level, round_ = note["kind"], note["level"], note.get("round", 0)
    if kind == "page" and level > 1:
        text = "🚨 " + _("Escalated ticket (level {level}): the previous tech did not react")
        text = text.format(level=level)
    elif kind == "group" and round_ > 0:
        text = "📣 " + _("Still unhandled, round {round}: nobody reacted to the pages again")
        return text.format(round=round_ + 1)
    elif kind in HEADINGS:
        mark, words = HEADINGS[kind]
        text = mark + " " + _(words)
    else:
        text = _("Support ticket")
    if round_ > 0 and kind == "page":
        return _("{heading} · round {round}").format(heading=text, round=round_ + 1)
    return text


def breach_heading(note: dict[str, Any], ticket: dict[str, Any], lang: str | None = None) -> str:
    """An SLA breach notice: how long the ticket had waited when the dashboard noticed it."""
    _ = translator(lang)
    waited = datetime.fromisoformat(note["created_at"]) - datetime.fromisoformat(
        ticket["created_at"]
    )
    return "⏰ " + _(
        "#{number} ({priority}) has had no answer for {waited}: past its first-answer target"
    ).format(
        number=ticket["number"],
        priority=named(ticket["priority"], PRIORITIES, _),
        waited=duration(waited.total_seconds()),
    )


def notification(
    note: dict[str, Any], ticket: dict[str, Any], dashboard_url: str, lang: str | None = None
) -> str:
    _ = translator(lang)
    if note["kind"] == "sla_breach":
        heading_text = breach_heading(note, ticket, lang)
    else:
        heading_text = heading(note, lang)
    link = f"{dashboard_url}/tickets/{ticket['id']}"
    head = [
        f"<b>{heading_text}</b>",
        _("Ticket <b>#{number}</b> · priority {priority}").format(
            number=ticket["number"], priority=named(ticket["priority"], PRIORITIES, _)
        ),
        _("From: {sender}").format(sender=sender(ticket)),
        "",
    ]
    open_it = _("Open in the dashboard")
    tail = ["", f'<a href="{escape(link, quote=True)}">{open_it}</a>']
    handled = handled_line(ticket, lang)
    if handled:
        tail += ["", handled]
    # Whatever the names around it take (and a repeat's warning above it), the quote gets the
    # rest: a page Telegram refuses as too long would be a page lost.
    around = "\n".join([*head, *tail, _(REPEAT), ""])
    room = min(QUOTE_LIMIT, MESSAGE_LIMIT - rendered_length(around))
    return "\n".join([*head, quote(ticket["text"], room, lang), *tail])


def handled_line(ticket: dict[str, Any], lang: str | None = None) -> str:
    _ = translator(lang)
    if ticket["status"] == "resolved":
        return "✔️ <b>" + _("Resolved") + "</b>"
    if ticket.get("assignee"):
        taken = _("Taken by {name}").format(name=shown(ticket["assignee"]["name"]))
        return f"👤 <b>{taken}</b>"
    if ticket.get("acknowledged_by"):
        seen = _("Acknowledged by {name}").format(name=shown(ticket["acknowledged_by"]["name"]))
        return f"👀 <b>{seen}</b>"
    return ""


def buttons(ticket: dict[str, Any], lang: str | None = None) -> InlineKeyboardMarkup | None:
    """The actions still open on the ticket: none once resolved."""
    if ticket["status"] == "resolved":
        return None
    _ = translator(lang)
    row = []
    if not ticket.get("acknowledged_by") and not ticket.get("assignee"):
        row.append(
            InlineKeyboardButton("👀 " + _("Acknowledge"), callback_data=f"ack:{ticket['id']}")
        )
    if not ticket.get("assignee"):
        row.append(InlineKeyboardButton("🙋 " + _("Take it"), callback_data=f"take:{ticket['id']}"))
    row.append(InlineKeyboardButton("✔️ " + _("Resolve"), callback_data=f"resolve:{ticket['id']}"))
    return InlineKeyboardMarkup([row])


DIGEST_HEADING = N_("New support tickets: {count}")
# What of each ticket's text and sender's name a digest line shows, in Telegram's units: 20
# lines of the longest stay well inside one message.
DIGEST_QUOTE = 80
DIGEST_NAME = 40


def digest(tickets: list[dict[str, Any]], dashboard_url: str, lang: str | None = None) -> str:
    """One message for a burst of new tickets (botkit/group_posts.py): a line each, its
    number a link to the dashboard, then priority, sender and the start of its text."""
    _ = translator(lang)
    lines = ["🆕 <b>" + _(DIGEST_HEADING).format(count=len(tickets)) + "</b>", ""]
    for ticket in tickets:
        link = escape(f"{dashboard_url}/tickets/{ticket['id']}", quote=True)
        priority = named(ticket["priority"], PRIORITIES, _)
        who = opening(ticket.get("sender_name") or "", DIGEST_NAME)
        lines.append(
            f'<a href="{link}"><b>#{ticket["number"]}</b></a> · {priority} · {who}: '
            + opening(ticket["text"], DIGEST_QUOTE)
        )
    return "\n".join(lines)


def opening(text: str, limit: int) -> str:
    """The start of what a user wrote, on one line, at most about `limit` units."""
    text = " ".join(text.split())
    if telegram_length(isolate(text)) <= limit:
        return shown(text)
    return shown(cut_to(text, limit - 3)) + "…"


def digest_buttons(tickets: list[dict[str, Any]]) -> InlineKeyboardMarkup:
    """🙋 #N takes ticket N: four to a row."""
    take = [
        InlineKeyboardButton(f"🙋 #{t['number']}", callback_data=f"take:{t['id']}") for t in tickets
    ]
    return InlineKeyboardMarkup([take[i : i + 4] for i in range(0, len(take), 4)])


ACTIONS_DONE = {
    "ack": N_("You acknowledged ticket #{number}."),
    "take": N_("Ticket #{number} is yours."),
    "resolve": N_("Ticket #{number} resolved."),
}


def action_done(action: str, ticket: dict[str, Any], lang: str | None = None) -> str:
    """What the tech who pressed a button reads (plain text: a callback answer)."""
    return translator(lang)(ACTIONS_DONE[action]).format(number=ticket["number"])


def link_usage(lang: str | None = None) -> str:
    _ = translator(lang)
    return _("Send /link followed by the code the dashboard shows you, e.g. /link ABCD2345.")


def link_in_private(lang: str | None = None) -> str:
    _ = translator(lang)
    return _("Please send the link code to me in a private chat.")


def link_refused(reason: str, lang: str | None = None) -> str:
    """The dashboard's reason is its own words (plain text: a reply of ours)."""
    _ = translator(lang)
    return _("Could not link: {reason}.").format(reason=reason)


def linked(user: dict[str, Any], lang: str | None = None) -> str:
    _ = translator(lang)
    return "🔗 " + _(
        "Linked to the dashboard account <b>{username}</b>. "
        "You will be paged here when you are on call."
    ).format(username=shown(user["username"]))


def shift_reminder(notice: dict[str, Any], lang: str | None = None) -> str:
    """ "You're on call 09:00-18:00 (primary); backups: ..." before a shift starts."""
    _ = translator(lang)
    zone = ZoneInfo(notice["zone"])
    start = datetime.fromisoformat(notice["start"]).astimezone(zone)
    end = datetime.fromisoformat(notice["end"]).astimezone(zone)
    span = (
        f"{when(start, 'HH:mm', lang)}-{when(end, 'HH:mm', lang)}"
        if start.date() == end.date()
        else f"{when(start, 'EEE HH:mm', lang)} - {when(end, 'EEE dd MMM HH:mm', lang)}"
    )
    fields = {
        "span": span,
        "role": named(notice["role"], ROLES, _),
        "primary": names(notice["primary"], lang),
        "backups": names(notice["backups"], lang),
    }
    if notice["role"] == "backup":
        text = _("You're on call {span} ({role}); primary: {primary}; backups: {backups}.")
    else:
        text = _("You're on call {span} ({role}); backups: {backups}.")
    return "⏰ " + text.format(**fields)


def shift_change(notice: dict[str, Any], lang: str | None = None) -> str:
    """What changed in a tech's shifts of the next 7 days."""
    _ = translator(lang)
    zone = ZoneInfo(notice["zone"])
    title = _("Your on-call shifts of the next 7 days changed ({zone}):")
    lines = ["📅 " + title.format(zone=escape(notice["zone"]))]
    for mark, words, shifts in (
        ("➖", _("no longer {span} ({role})"), notice["removed"]),
        ("➕", _("now {span} ({role})"), notice["added"]),
    ):
        lines += [
            f"{mark} "
            + words.format(span=shift_span(s, zone, lang), role=named(s["role"], ROLES, _))
            for s in shifts
        ]
    return "\n".join(lines)


def cover_request(notice: dict[str, Any], lang: str | None = None) -> str:
    """The team group's post: who asks cover, when; the button takes it."""
    _ = translator(lang)
    span = shift_span(notice, ZoneInfo(notice["zone"]), lang)
    return "🙋 " + _(
        "<b>{requester}</b> asks for cover {span} ({zone}). The first to press I'll cover takes it."
    ).format(requester=shown(notice["requester"]), span=span, zone=escape(notice["zone"]))


def cover_button(notice: dict[str, Any], lang: str | None = None) -> InlineKeyboardMarkup:
    _ = translator(lang)
    label = _("I'll cover")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cover:{notice['cover_id']}")]]
    )


def covered(cover: dict[str, Any], lang: str | None = None) -> str:
    """The group post once someone pressed I'll cover."""
    _ = translator(lang)
    span = shift_span(cover, ZoneInfo(cover["zone"]), lang)
    return "🤝 " + _(
        "<b>{helper}</b> covers <b>{requester}</b> {span} ({zone}). "
        "Pages for that time go to {helper}."
    ).format(
        helper=shown(cover["covered_by"]),
        requester=shown(cover["requester"]),
        span=span,
        zone=escape(cover["zone"]),
    )


def cover_asked(cover: dict[str, Any], lang: str | None = None) -> str:
    _ = translator(lang)
    span = shift_span(cover, ZoneInfo(cover["zone"]), lang)
    text = _("Asked the team group to cover you {span} ({zone}).")
    return "🙋 " + text.format(span=span, zone=escape(cover["zone"]))


def cover_refused(reason: str, lang: str | None = None) -> str:
    _ = translator(lang)
    return _("Cannot ask for cover: {reason}").format(reason=reason)


def you_cover(cover: dict[str, Any], lang: str | None = None) -> str:
    """A callback answer: plain text, so the name is isolated but not escaped."""
    span = shift_span(cover, ZoneInfo(cover["zone"]), lang)
    _ = translator(lang)
    text = _("You cover {requester} {span}.")
    return text.format(requester=isolate(cover["requester"]), span=span)


SHIFT_TEXTS = {
    "shift_reminder": shift_reminder,
    "shift_change": shift_change,
    "cover_request": cover_request,
}
