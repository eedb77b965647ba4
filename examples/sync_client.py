#!/usr/bin/env python3
"""A small supplierwatch API client: sync an ERP's vendor codes, then pull the incidents that
changed since the last run. Needs only httpx (pip install httpx).

Against the demo (`make run`, then a key from `python manage.py create_api_key`):

    export SUPPLIERWATCH_URL=http://127.0.0.1:8000
    export SUPPLIERWATCH_API_KEY=$(.venv/bin/python manage.py create_api_key \\
        --organization acme --scopes read,write --name "example client")
    python examples/sync_client.py sync-codes examples/vendor_codes.csv
    python examples/sync_client.py pull --since 2026-01-01T00:00:00Z

`pull` prints one line per incident and, last, the `--since` to pass next time.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx

BATCH = 1000  # the API's limit per request


class Client:
    def __init__(self, base_url: str, key: str, *, transport: httpx.BaseTransport | None = None):
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Api-Key {key}", "User-Agent": "supplierwatch-example/1"},
            timeout=30,
            transport=transport,
        )

    def request(self, method: str, url: str, **kwargs) -> dict:
        """One call, waiting out 429s (Retry-After) and retrying 5xx a few times."""
        for attempt in range(5):
            response = self.http.request(method, url, **kwargs)
            if response.status_code == 429:
                time.sleep(int(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code >= 500 and attempt < 4:
                time.sleep(2**attempt)
                continue
            if response.is_error:
                error = response.json().get("error", {})
                raise SystemExit(f"{method} {url}: {response.status_code} {error}")
            return response.json()
        raise SystemExit(f"{method} {url}: gave up after retries")

    def sync_vendor_codes(self, rows: list[dict]) -> dict:
        """Upsert rows of vendor_code, name (and website) in batches; totals of every outcome."""
        totals = {"created": 0, "linked": 0, "relinked": 0, "unchanged": 0, "rejected": []}
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            result = self.request(
                "POST", "/api/v1/suppliers/vendor-codes/", json={"suppliers": batch}
            )
            for outcome in ("created", "linked", "relinked", "unchanged"):
                totals[outcome] += result[outcome]
            totals["rejected"] += [
                {"row": start + item["index"], "reason": item["reason"]}
                for item in result["rejected"]
            ]
        return totals

    def incidents_since(self, since: str | None) -> Iterator[dict]:
        """Every incident changed at or after `since` (ISO 8601), oldest change first."""
        params = {"ordering": "last_activity_at", "page_size": 200}
        if since:
            params["updated_since"] = since
        page = self.request("GET", "/api/v1/incidents/", params=params)
        while True:
            yield from page["results"]
            if not page["next"]:
                return
            page = self.request("GET", page["next"])


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read_vendor_codes(path: Path) -> list[dict]:
    """A CSV with the columns vendor_code and name (website optional), as ERPs export it."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = []
        for line in csv.DictReader(handle):
            row = {"vendor_code": line["vendor_code"].strip(), "name": line["name"].strip()}
            if line.get("website"):
                row["website"] = line["website"].strip()
            rows.append(row)
        return rows


def main(argv: list[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("SUPPLIERWATCH_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--key", default=os.environ.get("SUPPLIERWATCH_API_KEY"))
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync-codes", help="Upsert vendor codes from a CSV file.")
    sync.add_argument("csv", type=Path)
    pull = commands.add_parser("pull", help="Print incidents changed since a time.")
    pull.add_argument("--since", help="ISO 8601, e.g. the value printed by the previous run.")
    args = parser.parse_args(argv)
    if not args.key:
        parser.error("give --key or set SUPPLIERWATCH_API_KEY")
    client = Client(args.url, args.key, transport=transport)

    if args.command == "sync-codes":
        totals = client.sync_vendor_codes(read_vendor_codes(args.csv))
        print(
            f"created {totals['created']}, linked {totals['linked']}, "
            f"relinked {totals['relinked']}, unchanged {totals['unchanged']}, "
            f"rejected {len(totals['rejected'])}"
        )
        for rejection in totals["rejected"]:
            print(f"  row {rejection['row']}: {rejection['reason']}", file=sys.stderr)
        return 1 if totals["rejected"] else 0

    watermark = None
    for incident in client.incidents_since(args.since):
        counters = incident["counters"]
        # The supplier's 8D: its eight disciplines, each done once it has a done date.
        done = sum(1 for discipline in incident["eight_d"] if discipline["done_on"])
        print(
            f"#{incident['id']} [{incident['status']}/{incident['severity']}] "
            f"{incident['vendor_code'] or '-'} {incident['title']} "
            f"({counters['posts']} posts, {counters['other_organizations']} other organizations, "
            f"8D {done}/8 done)"
        )
        changed = max(_time(incident["last_activity_at"]), _time(incident["updated_at"]))
        watermark = max(watermark or changed, changed)
    # At or after: the next run sees the latest incident again, so nothing is ever missed.
    print(f"next --since: {watermark.isoformat() if watermark else args.since or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
