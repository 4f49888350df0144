"""Photos, files, voice and locations from users, end to end: the real bot, the Telegram
stand-in (getFile and downloads as the Bot API has them), the live dashboard."""

from __future__ import annotations

import requests
from bot_harness import ANN, eventually

USER = 4242
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"0" * 2000


def attachments(live_dashboard):
    from message_models import Attachment

    return live_dashboard.query(
        lambda db: [
            a.to_dict() for a in db.session.scalars(db.select(Attachment).order_by(Attachment.id))
        ]
    )


def tickets(live_dashboard):
    from models import Ticket

    return live_dashboard.query(
        lambda db: [t.text for t in db.session.scalars(db.select(Ticket).order_by(Ticket.id))]
    )


def logged_in(live_dashboard) -> requests.Session:
    """A browser's session on the live dashboard: Ann, a tech of the team, logged in."""
    session = requests.Session()  # the live dashboard runs without CSRF tokens
    answer = session.post(
        f"{live_dashboard.url}/login",
        data={"username": "ann", "password": "password123"},
        timeout=5,
    )
    assert answer.ok and "/login" not in answer.url, answer.url
    return session


def test_a_captioned_photo_files_a_ticket_and_the_image_shows_on_its_page(
    bot, telegram, live_dashboard, team
):
    telegram.send_media_update("photo", PNG, caption="@support printer shows this", user_id=USER)
    reply = telegram.wait_for_message(USER, contains="Ticket")
    assert "#1" in reply["text"]
    telegram.wait_for_message(ANN, contains="printer shows this")
    assert tickets(live_dashboard) == ["printer shows this"]
    (photo,) = eventually(lambda: attachments(live_dashboard), what="the photo attached")
    assert (photo["kind"], photo["media_type"], photo["size"]) == ("photo", "image/png", len(PNG))
    (downloaded,) = telegram.downloads()
    assert downloaded.startswith("photos/")  # the largest size, not the thumbnail
    browser = logged_in(live_dashboard)
    page = browser.get(f"{live_dashboard.url}/tickets/1", timeout=5).text
    assert '<img src="/attachments/1"' in page
    image = browser.get(f"{live_dashboard.url}/attachments/1", timeout=5)
    assert image.content == PNG
    assert image.headers["Content-Type"] == "image/png"
    assert requests.get(f"{live_dashboard.url}/attachments/1", timeout=5).url.endswith(
        "/login?next=%2Fattachments%2F1"
    )


def test_a_photo_sent_while_the_dashboard_is_down_is_attached_once_it_is_back(
    bot, telegram, live_dashboard, team
):
    live_dashboard.stop()
    telegram.send_media_update("photo", PNG, caption="/support screen is black", user_id=USER)
    telegram.wait_for_message(USER, contains="Received")
    live_dashboard.start()
    telegram.wait_for_message(USER, contains="is now ticket", timeout=15)
    attached = eventually(lambda: attachments(live_dashboard), timeout=15, what="attached")
    assert [(a["ticket_id"], a["media_type"]) for a in attached] == [(1, "image/png")]
    assert tickets(live_dashboard) == ["screen is black"]


def test_a_document_as_a_reply_joins_the_thread(bot, telegram, live_dashboard, team):
    from models import FollowUp

    telegram.send_message_update("@support the invoice is wrong", user_id=USER)
    confirmation = telegram.wait_for_message(USER, contains="Ticket")
    telegram.send_media_update(
        "document",
        PDF,
        file_name="invoice-1147.pdf",
        mime_type="application/pdf",
        reply_to=confirmation,
        user_id=USER,
    )
    telegram.wait_for_message(USER, contains="Added to ticket")
    (document,) = eventually(lambda: attachments(live_dashboard), what="the document attached")
    assert (document["file_name"], document["media_type"]) == (
        "invoice-1147.pdf",
        "application/pdf",
    )
    texts = live_dashboard.query(lambda db: list(db.session.scalars(db.select(FollowUp.text))))
    assert texts == ["📎 invoice-1147.pdf"]


def test_a_file_over_20_mb_is_recorded_by_name_and_size_and_the_user_told(
    bot, telegram, live_dashboard, team
):
    telegram.send_media_update(
        "document",
        b"PK\x03\x04",
        file_size=25 * 1024 * 1024,
        file_name="logs.zip",
        caption="@support logs attached",
        user_id=USER,
    )
    telegram.wait_for_message(USER, contains="Ticket")
    told = telegram.wait_for_message(USER, contains="could not be attached")
    assert "logs.zip" in told["text"] and "25.0 MB" in told["text"] and "20 MB" in told["text"]
    (record,) = attachments(live_dashboard)
    assert (record["state"], record["size"]) == ("too_big", 25 * 1024 * 1024)
    assert telegram.downloads() == []  # never asked for what Telegram would refuse


