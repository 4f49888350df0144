"""Files users send: `POST /api/attachments`, where they are kept, and how the pages serve them."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from desk import file_store
from message_models import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


def upload(api, content=PNG, *, message_id=1, kind="photo", file_name=None, **extra):
    data = {"chat_id": "1001", "message_id": str(message_id), "kind": kind, **extra}
    if file_name is not None:
        data["file_name"] = file_name
    if content is not None:
        data["file"] = (io.BytesIO(content), "upload")
    return api.client.post(
        "/api/attachments", data=data, headers=api.headers, content_type="multipart/form-data"
    )


@pytest.fixture
def filed(api, support_payload):
    api.post("/api/support_message", support_payload(text="📷 Photo"))


def served(client, url: str):
    """GET a file and close the response (send_file streams from an open file)."""
    response = client.get(url, buffered=True)
    response.close()
    return response


def stored(db) -> list[Attachment]:
    return db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()


def test_a_photo_is_kept_by_its_hash_and_shown_on_the_ticket_page(
    api, filed, admin_client, db, app
):
    response = upload(api)
    assert response.status_code == 201
    body = response.get_json()
    assert body["created"] is True
    assert body["attachment"] | {"created_at": None} == {
        "id": 1,
        "ticket_id": 1,
        "kind": "photo",
        "state": "stored",
        "file_name": "photo.png",
        "media_type": "image/png",
        "size": len(PNG),
        "created_at": None,
    }
    (attachment,) = stored(db)
    path = file_store.path_of(attachment.sha256)
    assert path.read_bytes() == PNG
    assert str(path).startswith(app.instance_path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    page = admin_client.get("/tickets/1").get_data(as_text=True)
    assert re.search(
        r'<img src="/attachments/1" alt="photo.png" loading="lazy" class="thumb">', page
    )
    image = served(admin_client, "/attachments/1")
    assert image.status_code == 200
    assert image.data == PNG
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert image.headers["Content-Disposition"].startswith("inline")


def test_an_upload_retried_is_kept_once_and_the_same_bytes_once_on_disk(
    api, filed, support_payload, db
):
    assert upload(api).status_code == 201
    again = upload(api)
    assert again.status_code == 200
    assert again.get_json()["created"] is False
    api.post("/api/support_message", support_payload(message_id=2, text="📷 Photo"))
    assert upload(api, message_id=2).status_code == 201
    first, second = stored(db)
    assert first.sha256 == second.sha256  # content-addressed: one file for both
    assert len(list(file_store.path_of(first.sha256).parent.iterdir())) == 1


def test_a_document_is_a_download_with_its_name_made_safe(api, filed, admin_client, db):
    name = "..\\..\\evil/.<img src=x onerror=alert(1)>\u202e\x07.pdf"
    assert upload(api, PDF, kind="document", file_name=name).status_code == 201
    (attachment,) = stored(db)
    # The last part of the path, without the bidi override, the BEL or the leading dot.
    assert attachment.file_name == "<img src=x onerror=alert(1)>.pdf"
    page = admin_client.get("/tickets/1").get_data(as_text=True)
    assert "<img src=x" not in page
    assert "📎 <bdi>&lt;img src=x onerror=alert(1)&gt;.pdf</bdi>" in page
    download = served(admin_client, "/attachments/1")
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition and "\\" not in disposition


@pytest.mark.parametrize(
    ("content", "name", "media_type"),
    [
        (SVG, "cat.svg", "text/plain; charset=utf-8"),  # text, never an image
        (EXE, "holiday.jpg", "application/octet-stream"),  # an executable renamed .jpg
        (b"<html><script>alert(1)</script></html>", "page.html", "text/plain; charset=utf-8"),
    ],
)
def test_what_is_not_a_plain_image_is_never_drawn_by_the_browser(
    api, filed, admin_client, db, content, name, media_type
):
    assert upload(api, content, kind="document", file_name=name).status_code == 201
    page = admin_client.get("/tickets/1").get_data(as_text=True)
    assert '<img src="/attachments/1"' not in page
    assert f'<a href="/attachments/1" download>📎 <bdi>{name}</bdi></a>' in page
    response = served(admin_client, "/attachments/1")
    assert response.headers["Content-Type"] == media_type
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_photo_kind_whose_bytes_are_no_image_is_not_shown_as_one(api, filed, admin_client):
    upload(api, EXE, kind="photo")
    page = admin_client.get("/tickets/1").get_data(as_text=True)
    assert "<img" not in page.split('id="message-1"')[1].split("</li>")[0]
    disposition = served(admin_client, "/attachments/1").headers["Content-Disposition"]
    assert disposition.startswith("attachment")


def test_a_file_too_big_for_the_bot_is_recorded_by_name_and_size(api, filed, admin_client, db):
    response = upload(
        api, None, kind="document", file_name="dump.zip", too_big="true", size=str(25 * 2**20)
    )
    assert response.status_code == 201
    assert response.get_json()["attachment"]["state"] == "too_big"
    (attachment,) = stored(db)
    assert (attachment.sha256, attachment.size) == (None, 25 * 2**20)
    page = admin_client.get("/tickets/1").get_data(as_text=True)
    assert 'dump.zip</bdi> <span class="file-size">25.0 MB</span>: not attached' in page
    assert served(admin_client, "/attachments/1").status_code == 404


def test_an_empty_or_oversized_file_is_refused_naming_the_field(api, filed, app, db):
    empty = upload(api, b"", kind="document", file_name="empty.txt")
    assert empty.status_code == 400
    assert "empty" in empty.get_json()["fields"]["file"]
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    big = upload(api, b"x" * 1001, kind="document", file_name="big.txt")
    assert big.status_code == 413
    assert "1000" not in big.get_json()["error"] or "MB" in big.get_json()["error"]
    huge = upload(api, b"x" * 200_000, kind="document", file_name="huge.txt")
    assert huge.status_code == 413 and huge.is_json  # refused before it is read
    assert stored(db) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"message_id": "1", "kind": "photo"}, "chat_id"),
        ({"chat_id": "1001", "message_id": "1", "kind": "gif"}, "kind"),
        ({"chat_id": "1001", "message_id": "x", "kind": "photo"}, "message_id"),
    ],
)
def test_a_bad_upload_is_refused_naming_the_field(api, filed, data, field):
    response = api.client.post(
        "/api/attachments",
        data=data | {"file": (io.BytesIO(PNG), "p")},
        headers=api.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert field in response.get_json()["fields"]


def test_an_upload_without_a_file_or_for_an_unknown_message(api, filed):
    missing = upload(api, None)
    assert missing.status_code == 400
    assert "required" in missing.get_json()["fields"]["file"]
    assert upload(api, message_id=99).status_code == 404
    json_body = api.post("/api/attachments", {"chat_id": 1001})
    assert json_body.status_code == 400
    assert "multipart" in json_body.get_json()["error"]


def test_files_are_for_logged_in_users_only_and_the_api_needs_its_token(api, filed, client):
    upload(api)
    assert served(client, "/attachments/1").status_code in (302, 401)
    anonymous = client.post("/api/attachments", data={"chat_id": "1"})
    assert anonymous.status_code == 401
