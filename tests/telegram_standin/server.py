"""The HTTP side: a threading server on 127.0.0.1 and the handler that hands each Bot API
call to the stand-in."""

from __future__ import annotations

import json
import logging
import re
import select
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import _ApiError
from .parsing import _parse_params

if TYPE_CHECKING:
    from .standin import TelegramStandIn

logger = logging.getLogger(__name__)

_ROUTE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>\w+)/?")
_FILE = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    standin: TelegramStandIn

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name, which can stall without a network.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes each connection after its answer, so stop() never waits on idle sockets.
    protocol_version = "HTTP/1.0"
    server_version = "TelegramStandIn/1.0"
    timeout = 10
    server: _Server

    def do_POST(self) -> None:
        """Answer a Bot API call."""
        url = urlsplit(self.path)
        route = _ROUTE.fullmatch(url.path)
        try:
            if route is None:
                status, payload = 404, _ApiError(404).payload()
            else:
                try:
                    params = _parse_params(self.headers, self._read_body(), url.query)
                except ValueError as err:
                    status, payload = 400, _ApiError(400, f"Bad Request: {err}").payload()
                else:
                    answer = self.server.standin._dispatch(
                        route["token"], route["method"], params, self._client_gone
                    )
                    if answer is None:
                        return
                    status, payload, lost = answer
                    if lost:
                        self.close_connection = True  # no status line, no body: just close
                        return
        except Exception as err:  # a bug in the stand-in: tell the client, keep serving
            logger.exception("Telegram stand-in failed on %s", self.path)
            status, payload = 500, _ApiError(500, f"Internal Server Error: {err!r}").payload()
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (e.g. a cancelled long poll)
            pass

    def do_GET(self) -> None:
        """A file download (GET /file/bot<token>/<file_path>), else a Bot API call."""
        route = _FILE.fullmatch(urlsplit(self.path).path)
        if route is None:
            self.do_POST()
            return
        content = self.server.standin._download(route["token"], route["path"])
        status, body = (200, content) if content is not None else (404, b"Not Found")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def _client_gone(self) -> bool:
        """True once the client has closed its end of the connection."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)
