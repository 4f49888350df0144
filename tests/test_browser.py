"""The dashboard in a real Chromium: the first admin's story, from login to the schedule grid.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the real app served on
a free local port. Without Chromium the test is skipped, unless REQUIRE_BROWSER=1 (CI), which
makes that a failure. Screenshots of each main page go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from browser_harness import NEW_PASSWORD, WAIT_MS, Problems, api_post, api_upload, log_in, shot

from user_text import FSI, PDI

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def oncall_lines(page) -> list[str]:
    """The text of each line of the overview's on-call block, as the page shows it now."""
    return [" ".join(p.text_content().split()) for p in page.query_selector_all("#oncall p")]


# The same lines in the block as the server renders it (before the script rebuilds it).
SERVER_ONCALL_LINES = """async () => {
  const html = await (await fetch("/", { credentials: "same-origin" })).text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  return Array.from(doc.querySelectorAll("#oncall p"),
    (p) => p.textContent.split(/\\s+/).filter(Boolean).join(" "));
}"""


def add_pending_page(app, ticket_id: int, age: timedelta) -> None:
    """A page to the admin, filed `age` ago, that the bot has not sent (no bot runs here)."""
    from desk.extensions import db
    from models import Notification

    with app.app_context():
        db.session.add(
            Notification(
                ticket_id=ticket_id,
                user_id=1,
                chat_id=7001,
                level=1,
                kind="page",
                created_at=datetime.now(UTC) - age,
            )
        )
        db.session.commit()


