"""The ticket page: sender, thread in time order, answers and their delivery, the controls."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from desk import escalation_steps, outbox, ticket_actions
from models import (
    DeliveryState,
    FollowUp,
    Notification,
    Priority,
    Status,
    SupportResponse,
    TicketEvent,
    TicketNote,
)
from user_text import FSI, PDI


def text_of(response) -> str:
    return response.get_data(as_text=True)


def thread_keys(page: str) -> list[str]:
    return re.findall(r'<li class="entry entry-\w+" id="([\w-]+)">', page)


def test_ticket_page_shows_the_telegram_sender(admin_client, make_ticket):
    ticket = make_ticket(
        chat_id=-100777, chat_type="supergroup", chat_title="Ops <team>", user_id=4321
    )
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert "<dt>Name</dt><dd><bdi>Alice Liddell</bdi></dd>" in page
    assert "<dd>@<bdi>alice</bdi></dd>" in page
    assert "<code>4321</code>" in page
    assert "<code>-100777</code>" in page
    assert "supergroup · <bdi>Ops &lt;team&gt;</bdi>" in page


def test_thread_merges_everything_in_time_order(admin_client, admin, make_ticket, db):
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    ticket = make_ticket(text="Printer is on fire")
    ticket.created_at = start

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    db.session.add_all(
        [
            Notification(
                ticket_id=ticket.id,
                user_id=admin.id,
                chat_id=1,
                level=1,
                kind="page",
                state=DeliveryState.SENT,
                created_at=at(1),
            ),
            TicketEvent(
                ticket_id=ticket.id, actor_id=admin.id, kind="acknowledged", created_at=at(3)
            ),
            SupportResponse(
                ticket_id=ticket.id, author_id=admin.id, text="On my way", created_at=at(4)
            ),
            FollowUp(
                ticket_id=ticket.id, chat_id=1001, message_id=99, text="Hurry!", created_at=at(2)
            ),
            TicketEvent(
                ticket_id=ticket.id,
                actor_id=admin.id,
                kind="status",
                detail="open → resolved",
                created_at=at(5),
            ),
        ]
    )
    db.session.commit()
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert thread_keys(page) == [
        f"message-{ticket.id}",
        "notification-1",
        "followup-1",
        "event-1",
        "answer-1",
        "event-2",
    ]
    assert f"paged {FSI}Administrator{PDI} (level 1)" in page
    assert "Hurry!" in page
    assert "changed the status from Open to Resolved" in page
    assert (
        '<time class="entry-time" datetime="2026-11-20T08:04:00+00:00">Fri 20 Nov 08:04</time>'
        in page
    )


def test_answer_is_queued_for_the_bot_and_shown_as_pending(
    admin_client, admin, make_ticket, clock, db
):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/answer", data={"text": "  Try again now  "})
    assert response.location == f"/tickets/{ticket.id}#thread-end"
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert f"Answer queued: the bot will deliver it to {FSI}Alice Liddell{PDI}." in page
    assert re.search(
        r'Try again now</bdi></div>\s*<div class="entry-state">\s*'
        r'<span class="badge state-pending" data-role="state">Pending</span>',
        page,
    )
    answer = db.session.scalar(sa.select(SupportResponse))
    assert (answer.text, answer.author_id, answer.delivery_state) == (
        "Try again now",
        admin.id,
        DeliveryState.PENDING,
    )
    db.session.refresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.answered_at == clock.current
    assert ticket.next_escalation_at is None  # answering ends escalation


def test_a_note_is_kept_for_the_team_and_never_queued_for_the_user(
    admin_client, admin, make_ticket, clock, db
):
    ticket = make_ticket()
    escalating = ticket.next_escalation_at = clock.current + timedelta(minutes=15)
    db.session.commit()
    text = "Printer is <b>ours</b>, ask Bob"
    response = admin_client.post(f"/tickets/{ticket.id}/answer", data={"text": text, "note": "y"})
    assert response.location == f"/tickets/{ticket.id}#thread-end"
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert f"Note saved for the team; {FSI}Alice Liddell{PDI} does not see it." in page
    assert "Escalation goes on: acknowledge the ticket to stop the pages." in page
    assert re.search(
        r'<li class="entry entry-note" id="note-1">.*?noted, for the team only.*?'
        r"<bdi>Printer is &lt;b&gt;ours&lt;/b&gt;, ask Bob</bdi>",
        page,
        re.S,
    )
    assert "Queue" not in page.split('id="note-1"')[1].split("</li>")[0]  # no delivery state
    note = db.session.scalar(sa.select(TicketNote))
    assert (note.text, note.author_id, note.ticket_id) == (
        "Printer is <b>ours</b>, ask Bob",
        admin.id,
        ticket.id,
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 0
    db.session.refresh(ticket)
    # Not an answer: the ticket still waits for one, and the pages go on.
    assert (ticket.status, ticket.answered_at) == (Status.OPEN, None)
    assert ticket.next_escalation_at == escalating


def test_a_note_that_is_too_long_or_empty_is_refused_like_an_answer(admin_client, make_ticket, db):
    ticket = make_ticket()
    for text in ("", "😀" * 8001):
        response = admin_client.post(
            f"/tickets/{ticket.id}/answer", data={"text": text, "note": "y"}
        )
        assert response.status_code == 422
        assert "Save note</button>" in text_of(response)  # still a note when it comes back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketNote)) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write an answer first."),
        ("   ", "Write an answer first."),
        ("x" * 16_001, "At most 16,000 characters. An emoji counts as two"),
        # Telegram counts UTF-16 code units: an emoji is two (8,001 of them are 16,002).
        ("😀" * 8001, "At most 16,000 characters. An emoji counts as two"),
    ],
)
def test_a_bad_answer_is_refused_next_to_the_field_keeping_the_text(
    admin_client, make_ticket, db, text, message
):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/answer", data={"text": text})
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(r'id="text-errors">\s*<li>' + re.escape(message), page)
    if text.strip():
        assert text in page  # what the tech wrote is not thrown away
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 0


def test_an_answer_too_long_for_one_message_is_queued_in_numbered_parts(
    admin_client, make_ticket, db
):
    ticket = make_ticket()
    paragraphs = ["First, " + "a" * 2500, "Then, " + "b" * 2500, "Last, " + "😀" * 1000]
    text = "\n\n".join(paragraphs)  # 7,022 units: more than one message takes
    response = admin_client.post(f"/tickets/{ticket.id}/answer", data={"text": text})
    assert response.status_code == 302
    parts = db.session.scalars(sa.select(SupportResponse).order_by(SupportResponse.id)).all()
    assert [(p.part, p.parts) for p in parts] == [(1, 3), (2, 3), (3, 3)]
    assert [p.text for p in parts] == paragraphs  # cut between the paragraphs
    assert [p.first_part_id for p in parts] == [None, parts[0].id, parts[0].id]
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert [m for m in re.findall(r"answered, part \d of \d", page)] == [
        "answered, part 1 of 3",
        "answered, part 2 of 3",
        "answered, part 3 of 3",
    ]
    assert "one over 3,896 characters goes in numbered parts" in page  # the form says so


def test_the_parts_of_an_answer_are_handed_out_in_order(admin, make_ticket, db):
    from desk import deliveries

    ticket, other = make_ticket(), make_ticket(chat_id=2002)
    first = ticket_actions.answer(ticket, "a" * 3000 + "\n\n" + "b" * 3000, admin)
    alone = ticket_actions.answer(other, "short", admin)
    db.session.commit()
    second = db.session.scalar(sa.select(SupportResponse).where(SupportResponse.part == 2))
    assert [r.id for r in deliveries.pending()] == [first.id, alone.id]
    assert deliveries.claim(first)
    assert [r.id for r in deliveries.pending()] == [alone.id]  # part 1 is being sent
    deliveries.report(first, sent=False, error="429", retryable=True)
    assert second.id not in [r.id for r in deliveries.pending()]  # part 1 waits its backoff
    first.delivery_state = DeliveryState.SENDING
    deliveries.report(first, sent=True, telegram_message_id=5)
    assert [r.id for r in deliveries.pending()] == [second.id, alone.id]


def failed_answer(ticket, author, db) -> SupportResponse:
    answer = SupportResponse(
        ticket_id=ticket.id,
        author_id=author.id,
        text="Reboot it",
        delivery_state=DeliveryState.FAILED,
        last_error="Forbidden: bot was blocked by the user",
        attempts=3,
    )
    db.session.add(answer)
    db.session.commit()
    return answer


def test_a_failed_answer_shows_the_error_and_can_be_retried(admin_client, admin, make_ticket, db):
    ticket = make_ticket()
    answer = failed_answer(ticket, admin, db)
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert "Failed</span>" in page
    assert "Forbidden: bot was blocked by the user" in page
    retry_url = f"/tickets/{ticket.id}/answers/{answer.id}/retry"
    assert f'action="{retry_url}"' in page

    response = admin_client.post(retry_url)
    assert response.location == f"/tickets/{ticket.id}"
    page = text_of(admin_client.get(response.location))
    assert "The answer is queued for delivery again." in page
    assert "Pending</span>" in page and f'action="{retry_url}"' not in page
    db.session.refresh(answer)
    assert (answer.delivery_state, answer.attempts) == (DeliveryState.PENDING, 0)


def test_a_sent_answer_cannot_be_retried(admin_client, admin, make_ticket, db):
    ticket = make_ticket()
    answer = ticket_actions.answer(ticket, "Done", admin)
    answer.delivery_state = DeliveryState.SENT
    db.session.commit()
    response = admin_client.post(f"/tickets/{ticket.id}/answers/{answer.id}/retry")
    page = text_of(admin_client.get(response.location))
    assert "Only a failed answer can be sent again." in page
    db.session.refresh(answer)
    assert answer.delivery_state == DeliveryState.SENT


def test_retrying_another_tickets_answer_is_not_found(admin_client, admin, make_ticket, db):
    first, second = make_ticket(), make_ticket()
    answer = failed_answer(first, admin, db)
    assert admin_client.post(f"/tickets/{second.id}/answers/{answer.id}/retry").status_code == 404


def test_status_priority_and_assignee_controls(admin_client, admin, make_user, make_ticket, db):
    bob = make_user("bob", full_name="Bob")
    ticket = make_ticket()
    url = f"/tickets/{ticket.id}"

    admin_client.post(f"{url}/priority", data={"priority": "high"})
    assert "Priority set to High." in text_of(admin_client.get(url))
    admin_client.post(f"{url}/assign", data={"assignee": bob.id})
    assert f"Assigned to {FSI}Bob{PDI}." in text_of(admin_client.get(url))
    admin_client.post(f"{url}/status", data={"status": "resolved"})
    page = text_of(admin_client.get(url))
    assert "Status set to Resolved." in page
    assert '<span class="badge status-resolved" data-role="status">Resolved</span>' in page
    assert "changed the priority from Normal to High" in page
    assert (
        '<bdi>Administrator</bdi></strong>\n    <span class="entry-what">'
        f"assigned the ticket {FSI}to Bob{PDI}"
    ) in page

    db.session.refresh(ticket)
    assert (ticket.priority, ticket.assignee_id, ticket.status) == (
        Priority.HIGH,
        bob.id,
        Status.RESOLVED,
    )
    admin_client.post(f"{url}/assign", data={"assignee": 0})
    assert "Unassigned." in text_of(admin_client.get(url))
    db.session.refresh(ticket)
    assert ticket.assignee_id is None


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("status", {"status": "closed"}, "status"),
        ("priority", {"priority": "whenever"}, "priority"),
        ("assign", {"assignee": "999"}, "assignee"),
    ],
)
def test_an_invalid_choice_is_refused_next_to_the_control(
    admin_client, make_ticket, action, data, field
):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/{action}", data=data)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-errors">\s*<li>Not a valid choice', text_of(response))


def test_a_deactivated_user_cannot_be_assigned(admin_client, make_user, make_ticket):
    gone = make_user("gone", active=False)
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/assign", data={"assignee": gone.id})
    assert response.status_code == 422


def test_assign_to_me_is_one_click(tech_client, tech, make_ticket, db):
    ticket = make_ticket()
    page = text_of(tech_client.get(f"/tickets/{ticket.id}"))
    assert "Assign to me" in page
    tech_client.post(f"/tickets/{ticket.id}/take")
    page = text_of(tech_client.get(f"/tickets/{ticket.id}"))
    assert f"Ticket #{ticket.id} is yours." in page
    assert '<strong data-role="assignee"><bdi>Tess Tech</bdi></strong>' in page
    assert "Assign to me" not in page
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.status, ticket.acknowledged_by_id) == (
        tech.id,
        Status.IN_PROGRESS,
        tech.id,
    )


def test_taking_a_ticket_someone_else_has_is_refused(tech_client, admin, make_ticket, db):
    ticket = make_ticket()
    ticket_actions.take(ticket, admin)
    db.session.commit()
    response = tech_client.post(f"/tickets/{ticket.id}/take")
    page = text_of(tech_client.get(response.location))
    assert f"Ticket #{ticket.id} is already taken by {FSI}Administrator{PDI}." in page
    db.session.refresh(ticket)
    assert ticket.assignee_id == admin.id


def test_acknowledge_stops_paging_once(admin_client, tech_client, make_ticket, db):
    ticket = make_ticket()
    admin_client.post(f"/tickets/{ticket.id}/acknowledge")
    assert "Acknowledged: paging has stopped." in text_of(admin_client.get(f"/tickets/{ticket.id}"))
    tech_client.post(f"/tickets/{ticket.id}/acknowledge")
    page = text_of(tech_client.get(f"/tickets/{ticket.id}"))
    assert f"{FSI}Administrator{PDI} had already acknowledged it." in page


def test_resolve_button_and_resolving_twice(admin_client, make_ticket):
    ticket = make_ticket()
    admin_client.post(f"/tickets/{ticket.id}/resolve")
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert f"Ticket #{ticket.id} resolved." in page
    assert f'action="/tickets/{ticket.id}/resolve"' not in page
    admin_client.post(f"/tickets/{ticket.id}/resolve")
    assert "is already resolved" in text_of(admin_client.get(f"/tickets/{ticket.id}"))


def test_live_json_reports_delivery_state_changes(admin_client, admin, make_ticket, db):
    ticket = make_ticket(text="Hi <b>there</b>")
    answer = ticket_actions.answer(ticket, "Fixed", admin)
    db.session.commit()
    data = admin_client.get(f"/tickets/{ticket.id}/live.json").get_json()
    assert (data["status"], data["status_label"], data["assignee"]) == (
        "in_progress",
        "In progress",
        None,
    )
    assert data["thread"][0]["text"] == "Hi <b>there</b>"
    entry = next(e for e in data["thread"] if e["key"] == f"answer-{answer.id}")
    assert (entry["state"], entry["state_label"], entry["retry_url"]) == (
        "pending",
        "Pending",
        None,
    )

    answer.delivery_state = DeliveryState.FAILED
    answer.last_error = "chat not found"
    db.session.commit()
    data = admin_client.get(f"/tickets/{ticket.id}/live.json").get_json()
    entry = next(e for e in data["thread"] if e["key"] == f"answer-{answer.id}")
    assert entry["state_label"] == "Failed"
    assert entry["detail"] == "chat not found"
    assert entry["retry_url"] == f"/tickets/{ticket.id}/answers/{answer.id}/retry"


def state_lines(page: str) -> dict[str, str]:
    """The delivery line of each thread entry, as text, by entry id."""
    lines = {}
    entries = re.findall(r'<li class="entry entry-\w+" id="([\w-]+)">(.*?)</li>', page, re.S)
    for key, entry in entries:
        state = re.search(r'<div class="entry-state">(.*?)</div>', entry, re.S)
        if state:
            lines[key] = " ".join(re.sub(r"<[^>]+>", " ", state.group(1)).split())
    return lines


def test_every_page_of_the_ticket_shows_its_delivery_state(
    admin_client, admin, make_ticket, clock, db
):
    ticket = make_ticket()
    states = [
        (DeliveryState.PENDING, None),
        (DeliveryState.SENDING, None),
        (DeliveryState.SENT, None),
        (DeliveryState.FAILED, "Forbidden: bot was blocked by the user"),
    ]
    for level, (state, error) in enumerate(states, start=1):
        db.session.add(
            Notification(
                ticket_id=ticket.id,
                user_id=admin.id,
                chat_id=7001,
                level=level,
                kind="page",
                state=state,
                error=error,
                created_at=clock.current,
            )
        )
    db.session.commit()
    clock.advance(seconds=40)
    lines = state_lines(text_of(admin_client.get(f"/tickets/{ticket.id}")))
    assert [lines[f"notification-{n}"] for n in range(1, 5)] == [
        "Pending pending for 40 s",
        "Sending sending for 40 s",
        "Sent",
        "Failed Forbidden: bot was blocked by the user",
    ]


def test_a_pending_page_shows_how_long_it_has_waited_live(
    admin_client, on_call_team, make_ticket, clock, db
):
    ticket = make_ticket()
    note = escalation_steps.step(ticket).notifications[0]  # Ann's page, claimed by the bot
    clock.advance(seconds=40)
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert '<span class="entry-waited" data-role="waited">sending for 40 s</span>' in page

    def live_entry() -> dict:
        data = admin_client.get(f"/tickets/{ticket.id}/live.json").get_json()
        return next(e for e in data["thread"] if e["key"] == f"notification-{note.id}")

    assert (live_entry()["state_label"], live_entry()["waited"]) == ("Sending", "sending for 40 s")
    clock.advance(minutes=2)
    assert live_entry()["waited"] == "sending for 2 min 40 s"
    outbox.record(note, sent=True, telegram_message_id=321)
    assert (live_entry()["state_label"], live_entry()["waited"]) == ("Sent", None)


def test_unknown_ticket_is_a_404_page(admin_client):
    response = admin_client.get("/tickets/4242")
    assert response.status_code == 404
    assert "Not found" in text_of(response)
    assert admin_client.post("/tickets/4242/take").status_code == 404
    assert admin_client.get("/tickets/4242/live.json").status_code == 404


def test_the_thread_says_which_round_a_page_was_and_when_it_was_sent_again(
    admin_client, admin, make_ticket, clock, db
):
    ticket = make_ticket()
    rows = [
        dict(kind="page", level=5, round=1, state=DeliveryState.SENT),
        dict(kind="page", level=2, repeat=True, attempts=2, state=DeliveryState.PENDING),
        dict(kind="group", level=4, attempts=3, state=DeliveryState.PENDING, error="Bad Gateway"),
        dict(kind="confirmation", level=0, state=DeliveryState.SENT, user_id=None),
    ]
    for row in rows:
        fields = {"user_id": admin.id, "chat_id": 7001, "created_at": clock.current} | row
        db.session.add(Notification(ticket_id=ticket.id, **fields))
    db.session.commit()
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    assert "(level 5, round 2)" in page
    assert "sent again as a repeat" in page
    assert "escalated to the team group (level 4), attempt 3" in page
    assert "told the user the ticket number" in page
    assert state_lines(page)["notification-3"] == "Pending pending for 0 s Bad Gateway"


PDF_BYTES = b"%PDF-1.7\n" + b"1" * 500
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def post_answer(client, ticket, text, *files, note=False):
    import io

    data = {"text": text, "files": [(io.BytesIO(content), name) for name, content in files]}
    if note:
        data["note"] = "y"
    return client.post(
        f"/tickets/{ticket.id}/answer", data=data, content_type="multipart/form-data"
    )


def test_a_tech_attaches_files_that_follow_the_answer_as_its_parts(admin_client, make_ticket, db):
    from message_models import Attachment

    ticket = make_ticket()
    response = post_answer(
        admin_client,
        ticket,
        "Here is the invoice",
        ("invoice.pdf", PDF_BYTES),
        ("a.png", PNG_BYTES),
    )
    assert response.status_code == 302
    parts = db.session.scalars(sa.select(SupportResponse).order_by(SupportResponse.id)).all()
    assert [(p.part, p.parts, p.text) for p in parts] == [
        (1, 3, "Here is the invoice"),
        (2, 3, "invoice.pdf"),
        (3, 3, "a.png"),
    ]
    files = {a.id: a for a in db.session.scalars(sa.select(Attachment))}
    assert [files[p.attachment_id].media_type for p in parts[1:]] == [
        "application/pdf",
        "image/png",
    ]
    assert all(a.message_id is None for a in files.values())  # the team's, not the user's
    page = text_of(admin_client.get(f"/tickets/{ticket.id}"))
    answer_2 = page.split(f'id="answer-{parts[1].id}"')[1].split("</li>\n")[0]
    assert "download>📎 <bdi>invoice.pdf</bdi></a>" in answer_2
    answer_3 = page.split(f'id="answer-{parts[2].id}"')[1]
    assert f'<img src="/attachments/{parts[2].attachment_id}"' in answer_3
    # The request's own entry shows none of the team's files.
    assert "entry-files" not in page.split('id="message-1"')[1].split("</li>")[0]


def test_a_file_alone_is_an_answer_but_a_note_keeps_no_files(admin_client, make_ticket, db):
    ticket = make_ticket()
    assert post_answer(admin_client, ticket, "", ("report.pdf", PDF_BYTES)).status_code == 302
    (alone,) = db.session.scalars(sa.select(SupportResponse)).all()
    assert (alone.text, alone.parts) == ("report.pdf", 1)
    refused = post_answer(admin_client, ticket, "see file", ("r.pdf", PDF_BYTES), note=True)
    assert refused.status_code == 422
    assert "A note is text only" in text_of(refused)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.jpg",
            b"MZ\x90\x00" + b"\x00" * 60,
            "setup.jpg is not an image, PDF, text or archive.",
        ),
        ("empty.txt", b"", "empty.txt is empty."),
    ],
)
def test_a_file_that_cannot_go_to_the_user_is_refused_by_the_form(
    admin_client, make_ticket, db, name, content, message
):
    ticket = make_ticket()
    response = post_answer(admin_client, ticket, "try this", (name, content))
    assert response.status_code == 422
    assert message in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 0
