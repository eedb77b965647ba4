"""The buyers' incident search on PostgreSQL: 100,000 incidents, each with its evidence.

Run from the project root: ``python -m bench.bench_search``; ``run()`` returns the Markdown section
for the ``make bench`` driver. It creates (and drops) its own database on the PostgreSQL server of
``BENCH_DATABASE_URL`` or ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432) and never
touches the configured database.

A buyer's first page of results (the count and 25 rows, as /incidents/ asks them: through
selectors.paged) is timed for words of different frequency, beside the baseline: the same question
without the full-text indexes (every word looked for with ILIKE, as the search does on SQLite).
The API's first page (25 rows by latest activity, its default order, no count) is timed too.
"""

from __future__ import annotations

import statistics
import time

from bench.bench_pipeline import BENCH_DB, _admin, _server_url, _setup_django, _with_database, log

INCIDENTS = 100_000
SEARCH_DB = f"{BENCH_DB}_search"
WORDS = ["pallet", "crack", "late", "torn", "rust", "label", "seal", "wet", "dent", "scratch"]
# A word in one incident of 10,000, one in one of 10, one in none; and a phrase.
QUERIES = ["qx4711", "torn", "zeppelin", '"torn pallet"']
RUNS = 7
# The list page's target for every search, the word found in a fifth of the incidents included.
TARGET_MS = 300


def _fill() -> object:
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Incident, Post, PostMatch
    from suppliers.models import Membership, Organization, Supplier, User

    now = timezone.now()
    supplier = Supplier.objects.create(name="Bench Supplier", slug="bench-supplier")
    organization = Organization.objects.create(name="Bench Buyer", slug="bench-buyer")
    buyer = User.objects.create_user(email="buyer@bench.test", password=None)
    Membership.objects.create(user=buyer, organization=organization, role="member")
    for start in range(0, INCIDENTS, 10_000):
        block = range(start, start + 10_000)
        incidents = Incident.objects.bulk_create(
            Incident(
                supplier=supplier,
                fingerprint=f"bench-{n}",
                title=f"{WORDS[n % 10]} problem {n}",
                post_count=1,
                first_seen_at=now,
                last_seen_at=now,
                last_activity_at=now,
            )
            for n in block
        )
        posts = Post.objects.bulk_create(
            Post(
                source="bench",
                external_id=f"bench-{n}",
                text=f"{WORDS[n % 10]} {WORDS[(n * 7) % 10]} again, order {n}"
                + (" qx4711" if n % 10_000 == 0 else ""),
                visibility="public",
                published_at=now,
            )
            for n in block
        )
        PostMatch.objects.bulk_create(
            PostMatch(post=post, supplier=supplier, incident=incident, **PostMatch.copies_of(post))
            for post, incident in zip(posts, incidents, strict=True)
        )
        log(f"search: {start + 10_000:,} incidents")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return buyer


def _time(viewer: object, text: str, *, counted: bool = True) -> float:
    """The median of RUNS first pages: the count, then 25 rows, as the list page reads them; or
    (`counted` False) 25 rows of the QuerySet by latest activity, as the API's cursor pages read
    them by default."""
    from django.core.paginator import Paginator

    from incidents.selectors import incident_search, paged

    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        found = incident_search(
            viewer=viewer,  # type: ignore[arg-type]
            search=text,
            sort="" if counted else "activity",
        )
        if counted:
            # As the list page reads it: the Paginator counts, then reads the first page.
            list(Paginator(paged(found, viewer=viewer), 25).page(1))  # type: ignore[arg-type]
        else:
            list(found[:25])
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def run() -> str:
    heading = "## Buyers' incident search"
    database_url = _with_database(_server_url(), SEARCH_DB)
    _admin(f"DROP DATABASE IF EXISTS {SEARCH_DB}")
    _admin(f"CREATE DATABASE {SEARCH_DB}")
    try:
        _setup_django(database_url)
        from unittest import mock

        from incidents.selectors import incident_search
        from incidents.selectors import search as search_module

        viewer = _fill().viewer  # type: ignore[attr-defined]
        rows = []
        for text in QUERIES:
            ours = _time(viewer, text)
            api = _time(viewer, text, counted=False)
            with mock.patch.object(search_module, "full_text", return_value=False):
                baseline = _time(viewer, text)
            plan = incident_search(viewer=viewer, search=text).explain()
            indexed = "post_text_search" in plan and "incident_title_search" in plan
            rows.append((text, ours, api, baseline, indexed))
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {SEARCH_DB}")
    lines = [
        heading,
        "",
        f"PostgreSQL on this machine; {INCIDENTS:,} incidents of one supplier, each with a public "
        f"post; a buyer's first page (count and 25 rows), median of {RUNS} runs.",
        "",
        "| search | full-text: page, count + 25 rows (ms) | API: 25 rows by activity (ms) "
        "| baseline: ILIKE, no index, page (ms) | full-text indexes used | target |",
        "|---|---:|---:|---:|---|---|",
        *(
            f"| `{text}` | {ours:,.1f} | {api:,.1f} | {baseline:,.1f} | "
            f"{'yes' if indexed else 'no'} | page < {TARGET_MS} ms: "
            f"{'yes' if ours < TARGET_MS else '**no**'} |"
            for text, ours, api, baseline, indexed in rows
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
