"""Supplier matcher: throughput, build time and memory against a raw automaton and regexes.

Run from the project root: ``python -m bench.bench_matching [--texts N]``. It prints a Markdown
section; ``run()`` returns the same text for the ``make bench`` driver.

Texts are the real tweets of ../shared/data, repeated to 200,000. Alias sets of 1k, 10k and 100k
are the six airlines plus synthetic suppliers whose names, handles, hashtags, domains and products
are made of random syllables with a fixed seed, so every run sees the same aliases.

Baselines: (a) one pyahocorasick automaton over the lowercased aliases, iterated over the
lowercased texts with a word-boundary check, the least any automaton matcher must do; (b) one
compiled regular expression per supplier, searched in turn. The regexes are too slow to run over
every text, so they run over a subset sized to take a few seconds; their posts/s is measured
on that subset.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gc
import json
import os
import platform
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path

import ahocorasick

from incidents.matching import AliasSpec, Matcher, SupplierSpec, is_common_word

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEXTS = 200_000
SIZES = (1_000, 10_000, 100_000)
# Regex subsets: about the same number of supplier searches at every size.
REGEX_TEXTS = {1_000: 10_000, 10_000: 1_000, 100_000: 100}
SEED = 20150224
CHUNK = 5_000

AIRLINE_CONTEXT = (
    "flight",
    "flights",
    "airline",
    "plane",
    "gate",
    "luggage",
    "bag",
    "seat",
    "crew",
)
SUPPLY_CONTEXT = ("delivery", "shipment", "parts", "order", "batch", "lot", "invoice", "supplier")
# Syllables for made-up supplier names; a string reads better here than 28 quoted items.
ONSETS = "b br c cr d dr f fl g gr h j k kr l m n p pr qu r s st t tr v w z".split()  # noqa: SIM905
VOWELS = "a e i o u a e o ai ea io".split()  # noqa: SIM905
CODAS = ["", "", "", "n", "r", "l", "x", "s", "th", "ck", "m", "nt"]
SUFFIXES = (  # noqa: SIM905
    "Industries Components Logistics Packaging Systems Manufacturing Supply Metals Plastics "
    "Electronics Freight Chemicals Textiles Foods Materials Tooling"
).split()
TARGETS = {"throughput": 0.5, "scaling": 0.4, "build": 3.0, "memory": 2.0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_tweets() -> list[str]:
    with (DATA / "airline-tweets-dev.csv").open(encoding="utf-8", newline="") as file:
        return [row["text"] for row in csv.DictReader(file)]


def airline_aliases() -> list[AliasSpec]:
    airlines = json.loads((DATA / "airlines-suppliers.json").read_text(encoding="utf-8"))
    specs = []
    for supplier_id, airline in enumerate(airlines, start=1):
        specs.append(AliasSpec(supplier_id, airline["name"], "name"))
        specs += [AliasSpec(supplier_id, text, "handle") for text in airline["handles"]]
        specs += [AliasSpec(supplier_id, text, "alias") for text in airline["aliases"]]
        specs += [AliasSpec(supplier_id, text, "hashtag") for text in airline["hashtags"]]
    return specs


def synthetic_aliases(first_id: int, count: int) -> Iterable[AliasSpec]:
    """Realistic-looking supplier aliases: "Brantex Metals", "@brantex", "brantex.com", ..."""
    rng = random.Random(SEED)
    stems: set[str] = set()
    supplier_id = first_id
    while count > 0:
        stem = "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
            for _ in range(rng.choice((2, 2, 3)))
        )
        if len(stem) < 5 or stem in stems:
            continue
        stems.add(stem)
        title = stem.capitalize()
        suffix = rng.choice(SUFFIXES)
        aliases = [
            AliasSpec(supplier_id, f"{title} {suffix}", "name"),
            AliasSpec(supplier_id, title, "alias"),
            AliasSpec(supplier_id, f"@{stem}{rng.choice(('', '', 'hq', '_help'))}", "handle"),
            AliasSpec(supplier_id, f"#{title}{suffix}", "hashtag"),
            AliasSpec(supplier_id, f"{stem}.{rng.choice(('com', 'com', 'de', 'io'))}", "domain"),
            AliasSpec(
                supplier_id, f"{title} {rng.choice('XSMP')}{rng.randint(1, 99) * 10}", "product"
            ),
        ]
        yield from aliases[:count]
        count -= len(aliases)
        supplier_id += 1


def alias_set(size: int) -> tuple[list[AliasSpec], list[SupplierSpec]]:
    aliases = airline_aliases()
    aliases += synthetic_aliases(1000, size - len(aliases))
    airline_ids = {spec.supplier_id for spec in aliases if spec.supplier_id < 1000}
    suppliers = [
        SupplierSpec(sid, AIRLINE_CONTEXT if sid in airline_ids else SUPPLY_CONTEXT[sid % 4 :][:4])
        for sid in sorted({spec.supplier_id for spec in aliases})
    ]
    return aliases, suppliers


class RawAutomaton:
    """Baseline (a): the bare automaton, lowercase keys, a boundary check, nothing else."""

    def __init__(self, aliases: list[AliasSpec]) -> None:
        self.automaton = ahocorasick.Automaton()
        for spec in aliases:
            key = spec.text.lower()
            self.automaton.add_word(key, (spec.supplier_id, len(key)))
        self.automaton.make_automaton()

    def match(self, text: str) -> list[tuple[int, int, int]]:
        text = text.lower()
        length = len(text)
        hits = []
        for last, (supplier_id, key_length) in self.automaton.iter(text):
            start = last - key_length + 1
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue
            if last + 1 < length and (text[last + 1].isalnum() or text[last + 1] == "_"):
                continue
            hits.append((supplier_id, start, last + 1))
        return hits


class RegexPerSupplier:
    """Baseline (b): one compiled alternation per supplier, longest alias first."""

    def __init__(self, aliases: list[AliasSpec]) -> None:
        by_supplier: dict[int, list[str]] = {}
        for spec in aliases:
            by_supplier.setdefault(spec.supplier_id, []).append(spec.text)
        self.patterns = [
            (
                supplier_id,
                re.compile(
                    r"(?<!\w)(?:"
                    + "|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True))
                    + r")(?!\w)",
                    re.IGNORECASE,
                ),
            )
            for supplier_id, texts in by_supplier.items()
        ]

    def match(self, text: str) -> list[tuple[int, int, int]]:
        hits = []
        for supplier_id, pattern in self.patterns:
            found = pattern.search(text)
            if found:
                hits.append((supplier_id, found.start(), found.end()))
        return hits


def rates(matchers: dict[str, Callable[[str], list]], texts: list[str], rounds: int = 3) -> dict:
    """Posts per CPU second for each matcher, best of ``rounds`` passes over ``texts``.

    Other processes share the machine, so the matchers take turns on short chunks of texts
    (alternating who goes first) and the time is CPU time: a burst of someone else's work then
    slows every matcher alike instead of whichever happened to be running.
    """
    chunks = [texts[start : start + CHUNK] for start in range(0, len(texts), CHUNK)]
    names = list(matchers)
    best = dict.fromkeys(names, float("inf"))
    for _ in range(rounds):
        spent = dict.fromkeys(names, 0.0)
        for number, chunk in enumerate(chunks):
            for name in names if number % 2 == 0 else reversed(names):
                match = matchers[name]
                started = time.process_time()
                for text in chunk:
                    match(text)
                spent[name] += time.process_time() - started
        best = {name: min(best[name], spent[name]) for name in names}
    return {name: len(texts) / seconds for name, seconds in best.items()}


def build_times(builds: dict[str, Callable[[], object]], rounds: int = 3) -> dict[str, float]:
    """CPU seconds of each build, best of ``rounds``, the builds taking turns."""
    best = dict.fromkeys(builds, float("inf"))
    for _ in range(rounds):
        for name, build in builds.items():
            started = time.process_time()
            build()
            best[name] = min(best[name], time.process_time() - started)
    return best


def memory_growth(build: Callable[[], object]) -> int:
    """Bytes still allocated after ``build`` while its result is alive (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del built
    return after - before


def row(figure: str, ours: str, baseline: str, ratio: float, target: str, met: bool | None) -> str:
    verdict = "" if met is None else ("yes" if met else "**no**")
    return f"| {figure} | {ours} | {baseline} | {ratio:.2f} | {target} | {verdict} |"


def run(texts_limit: int | None = None) -> str:
    """Run every measurement and return the Markdown section."""
    heading = "## Supplier matching (incidents/matching.py)"
    if not (DATA / "airline-tweets-dev.csv").is_file():
        return f"{heading}\n\nSkipped: {DATA} is absent.\n"
    tweets = load_tweets()
    total = texts_limit or TEXTS
    texts = (tweets * (total // len(tweets) + 1))[:total]
    scale = total / TEXTS

    # wordfreq's English list is loaded once per process, not per build: load it before timing.
    gc.collect()
    tracemalloc.start()
    is_common_word("warm")
    wordfreq_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    lines = [
        heading,
        "",
        f"{datetime.date.today().isoformat()}; {platform.platform()}; "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; {len(texts):,} texts from {len(tweets):,} real tweets, "
        "repeated as needed.",
        "",
        "| figure | ours | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    ours_at: dict[int, float] = {}
    notes = []
    for size in SIZES:
        aliases, suppliers = alias_set(size)
        log(f"{size:,} aliases ({len(suppliers):,} suppliers): building")
        matcher = Matcher(aliases, suppliers)
        raw = RawAutomaton(aliases)
        log(f"{size:,} aliases: matching {len(texts):,} texts")
        measured = rates({"ours": matcher.match, "raw": raw.match}, texts)
        ours = ours_at[size] = measured["ours"]
        raw_rate = measured["raw"]
        regex = RegexPerSupplier(aliases)
        regex_texts = texts[: max(50, int(REGEX_TEXTS[size] * scale))]
        log(f"{size:,} aliases: regexes over {len(regex_texts):,} texts")
        regex_rate = rates({"regex": regex.match}, regex_texts, rounds=1)["regex"]
        matched = sum(1 for text in tweets if matcher.match(text))
        notes.append(
            f"{size:,} aliases: {len(suppliers):,} suppliers; {matched:,} of {len(tweets):,} "
            f"tweets matched; regexes timed on {len(regex_texts):,} texts."
        )
        lines.append(
            row(
                f"posts/s, {size:,} aliases, vs raw automaton",
                f"{ours:,.0f}",
                f"{raw_rate:,.0f}",
                ours / raw_rate,
                f">= {TARGETS['throughput']}",
                ours / raw_rate >= TARGETS["throughput"],
            )
        )
        lines.append(
            row(
                f"posts/s, {size:,} aliases, vs regex per supplier",
                f"{ours:,.0f}",
                f"{regex_rate:,.0f}",
                ours / regex_rate,
                "",
                None,
            )
        )
        del matcher, raw, regex

    small, large = SIZES[0], SIZES[-1]
    scaling = ours_at[large] / ours_at[small]
    lines.append(
        row(
            f"posts/s, {large:,} vs {small:,} aliases (ours)",
            f"{ours_at[large]:,.0f}",
            f"{ours_at[small]:,.0f}",
            scaling,
            f">= {TARGETS['scaling']}",
            scaling >= TARGETS["scaling"],
        )
    )

    aliases, suppliers = alias_set(large)
    log(f"{large:,} aliases: build time and memory")
    built = build_times(
        {"ours": lambda: Matcher(aliases, suppliers), "raw": lambda: RawAutomaton(aliases)}
    )
    ours_build, raw_build = built["ours"], built["raw"]
    lines.append(
        row(
            f"rebuild seconds, {large:,} aliases",
            f"{ours_build:.2f}",
            f"{raw_build:.2f}",
            ours_build / raw_build,
            f"<= {TARGETS['build']}",
            ours_build / raw_build <= TARGETS["build"],
        )
    )
    ours_memory = memory_growth(lambda: Matcher(aliases, suppliers))
    raw_memory = memory_growth(lambda: RawAutomaton(aliases))
    lines.append(
        row(
            f"memory growth MB, {large:,} aliases",
            f"{ours_memory / 1e6:.1f}",
            f"{raw_memory / 1e6:.1f}",
            ours_memory / raw_memory,
            f"<= {TARGETS['memory']}",
            ours_memory / raw_memory <= TARGETS["memory"],
        )
    )

    lines += [
        "",
        "Ratios are ours / baseline (for build time and memory, lower is better). Throughput is "
        "posts per CPU second, the best of three passes, ours and the raw automaton taking turns "
        f"on chunks of {CHUNK:,} texts (one pass for the regexes); build time is CPU seconds, "
        "best of three. "
        "Memory is what tracemalloc still sees allocated once the built object exists, "
        "pyahocorasick's nodes included.",
        f"wordfreq's English list, loaded once per process before the builds and not counted "
        f"above: {wordfreq_bytes / 1e6:.1f} MB traced when this run loaded it.",
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
