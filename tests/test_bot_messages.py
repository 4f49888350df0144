"""What the bot's messages say: repeats and rounds labelled, confirmations that tell the truth,
what users wrote escaped and isolated."""

from __future__ import annotations

import html
import re

from botkit import messages, team_messages
from user_text import FSI, PDI, telegram_length

TICKET = {
    "id": 7,
    "number": 7,
    "status": "open",
    "priority": "normal",
    "sender_name": "Alice <admin>",
    "username": "alice",
    "user_id": 555,
    "text": "VPN <down> & out",
    "escalation_level": 1,
    "assignee": None,
    "acknowledged_by": None,
}
URL = "http://desk.example"


def note(kind: str, level: int = 1, round_: int = 0, repeat: bool = False) -> dict:
    return {"id": 1, "kind": kind, "level": level, "round": round_, "repeat": repeat}


def test_a_page_sent_again_after_an_unknown_fate_says_it_may_be_a_repeat() -> None:
    first = team_messages.outbox_text(note("page"), TICKET, URL)
    again = team_messages.outbox_text(note("page", repeat=True), TICKET, URL)
    assert "Repeat" not in first
    assert again.startswith("🔁 <b>Repeat</b>")
    assert again.endswith(first)


def test_the_repeat_round_group_post_says_which_round_it_is() -> None:
    first = team_messages.outbox_text(note("group", level=4), TICKET, URL)
    second = team_messages.outbox_text(note("group", level=8, round_=1), TICKET, URL)
    assert first.splitlines()[0] != second.splitlines()[0]
    assert "round 2" in second.splitlines()[0]
    page = team_messages.outbox_text(note("page", level=5, round_=1), TICKET, URL)
    assert "round 2" in page.splitlines()[0]


def test_the_confirmation_says_the_on_call_team_knows_only_when_someone_was_paged() -> None:
    paged = team_messages.outbox_text(note("confirmation", level=0), TICKET, URL)
    nobody = team_messages.outbox_text(
        note("confirmation", level=0), TICKET | {"escalation_level": 0}, URL
    )
    assert "#7" in paged and "has been notified" in paged
    assert "#7" in nobody and "has been notified" not in nobody
    assert "Nobody on call can be reached" in nobody
    late = team_messages.outbox_text(note("confirmation", level=0), TICKET, URL, late=True)
    assert "is now ticket" in late


def test_user_text_is_escaped_in_every_page() -> None:
    text = team_messages.outbox_text(note("post"), TICKET, URL)
    assert "VPN &lt;down&gt; &amp; out" in text
    assert "Alice &lt;admin&gt;" in text


def test_status_says_why_nobody_or_only_the_admins_can_be_paged() -> None:
    nobody = {"chain": [], "fallback": True, "unreachable": "no_slot"}
    admins = {"chain": [{"name": "Zoe"}], "fallback": True, "unreachable": "nobody_linked"}
    assert messages.on_call_summary(nobody) == "🔴 nobody can be paged (no slot covers this hour)"
    assert "nobody in the slot has Telegram linked, admins stand in" in (
        messages.on_call_summary(admins)
    )


# ---------------------------------------------------------------- what users wrote, isolated

RTL_TICKET = TICKET | {
    "sender_name": "Eve\u202e <b>",
    "username": "eve\u202e",
    "text": "invoice\u202efdp.exe & <b>\x00",
    "assignee": {"name": "Ann\u202e"},
}


