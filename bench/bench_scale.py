"""Pages and lists at a million posts, and processing on an empty and on a full database.

Run from the project root: ``python -m bench.bench_scale``; ``run()`` returns the Markdown section
for the ``make bench`` driver. Like bench_pipeline, it creates (and drops) its own database on the
PostgreSQL server of ``BENCH_DATABASE_URL`` or ``DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432), named by ``BENCH_SCALE_DB_NAME`` (default
supplierwatch_bench_scale), and never touches the configured database. Tasks run eagerly (no Redis).

1. Processing on an empty database: the airline suppliers of ../shared/data, then a fixed batch of
   new tweets stored by ``posts_ingest`` and timed through ``posts_process``, in the workers' batches.
2. Every page and list below, timed on that small database (the baseline, same URLs).
3. Seeding: ``SW_BENCH_SCALE_POSTS`` (default 1,000,000) posts already processed, written by COPY
   with their matches, spread over about 200 suppliers and one incident per 50 posts, one incident
   of about 24,000 posts (the supplier's largest from step 1, so new tweets keep joining it), 2% buyer
   reports (private, anonymous, named) from five organizations; the counters recounted by
   ``incidents_recount``, the complaints counted per day rebuilt by ``complaint_days_rebuild``.
4. Every page and list again (p95 of 30 requests each, Django's test client), the database's size,
   and processing a second batch of the same tweets (new ids, so they join the grown incidents).
"""

from __future__ import annotations

import csv
import io
import os
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.bench_pipeline import (
    CONTEXT,
    DATA,
    _admin,
    _replicate,
    _server_url,
    _setup_django,
    _with_database,
    log,
)

# ../shared/data beside the checkout, or where BENCH_DATA_DIR says (a worktree elsewhere).
DATA = Path(os.environ.get("BENCH_DATA_DIR") or DATA)

SCALE_POSTS = int(os.environ.get("SW_BENCH_SCALE_POSTS", "1000000"))
BENCH_DB = os.environ.get("BENCH_SCALE_DB_NAME", "supplierwatch_bench_scale")
PROCESS_ROWS = 5_000
BIG_INCIDENT_POSTS = 24_000
POSTS_PER_INCIDENT = 50
EXTRA_SUPPLIERS = 200
ORGANIZATIONS = 5
BUYER_REPORT_SHARE = 0.02
# The staff's supplier: the airline of most tweets, so it has the largest incidents.
STAFF_SUPPLIER = "united-airlines"
REQUESTS = 30
WARMUP = 3
TARGET_MS = 100.0
SETTLE_SECONDS = 90.0
PAGES = (
    ("portal incident list `/portal/incidents/`", "staff", "/portal/incidents/"),
    ("portal home `/portal/`", "staff", "/portal/"),
    ("portal incident page, largest incident", "staff", "/portal/incidents/{big}/"),
    ("buyer incident page, largest incident", "buyer", "/incidents/{big}/"),
    ("buyer dashboard `/buyer/`", "buyer", "/buyer/"),
    ("API incident list, buyer key", "buyer_key", "/api/v1/incidents/"),
    ("API incident list, supplier key", "supplier_key", "/api/v1/incidents/"),
)


