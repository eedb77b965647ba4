"""The incident lists' exports on PostgreSQL: 100,000 incidents as CSV and as XLSX, streamed.

Run from the project root: ``python -m bench.bench_exports``; ``run()`` returns the Markdown
section for the ``make bench`` driver. Like bench_search (whose 100,000 incidents it reuses), it
creates (and drops) its own database on the PostgreSQL server of ``BENCH_DATABASE_URL`` or
``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432) and never touches the configured
database.

A buyer downloads /incidents/export/<csv|xlsx>/ through Django's test client, reading the
response as a browser would, chunk by chunk, each export in a fresh process. Each export is
measured twice: a tenth of the incidents (the `severity` filter) and all of them. What is measured
is the time, the size and how far the export raises the process's peak resident memory (C
allocations and the writing of a workbook included): bounded memory means the export of 100,000
rows raises it about as much as the export of 10,000, not ten times more.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time

from bench.bench_pipeline import _admin, _server_url, _setup_django, _with_database, log
from bench.bench_search import INCIDENTS, SEARCH_DB, _fill

EXPORT_DB = f"{SEARCH_DB}_exports"
FORMATS = ("csv", "xlsx")
# Every tenth incident gets this severity, for the export of a tenth.
TENTH_SEVERITY = 3
# The bound: the full export may grow memory by at most this much more than the tenth's.
BOUND_MB = 32.0


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    with open("/proc/self/status", encoding="ascii") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def _export(client: object, fmt: str, params: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, megabytes sent, CSV lines or 0) of one export, read chunk by chunk."""
    from django.urls import reverse

    started = time.perf_counter()
    response = client.get(reverse("incidents-export", args=[fmt]), params)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code
    assert response.streaming, "an export is streamed"
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        if fmt == "csv":
            lines += chunk.count(b"\n")
    response.close()
    return time.perf_counter() - started, size / 1024 / 1024, lines


def measure(fmt: str, params: dict[str, str]) -> dict[str, float]:
    """One export in this fresh process (Django set up on the filled database): its time, size,
    lines, and how far it raised the process's peak resident memory above what it was before
    (the peak reset first, /proc/self/clear_refs), the writing of a workbook included."""
    import django

    django.setup()
    from django.test import Client

    from suppliers.models import User

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="buyer@bench.test"))
    _export(client, fmt, {"q": "nothing-is-called-this"})  # imports, templates, connection
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as file:
        file.write("5")  # resets VmHWM to the current resident size
    before = _status_mb("VmRSS")
    seconds, megabytes, lines = _export(client, fmt, params)
    return {
        "seconds": seconds,
        "megabytes": megabytes,
        "lines": lines,
        "grown": _status_mb("VmHWM") - before,
    }


def _measured(database_url: str, fmt: str, params: dict[str, str]) -> dict[str, float]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "supplierwatch.settings",
        "DEBUG": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_exports", "--measure", fmt, json.dumps(params)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> str:
    heading = "## Incident exports"
    database_url = _with_database(_server_url(), EXPORT_DB)
    _admin(f"DROP DATABASE IF EXISTS {EXPORT_DB}")
    _admin(f"CREATE DATABASE {EXPORT_DB}")
    rows = []
    try:
        _setup_django(database_url)
        from django.db.models import F
        from django.db.models.functions import Mod

        from incidents.models import Incident

        _fill()
        Incident.objects.annotate(tenth=Mod(F("id"), 10)).filter(tenth=0).update(
            severity=TENTH_SEVERITY
        )
        for fmt in FORMATS:
            for label, params in (
                ("a tenth", {"severity": str(TENTH_SEVERITY)}),
                ("all", {}),
            ):
                got = _measured(database_url, fmt, params)
                log(f"exports: {fmt} {label}: {got}")
                rows.append(
                    (fmt, label, got["seconds"], got["megabytes"], got["grown"], int(got["lines"]))
                )
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {EXPORT_DB}")
    growth = {(fmt, label): grown for fmt, label, _, _, grown, _ in rows}
    verdicts = {fmt: growth[(fmt, "all")] <= growth[(fmt, "a tenth")] + BOUND_MB for fmt in FORMATS}
    lines = [
        heading,
        "",
        f"PostgreSQL on this machine; a buyer exports the incident list of {INCIDENTS:,} incidents "
        "(each with a public post) through the export buttons' URL, read chunk by chunk; a tenth "
        "of them (one severity) beside all of them. Memory: how far the export raises the peak "
        "resident memory of its (fresh) process.",
        "",
        "| format | incidents | rows in the file | time (s) | rows/s | size (MB) "
        "| memory growth (MB) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for fmt, label, seconds, megabytes, grown, csv_lines in rows:
        count = INCIDENTS if label == "all" else INCIDENTS // 10
        shown = f"{csv_lines - 1:,}" if fmt == "csv" else "—"
        lines.append(
            f"| {fmt.upper()} | {label} ({count:,}) | {shown} | {seconds:,.1f} "
            f"| {count / seconds:,.0f} | {megabytes:,.1f} | {grown:,.1f} |"
        )
    lines += [
        "",
        *(
            f"- {fmt.upper()}: all {INCIDENTS:,} rows grow memory by at most {BOUND_MB:.0f} MB "
            f"more than a tenth of them: {'yes' if ok else '**no**'}"
            for fmt, ok in verdicts.items()
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2], json.loads(sys.argv[3]))))
    else:
        print(run())
