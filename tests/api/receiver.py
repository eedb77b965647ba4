"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 (random port) in a thread.

It does what docs/api.md tells integrators to do: verify the signature over the raw body, refuse
stale timestamps, and drop a delivery whose event id it has already processed.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from integrations.signing import SignatureError, verify_signature


@dataclass
class Received:
    event_id: str
    event_type: str
    attempt: int
    payload: dict
    answered: int


@dataclass
class Receiver:
    secret: str = ""
    # Answer 500 to the first `fail_first` requests of each event id.
    fail_first: int = 0
    always_status: int | None = None
    delay_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    duplicates: int = 0
    processed: set[str] = field(default_factory=set)
    _tries: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers, body: bytes) -> tuple[int, bytes]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        try:
            verify_signature(
                header=headers.get("Supplierwatch-Signature", ""), body=body, secret=self.secret
            )
        except SignatureError:
            with self._lock:
                self.bad_signatures += 1
            return 400, b"bad signature"
        event_id = headers["Supplierwatch-Event-Id"]
        with self._lock:
            tries = self._tries[event_id] = self._tries.get(event_id, 0) + 1
            if self.always_status is not None:
                status = self.always_status
            elif tries <= self.fail_first:
                status = 500
            else:
                status = 200
            self.requests.append(
                Received(
                    event_id=event_id,
                    event_type=headers["Supplierwatch-Event"],
                    attempt=int(headers["Supplierwatch-Delivery-Attempt"]),
                    payload=json.loads(body),
                    answered=status,
                )
            )
            if status != 200:
                return status, b"not now"
            if event_id in self.processed:
                self.duplicates += 1
                return 200, b"duplicate"
            self.processed.add(event_id)
            return 200, b"ok"


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, answer = self.server.receiver.handle(self.headers, body)
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args) -> None:
        pass


class ReceiverServer:
    def __init__(self, receiver: Receiver) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.receiver = receiver
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/hooks/supplierwatch"

    def __enter__(self) -> ReceiverServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
