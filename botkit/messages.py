"""The texts people asking for help read, and what /status and /oncall answer, as pure
functions of the API's JSON (HTML parse mode, escaped); team_messages.py has the techs' texts.

What users wrote (ticket texts, answers, Telegram and dashboard names) goes in through `shown`:
its control characters made visible and its direction isolated (user_text.py), then escaped.

Two languages meet here (botkit/i18n.py): people asking for help read theirs, from their
Telegram language_code or their ticket's; techs read the team's one language, TEAM_LANGUAGE.
Each text takes its language as `lang`; the English texts are the catalogues' message ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html import escape, unescape
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from botkit.i18n import language, translator
from user_text import cut_to, isolate, telegram_length

# Telegram's limit for one message, in UTF-16 code units of the text once its HTML is parsed.
MESSAGE_LIMIT = 4096


def N_(text: str) -> str:
    """Marks a text for the catalogues where it is defined; `_` translates it where it is used."""
    return text


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


# ------------------------------------------------------------- who is on call, when, roles
# /status and /oncall answer in the asker's language; team_messages.py uses these too.

ROLES = {"primary": N_("primary"), "backup": N_("backup")}


def named(value: str, names_: dict[str, str], _: Callable[[str], str]) -> str:
    """A priority or a role in words of the language of `_`; a value without a name as it is."""
    return escape(_(names_[value]) if value in names_ else value)


def when(moment: datetime, pattern: str, lang: str | None) -> str:
    """A local time in a language's words ("EEE dd MMM HH:mm": Thu 03 Dec 09:00, Do. 03 Dez.)."""
    return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=language(lang))


def names(people: list[str], lang: str | None = None) -> str:
    _ = translator(lang)
    return ", ".join(shown(name) for name in people) or _("nobody")


def person_list(people: list[dict[str, Any]], lang: str | None = None) -> str:
    return names([p["name"] for p in people], lang)


UNREACHABLE = {
    "no_slot": N_("no slot covers this hour"),
    "nobody_linked": N_("nobody in the slot has Telegram linked"),
    "everyone_inactive": N_("everyone in the slot is deactivated"),
    "nobody_reachable": N_("nobody in the slot can be paged"),
}


def on_call_summary(on_call: dict[str, Any], lang: str | None = None) -> str:
    _ = translator(lang)
    chain = on_call["chain"]
    reason = on_call.get("unreachable") or ""
    why = _(UNREACHABLE[reason]) if reason in UNREACHABLE else ""
    if not chain:
        return "🔴 " + _("nobody can be paged ({why})").format(why=why or _("nobody reachable"))
    text = f"<b>{shown(chain[0]['name'])}</b>"
    if len(chain) > 1:
        text += " " + _("(backups: {people})").format(people=person_list(chain[1:], lang))
    if on_call.get("fallback"):
        why = why or _(UNREACHABLE["no_slot"])
        text += " · " + _("{why}, admins stand in").format(why=why)
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
        who = on_call_summary(health["on_call"], lang)
        lines.append(_("On call: {who}").format(who=who))
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


def oncall(overview: dict[str, Any], lang: str | None = None) -> str:
    """/oncall's answer, in the language of whoever asked (anyone may)."""
    _ = translator(lang)
    zone = ZoneInfo(overview["timezone"])
    lines = [_("On call now: {who}").format(who=on_call_summary(overview["now"], lang))]
    if overview["handovers"]:
        next_day = _("Next 24 hours ({zone}):").format(zone=escape(overview["timezone"]))
        lines.append(f"\n{next_day}")
        for handover in overview["handovers"]:
            at = datetime.fromisoformat(handover["at"]).astimezone(zone)
            who = on_call_summary(handover["on_call"], lang)
            lines.append(f"• {when(at, 'EEE HH:mm', lang)}: {who}")
    else:
        lines.append(_("No handover in the next 24 hours."))
    if overview.get("overrides"):
        lines.append("\n" + _("Overrides:"))
        lines += [override_line(o, zone, lang) for o in overview["overrides"]]
    return "\n".join(lines)


def desk_unreachable(lang: str | None = None) -> str:
    _ = translator(lang)
    return _("The support desk cannot be reached right now; try again in a minute.")


def shift_span(shift: dict[str, Any], zone: ZoneInfo, lang: str | None = None) -> str:
    """09:00-18:00 within a day, with the days when the shift runs past midnight."""
    start = datetime.fromisoformat(shift["start"]).astimezone(zone)
    end = datetime.fromisoformat(shift["end"]).astimezone(zone)
    if start.date() == end.date():
        day = when(start, "EEE dd MMM", lang)
        return f"{day} {when(start, 'HH:mm', lang)}-{when(end, 'HH:mm', lang)}"
    return f"{when(start, 'EEE dd MMM HH:mm', lang)} - {when(end, 'EEE dd MMM HH:mm', lang)}"


def override_line(override: dict[str, Any], zone: ZoneInfo, lang: str | None = None) -> str:
    _ = translator(lang)
    span = shift_span(override, zone, lang)
    someone = _("someone")
    who = f"<b>{shown(override['person'] or someone)}</b>"
    if override["replaces"]:
        text = _("{span}: {who} covers {replaced}")
        return "• " + text.format(span=span, who=who, replaced=shown(override["replaces"]))
    role = named(override["role"] or "primary", ROLES, _)
    return "• " + _("{span}: {who} is on call ({role})").format(span=span, who=who, role=role)


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
