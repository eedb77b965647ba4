"""Storing posts and the whole pipeline, on PostgreSQL and Redis with a real Celery worker.

Run from the project root: ``python -m bench.bench_pipeline``; ``run()`` returns the Markdown
section for the ``make bench`` driver. It creates (and drops) its own databases on the PostgreSQL
server of ``BENCH_DATABASE_URL`` or ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432)
and uses Redis database 14 of ``REDIS_URL`` (default redis://127.0.0.1:6379). It never touches the
configured database. ``BENCH_DB_NAME`` and ``BENCH_REDIS_DB`` name another database and Redis
database.

1. Storing: 200,000 tweets through ``posts_ingest`` (COPY into a temporary table, then
   INSERT ... ON CONFLICT DO NOTHING), a tenth of them already stored, beside the baseline: one
   transaction that COPYs the same rows into a table of the same shape. The ORM's bulk_create is
   measured on 20,000 rows for reference.
2. End to end: 50,000 tweets through ``manage.py ingest_posts`` with a Celery worker process
   (concurrency 2), timed until every post is processed (matched, classified, grouped); then the
   same tweets as RSS feeds polled by the same worker (bench_feeds.py), the same way.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.bench_feeds import ITEMS_PER_FEED, bench_feeds_end_to_end
from bench.processes import celery_worker

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
STORE_ROWS = 200_000
E2E_ROWS = 50_000
# Both overridable, so that two checkouts on one machine can measure at once without clashing.
BENCH_DB = os.environ.get("BENCH_DB_NAME", "supplierwatch_bench")
BENCH_REDIS_DB = os.environ.get("BENCH_REDIS_DB", "14")
CONTEXT = "flight,flights,airline,plane,gate,luggage,bag,bags,seat,crew,pilot,boarding"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(_server_url(), "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _tweets() -> list[dict]:
    with (DATA / "airline-tweets-dev.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _replicate(tweets: list[dict], count: int) -> list[dict]:
    rows = []
    for index in range(count):
        tweet = tweets[index % len(tweets)]
        rows.append(
            {
                "external_id": f"{tweet['post_id']}-r{index // len(tweets)}",
                "text": tweet["text"],
                "published_at": tweet["created_at"],
                "author_handle": tweet["author"],
                "url": "",
            }
        )
    return rows


def _setup_django(database_url: str, redis_url: str = "") -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supplierwatch.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_storing(rows: list[dict]) -> dict:
    """Posts stored per second: posts_ingest beside a plain one-transaction COPY."""
    from unittest import mock

    from django.db import connection, transaction

    from incidents.models import Post
    from incidents.services import ingest

    def copy_baseline() -> float:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            cursor.execute(
                "CREATE TABLE bench_copy (LIKE incidents_post INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
            )
            started = time.perf_counter()
            with cursor.cursor.copy(
                "COPY bench_copy (source, external_id, text, published_at, author_handle, url, "
                "visibility, status, status_changed_at, created_at, attempts, error, scores, "
                "classifier_version, po_number, sku, lot) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(
                        (
                            "bench",
                            row["external_id"],
                            row["text"],
                            row["published_at"],
                            row["author_handle"],
                            row["url"],
                            "public",
                            "pending",
                            row["published_at"],
                            row["published_at"],
                            0,
                            "",
                            "{}",
                            "",
                            "",
                            "",
                            "",
                        )
                    )
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_copy")
        return len(rows) / elapsed

    def ours() -> tuple[float, int, int]:
        Post.objects.filter(source="bench").delete()
        ingest.posts_ingest(source="bench", rows=rows[: len(rows) // 10])  # already stored
        accepted = duplicates = 0
        started = time.perf_counter()
        for start in range(0, len(rows), 5000):
            result = ingest.posts_ingest(source="bench", rows=rows[start : start + 5000])
            accepted += result.accepted
            duplicates += result.duplicates
        return len(rows) / (time.perf_counter() - started), accepted, duplicates

    def orm(sample: list[dict]) -> float:
        Post.objects.filter(source="bench-orm").delete()
        started = time.perf_counter()
        with transaction.atomic():
            Post.objects.bulk_create(
                [Post(source="bench-orm", visibility="public", **row) for row in sample],
                batch_size=1000,
                ignore_conflicts=True,
            )
        rate = len(sample) / (time.perf_counter() - started)
        Post.objects.filter(source="bench-orm").delete()
        return rate

    with mock.patch.object(ingest, "posts_queue"):
        log("storing: COPY baseline")
        baseline = copy_baseline()
        log("storing: posts_ingest")
        rate, accepted, duplicates = ours()
        log("storing: ORM bulk_create")
        orm_rate = orm(rows[:20_000])
    Post.objects.filter(source="bench").delete()
    return {
        "copy": baseline,
        "ours": rate,
        "orm": orm_rate,
        "accepted": accepted,
        "duplicates": duplicates,
    }


def bench_end_to_end(rows: list[dict], database_url: str, redis_url: str) -> dict:
    """Posts/s from `ingest_posts` until every post is processed by a real worker."""
    from django.db import connection

    from incidents.models import Post

    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DEBUG": "1"}
    env["LOG_LEVEL"] = "WARNING"
    subprocess.run(
        ["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True, text=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        suppliers = DATA / "airlines-suppliers.json"
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "import_suppliers",
                str(suppliers),
                "--context-words",
                CONTEXT,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        path = Path(tmp) / "posts.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["post_id", "created_at", "author", "text"])
            for row in rows:
                writer.writerow(
                    [row["external_id"], row["published_at"], row["author_handle"], row["text"]]
                )
        with celery_worker(env):
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "ingest_posts",
                    str(path),
                    "--source",
                    "e2e",
                    "--no-progress",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            ingested = time.perf_counter() - started
            deadline = time.monotonic() + 900
            while Post.objects.filter(source="e2e", status=Post.Status.PENDING).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("posts still pending after 15 minutes")
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
        connection.close()
    processed = Post.objects.filter(source="e2e", status=Post.Status.PROCESSED).count()
    return {
        "rate": len(rows) / elapsed,
        "seconds": elapsed,
        "ingest_seconds": ingested,
        "processed": processed,
    }


def run() -> str:
    heading = "## Storing posts and the end-to-end pipeline"
    if not (DATA / "airline-tweets-dev.csv").is_file():
        return f"{heading}\n\nSkipped: {DATA} is absent.\n"
    redis_base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    redis_url = redis_base.rsplit("/", 1)[0] + "/" + BENCH_REDIS_DB
    database_url = _with_database(_server_url(), BENCH_DB)
    _admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    _admin(f"CREATE DATABASE {BENCH_DB}")
    try:
        _setup_django(database_url)
        tweets = _tweets()
        storing = bench_storing(_replicate(tweets, STORE_ROWS))
        log("end to end: 50,000 posts, worker concurrency 2")
        e2e = bench_end_to_end(_replicate(tweets, E2E_ROWS), database_url, redis_url)
        log("through feeds: the same posts as RSS feeds, polled by the worker (concurrency 2)")
        feeds = bench_feeds_end_to_end(
            _replicate(tweets, E2E_ROWS),
            {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "DEBUG": "1",
                "LOG_LEVEL": "WARNING",
            },
        )
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    ratio = storing["ours"] / storing["copy"]
    lines = [
        heading,
        "",
        f"PostgreSQL and Redis on this machine; {STORE_ROWS:,} tweets of ../shared/data replicated "
        f"for storing, {E2E_ROWS:,} end to end.",
        "",
        "| measurement | posts/s | baseline | ratio | target | met |",
        "|---|---:|---|---:|---:|---|",
        f"| storing with duplicates skipped (`posts_ingest`, {storing['duplicates']:,} duplicates) "
        f"| {storing['ours']:,.0f} | one-transaction COPY: {storing['copy']:,.0f} | {ratio:.2f}x "
        f"| >= 0.3x | {'yes' if ratio >= 0.3 else 'no'} |",
        f"| ORM `bulk_create(ignore_conflicts=True)`, 20,000 rows (reference) | {storing['orm']:,.0f} "
        f"| one-transaction COPY: {storing['copy']:,.0f} | {storing['orm'] / storing['copy']:.2f}x | | |",
        f"| end to end: `ingest_posts` + worker (concurrency 2) until all processed "
        f"| {e2e['rate']:,.0f} | one-transaction COPY: {storing['copy']:,.0f} "
        f"| {e2e['rate'] / storing['copy']:.3f}x | 2,000 posts/s | {'yes' if e2e['rate'] >= 2000 else 'no'} |",
        f"| through feeds: {feeds['feeds']} RSS feeds of {ITEMS_PER_FEED:,} items, polled by the "
        f"worker (concurrency 2) until all processed | {feeds['rate']:,.0f} "
        f"| `ingest_posts` end to end: {e2e['rate']:,.0f} | {feeds['rate'] / e2e['rate']:.2f}x | | |",
        "",
        f"End to end: {E2E_ROWS:,} posts in {e2e['seconds']:.1f} s ({e2e['ingest_seconds']:.1f} s of "
        f"it in `ingest_posts`), {e2e['processed']:,} processed. Through feeds: the same posts in "
        f"{feeds['seconds']:.1f} s (all feeds polled after {feeds['poll_seconds']:.1f} s: fetching, "
        f"parsing, storing), {feeds['processed']:,} processed.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
