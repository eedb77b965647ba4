"""The load run: 50 concurrent API clients against gunicorn and a Celery worker, on PostgreSQL and
Redis, beside the same server's rate on a trivial endpoint (``/healthz``) in the same run.

Run from the project root: ``python -m bench.bench_load``; ``run()`` returns the Markdown section
for the ``make bench`` driver. It creates (and drops) its own database ``<BENCH_DB_NAME>_load`` on
the PostgreSQL server of ``BENCH_DATABASE_URL`` or ``DATABASE_URL`` and uses Redis database
``BENCH_REDIS_DB`` of ``REDIS_URL``, as bench_pipeline.py does; it never touches the configured
database.

1. Seeding, through the product's services: the six airlines of ../shared/data as suppliers,
   BUYERS buyer organizations with a write key each and a read key per supplier; then, through the
   API, SEED_POSTS tweets and a report per organization and supplier, processed by the worker
   before the clock starts, so that there are incidents to read.
2. The trivial endpoint: CLIENTS clients GET /healthz (a database and a Redis round trip) for
   ``SW_BENCH_TRIVIAL_SECONDS`` (default 10): the server's rate with next to no work per request.
3. The mixed load: CLIENTS clients for ``SW_BENCH_LOAD_SECONDS`` (default 60), each request drawn
   from MIX: 70% reads (the incident list with a buyer's and a supplier's key, an incident's
   detail, the suppliers), 30% writes (bulk public posts, POSTS_PER_BULK tweets each, and buyer
   reports with an Idempotency-Key).
4. The same mix from a single client for ``SW_BENCH_ALONE_SECONDS`` (default 20): each kind's time
   without queueing, where the time goes.
5. Then it waits until the worker has processed every accepted post and report, and checks.

An error is any answer but 2xx, or no answer (a timeout, a refused connection). The rate limit
(SW_API_RATE, 600/min per key by default) is raised for the run to RATE: the benchmark measures
the server, not the limiter, which still counts every request in Redis as in production; a 429
would count as an error. The server runs as production does (DEBUG off, PostgreSQL, Redis,
gunicorn's threaded workers as the image runs them: ``SW_BENCH_WEB_WORKERS``, default 3 as the
image's WEB_CONCURRENCY, of ``SW_BENCH_WEB_THREADS`` threads, default 4 as its WEB_THREADS),
behind a TLS proxy that it trusts (X-Forwarded-Proto: https). The clients run on the same machine,
in one process (httpx, asyncio), and take their share of its cores. gunicorn and the worker are
stopped (their whole process groups) however the run ends, Ctrl-C and SIGTERM included
(bench/processes.py), and the database is dropped.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import random
import secrets
import signal
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.bench_pipeline import (
    BENCH_DB,
    BENCH_REDIS_DB,
    CONTEXT,
    DATA,
    _admin,
    _server_url,
    _setup_django,
    _with_database,
    log,
)
from bench.processes import celery_worker, started

LOAD_DB = f"{BENCH_DB}_load"
SECONDS = int(os.environ.get("SW_BENCH_LOAD_SECONDS", "60"))
TRIVIAL_SECONDS = int(os.environ.get("SW_BENCH_TRIVIAL_SECONDS", "10"))
# The mix again from a single client, after the load: each kind's time without queueing.
ALONE_SECONDS = int(os.environ.get("SW_BENCH_ALONE_SECONDS", "20"))
CLIENTS = 50
WEB_WORKERS = int(os.environ.get("SW_BENCH_WEB_WORKERS", "3"))
WEB_THREADS = int(os.environ.get("SW_BENCH_WEB_THREADS", "4"))
WORKER_CONCURRENCY = 2
BUYERS = 5
SEED_POSTS = 2000
POSTS_PER_BULK = 20
SOURCE = "loadbench"
RATE = "1000000/min"
# Seconds a client waits for an answer before counting the request as an error.
TIMEOUT = 60
# After the load, how long the worker may take to process what was accepted.
DRAIN_TIMEOUT = 900
TARGET_RATIO = 0.25
TARGET_P95_MS = 250

MIX: list[tuple[str, int]] = [
    ("incident list, buyer key", 20),
    ("incident list, supplier key", 20),
    ("incident detail, buyer key", 15),
    ("suppliers, buyer key", 15),
    (f"bulk public posts ({POSTS_PER_BULK} each)", 15),
    ("buyer report", 15),
]
KINDS = [kind for kind, _ in MIX]
WEIGHTS = [weight for _, weight in MIX]
DEFECTS = ["cracked housings", "wrong labels", "torn packaging", "rust spots", "missing screws"]


@dataclass
class Seed:
    buyer_keys: list[str]
    supplier_keys: list[str]
    supplier_slugs: list[str]
    categories: list[str] = field(default_factory=list)
    incident_ids: list[int] = field(default_factory=list)


@dataclass
class Outcome:
    kind: str
    status: int  # 0: no answer
    seconds: float
    accepted: int = 0
    report_id: int | None = None
    error: str = ""


def _tweets() -> list[dict]:
    with (DATA / "airline-tweets-dev.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed_parties() -> Seed:
    """Suppliers, buyer organizations and their API keys, through the product's services."""
    from incidents.models import Category
    from integrations.services.keys import api_key_issue
    from suppliers.models import Organization, Supplier
    from suppliers.services.imports import suppliers_import

    records = json.loads((DATA / "airlines-suppliers.json").read_text(encoding="utf-8"))
    suppliers_import(records=records, prune=False, default_context_words=CONTEXT.split(","))
    suppliers = list(Supplier.objects.order_by("slug"))
    buyer_keys = []
    for number in range(BUYERS):
        organization = Organization.objects.create(
            name=f"Load Buyer {number}", slug=f"load-buyer-{number}"
        )
        issued = api_key_issue(name="ERP", organization=organization, can_write=True)
        buyer_keys.append(issued.key)
    supplier_keys = [
        api_key_issue(name="Quality dashboard", supplier=supplier).key for supplier in suppliers
    ]
    return Seed(
        buyer_keys=buyer_keys,
        supplier_keys=supplier_keys,
        supplier_slugs=[supplier.slug for supplier in suppliers],
        categories=list(Category.objects.active().values_list("slug", flat=True)),
    )