def test_an_empty_file_is_refused_and_the_user_told_why(bot, telegram, live_dashboard, team):
    telegram.send_media_update(
        "document", b"", file_name="notes.txt", caption="@support see notes", user_id=USER
    )
    telegram.wait_for_message(USER, contains="Ticket")
    told = telegram.wait_for_message(USER, contains="could not be attached")
    assert "notes.txt" in told["text"] and "empty" in told["text"]
    assert attachments(live_dashboard) == []
    assert tickets(live_dashboard) == ["see notes"]  # the ticket stands


def test_voice_sticker_and_location_file_tickets_that_say_what_they_are(
    bot, telegram, live_dashboard, team
):
    telegram.send_media_update("voice", b"OggS" + b"\x00" * 100, caption="@support", user_id=USER)
    telegram.wait_for_message(USER, contains="#1")
    reply = telegram.send_message_update("@support see below", user_id=USER)
    confirmation = telegram.wait_for_message(USER, contains="#2")
    telegram.send_location_update(52.520008, 13.404954, user_id=USER, reply_to=confirmation)
    telegram.wait_for_message(USER, contains="Added to ticket")
    assert reply
    assert tickets(live_dashboard) == ["🎤 Voice message (0:12)", "see below"]
    eventually(
        lambda: [a["kind"] for a in attachments(live_dashboard)] == ["voice"], what="the voice"
    )
    from models import FollowUp

    texts = live_dashboard.query(lambda db: list(db.session.scalars(db.select(FollowUp.text))))
    assert texts == ["📍 Location: 52.52001, 13.40495"]


def test_a_photo_without_the_tag_in_a_private_chat_is_told_how(bot, telegram, live_dashboard, team):
    telegram.send_media_update("photo", PNG, user_id=USER)
    hint = telegram.wait_for_message(USER, contains="caption")
    assert "@support" in hint["text"]
    assert tickets(live_dashboard) == []
    assert telegram.downloads() == []


def test_a_techs_pdf_and_photo_reach_the_user_as_uploads(bot, telegram, live_dashboard, team):
    from desk import ticket_actions
    from models import SupportResponse, Ticket, User

    update = telegram.send_message_update("@support need the invoice", user_id=USER)
    telegram.wait_for_message(USER, contains="Ticket")

    def answer(db):
        tech = db.session.scalar(db.select(User).where(User.username == "bob"))
        files = [("invoice <2026>.pdf", PDF), ("screen.png", PNG)]
        ticket_actions.answer(db.session.get(Ticket, 1), "Attached", tech, files)
        db.session.commit()

    live_dashboard.query(answer)
    telegram.wait_for_message(USER, contains="Attached")
    sent = eventually(lambda: len(telegram.sent_files(USER)) == 2 and telegram.sent_files(USER))
    document, photo = sent
    # Uploaded as multipart parts, never as a URL Telegram would have to fetch.
    assert document["upload"]["content"] == PDF
    assert document["upload"]["filename"] == "invoice <2026>.pdf"
    assert "document" in document["message"] and "photo" in photo["message"]
    assert photo["upload"]["content"] == PNG
    assert document["message"]["caption"].endswith("ticket #1 · part 2 of 3")
    assert photo["message"]["caption"].endswith("ticket #1 · part 3 of 3")
    original = update["message"]["message_id"]
    assert document["message"].get("reply_to_message", {}).get("message_id") in (original, None)
    states = eventually(
        lambda: (
            live_dashboard.query(
                lambda db: [
                    (r.delivery_state.value, r.telegram_message_id)
                    for r in db.session.scalars(
                        db.select(SupportResponse).order_by(SupportResponse.id)
                    )
                ]
            )[1:]
            == [
                ("sent", document["message"]["message_id"]),
                ("sent", photo["message"]["message_id"]),
            ]
        ),
        what="both files recorded as delivered",
    )
    assert states


def test_a_captioned_photo_in_a_group_files_a_ticket_and_a_plain_one_is_ignored(
    bot, telegram, live_dashboard, team
):
    telegram.send_media_update(
        "photo", PNG, user_id=USER, chat_id=-4003, chat_type="supergroup", caption="hello all"
    )
    telegram.send_media_update(
        "photo",
        PNG,
        user_id=USER,
        chat_id=-4003,
        chat_type="supergroup",
        caption="@support the projector shows this",
    )
    reply = telegram.wait_for_message(-4003, contains="Ticket")
    assert "#1" in reply["text"]
    assert tickets(live_dashboard) == ["the projector shows this"]
    (photo,) = eventually(lambda: attachments(live_dashboard), what="the photo attached")
    assert photo["media_type"] == "image/png"
    # The plain photo got no hint in the group, and was never downloaded.
    assert len(telegram.downloads()) == 1
    assert [m["text"] for m in telegram.sent_messages(-4003)] == [reply["text"]]
