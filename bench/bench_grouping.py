"""Grouping complaints into incidents, scored against a known truth built from real posts.

Run from the project root: ``python -m bench.bench_grouping``; ``run()`` returns the Markdown
section for the ``make bench`` driver. No database: it drives the pure cores (incidents/problems.py
for ours, grouping.fingerprint for the baseline) on the same posts in the same run.

How the truth is built (fixed seed, so every run scores the same arrangement): the negative tweets
of ../shared/data/airline-tweets-dev.csv, each labelled by people with the airline it is about and
a reason ("Late Flight", "Lost Luggage", ...), are laid out over twelve weeks:

- bursts: for each of the five large airlines, BURSTS_PER_AIRLINE bursts, each 5 to 15 tweets of
  one airline and one reason (never "Can't Tell"), all within BURST_HOURS of the burst's start,
  the starts spread at random over the twelve weeks. Every other burst gets a twin: a burst of the
  same airline about another reason starting within a day of it (two problems of one supplier in one
  week). Each burst is one true incident.
- background: BACKGROUND other negative tweets of any airline and reason, each at a random time of
  the twelve weeks, each its own true incident (a lone complaint is a problem of its own).

Both groupings see the posts in time order, in batches of BATCH posts as the pipeline would, with
the category the product's lexicon classifier gives each text (the procurement taxonomy) and the
supplier names removed by the product's matcher. Scores are B-cubed precision, recall and F1 (Bagga
and Baldwin 1998: per post, the share of its incident that belongs to its true incident, and the
share of its true incident found in its incident; averaged over posts).
"""

from __future__ import annotations

import csv
import importlib
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidents import grouping, problems
from incidents.classify import CategorySpec, LexiconClassifier
from incidents.grouping_quality import b_cubed
from incidents.matching import AliasSpec, Matcher, SupplierSpec

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SEED = 20150224
START = datetime(2025, 1, 6, tzinfo=UTC)
SPAN = timedelta(weeks=12)
BURSTS_PER_AIRLINE = 12
BURST_HOURS = 6
BACKGROUND = 2000
BATCH = 200
CONTEXT = ("flight", "flights", "airline", "plane", "gate", "luggage", "bag", "seat", "crew")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Item:
    key: str
    supplier: int
    at: datetime
    text: str
    truth: str


def _tweets() -> list[dict]:
    with (DATA / "airline-tweets-dev.csv").open(encoding="utf-8", newline="") as file:
        return [row for row in csv.DictReader(file) if row["sentiment"] == "negative"]


def arrange(tweets: list[dict], suppliers: Mapping[str, int]) -> list[Item]:
    """The truth: bursts of one airline's posts of one reason, and lone background posts."""
    rng = random.Random(SEED)
    pools: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for tweet in tweets:
        pools[(tweet["airline"], tweet["negative_reason"])].append(tweet)
    for pool in pools.values():
        rng.shuffle(pool)
    items: list[Item] = []

    def burst(airline: str, reason: str, start: datetime, number: int) -> None:
        pool = pools[(airline, reason)]
        size = min(rng.randint(5, 15), len(pool))
        for _ in range(size):
            tweet = pool.pop()
            at = start + timedelta(seconds=rng.uniform(0, BURST_HOURS * 3600))
            items.append(
                Item(tweet["post_id"], suppliers[airline], at, tweet["text"], f"burst-{number}")
            )

    airlines = sorted({a for a, _ in pools if a != "Virgin America"})
    number = 0
    for airline in airlines:
        for index in range(BURSTS_PER_AIRLINE):
            reasons = [
                r for (a, r), pool in pools.items() if a == airline and r and r != "Can't Tell"
            ]
            reasons = [r for r in reasons if len(pools[(airline, r)]) >= 5]
            reason = rng.choice(sorted(reasons))
            start = START + timedelta(seconds=rng.uniform(0, SPAN.total_seconds()))
            burst(airline, reason, start, number := number + 1)
            if index % 2:
                others = sorted(r for r in reasons if r != reason)
                twin_start = start + timedelta(hours=rng.uniform(0, 24))
                burst(airline, rng.choice(others), twin_start, number := number + 1)
    rest = [tweet for pool in pools.values() for tweet in pool]
    rng.shuffle(rest)
    for tweet in rest[:BACKGROUND]:
        at = START + timedelta(seconds=rng.uniform(0, SPAN.total_seconds()))
        items.append(
            Item(tweet["post_id"], suppliers[tweet["airline"]], at, tweet["text"], tweet["post_id"])
        )
    items.sort(key=lambda item: item.at)
    return items


def _engines() -> tuple[Matcher, LexiconClassifier, dict[str, int]]:
    records = json.loads((DATA / "airlines-suppliers.json").read_text(encoding="utf-8"))
    suppliers = {record["name"]: number for number, record in enumerate(records, start=1)}
    aliases = [
        AliasSpec(suppliers[r["name"]], text, kind)
        for r in records
        for kind, field in (("handle", "handles"), ("name", "aliases"), ("hashtag", "hashtags"))
        for text in r.get(field, [])
    ]
    matcher = Matcher(aliases, [SupplierSpec(n, CONTEXT) for n in suppliers.values()])
    # The taxonomy a fresh installation has (migration 0003 seeds it).
    seeded = importlib.import_module("incidents.migrations.0003_seed_categories").CATEGORIES
    classifier = LexiconClassifier(
        CategorySpec(number, slug, tuple(keywords))
        for number, (slug, _name, _description, keywords) in enumerate(seeded, start=1)
    )
    return matcher, classifier, suppliers


