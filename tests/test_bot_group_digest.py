"""A burst of tickets reaches the team group as digests, end to end: Telegram lets a group
receive about 20 messages a minute, so 30 tickets at once used to take half a minute and 50
six; now the posts that pile up behind the limit leave as one message listing them, every
ticket in the group exactly once, each post recorded as sent, and a press under a digest
takes its ticket without rewriting the digest."""

from __future__ import annotations

import re

from bot_harness import ANN, GROUP_ID, eventually

BURST = 30
FIRST_USER = 6000


def numbers_in_group(telegram) -> list[int]:
    found = []
    for message in telegram.sent_messages(GROUP_ID):
        found += [int(n) for n in re.findall(r"#(\d+)\b", message["text"])]
    return found


def test_a_burst_reaches_the_group_at_once_as_digests(bot, telegram, live_dashboard, team):
    from models import Notification, NotificationKind

    for n in range(BURST):
        telegram.send_message_update(f"@support printer {n} jammed", user_id=FIRST_USER + n)
    # Past the limiter's first 20, posts one by one would take 3 s each: 30 s for the rest.
    eventually(
        lambda: sorted(set(numbers_in_group(telegram))) == list(range(1, BURST + 1)),
        timeout=12,
        what=f"all {BURST} tickets in the team group",
    )
    assert sorted(numbers_in_group(telegram)) == list(range(1, BURST + 1))  # each once
    digests = [m for m in telegram.sent_messages(GROUP_ID) if "New support tickets:" in m["text"]]
    assert digests
    eventually(lambda: len(telegram.sent_messages(ANN)) >= BURST, what="every page to Ann")

    def posts(db):
        rows = db.session.scalars(
            db.select(Notification).where(Notification.kind == NotificationKind.POST)
        ).all()
        return [(n.ticket_id, n.state.value, n.digest, n.telegram_message_id) for n in rows]

    recorded = eventually(
        lambda: (
            (rows := live_dashboard.query(posts))
            and all(state == "sent" for _, state, _, _ in rows)
            and rows
        ),
        what="every post recorded as sent",
    )
    assert len(recorded) == BURST
    # Each ticket a digest lists is recorded as sent in that very message, as a digest.
    listed = {
        int(n): message["message_id"]
        for message in digests
        for n in re.findall(r"#(\d+)\b", message["text"])
    }
    assert {t: m for t, _, d, m in recorded if d} == listed
    digest = digests[0]

    # Bob takes one of them with its button; the digest stays as it was.
    number = min(n for n, m in listed.items() if m == digest["message_id"])
    edits_before = len(telegram.edits(GROUP_ID))
    telegram.press_button(digest, f"take:{number}", user_id=9002, first_name="Bob")
    eventually(
        lambda: any(f"#{number}" in a.get("text", "") for a in telegram.callback_answers()),
        what="the press answered",
    )
    assert live_dashboard.api("GET", f"/message/{number}/status").json()["status"] == (
        "in_progress"
    )
    assert all(e["message_id"] != digest["message_id"] for e in telegram.edits(GROUP_ID))
    assert len(telegram.edits(GROUP_ID)) >= edits_before
