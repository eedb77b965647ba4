"""A local HTTP server standing for the sites feeds poll: an RSS site, a Mastodon instance, Bluesky's
AppView, and every way they fail. It listens on 127.0.0.1 (a random port) in a thread; a test
says what each path answers, call after call, and reads what was asked.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (a timeout), or an endless body of this many bytes a chunk.
    delay: float = 0.0
    endless: bool = False


def fixture(name: str, content_type: str = "", **headers: str) -> Answer:
    kind = content_type or ("application/json" if name.endswith(".json") else "application/rss+xml")
    return Answer(body=(FIXTURES / name).read_bytes(), headers={"Content-Type": kind, **headers})


@dataclass
class Asked:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Route = Answer | list[Answer] | Callable[[Asked], Answer]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server: FeedServer = self.server.owner  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        asked = Asked(
            path=parts.path,
            query={key: values[0] for key, values in parse_qs(parts.query).items()},
            headers={key: value for key, value in self.headers.items()},
        )
        answer = server.answer(asked)
        if answer.delay:
            time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.endless:
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            chunk = b"<item>" + b"x" * 65536 + b"</item>"
            try:
                while not server.stopping.is_set():
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client stopped reading: what the test wants
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up waiting (a timeout test)
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.asked: list[Asked] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def answer(self, asked: Asked) -> Answer:
        with self._lock:
            self.asked.append(asked)
            route = self.routes.get(asked.path)
            if route is None:
                return Answer(status=404, body=b"not found")
            if callable(route):
                return route(asked)
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
            return route

    def asked_for(self, path: str) -> list[Asked]:
        return [asked for asked in self.asked if asked.path == path]

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
