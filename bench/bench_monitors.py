"""Keyword monitors at ingest: supplier matching alone against supplier matching with monitors.

Run from the project root: ``python -m bench.bench_monitors [--texts N]``. It prints a Markdown
section; ``run()`` returns the same text for the ``make bench`` driver.

The pipeline matches each post against every supplier alias (incidents.matching.Matcher) and then
against every keyword monitor (incidents.monitors.MonitorMatcher, given the suppliers the post
names), as services.monitor_matches_record does. Both are timed on the same texts, the real tweets
of ../shared/data repeated, with 1,000 supplier aliases (bench_matching's set): supplier matching
alone is the baseline, and supplier matching + 100 or + 1,000 monitors must keep at least half its
throughput (the README: matching happens at ingest "at the same speed as supplier matching").

The monitors' queries are what people write: a word, two words that must both appear, a "quoted
phrase", alternatives in parentheses, an exclusion with NOT, a tenth of them limited to chosen
suppliers. Their words are drawn with a fixed seed from a vocabulary of complaint words (most of
them found in the tweets) and made-up product words (found nowhere), so every run sees the same
monitors, some of which find posts and some of which do not.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random

from bench.bench_matching import DATA, alias_set, load_tweets, log, rates, row
from incidents.matching import Matcher, is_common_word
from incidents.monitors import MonitorMatcher, MonitorSpec

TEXTS = 100_000
ALIASES = 1_000
MONITOR_COUNTS = (100, 1_000)
SEED = 20261201
TARGET = 0.5

# Words a buyer or a supplier watches for; most of them are in the tweets.
WORDS = (  # noqa: SIM905
    "delayed delay late cancelled canceled lost luggage bag bags broken damaged refund rude "
    "stuck missed connection hours hold waiting seat seats wifi crew gate staff service "
    "customer worst terrible dirty smell leak leaking cracked torn wet mold rust recall "
    "overbooked upgrade voucher compensation credit charge fee fees baggage claim tarmac "
    "diverted weather maintenance mechanical pilot attendant boarding check desk agent phone"
).split()
PHRASES = (
    "lost luggage",
    "customer service",
    "on hold",
    "missed connection",
    "flight attendant",
    "cancelled flight",
    "checked bag",
    "no refund",
    "broken seat",
    "wrong item",
)
# Words found in no tweet: monitors of products nobody wrote about yet.
ONSETS = "b br d f g k l m n p r s t v z".split()  # noqa: SIM905
VOWELS = "a e i o u".split()  # noqa: SIM905


def _made_up(rng: random.Random) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(3)) + "x"


def _term(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.2:
        return f'"{rng.choice(PHRASES)}"'
    if roll < 0.35:
        return _made_up(rng)
    return rng.choice(WORDS)


def monitor_queries(count: int, supplier_ids: list[int]) -> list[MonitorSpec]:
    """`count` monitors with realistic queries; a tenth limited to one to three suppliers."""
    rng = random.Random(SEED)
    shapes = (
        lambda: _term(rng),
        lambda: f"{_term(rng)} {_term(rng)}",
        lambda: f"({_term(rng)} OR {_term(rng)}) {_term(rng)}",
        lambda: f"{_term(rng)} AND NOT {_term(rng)}",
        lambda: f"{_term(rng)} OR {_term(rng)} OR {_term(rng)}",
        lambda: f'({_term(rng)} OR "{rng.choice(PHRASES)}") AND NOT ({_term(rng)} OR {_term(rng)})',
    )
    monitors = []
    for monitor_id in range(1, count + 1):
        query = rng.choice(shapes)()
        limited = rng.random() < 0.1
        chosen = frozenset(rng.sample(supplier_ids, rng.randint(1, 3))) if limited else frozenset()
        monitors.append(MonitorSpec(monitor_id, query, chosen))
    return monitors


def run(texts_limit: int | None = None) -> str:
    heading = "## Keyword monitors at ingest (incidents/monitors.py)"
    if not (DATA / "airline-tweets-dev.csv").is_file():
        return f"{heading}\n\nSkipped: {DATA} is absent.\n"
    tweets = load_tweets()
    total = texts_limit or TEXTS
    texts = (tweets * (total // len(tweets) + 1))[:total]
    is_common_word("warm")  # wordfreq's list, loaded once per process, before timing
    aliases, suppliers = alias_set(ALIASES)
    supplier_matcher = Matcher(aliases, suppliers)
    supplier_ids = sorted({spec.id for spec in suppliers})

    def suppliers_only(text: str) -> list:
        return supplier_matcher.match(text)

    def with_monitors(monitor_matcher: MonitorMatcher):
        def both(text: str) -> list:
            found = supplier_matcher.match(text)
            return monitor_matcher.match(text, [match.supplier_id for match in found])

        return both

    # The suppliers each tweet names, found once: monitor matching alone is timed without them.
    named = {text: [m.supplier_id for m in supplier_matcher.match(text)] for text in tweets}

    def monitors_only(monitor_matcher: MonitorMatcher):
        def alone(text: str) -> list:
            return monitor_matcher.match(text, named[text])

        return alone

    monitor_matchers = {}
    notes = []
    for count in MONITOR_COUNTS:
        monitors = monitor_queries(count, supplier_ids)
        monitor_matchers[count] = matcher = MonitorMatcher(monitors)
        hits = [
            matcher.match(text, [m.supplier_id for m in supplier_matcher.match(text)])
            for text in tweets
        ]
        finding = len({monitor_id for found in hits for monitor_id in found})
        notes.append(
            f"{count:,} monitors: {matcher.size:,} distinct terms; {finding:,} of them find at "
            f"least one of the {len(tweets):,} tweets; {sum(1 for found in hits if found):,} "
            f"tweets satisfy at least one; e.g. `{monitors[0].query}`, `{monitors[5].query}`."
        )
    log(f"monitors: matching {len(texts):,} texts, suppliers alone and with monitors")
    measured = rates(
        {
            "suppliers": suppliers_only,
            **{f"+{count}": with_monitors(monitor_matchers[count]) for count in MONITOR_COUNTS},
            **{f"{count}": monitors_only(monitor_matchers[count]) for count in MONITOR_COUNTS},
        },
        texts,
    )
    baseline = measured["suppliers"]
    lines = [
        heading,
        "",
        f"{datetime.date.today().isoformat()}; {platform.platform()}; "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; {len(texts):,} texts from {len(tweets):,} real tweets, "
        f"repeated as needed; {ALIASES:,} supplier aliases.",
        "",
        "| figure | ours | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for count in MONITOR_COUNTS:
        ours = measured[f"+{count}"]
        lines.append(
            row(
                f"posts/s, supplier matching + {count:,} monitors, vs supplier matching alone",
                f"{ours:,.0f}",
                f"{baseline:,.0f}",
                ours / baseline,
                f">= {TARGET}",
                ours / baseline >= TARGET,
            )
        )
    for count in MONITOR_COUNTS:
        alone = measured[f"{count}"]
        lines.append(
            row(
                f"posts/s, {count:,} monitors alone, vs supplier matching alone (reference)",
                f"{alone:,.0f}",
                f"{baseline:,.0f}",
                alone / baseline,
                "",
                None,
            )
        )
    lines += [
        "",
        "Throughput is posts per CPU second, the best of three passes, the matchers taking turns "
        "on chunks of texts (bench_matching.rates). Monitor matching is given the suppliers each "
        "post names, as the pipeline gives them. A ratio of 0.5 with monitors is monitor "
        "matching costing what supplier matching costs (the reference rows: 1.0).",
        *(f"- {note}" for note in notes),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--texts", type=int, default=None, help=f"texts to match (default {TEXTS:,})"
    )
    print(run(parser.parse_args().texts))


if __name__ == "__main__":
    main()
