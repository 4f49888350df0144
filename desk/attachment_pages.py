"""The files users sent, for logged-in users only.

An image the bytes prove to be JPEG, PNG, GIF or WebP is served inline (the ticket page shows
it as a thumbnail); everything else is a download, never drawn by the browser: an HTML page or
an SVG with a script in it arrives as a file to save, `nosniff` and a sandboxing CSP keep the
browser from guessing otherwise, and the name offered is the one made safe on upload.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from desk import file_store
from desk.extensions import db
from desk.permissions import require_login
from message_models import Attachment, AttachmentState

bp = Blueprint("attachment_pages", __name__, url_prefix="/attachments")
bp.before_request(require_login)

INLINE = ("image/jpeg", "image/png", "image/gif", "image/webp")
# Downloads keep a type a user's system can open them by; anything else is a plain stream.
DOWNLOAD_TYPES = (
    "application/pdf",
    "application/zip",
    "application/gzip",
    "audio/ogg",
    "audio/mpeg",
    "video/mp4",
    "video/webm",
    "text/plain",
)


@bp.get("/<int:attachment_id>")
def show(attachment_id: int):
    attachment = db.get_or_404(Attachment, attachment_id)
    if attachment.state != AttachmentState.STORED or attachment.sha256 is None:
        abort(404)
    path = file_store.path_of(attachment.sha256)
    if not path.is_file():
        abort(404)
    inline = attachment.media_type in INLINE
    if inline or attachment.media_type in DOWNLOAD_TYPES:
        media_type = attachment.media_type
    else:
        media_type = file_store.OCTET_STREAM
    response = send_file(
        path,
        mimetype=media_type,
        as_attachment=not inline,
        download_name=attachment.file_name,
        conditional=True,
        etag=attachment.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
