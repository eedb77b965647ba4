"""Posts through feeds: the same tweets as ``ingest_posts`` end to end, served as RSS documents by a
local HTTP server, polled as beat polls them (a task per due feed, in the same Celery worker: fetch,
parse, HTML to text, skip known addresses, store with the cursor), timed until every post is
processed.

``bench_pipeline.run()`` calls ``bench_feeds_end_to_end`` on its database, after its own end-to-end
run, with the posts and incidents of that run removed first, so both start from the same state.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from bench.processes import celery_worker

ROOT = Path(__file__).resolve().parents[1]
# Items per RSS document: a busy forum's or search's feed.
ITEMS_PER_FEED = 1000
QUEUE_POLLS = "from integrations.services import feeds_poll_due; feeds_poll_due()"


def rss_documents(rows: list[dict]) -> list[bytes]:
    """The rows as RSS 2.0 documents of ITEMS_PER_FEED items, each item with its own link."""
    documents = []
    for start in range(0, len(rows), ITEMS_PER_FEED):
        items = []
        for row in rows[start : start + ITEMS_PER_FEED]:
            try:
                moment = datetime.fromisoformat(row["published_at"]).astimezone(UTC)
                date = f"<pubDate>{format_datetime(moment, usegmt=True)}</pubDate>"
            except (TypeError, ValueError):
                date = ""
            items.append(
                f'<item><guid isPermaLink="false">{escape(row["external_id"])}</guid>'
                f"<link>https://forum.example/t/{escape(row['external_id'])}</link>"
                f"<title></title><description>{escape(row['text'])}</description>"
                f"<author>{escape(row['author_handle'])}</author>{date}</item>"
            )
        documents.append(
            (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>bench {start}</title>{''.join(items)}</channel></rss>"
            ).encode()
        )
    return documents


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    documents: list[bytes]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        documents = self.server.documents  # type: ignore[attr-defined]
        body = documents[int(self.path.strip("/").removesuffix(".xml"))]
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def bench_feeds_end_to_end(rows: list[dict], env: dict[str, str]) -> dict:
    """Posts/s from queuing the polls of RSS feeds holding `rows` until a worker processed them all.
    Django is set up on the benchmark's database; `env` is the worker's and the command's."""
    from django.db import connection

    from incidents.models import Incident, Post
    from integrations.models import Feed

    with connection.cursor() as cursor:
        # The previous run's posts and incidents out (and what hangs on them), in one statement.
        cursor.execute(f"TRUNCATE {Post._meta.db_table}, {Incident._meta.db_table} CASCADE")
    documents = rss_documents(rows)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.documents = documents
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    Feed.objects.bulk_create(
        Feed(
            kind="rss",
            name=f"bench-feed-{n}",
            source=f"bench-feed-{n}",  # bulk_create skips save(), which sets it otherwise
            target=f"http://127.0.0.1:{port}/{n}.xml",
        )
        for n in range(len(documents))
    )
    subprocess.run(
        ["redis-cli", "-u", env["REDIS_URL"], "flushdb"], check=False, capture_output=True
    )
    try:
        with celery_worker(env):
            started = time.perf_counter()
            # What beat does: a poll task per due feed, each fetched, parsed and stored by the worker.
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", QUEUE_POLLS],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            polled_feeds = Feed.objects.filter(
                name__startswith="bench-feed-", last_success_at__isnull=False
            )
            deadline = time.monotonic() + 900
            while polled_feeds.count() < len(documents):
                if time.monotonic() > deadline:
                    raise RuntimeError("feeds still not polled after 15 minutes")
                time.sleep(0.5)
            polled = time.perf_counter() - started
            pending = Post.objects.filter(
                source__startswith="bench-feed-", status=Post.Status.PENDING
            )
            deadline = time.monotonic() + 900
            while pending.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("posts still pending after 15 minutes")
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    connection.close()
    processed = Post.objects.filter(
        source__startswith="bench-feed-", status=Post.Status.PROCESSED
    ).count()
    return {
        "rate": len(rows) / elapsed,
        "seconds": elapsed,
        "poll_seconds": polled,
        "processed": processed,
        "feeds": len(documents),
    }
