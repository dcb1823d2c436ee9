"""Local receivers for notify's outbound channels: an HTTP server recording every request, and a
real SMTP server (aiosmtpd) keeping every message."""
from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


class HttpReceiver:
    def __init__(self):
        self.requests, self.fail = [], 0
        self.answer = None  # (status, headers, body) to answer instead of the robots' "ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                receiver.requests.append({"path": parts.path, "query": parse_qs(parts.query), "at": time.time(),
                                          "headers": {k.lower(): v for k, v in self.headers.items()}, "raw": raw,
                                          "json": json.loads(raw)})
                failing = receiver.fail > 0
                receiver.fail -= 1
                status, headers, reply = receiver.answer or (
                    500 if failing else 200, {}, json.dumps({"errcode": 0, "errmsg": "ok"}).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def at(self, path):
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    def __init__(self):
        self.messages = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append({"to": envelope.rcpt_tos, "from": envelope.mail_from,
                                          "message": message_from_bytes(envelope.content, policy=default)})
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd needs a port number up front
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self):
        self.controller.stop()


class TricklingReceiver:
    """An HTTP receiver that reads the request, then answers one byte every `every` seconds, forever:
    no single read ever times out."""

    def __init__(self, every: float = 1.0):
        self.every, self.connections, self.closed = every, 0, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn):
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
                if self.closed.wait(self.every):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self):
        self.closed.set()
        self.sock.close()