class Load:
    """What the clients send: requests drawn from MIX, posts never sent twice."""

    def __init__(self, seed: Seed, tweets: list[dict]) -> None:
        self.seed, self.tweets = seed, tweets
        self.next_tweet = 0
        self.next_report = 0

    def posts(self, count: int, tag: str) -> list[dict]:
        rows = []
        for _ in range(count):
            index = self.next_tweet
            self.next_tweet += 1
            tweet = self.tweets[index % len(self.tweets)]
            rows.append(
                {
                    "external_id": f"{tweet['post_id']}-{tag}{index // len(self.tweets)}",
                    "text": tweet["text"],
                    "published_at": tweet["created_at"],
                    "author_handle": tweet["author"],
                }
            )
        return rows

    def report(self, chance: random.Random, supplier: str) -> dict:
        self.next_report += 1
        body = {
            "supplier": supplier,
            "text": f"Lot L{self.next_report % 40:03d} arrived with {chance.choice(DEFECTS)} "
            f"on {chance.randint(2, 30)} of 40 units.",
            "severity": chance.choice(["low", "medium", "high", "critical"]),
            "lot": f"L{self.next_report % 40:03d}",
            "quantity_affected": chance.randint(2, 30),
        }
        if self.seed.categories:
            body["category"] = chance.choice(self.seed.categories)
        return body

    def request(self, kind: str, client: int, chance: random.Random) -> tuple[str, str, dict]:
        """(method, path, options for httpx) of one request of `kind` by client `client`."""
        seed = self.seed
        buyer = {"Authorization": f"Api-Key {seed.buyer_keys[client % len(seed.buyer_keys)]}"}
        if kind == KINDS[0]:
            return "GET", "/api/v1/incidents/", {"headers": buyer}
        if kind == KINDS[1]:
            key = seed.supplier_keys[client % len(seed.supplier_keys)]
            return "GET", "/api/v1/incidents/", {"headers": {"Authorization": f"Api-Key {key}"}}
        if kind == KINDS[2]:
            incident = chance.choice(seed.incident_ids)
            return "GET", f"/api/v1/incidents/{incident}/", {"headers": buyer}
        if kind == KINDS[3]:
            return "GET", "/api/v1/suppliers/", {"headers": buyer}
        if kind == KINDS[4]:
            body = {"source": SOURCE, "posts": self.posts(POSTS_PER_BULK, "load")}
            return "POST", "/api/v1/public-posts/", {"headers": buyer, "json": body}
        body = self.report(chance, chance.choice(seed.supplier_slugs))
        headers = {**buyer, "Idempotency-Key": uuid.uuid4().hex}
        return "POST", "/api/v1/posts/", {"headers": headers, "json": body}