def _tweets() -> list[dict]:
    with (DATA / "airline-tweets-dev.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _batch(tweets: list[dict], suffix: str) -> list[dict]:
    rows = _replicate(tweets, PROCESS_ROWS)
    for row in rows:
        row["external_id"] += suffix
    return rows


def process_rate(rows: list[dict]) -> float:
    """Posts/s through posts_process (stored first by posts_ingest, nothing queued)."""
    from unittest import mock

    from incidents.models import Post
    from incidents.services import ingest, posts_process
    from incidents.services.processing import BATCH_SIZE

    with mock.patch.object(ingest, "posts_queue"):
        ingest.posts_ingest(source="bench-new", rows=rows)
    ids = list(
        Post.objects.filter(source="bench-new", status=Post.Status.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH_SIZE):
        posts_process(post_ids=ids[start : start + BATCH_SIZE])
    return len(ids) / (time.perf_counter() - started)


def parties() -> dict[str, Any]:
    """Five buyer organizations with a buyer each, the staff's supplier's admin, two API keys."""
    from django.core.management import call_command

    from integrations.services import api_key_issue
    from suppliers.models import Membership, Organization, Supplier, User, VendorCode

    call_command(
        "import_suppliers",
        str(DATA / "airlines-suppliers.json"),
        "--context-words",
        CONTEXT,
        stdout=io.StringIO(),
    )
    Supplier.objects.bulk_create(
        Supplier(name=f"Bench Supplier {n:03d}", slug=f"bench-supplier-{n:03d}")
        for n in range(EXTRA_SUPPLIERS)
    )
    staff_supplier = Supplier.objects.get(slug=STAFF_SUPPLIER)
    organizations = [
        Organization.objects.create(name=f"Bench Buyer {n}", slug=f"bench-buyer-{n}")
        for n in range(ORGANIZATIONS)
    ]
    buyers = []
    for n, organization in enumerate(organizations):
        user = User.objects.create_user(f"buyer{n}@bench.test", None)
        Membership.objects.create(user=user, organization=organization, role="admin")
        buyers.append(user)
    staff = User.objects.create_user("quality@bench.test", None)
    Membership.objects.create(user=staff, supplier=staff_supplier, role="admin")
    for supplier in Supplier.objects.order_by("id")[:20]:
        VendorCode.objects.create(
            organization=organizations[0], supplier=supplier, code=f"V{supplier.pk:05d}"
        )
    return {
        "organizations": [o.pk for o in organizations],
        "buyers": [u.pk for u in buyers],
        "buyer": buyers[0],
        "staff": staff,
        "staff_supplier": staff_supplier.pk,
        "buyer_key": api_key_issue(name="bench", organization=organizations[0]).key,
        "supplier_key": api_key_issue(name="bench", supplier=staff_supplier).key,
    }


def largest_incident(supplier_id: int) -> int:
    from incidents.models import Incident

    return (
        Incident.objects.filter(supplier_id=supplier_id)
        .order_by("-post_count", "id")
        .values_list("id", flat=True)
        .first()
    ) or 0


def seed(size: int, who: dict[str, Any], big: int, tweets: list[dict]) -> None:
    """`size` processed posts with their matches, by COPY; incidents and follows by bulk_create."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from incidents.models import Category, Follow, Incident, Post
    from incidents.services.complaint_days import complaint_days_rebuild
    from incidents.services.processing import incidents_recount
    from suppliers.models import Supplier

    rng = random.Random(14)
    now = timezone.now()
    categories = list(Category.objects.values_list("id", flat=True))
    suppliers = list(Supplier.objects.values_list("id", flat=True))
    staff_supplier = who["staff_supplier"]
    open_statuses = ["new", "acknowledged", "investigating", "reopened"]
    count = max(10, (size - min(size // 2, BIG_INCIDENT_POSTS)) // POSTS_PER_INCIDENT)
    incidents = []
    for n in range(count):
        # A quarter of the incidents are the staff's supplier's.
        supplier = staff_supplier if n % 4 == 0 else suppliers[n % len(suppliers)]
        status = open_statuses[n % 4] if n % 5 < 3 else ("resolved" if n % 5 == 3 else "closed")
        created = now - timedelta(days=rng.uniform(0, 365))
        incidents.append(
            Incident(
                supplier_id=supplier,
                category_id=rng.choice(categories),
                fingerprint=f"bench:{n}",
                title=f"Bench incident {n}",
                status=status,
                severity=1 + n % 4,
                sla_started_at=created,
                acknowledge_due_at=created + timedelta(days=1),
                resolve_due_at=created + timedelta(days=10),
            )
        )
    Incident.objects.bulk_create(incidents, batch_size=5000)
    targets = [(i.pk, i.supplier_id, i.category_id) for i in incidents]
    big_row = Incident.objects.values_list("id", "supplier_id", "category_id").get(pk=big)

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM incidents_post")
        post_id = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM incidents_postmatch")
        match_id = cursor.fetchone()[0]
    first_post = post_id + 1
    post_columns = (
        "id, source, external_id, text, visibility, published_at, created_at, po_number, sku, "
        "lot, severity, author_handle, url, status, status_changed_at, attempts, error, "
        "is_complaint, complaint_score, scores, classifier_version, author_id, category_id, "
        "organization_id, predicted_category_id, supplier_id"
    )
    match_columns = (
        "id, matched_text, confidence, is_primary, created_at, incident_id, post_id, supplier_id, "
        "post_published_at, post_visibility, post_organization_id"
    )
    visibilities = ["private", "anonymous", "named"]
    big_share = min(BIG_INCIDENT_POSTS, size // 2) / size
    year = 365 * 86400
    first = now - timedelta(seconds=year + 600)
    started = time.perf_counter()
    matches: list[tuple] = []
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY incidents_post ({post_columns}) FROM STDIN") as copy:
            for n in range(size):
                incident, supplier, category = (
                    big_row if rng.random() < big_share else targets[rng.randrange(len(targets))]
                )
                post_id += 1
                match_id += 1
                # Over the last year, in the order they arrive (as a feed brings them).
                published = first + timedelta(seconds=year * n / size + rng.uniform(0, 600))
                tweet = tweets[n % len(tweets)]
                row: tuple[Any, ...]
                if rng.random() < BUYER_REPORT_SHARE:
                    org = rng.randrange(ORGANIZATIONS)
                    row = (
                        post_id, "buyer", f"scale-{n}", tweet["text"], visibilities[n % 3], published,
                        published, f"PO-{n}", "", "", 1 + n % 4, "", "", "processed", published,
                        1, "", True, 0.9, "{}", "", who["buyers"][org], category,
                        who["organizations"][org], category, supplier,
                    )  # fmt: skip
                else:
                    row = (
                        post_id, "bench-scale", f"scale-{n}", tweet["text"], "public", published,
                        published, "", "", "", None, f"@user{n % 50_000}", "", "processed",
                        published, 1, "", True, 0.9, "{}", "", None, None, None, category, None,
                    )  # fmt: skip
                copy.write_row(row)
                # The match copies its post's time, visibility and organization (POST_COPIES).
                copied = (published, row[4], row[23])
                matches.append(
                    (match_id, "", 1.0, True, published, incident, post_id, supplier, *copied)
                )
        with cursor.cursor.copy(f"COPY incidents_postmatch ({match_columns}) FROM STDIN") as copy:
            for match in matches:
                copy.write_row(match)
    with connection.cursor() as cursor:
        for table in ("incidents_post", "incidents_postmatch"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    log(f"seed: {size:,} posts and matches copied in {time.perf_counter() - started:.0f} s")
    del matches

    started = time.perf_counter()
    ids = [big, *(pk for pk, _, _ in targets)]
    for start in range(0, len(ids), 2000):
        incidents_recount(incident_ids=ids[start : start + 2000], active_ids=[])
    # The complaints counted per day, by the repair that `recount_incidents` runs.
    complaint_days_rebuild()
    # The seeded incidents' own times are their evidence's: activity is its latest post.
    Incident.objects.filter(fingerprint__startswith="bench:").update(
        created_at=F("first_seen_at"),
        updated_at=F("last_seen_at"),
        last_activity_at=F("last_seen_at"),
    )
    followed = [*rng.sample([pk for pk, _, _ in targets], min(30, len(targets))), big]
    Follow.objects.bulk_create(
        [Follow(user=who["buyer"], incident_id=pk) for pk in followed], ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # The seeding's gigabyte of dirty pages written now, not by the checkpointer while the
        # pages are timed: a deployment's database of this size was not loaded a second ago.
        cursor.execute("CHECKPOINT")
    log(f"seed: counters recounted and analysed in {time.perf_counter() - started:.0f} s")
    assert Post.objects.filter(pk__gte=first_post).count() == size


def settle(limit: float = SETTLE_SECONDS) -> None:
    """Wait, `limit` seconds at most, until the machine's 1-minute load average falls below 1:
    the pages are timed on a quiet machine, not in the wake of the seeding's processes (the
    table says the load average they were timed at)."""
    deadline = time.monotonic() + limit
    while os.getloadavg()[0] >= 1.0 and time.monotonic() < deadline:
        time.sleep(2)


def measure_pages(who: dict[str, Any], big: int) -> dict[str, float]:
    """p95 in ms of each page and list, over REQUESTS requests after WARMUP."""
    from django.test import Client

    from supplierwatch import freeze_loaded_objects

    # As a web process does once it has loaded the application (supplierwatch/wsgi.py).
    freeze_loaded_objects()

    clients = {
        "staff": Client(HTTP_HOST="localhost"),
        "buyer": Client(HTTP_HOST="localhost"),
        "buyer_key": Client(
            HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Api-Key {who['buyer_key']}"
        ),
        "supplier_key": Client(
            HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Api-Key {who['supplier_key']}"
        ),
    }
    clients["staff"].force_login(who["staff"])
    clients["buyer"].force_login(who["buyer"])
    figures = {}
    for label, client_name, path in PAGES:
        client, url = clients[client_name], path.format(big=big)
        times = []
        for n in range(WARMUP + REQUESTS):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            if n >= WARMUP:
                times.append(elapsed)
        figures[label] = statistics.quantiles(times, n=20)[-1]
        log(f"pages: {label}: p95 {figures[label]:.0f} ms")
    return figures


def database_size() -> tuple[int, int]:
    from django.db import connection

    from incidents.models import Post

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return size, Post.objects.count()


def run() -> str:
    heading = "## Pages and lists at scale, and processing on an empty and a full database"
    if not (DATA / "airline-tweets-dev.csv").is_file():
        return f"{heading}\n\nSkipped: {DATA} is absent.\n"
    database_url = _with_database(_server_url(), BENCH_DB)
    _admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    _admin(f"CREATE DATABASE {BENCH_DB}")
    try:
        # Notifications' e-mails are kept in memory, not printed among the figures.
        os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
        _setup_django(database_url)
        tweets = _tweets()
        who = parties()
        log(f"processing on an empty database: {PROCESS_ROWS:,} tweets")
        rate_empty = process_rate(_batch(tweets, "-start"))
        big = largest_incident(who["staff_supplier"])
        log("pages on the small database")
        settle()
        small_pages = measure_pages(who, big)
        small_size, small_posts = database_size()
        log(f"seeding {SCALE_POSTS:,} posts")
        seed(SCALE_POSTS, who, big, tweets)
        full_size, full_posts = database_size()
        log("pages on the full database")
        settle()
        load_before = os.getloadavg()[0]
        full_pages = measure_pages(who, big)
        load_after = os.getloadavg()[0]
        log(f"processing on the full database: {PROCESS_ROWS:,} tweets")
        rate_full = process_rate(_batch(tweets, "-end"))
        from incidents.models import Incident

        big_posts = Incident.objects.values_list("post_count", flat=True).get(pk=big)
        incidents = Incident.objects.count()
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_SCALE_KEEP"):
            _admin(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    lines = [
        heading,
        "",
        f"Load average of the machine (1 min) before and after the page timings on the full "
        f"database: {load_before:.1f}, {load_after:.1f} ({os.cpu_count()} cores): the pages' "
        "times are wall-clock times and grow with it.",
        "",
        f"PostgreSQL on this machine, tasks eager; {full_posts:,} posts in the end "
        f"({SCALE_POSTS:,} seeded by COPY, already processed), {incidents:,} incidents, the "
        f"largest of {big_posts:,} posts; {small_posts:,} posts at the start. p95 of "
        f"{REQUESTS} requests each (Django's test client, after {WARMUP} warm-up requests).",
        "",
        "| measurement | full database | baseline: start | ratio | target | met |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, _, _ in PAGES:
        full, small = full_pages[label], small_pages[label]
        lines.append(
            f"| {label}, p95 ms | {full:,.0f} | {small:,.0f} | {full / small:.1f}x "
            f"| < {TARGET_MS:.0f} ms | {'yes' if full < TARGET_MS else 'no'} |"
        )
    ratio = rate_full / rate_empty
    lines += [
        f"| processing {PROCESS_ROWS:,} new tweets (`posts_process`), posts/s | {rate_full:,.0f} "
        f"| {rate_empty:,.0f} | {ratio:.2f}x | >= 0.8x | {'yes' if ratio >= 0.8 else 'no'} |",
        f"| database size, MB | {full_size / 2**20:,.0f} | {small_size / 2**20:,.0f} "
        f"| {full_size / small_size:.0f}x | | |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
