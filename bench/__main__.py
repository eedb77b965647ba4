"""`make bench`: run every benchmark and write bench/RESULTS.md with the machine and the date."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from bench import (
    bench_grouping,
    bench_load,
    bench_matching,
    bench_pipeline,
    bench_scale,
    bench_search,
)

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            kb = int(file.readline().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.node() or 'unknown host'}: {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores{memory}, Python {platform.python_version()}"
    )


def main() -> None:
    sections = [
        bench_matching.run(),
        bench_grouping.run(),
        bench_pipeline.run(),
        bench_search.run(),
        bench_load.run(),
        bench_scale.run(),
    ]
    text = "\n".join(
        [
            "# Benchmarks",
            "",
            f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
            "Every figure stands beside its baseline, measured in the same run on the same texts.",
            "",
            *sections,
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