async def _send(client, kind: str, method: str, path: str, options: dict) -> Outcome:
    import httpx

    started_at = time.perf_counter()
    try:
        response = await client.request(method, path, **options)
    except httpx.HTTPError as exc:
        return Outcome(kind, 0, time.perf_counter() - started_at, error=type(exc).__name__)
    seconds = time.perf_counter() - started_at
    outcome = Outcome(kind, response.status_code, seconds)
    if not 200 <= response.status_code < 300:
        outcome.error = response.text[:200]
    elif path == "/api/v1/public-posts/":
        outcome.accepted = response.json()["accepted"]
    elif path == "/api/v1/posts/":
        outcome.report_id = response.json()["id"]
    return outcome


async def _clients(
    base_url: str,
    seconds: float,
    draw: Callable[[int, random.Random], tuple[str, str, str, dict]],
    clients: int = CLIENTS,
) -> tuple[list[Outcome], float]:
    """`clients` clients, each sending its next request as soon as the last is answered, for
    `seconds`. Returns every outcome and the seconds actually taken (the last answers included)."""
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    # As behind the TLS proxy production runs behind (settings.SECURE_PROXY_SSL_HEADER).
    headers = {"X-Forwarded-Proto": "https"}
    outcomes: list[Outcome] = []
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=TIMEOUT, headers=headers
    ) as client:
        began = time.perf_counter()
        deadline = began + seconds

        async def one(number: int) -> None:
            chance = random.Random(number)
            while time.perf_counter() < deadline:
                kind, method, path, options = draw(number, chance)
                outcomes.append(await _send(client, kind, method, path, options))

        await asyncio.gather(*(one(number) for number in range(clients)))
        return outcomes, time.perf_counter() - began


def _percentile(sorted_seconds: list[float], percent: float) -> float:
    """Nearest rank, in milliseconds."""
    if not sorted_seconds:
        return math.nan
    rank = max(1, math.ceil(percent / 100 * len(sorted_seconds)))
    return sorted_seconds[rank - 1] * 1000


def _latencies(outcomes: list[Outcome]) -> dict[str, float]:
    seconds = sorted(outcome.seconds for outcome in outcomes)
    return {f"p{p}": _percentile(seconds, p) for p in (50, 95, 99)}


def _errors(outcomes: list[Outcome]) -> list[Outcome]:
    return [outcome for outcome in outcomes if not 200 <= outcome.status < 300]


def _wait_processed(what: str, timeout: float) -> float:
    """Seconds until no post is pending (every accepted one processed or failed)."""
    from incidents.models import Post

    began = time.perf_counter()
    deadline = time.monotonic() + timeout
    while Post.objects.filter(status=Post.Status.PENDING).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: posts still pending after {timeout:.0f} s")
        time.sleep(0.5)
    return time.perf_counter() - began


def _seed_evidence(base_url: str, seed: Seed, load: Load) -> None:
    """Tweets and reports through the API, processed before the clock starts: incidents to read.
    The first requests also load the application in every gunicorn worker."""
    import httpx

    from incidents.models import Incident
    from integrations.models import ApiKey

    buyer = {"Authorization": f"Api-Key {seed.buyer_keys[0]}", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=base_url, timeout=TIMEOUT, headers=buyer) as client:
        for _ in range(0, SEED_POSTS, 500):
            body = {"source": SOURCE, "posts": load.posts(500, "seed")}
            client.post("/api/v1/public-posts/", json=body).raise_for_status()
        chance = random.Random(0)
        for key in seed.buyer_keys:
            for slug in seed.supplier_slugs:
                client.post(
                    "/api/v1/posts/",
                    json=load.report(chance, slug),
                    headers={"Authorization": f"Api-Key {key}"},
                ).raise_for_status()
    _wait_processed("seeding", DRAIN_TIMEOUT)
    # The incidents every buyer key may read, so that any client may ask for any of them.
    visible: set[int] | None = None
    for key in ApiKey.objects.filter(organization__isnull=False).select_related("user"):
        ids = set(Incident.objects.visible_to(key.user).values_list("pk", flat=True))
        visible = ids if visible is None else visible & ids
    seed.incident_ids = sorted(visible or ())
    if not seed.incident_ids:
        raise RuntimeError("seeding made no incident that every buyer may read")