def test_first_admin_runs_the_desk_in_a_real_browser(app, live_server, chromium):
    base = live_server
    problems = Problems()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)

    # The bootstrap admin logs in and is held on the password page until it is changed.
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    shot(page, "01-login")
    log_in(page, base, "admin123")
    page.wait_for_url(base + "/account/password")
    page.goto(base + "/tickets/")
    page.wait_for_url(base + "/account/password")
    shot(page, "02-change-password")
    page.fill("#current_password", "admin123")
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button:has-text('Change password')")
    page.wait_for_url(base + "/")
    assert "Your password has been changed." in page.inner_text(".flashes")

    # A ticket posted through the API appears on the open overview without a reload.
    page.wait_for_selector("text=No tickets yet")
    page.evaluate("window.sameDocument = 'yes'")
    api_post(
        base,
        "/api/support_message",
        {
            "chat_id": 1001,
            "message_id": 17,
            "user_id": 555,
            "username": "alice",
            "first_name": "Alice",
            "text": "Printer on <b>fire</b>",
        },
    )
    row = page.wait_for_selector('#recent [data-ticket="1"]')
    assert "Printer on <b>fire</b>" in row.inner_text()  # shown as text, not as markup
    assert page.inner_text('[data-count="open"]') == "1"
    assert page.evaluate("window.sameDocument") == "yes"
    # The script has rebuilt the on-call block by now; it says what the server's page says: in
    # red, that nobody can be paged (the fresh admin has no Telegram account linked).
    assert oncall_lines(page) == page.evaluate(SERVER_ONCALL_LINES)
    assert oncall_lines(page)[1] == "Nobody can be paged"
    alert = page.query_selector('#oncall [data-role="oncall-alert"]')
    assert alert.get_attribute("class") == "notice notice-danger"
    assert alert.inner_text().startswith("Nobody can be paged now: no slot covers this hour")
    shot(page, "03-overview")

    # The ticket's thread grows live while an answer is half-written, and the draft survives.
    page.click('#recent [data-ticket="1"] .ticket-link')
    page.wait_for_url(base + "/tickets/1")
    page.fill("#text", "Half-written: have you tried")
    api_post(base, "/api/message/1/confirmation", {"message_id": 500})
    api_post(
        base,
        "/api/support_message",
        {
            "chat_id": 1001,
            "message_id": 18,
            "user_id": 555,
            "first_name": "Alice",
            "text": "Still broken, smoke now",
            "reply_to_message_id": 500,
        },
    )
    page.wait_for_selector("#thread >> text=Still broken, smoke now")
    assert page.input_value("#text") == "Half-written: have you tried"

    page.fill("#text", "Turn it off and on again, then step away.")
    page.click("button:has-text('Send answer')")
    page.wait_for_selector(f"text=Answer queued: the bot will deliver it to {FSI}Alice{PDI}.")
    assert page.inner_text("#thread .entry-team .badge") == "Pending"
    assert page.input_value("#text") == ""

    # A page the bot has not sent yet joins the thread live, saying how long it has waited.
    add_pending_page(app, ticket_id=1, age=timedelta(seconds=2))
    waited = page.wait_for_selector('#notification-1 [data-role="waited"]')
    assert re.fullmatch(r"pending for \d+ s", waited.inner_text())
    assert page.inner_text('#notification-1 [data-role="state"]') == "Pending"

    page.select_option("#status", "resolved")
    page.click("form[action='/tickets/1/status'] button")
    page.wait_for_selector("text=Status set to Resolved.")
    assert page.inner_text('#ticket-state [data-role="status"]') == "Resolved"
    shot(page, "04-ticket")

    page.goto(base + "/tickets/")
    assert "Resolved" in page.inner_text("table.tickets")
    shot(page, "05-tickets")

    # An admin adds a tech, then a slot for them, and sees it on the weekly grid.
    page.goto(base + "/users/new")
    page.fill("#username", "bob")
    page.fill("#full_name", "Bob Builder")
    page.fill("#password", "bob-first-pass")
    page.click("button:has-text('Add user')")
    page.wait_for_selector(f"text=Added {FSI}Bob Builder{PDI}.")
    shot(page, "06-user")

    page.goto(base + "/schedule/")
    assert "168 hours of the week are not covered" in page.inner_text("main")
    page.click("text=Add slot")
    page.select_option("#weekday", "2")
    page.fill("#start", "22:00")
    page.fill("#end", "06:00")
    page.select_option("#primary", label="Bob Builder")
    page.select_option("#backup_1", label="Administrator")
    page.click("button:has-text('Save slot')")
    page.wait_for_selector("text=Saved the Wednesday 22:00–06:00 (next day) slot.")
    cells = page.query_selector_all("td.slot-cell")
    assert [c.inner_text().split("\n")[0] for c in cells] == ["Bob Builder", "Bob Builder"]
    assert "160 hours of the week are not covered" in page.inner_text("main")
    shot(page, "07-schedule")

    page.goto(base + "/users/")
    shot(page, "08-users")
    page.goto(base + "/settings/")
    shot(page, "09-settings")

    # The same dashboard on a 390-pixel-wide phone.
    phone = chromium.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(WAIT_MS)
    problems.watch(phone)
    log_in(phone, base, NEW_PASSWORD)
    phone.wait_for_url(base + "/")
    phone.wait_for_selector('#recent [data-ticket="1"]')
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    shot(phone, "phone-overview")
    phone.goto(base + "/tickets/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "phone-tickets")
    phone.goto(base + "/tickets/1")
    shot(phone, "phone-ticket")
    phone.goto(base + "/schedule/")
    shot(phone, "phone-schedule")

    page.click("button:has-text('Log out')")
    page.wait_for_url(base + "/login")
    assert problems.seen == []


# --------------------------------------------------------- what users wrote, rebuilt live

RLO = "\u202e"
AVI, DAN = "\u05d0\u05d1\u05d9", "\u05d3\u05df"  # Hebrew names: Avi writes, Dan is on call
BDI_LEFT_EDGES = "(nodes) => nodes.map((node) => node.getBoundingClientRect().left)"
# A control character or an override of a user's, raw (the FSI … PDI around names are ours).
RAW_CONTROLS = (
    r"/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(document.body.innerHTML)"
)


def on_call_dan(app) -> None:
    """The bootstrap admin past the password page; Dan, in Hebrew, on call all week."""
    from datetime import time

    import sqlalchemy as sa

    from desk.extensions import db
    from models import ScheduleSlot, User

    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        admin.set_password(NEW_PASSWORD)
        admin.must_change_password = False
        dan = User(username="dan", full_name=DAN, telegram_user_id=9001)
        dan.set_password("dan-first-pass")
        db.session.add(dan)
        db.session.flush()
        for weekday in range(7):
            db.session.add(
                ScheduleSlot(
                    weekday=weekday, start_time=time(0), end_time=time(0), primary_id=dan.id
                )
            )
        db.session.commit()


def test_the_live_scripts_keep_what_users_wrote_isolated(app, live_server, chromium):
    """Right-to-left names keep their places in a row the script rebuilt; controls are shown."""
    base = live_server
    on_call_dan(app)
    problems = Problems()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT_MS)
    problems.watch(page)
    log_in(page, base, NEW_PASSWORD)
    page.wait_for_url(base + "/")

    # Avi files a ticket with an override and a BEL in it, and Dan takes it from Telegram.
    message = {"chat_id": 1001, "user_id": 555, "first_name": AVI, "text": f"pay{RLO}fdp.exe\x07"}
    api_post(base, "/api/support_message", message | {"message_id": 17})
    api_post(base, "/api/message/1/action", {"action": "take", "telegram_user_id": 9001})
    row = page.wait_for_selector(f'#recent [data-ticket="1"] .meta-text:has-text("{DAN}")')
    assert page.inner_text("#recent .ticket-preview bdi") == "pay\ufffdfdp.exe\u2407"
    names = page.query_selector_all('#recent [data-ticket="1"] .meta-text bdi')
    assert [n.inner_text() for n in names] == [AVI, DAN]
    # Without the isolation the two names would swap places on the screen.
    sender, assignee = page.evaluate(BDI_LEFT_EDGES, names)
    assert sender < assignee, row.inner_text()
    assert page.inner_text('#oncall [data-role="primary"] bdi') == DAN
    assert oncall_lines(page) == page.evaluate(SERVER_ONCALL_LINES)
    assert not page.evaluate(RAW_CONTROLS)

    # On the ticket page a follow-up joins the thread live, isolated the same way.
    page.click('#recent [data-ticket="1"] .ticket-link')
    page.wait_for_url(base + "/tickets/1")
    assert page.title() == f"#1 {FSI}pay\ufffdfdp.exe\u2407{PDI} · Support Desk"
    api_post(base, "/api/message/1/confirmation", {"message_id": 500})
    api_post(
        base,
        "/api/support_message",
        message | {"message_id": 18, "text": f"still{RLO} \x1b", "reply_to_message_id": 500},
    )
    entry = page.wait_for_selector("#followup-1")
    assert entry.query_selector(".entry-who bdi").inner_text() == AVI
    assert entry.query_selector(".entry-text bdi").inner_text() == "still\ufffd \u241b"
    assert page.inner_text('#ticket-state [data-role="assignee"] bdi') == DAN
    # Avi edits the request in Telegram: the page shows the new text, and the old one below.
    edited = {"chat_id": 1001, "message_id": 17, "edit_date": 1_796_300_000}
    api_post(base, "/api/message/edit", edited | {"text": f"paid{RLO}\x07 twice"})
    before = page.wait_for_selector("#edit-1")
    assert before.query_selector(".entry-text bdi").inner_text() == "pay\ufffdfdp.exe\u2407"
    request = page.wait_for_selector('#message-1 .entry-what:has-text("wrote (edited)")')
    assert request.evaluate("e => e.closest('li').querySelector('.entry-text bdi').innerText") == (
        "paid\ufffd\u2407 twice"
    )
    # The bot uploads the photo and a file Avi sent with the request: they join the thread live.
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    request_message = {"chat_id": "1001", "message_id": "17", "kind": "photo"}
    api_upload(base, request_message, png, "photo")
    thumb = page.wait_for_selector("#message-1 .entry-files img.thumb")
    assert thumb.get_attribute("src") == "/attachments/1"
    api_upload(
        base,
        {"chat_id": "1001", "message_id": "18", "kind": "document", "file_name": f"x{RLO}.pdf"},
        b"%PDF-1.4\n",
        "doc",
    )
    link = page.wait_for_selector("#followup-1 .entry-files a[download]")
    assert link.inner_text().startswith("📎 x.pdf")  # the override taken out on upload
    assert not page.evaluate(RAW_CONTROLS)
    assert problems.seen == []
