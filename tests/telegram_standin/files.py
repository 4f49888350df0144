"""Files: what users send (photos, documents, voice ... as Telegram describes them in a
message), `getFile` and the download URL the bot fetches them from, as the Bot API documents:
https://core.telegram.org/bots/api#getfile (bots download at most 20 MB)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from .errors import _ApiError
from .parsing import _chat_id, _parse_html, _unknown_chat, _utf16, _with_command

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # "For the moment, bots can download files of up to 20MB"
EXTENSIONS = {
    "photo": "jpg",
    "voice": "oga",
    "video_note": "mp4",
    "sticker": "webp",
    "video": "mp4",
    "audio": "mp3",
}
MEDIA_KINDS = ("photo", "document", "voice", "audio", "video", "video_note", "sticker")


class FileMethods:
    """Mixed into TelegramStandIn; `_files` is reset with the rest of its state."""

    _file_numbers = itertools.count(1)
    _files: dict[str, dict[str, Any]]

    # -- injecting what users send -------------------------------------------------------------

    def send_media_update(
        self,
        kind: str,
        content: bytes = b"",
        *,
        caption: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        **who: Any,
    ) -> dict:
        """Queue a message with a file of `kind` (photo, document, voice, audio, video,
        video_note, sticker): `content` is what a download returns; `file_size` may claim more
        (a 25 MB file without the 25 MB)."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        with self._cond:
            described = self._register_file(kind, content, file_name, mime_type, file_size)
        message: dict[str, Any] = {kind: described}
        if caption is not None:
            message["caption"] = caption
            entities = _with_command(caption, None)
            if entities:
                message["caption_entities"] = entities
        return self._user_message(message, **who)

    def send_location_update(self, latitude: float, longitude: float, **who: Any) -> dict:
        spot = {"latitude": latitude, "longitude": longitude}
        return self._user_message({"location": spot}, **who)

    def downloads(self) -> list[str]:
        """The file paths the bot downloaded, in order."""
        with self._cond:
            return [c.params["file_path"] for c in self._calls if c.method == "downloadFile"]

    # -- the Bot API side ----------------------------------------------------------------------

    def _api_getFile(self, token, params):
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if stored["file_size"] > DOWNLOAD_LIMIT:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored["file_id"],
            "file_unique_id": stored["file_unique_id"],
            "file_size": stored["file_size"],
            "file_path": stored["file_path"],
        }

    def _api_sendPhoto(self, token, params):
        return self._send_file(token, params, "photo")

    def _api_sendDocument(self, token, params):
        return self._send_file(token, params, "document")

    def _send_file(self, token: str, params: dict, kind: str) -> dict:
        """A file the bot sends: an upload (a multipart part), or a file_id or URL (a string)."""
        sent = params.get(kind)
        if sent is None:
            raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption")
        entities = None
        if caption is not None and str(params.get("parse_mode", "")).lower() == "html":
            caption, entities = _parse_html(caption)
        if caption is not None and _utf16(caption) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        if isinstance(sent, dict):
            content, name = sent["content"], sent["filename"]
            if not content:
                raise _ApiError(400, "Bad Request: file must be non-empty")
        else:
            stored = self._files.get(sent)
            if stored is None:
                raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            content, name = stored["content"], None
        chat_id = _chat_id(params)
        media = self._register_file(kind, content, name, None, None)
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(token),
            "chat": self._chats.get(chat_id) or _unknown_chat(chat_id),
            "date": int(time.time()),
            kind: media,
        }
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        self._messages[chat_id, message["message_id"]] = message
        return message

    def sent_files(self, chat_id: int | None = None) -> list[dict]:
        """What sendPhoto and sendDocument delivered: the message, and what was uploaded."""
        with self._cond:
            return [
                {"message": c.result, "upload": c.params.get("photo") or c.params.get("document")}
                for c in self._calls
                if c.method in ("sendPhoto", "sendDocument")
                and not c.failed
                and (chat_id is None or c.result["chat"]["id"] == chat_id)
            ]

    def _download(self, token: str, file_path: str) -> bytes | None:
        """The body of GET /file/bot<token>/<file_path>; None for a path getFile never gave."""
        from .standin import Call

        with self._cond:
            stored = next((f for f in self._files.values() if f["file_path"] == file_path), None)
            status = 200 if stored is not None else 404
            self._calls.append(
                Call("downloadFile", {"file_path": file_path}, time.time(), status, token=token)
            )
            self._cond.notify_all()
            return stored["content"] if stored is not None else None

    # -- helpers (call with the lock held) ------------------------------------------------------

    def _register_file(
        self,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        file_size: int | None,
    ) -> dict[str, Any] | list[dict[str, Any]]:
        number = next(self._file_numbers)
        size = len(content) if file_size is None else file_size
        extension = EXTENSIONS.get(kind) or (file_name or "file").rpartition(".")[2] or "bin"
        stored = {
            "file_id": f"AgAC-{kind}-{number}",
            "file_unique_id": f"AQAD{number}",
            "file_size": size,
            "file_path": f"{kind}s/file_{number}.{extension}",
            "content": content,
        }
        self._files[stored["file_id"]] = stored
        described = {
            "file_id": stored["file_id"],
            "file_unique_id": stored["file_unique_id"],
            "file_size": size,
        }
        if kind == "photo":
            # Telegram sends the sizes it made, smallest first; the last is the largest.
            thumb = self._register_file("thumb", content[:64], None, "image/jpeg", None)
            return [thumb | {"width": 90, "height": 60}, described | {"width": 1280, "height": 853}]
        if kind == "thumb":
            return described
        if kind in ("voice", "audio", "video", "video_note"):
            described["duration"] = 12
        if kind in ("document", "audio", "video") and file_name is not None:
            described["file_name"] = file_name
        if kind == "sticker":
            described |= {"type": "regular", "width": 512, "height": 512}
            described |= {"is_animated": False, "is_video": False}
        if kind == "video_note":
            described["length"] = 240
        if kind == "video":
            described |= {"width": 640, "height": 360}
        if mime_type is not None and kind != "sticker":
            described["mime_type"] = mime_type
        return described