def _check_processed(outcomes: list[Outcome]) -> dict:
    from incidents.models import Post

    accepted_posts = sum(outcome.accepted for outcome in outcomes)
    report_ids = [outcome.report_id for outcome in outcomes if outcome.report_id is not None]
    run_posts = Post.objects.filter(source=SOURCE, external_id__contains="-load")
    reports = Post.objects.filter(pk__in=report_ids)
    return {
        "accepted_posts": accepted_posts,
        "stored_posts": run_posts.count(),
        "processed_posts": run_posts.filter(status=Post.Status.PROCESSED).count(),
        "failed_posts": run_posts.filter(status=Post.Status.FAILED).count(),
        "accepted_reports": len(report_ids),
        "processed_reports": reports.filter(status=Post.Status.PROCESSED).count(),
        "failed_reports": reports.filter(status=Post.Status.FAILED).count(),
    }


def measure(database_url: str, redis_url: str) -> dict:
    """Seed, start the server and the worker, run both phases, wait for processing, check."""
    from django.db import connections

    seed = _seed_parties()
    load = Load(seed, _tweets())
    connections.close_all()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SW_API_RATE": RATE,
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "supplierwatch.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WEB_WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(WEB_THREADS),
        "--keep-alive",
        "0",
    ]
    with (
        celery_worker(env, concurrency=WORKER_CONCURRENCY),
        started(gunicorn, env, "Listening at:", "gunicorn"),
    ):
        log(f"load: seeding {SEED_POSTS:,} tweets and {BUYERS * len(seed.supplier_slugs)} reports")
        _seed_evidence(base_url, seed, load)
        log(f"load: {len(seed.incident_ids):,} incidents; /healthz for {TRIVIAL_SECONDS} s")

        def trivial(number: int, chance: random.Random) -> tuple[str, str, str, dict]:
            return "GET /healthz", "GET", "/healthz", {}

        trivial_outcomes, trivial_seconds = asyncio.run(
            _clients(base_url, TRIVIAL_SECONDS, trivial)
        )
        log(f"load: the mixed load for {SECONDS} s, {CLIENTS} clients")

        def mixed(number: int, chance: random.Random) -> tuple[str, str, str, dict]:
            kind = chance.choices(KINDS, WEIGHTS)[0]
            return (kind, *load.request(kind, number, chance))

        outcomes, seconds = asyncio.run(_clients(base_url, SECONDS, mixed))
        load_average = os.getloadavg()[0]
        log(f"load: the same mix from one client for {ALONE_SECONDS} s")
        alone, _ = asyncio.run(_clients(base_url, ALONE_SECONDS, mixed, clients=1))
        trivial_alone, _ = asyncio.run(_clients(base_url, 5, trivial, clients=1))
        log("load: waiting for the worker to process every accepted post")
        drain = _wait_processed("after the load", DRAIN_TIMEOUT)
        processed = _check_processed(outcomes + alone)
    for outcome in _errors(trivial_outcomes + outcomes + alone + trivial_alone)[:5]:
        log(f"load: error {outcome.kind}: {outcome.status} {outcome.error}")
    return {
        "trivial": trivial_outcomes,
        "trivial_seconds": trivial_seconds,
        "outcomes": outcomes,
        "alone": alone,
        "trivial_alone": trivial_alone,
        "seconds": seconds,
        "drain": drain,
        "load_average": load_average,
        "incidents": len(seed.incident_ids),
        "suppliers": len(seed.supplier_slugs),
        **processed,
    }