def group_ours(
    items: list[Item], categories: Mapping[str, str | None], spans, rules: problems.Rules
) -> tuple[dict[str, int], float]:
    """Our grouping, batch by batch, each supplier's candidates carried between batches only as
    the database would hold them (signature, category, first and last evidence)."""
    stored: dict[int, list[problems.Candidate]] = defaultdict(list)
    found: dict[str, int] = {}
    ids = iter(range(1, 10**9))
    # Only what the pipeline would do is timed: reading the texts and placing them (the stand-in
    # for the candidate query is not).
    seconds = 0.0
    for begin in range(0, len(items), BATCH):
        batch = items[begin : begin + BATCH]
        by_supplier: dict[int, list[Item]] = defaultdict(list)
        for item in batch:
            by_supplier[item.supplier].append(item)
        for supplier, chosen in by_supplier.items():
            earliest = min(item.at for item in chosen)
            # The candidate query: incidents with evidence within the quiet gap, latest first.
            candidates = [
                problems.Candidate(
                    c.incident_id,
                    c.category,
                    problems.Signature.from_json(c.signature.to_json()),
                    c.first_at,
                    c.last_at,
                )
                for c in sorted(stored[supplier], key=lambda c: c.last_at, reverse=True)
                if c.last_at >= earliest - rules.quiet_gap
            ][: rules.max_candidates]
            started = time.process_time()
            evidence = [
                problems.Evidence(
                    item.key,
                    item.at,
                    categories[item.key],
                    problems.features(item.text, remove=spans[item.key]),
                )
                for item in chosen
            ]
            now = max(item.at for item in chosen)
            placements, after = problems.group(evidence, candidates, now=now, rules=rules)
            seconds += time.process_time() - started
            for candidate in after:
                if candidate.incident_id is None:
                    candidate.incident_id = next(ids)
            for placement in placements:
                found[str(placement.key)] = after[placement.candidate].incident_id or 0
            kept = {c.incident_id: c for c in stored[supplier]}
            kept.update({c.incident_id: c for c in after})
            stored[supplier] = list(kept.values())
    return found, seconds


def group_baseline(items: list[Item], categories: Mapping[str, str | None]) -> dict[str, str]:
    """Today's grouping: one never-ending incident per supplier and category."""
    return {
        item.key: grouping.fingerprint(supplier_id=item.supplier, category_key=categories[item.key])
        for item in items
    }


def measure(rules: problems.Rules | None = None) -> dict:
    matcher, classifier, suppliers = _engines()
    items = arrange(_tweets(), suppliers)
    categories: dict[str, str | None] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for item in items:
        category_id, _ = classifier.category_for(item.text)
        categories[item.key] = str(category_id) if category_id else None
        spans[item.key] = [(m.start, m.end) for m in matcher.match(item.text)]
    truth = {item.key: item.truth for item in items}
    ours, seconds = group_ours(items, categories, spans, rules or problems.Rules())
    return {
        "posts": len(items),
        "true_incidents": len(set(truth.values())),
        "bursts": len({t for t in truth.values() if t.startswith("burst-")}),
        "ours": b_cubed(ours, truth),
        "baseline": b_cubed(group_baseline(items, categories), truth),
        "posts_per_second": len(items) / seconds if seconds else 0.0,
    }


def run() -> str:
    log("grouping: arranging bursts of real posts and grouping them two ways")
    figures = measure()
    ours, base = figures["ours"], figures["baseline"]
    rows = [
        f"| {name} | {ours[key]:.3f} | {base[key]:.3f} | {ours[key] / base[key]:.2f} |"
        for name, key in (("B-cubed precision", "precision"), ("B-cubed recall", "recall"))
    ]
    f1_met = "yes" if ours["f1"] >= base["f1"] + 0.1 else "no"
    return "\n".join(
        [
            "## Grouping complaints into incidents (incidents/problems.py)",
            "",
            f"{figures['posts']:,} negative tweets of ../shared/data laid out over twelve weeks: "
            f"{figures['bursts']} bursts of one airline and one reason within {BURST_HOURS} hours "
            f"(every other one with a twin of another reason within a day) and {BACKGROUND} lone "
            f"posts, {figures['true_incidents']} true incidents (bench/bench_grouping.py says how).",
            "",
            "| figure | ours | baseline: supplier + category | ratio | target | met |",
            "|---|---:|---:|---:|---|---|",
            *[row + " | |" for row in rows],
            f"| B-cubed F1 | {ours['f1']:.3f} | {base['f1']:.3f} | "
            f"{ours['f1'] / base['f1']:.2f} | >= baseline + 0.10 | {f1_met} |",
            f"| incidents | {ours['groups']:,} | {base['groups']:,} | | | |",
            "",
            f"Grouping alone: {figures['posts_per_second']:,.0f} posts per CPU second "
            f"(batches of {BATCH}).",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
    # Tuning: python -m bench.bench_grouping --sweep threshold=0.3,close_time=6 threshold=0.5 ...
    # (quiet_gap and close_time in hours).
    if len(sys.argv) > 1 and sys.argv[1] == "--sweep":
        for args in sys.argv[2:]:
            settings: dict[str, Any] = {
                k: float(v) for k, v in (kv.split("=") for kv in args.split(","))
            }
            for k in ("quiet_gap", "close_time"):
                if k in settings:
                    settings[k] = timedelta(hours=settings[k])
            rules = replace(problems.Rules(), **settings)
            figures = measure(rules)
            print(args, {k: round(v, 3) for k, v in figures["ours"].items()})