def text_of(markup: str) -> str:
    """What Telegram shows of an HTML message: the text without tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def test_user_text_in_a_page_runs_in_its_own_direction_and_shows_its_controls() -> None:
    markup = team_messages.outbox_text(note("page"), RTL_TICKET, URL)
    shown = text_of(markup)
    assert f"\n{FSI}invoice\ufffdfdp.exe & <b>\u2400{PDI}\n" in shown
    assert f"From: {FSI}Eve\ufffd <b>{PDI}, @{FSI}eve\ufffd{PDI}, id 555" in shown
    assert f"Taken by {FSI}Ann\ufffd{PDI}" in shown
    assert "\u202e" not in markup and "\x00" not in markup


def test_isolated_user_text_is_still_escaped() -> None:
    markup = team_messages.outbox_text(note("page"), RTL_TICKET, URL)
    assert f"{FSI}invoice\ufffdfdp.exe &amp; &lt;b&gt;\u2400{PDI}" in markup
    assert f"{FSI}Eve\ufffd &lt;b&gt;{PDI}" in markup
    assert "<b>\x00" not in markup and "Eve\ufffd <b>" not in markup


def test_a_long_ticket_is_cut_inside_its_isolate() -> None:
    alef = "\u05d0"
    shown = text_of(team_messages.outbox_text(note("page"), TICKET | {"text": alef * 5000}, URL))
    kept = team_messages.QUOTE_LIMIT - telegram_length(team_messages.TRUNCATED) - 2
    assert f"{FSI}{alef * kept}{PDI}… (truncated" in shown


def test_no_page_is_longer_than_telegram_takes_whatever_the_names() -> None:
    # Telegram counts UTF-16 code units: each emoji is two. Long emoji names and a repeat's
    # warning leave less room for the quote, never a page Telegram refuses.
    ticket = TICKET | {
        "text": "😀" * 2048,
        "sender_name": "🦄" * 256,
        "username": "u" * 64,
        "acknowledged_by": {"name": "🐙" * 120},
    }
    for kind in ("page", "post", "group", "reminder"):
        for repeat in (False, True):
            markup = team_messages.outbox_text(note(kind, repeat=repeat), ticket, URL)
            shown = text_of(markup)
            assert telegram_length(shown) <= 4096, (kind, repeat)
            assert "😀" * 1000 in shown and "(truncated" in shown


def test_an_answer_with_the_longest_name_fits_in_one_message() -> None:
    delivery = {"author": "🐙" * 120, "text": "😀" * 1948, "ticket_number": 123456}
    shown = text_of(messages.answer(delivery))
    assert telegram_length(shown) <= 4096
    assert shown.endswith(f"{FSI}{'😀' * 1948}{PDI}")
    assert f"{FSI}{'🐙' * 31}…{PDI} · ticket #123456" in shown


def test_an_answer_isolates_its_author_and_text() -> None:
    delivery = {"author": "Ann\u202e", "text": "try <this>\u202e\x07", "ticket_number": 7}
    assert text_of(messages.answer(delivery)) == (
        f"💬 {FSI}Ann\ufffd{PDI} · ticket #7\n\n{FSI}try <this>\ufffd\u2407{PDI}"
    )


def test_names_in_status_on_call_and_link_replies_are_isolated() -> None:
    on_call = {"chain": [{"name": "Zoe\u202e"}, {"name": "Yan"}], "fallback": False}
    assert text_of(messages.on_call_summary(on_call)) == (
        f"{FSI}Zoe\ufffd{PDI} (backups: {FSI}Yan{PDI})"
    )
    acknowledged = TICKET | {"acknowledged_by": {"name": "Bob\u202e"}}
    assert (
        text_of(team_messages.handled_line(acknowledged))
        == f"👀 Acknowledged by {FSI}Bob\ufffd{PDI}"
    )
    assert f"account {FSI}bob\ufffd{PDI}." in text_of(
        team_messages.linked({"username": "bob\u202e"})
    )


def test_a_reminder_of_a_night_shift_names_both_days():
    from botkit.team_messages import shift_reminder

    text = shift_reminder(
        {
            "start": "2026-12-04T17:00:00+00:00",
            "end": "2026-12-05T07:00:00+00:00",
            "role": "primary",
            "zone": "Europe/Berlin",
            "primary": [],
            "backups": ["<b>Eve</b>"],
        }
    )
    assert text.startswith("⏰ You're on call Fri 18:00 - Sat 05 Dec 08:00 (primary)")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in text


DAY = "2026-11-25T"


def test_a_change_notice_says_what_went_and_what_came():
    from botkit.team_messages import shift_change

    text = shift_change(
        {
            "zone": "UTC",
            "removed": [{"start": f"{DAY}09:00Z", "end": f"{DAY}18:00Z", "role": "primary"}],
            "added": [{"start": f"{DAY}09:00Z", "end": f"{DAY}12:00Z", "role": "primary"}],
        }
    )
    assert "➖ no longer Wed 25 Nov 09:00-18:00 (primary)" in text
    assert "➕ now Wed 25 Nov 09:00-12:00 (primary)" in text


def test_oncall_shows_who_covers_whom():
    from botkit.messages import oncall

    nobody = {"chain": [], "unreachable": "no_slot", "fallback": False}
    text = oncall(
        {
            "now": nobody,
            "handovers": [],
            "timezone": "UTC",
            "overrides": [
                {
                    "id": 1,
                    "start": f"{DAY}12:00Z",
                    "end": f"{DAY}14:00Z",
                    "person": "Bob",
                    "replaces": "Ann",
                    "role": None,
                }
            ],
        }
    )
    assert (
        "Overrides:\n• Wed 25 Nov 12:00-14:00: <b>\u2068Bob\u2069</b> covers \u2068Ann\u2069"
        in text
    )


def test_a_digest_lists_each_ticket_escaped_and_isolated_and_fits_one_message() -> None:
    longest = TICKET | {"sender_name": "\u202e" + "N" * 300, "text": "<b>x</b> " * 2000}
    tickets = [longest | {"id": n, "number": n} for n in range(1, 21)]
    text = team_messages.digest(tickets, URL, "de")
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    assert plain.startswith("🆕 Neue Support-Tickets: 20")
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert f"{FSI}\u202e" not in text and "\u202e" not in plain.replace(FSI, "")
    assert all(f'href="{URL}/tickets/{n}"' in text for n in range(1, 21))
    assert telegram_length(plain) <= 4096
    buttons = team_messages.digest_buttons(tickets).inline_keyboard
    assert [b.callback_data for row in buttons for b in row] == [f"take:{n}" for n in range(1, 21)]
    assert max(len(row) for row in buttons) == 4
