"""Files on disk, content-addressed: a file is kept once, at <dir>/<sha[:2]>/<sha256>.

What a file is comes from its first bytes, never from its name or the type its sender gave:
an executable renamed `.jpg` is no image, and an SVG (which can carry a script) is never shown
as one. Only the image types every browser draws without running anything are `image/*`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from pathlib import Path

from flask import current_app

# (first bytes, media type); WebP and MP4 are checked apart (their marks are not at 0).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
)
OCTET_STREAM = "application/octet-stream"
TEXT = "text/plain"


def sniff(content: bytes) -> str:
    """The media type the content's bytes show; plain UTF-8 text is text/plain (so is SVG)."""
    for mark, media_type in SIGNATURES:
        if content.startswith(mark):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp":
        return "video/mp4"
    if content[257:262] == b"ustar":
        return "application/x-tar"
    head = content[:4096]
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 3:  # not just a character cut at 4096
                return OCTET_STREAM
        return TEXT
    return OCTET_STREAM


def directory() -> Path:
    configured = current_app.config.get("ATTACHMENTS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def path_of(sha256: str) -> Path:
    return directory() / sha256[:2] / sha256


def keep(content: bytes) -> str:
    """Write the content once (atomically: a crash leaves no half file); its SHA-256."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = path_of(sha256)
    if path.exists():
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return sha256


def safe_name(name: str | None, fallback: str) -> str:
    """A file name to show and to offer for download: the last part of any path, without
    control or bidi characters or leading dots, at most 255 characters; `fallback` if none."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        keep_ext = dot and len(extension) <= 16
        name = stem[: 254 - len(extension)] + "." + extension if keep_ext else name[:255]
    return name or fallback


IMAGES = ("image/jpeg", "image/png", "image/gif", "image/webp")
ARCHIVES = (
    "application/zip",
    "application/gzip",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-tar",
)
# What a tech may attach to an answer: what the user can open safely on a phone.
ANSWER_TYPES = (*IMAGES, "application/pdf", TEXT, *ARCHIVES)
