"""Keyword monitors at ingest: supplier matching alone against supplier matching with monitors.

Run from the project root: ``python -m bench.bench_monitors [--texts N]``. It prints a Markdown
section; ``run()`` returns the same text for the ``make bench`` driver.

The pipeline (services.processing) searches each public post once with one automaton holding every
supplier alias and every keyword monitor's terms (incidents.matching.Matcher ``search``), then reads
off the monitors the terms found satisfy, given the suppliers the post names
(incidents.monitors.MonitorMatcher ``satisfied``); ``ingest_matching`` below does exactly that.
It is timed on the real tweets of ../shared/data, repeated, with 1,000 supplier aliases
(bench_matching's set): without monitors (the automaton holding the aliases only) it is the
baseline, and with 100 or 1,000 monitors it must keep at least half that throughput (the README:
matching happens at ingest "at the same speed as supplier matching"). For reference, the monitors
alone, searched for in an automaton of their own (MonitorMatcher ``match``).

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
from collections.abc import Callable

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


def ingest_matching(matcher: Matcher, monitors: MonitorMatcher) -> Callable[[str], set[int]]:
    """A public post's matching as the pipeline does it: suppliers and monitor terms in one
    search, then the monitors the terms satisfy given the suppliers named."""

    def match(text: str) -> set[int]:
        found, terms = matcher.search(text)
        return monitors.satisfied(terms, [match.supplier_id for match in found])

    return match


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
    # The suppliers each tweet names, found once: monitor matching alone is timed without them.
    named = {text: [m.supplier_id for m in supplier_matcher.match(text)] for text in tweets}

    def monitors_only(monitor_matcher: MonitorMatcher) -> Callable[[str], list[int]]:
        def alone(text: str) -> list[int]:
            return monitor_matcher.match(text, named[text])

        return alone

    matchers = {"suppliers": ingest_matching(supplier_matcher, MonitorMatcher([]))}
    notes = []
    for count in MONITOR_COUNTS:
        monitors = monitor_queries(count, supplier_ids)
        monitor_matcher = MonitorMatcher(monitors)
        both = ingest_matching(
            Matcher(aliases, suppliers, terms=monitor_matcher.terms), monitor_matcher
        )
        matchers[f"+{count}"] = both
        matchers[f"{count}"] = monitors_only(monitor_matcher)
        hits = [both(text) for text in tweets]
        finding = len({monitor_id for found in hits for monitor_id in found})
        notes.append(
            f"{count:,} monitors: {len(monitor_matcher.terms):,} distinct terms; {finding:,} of the "
            f"monitors find at least one of the {len(tweets):,} tweets; "
            f"{sum(1 for found in hits if found):,} tweets satisfy at least one; "
            f"e.g. `{monitors[0].query}`, `{monitors[5].query}`."
        )
    log(f"monitors: matching {len(texts):,} texts, suppliers alone and with monitors")
    measured = rates(matchers, texts)
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
        "matching costing what supplier matching costs. The reference rows search for the "
        "monitors' terms in a second pass over each post, with an automaton of their own.",
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