def _stop_on_sigterm() -> None:
    """A SIGTERM ends the run as Ctrl-C does, through the `finally` blocks that stop gunicorn and
    the worker and drop the database."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def _row(
    label: str, share: str, outcomes: list[Outcome], seconds: float, alone: list[Outcome]
) -> str:
    figures = _latencies(outcomes)
    alone_p50 = f"{_latencies(alone)['p50']:,.0f}" if alone else ""
    return (
        f"| {label} | {share} | {len(outcomes):,} | {len(outcomes) / seconds:,.1f} "
        f"| {figures['p50']:,.0f} | {figures['p95']:,.0f} | {figures['p99']:,.0f} "
        f"| {len(_errors(outcomes))} | {alone_p50} |"
    )


def report(result: dict) -> str:
    trivial, outcomes = result["trivial"], result["outcomes"]
    trivial_rate = len(trivial) / result["trivial_seconds"]
    rate = len(outcomes) / result["seconds"]
    ratio = rate / trivial_rate
    p95 = _latencies(outcomes)["p95"]
    errors = _errors(trivial + outcomes + result["alone"] + result["trivial_alone"])
    by_status = Counter(outcome.status for outcome in errors)
    met = ratio >= TARGET_RATIO and p95 < TARGET_P95_MS and not errors
    all_processed = (
        result["processed_posts"] == result["accepted_posts"] == result["stored_posts"]
        and result["processed_reports"] == result["accepted_reports"]
    )
    total = sum(WEIGHTS)
    lines = [
        "## The load run: 50 API clients against gunicorn and a Celery worker",
        "",
        f"PostgreSQL, Redis, gunicorn ({WEB_WORKERS} workers of {WEB_THREADS} threads, DEBUG off) "
        "and a Celery worker "
        f"(prefork, concurrency {WORKER_CONCURRENCY}) on this machine, and the {CLIENTS} clients "
        "too (httpx, asyncio, one process), each sending its next request once the last is "
        f"answered. Before the clock: {result['suppliers']} suppliers, {BUYERS} buyer "
        f"organizations, {SEED_POSTS:,} tweets and reports processed into "
        f"{result['incidents']:,} incidents. The API rate limit is raised to {RATE} for the run "
        "(still counted in Redis for every request), so that a 429 is an error.",
        "",
        "| measurement | requests/s | baseline | ratio | target | met |",
        "|---|---:|---|---:|---|---|",
        f"| mixed API load, {CLIENTS} clients, {SECONDS} s | {rate:,.1f} "
        f"| `GET /healthz`, {CLIENTS} clients, {TRIVIAL_SECONDS} s: "
        f"{trivial_rate:,.1f} | {ratio:.2f}x | >= {TARGET_RATIO}x at p95 < {TARGET_P95_MS} ms, "
        f"no errors | {'yes' if met else 'no'} |",
        "",
        "| requests | share | count | requests/s | p50 ms | p95 ms | p99 ms | errors "
        "| p50 ms, one client |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            _row(
                kind,
                f"{weight * 100 // total}%",
                [outcome for outcome in outcomes if outcome.kind == kind],
                result["seconds"],
                [outcome for outcome in result["alone"] if outcome.kind == kind],
            )
            for kind, weight in MIX
        ),
        _row("**all, mixed**", "100%", outcomes, result["seconds"], result["alone"]),
        _row(
            "`GET /healthz` (baseline)",
            "",
            trivial,
            result["trivial_seconds"],
            result["trivial_alone"],
        ),
        "",
        f"Errors: {len(errors)}"
        + (
            " ("
            + ", ".join(f"{count} x {status or 'no answer'}" for status, count in by_status.items())
            + ")"
            if errors
            else ""
        )
        + f". Posts: {result['accepted_posts']:,} accepted in bulk, {result['processed_posts']:,} "
        f"processed ({result['failed_posts']} failed); reports: {result['accepted_reports']:,} "
        f"created, {result['processed_reports']:,} processed ({result['failed_reports']} failed); "
        f"{'every one processed' if all_processed else 'NOT all processed'}, "
        f"{result['drain']:.1f} s after the last request.",
        "",
        "Rates count every answer over the time until the last one (requests sent before the end, "
        "answered after it, included). "
        f"Each client waits for its answer before the next request, so the mean latency is "
        f"{CLIENTS} / requests/s (Little's law): a p95 under {TARGET_P95_MS} ms needs about "
        f"{CLIENTS / (TARGET_P95_MS / 1000):,.0f} requests/s. The last column is each kind's time "
        f"without queueing: the same mix from a single client for {ALONE_SECONDS} s after the load "
        "(and `/healthz` for 5 s). Posts and reports are those of the load and of the single client. "
        f"The machine's load average (1 min) "
        f"at the end of the load: {result['load_average']:.1f} on {os.cpu_count()} cores.",
        "",
    ]
    return "\n".join(lines)


def run() -> str:
    heading = "## The load run: 50 API clients against gunicorn and a Celery worker"
    if not (DATA / "airline-tweets-dev.csv").is_file():
        return f"{heading}\n\nSkipped: {DATA} is absent.\n"
    _stop_on_sigterm()
    redis_base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    redis_url = redis_base.rsplit("/", 1)[0] + "/" + BENCH_REDIS_DB
    database_url = _with_database(_server_url(), LOAD_DB)
    _admin(f"DROP DATABASE IF EXISTS {LOAD_DB}")
    _admin(f"CREATE DATABASE {LOAD_DB}")
    try:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        _setup_django(database_url, redis_url)
        result = measure(database_url, redis_url)
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {LOAD_DB}")
    return report(result)


if __name__ == "__main__":
    print(run())
