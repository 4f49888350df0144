"""What the bot's messages say: repeats and rounds labelled, confirmations that tell the truth."""

from __future__ import annotations

from botkit import messages

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
    first = messages.outbox_text(note("page"), TICKET, URL)
    again = messages.outbox_text(note("page", repeat=True), TICKET, URL)
    assert "Repeat" not in first
    assert again.startswith("🔁 <b>Repeat</b>")
    assert again.endswith(first)


def test_the_repeat_round_group_post_says_which_round_it_is() -> None:
    first = messages.outbox_text(note("group", level=4), TICKET, URL)
    second = messages.outbox_text(note("group", level=8, round_=1), TICKET, URL)
    assert first.splitlines()[0] != second.splitlines()[0]
    assert "round 2" in second.splitlines()[0]
    page = messages.outbox_text(note("page", level=5, round_=1), TICKET, URL)
    assert "round 2" in page.splitlines()[0]


def test_the_confirmation_says_the_on_call_team_knows_only_when_someone_was_paged() -> None:
    paged = messages.outbox_text(note("confirmation", level=0), TICKET, URL)
    nobody = messages.outbox_text(
        note("confirmation", level=0), TICKET | {"escalation_level": 0}, URL
    )
    assert "#7" in paged and "has been notified" in paged
    assert "#7" in nobody and "has been notified" not in nobody
    assert "Nobody on call can be reached" in nobody
    late = messages.outbox_text(note("confirmation", level=0), TICKET, URL, late=True)
    assert "is now ticket" in late


def test_user_text_is_escaped_in_every_page() -> None:
    text = messages.outbox_text(note("post"), TICKET, URL)
    assert "VPN &lt;down&gt; &amp; out" in text
    assert "Alice &lt;admin&gt;" in text


def test_status_says_why_nobody_or_only_the_admins_can_be_paged() -> None:
    nobody = {"chain": [], "fallback": True, "unreachable": "no_slot"}
    admins = {"chain": [{"name": "Zoe"}], "fallback": True, "unreachable": "nobody_linked"}
    assert messages.on_call_summary(nobody) == "🔴 nobody can be paged (no slot covers this hour)"
    assert "nobody in the slot has Telegram linked, admins stand in" in (
        messages.on_call_summary(admins)
    )
