"""Local stand-ins for a Slack incoming webhook and an SMTP server, on 127.0.0.1 and a free port,
so the real notifier code (urllib, smtplib) talks to a real socket."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def slack_webhook(status: int = 200) -> Iterator[tuple[str, list[dict]]]:
    posts: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/xyz", posts
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[str]]]:
    """Speaks just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to accept messages; keeps their raw text."""
    messages: list[str] = []

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write((line + "\r\n").encode())

        def handle(self):
            self.reply("220 localhost test SMTP")
            while line := self.rfile.readline().decode():
                command = line.strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    self.reply("250 localhost")
                elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                    self.reply("250 OK")
                elif command == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    body = []
                    while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                        body.append(data)
                    messages.append("".join(body))
                    self.reply("250 queued")
                elif command == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], messages
    finally:
        server.shutdown()
        server.server_close()
