"""`make bench`: run every benchmark and write bench/RESULTS.md with the machine and the date."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

# In this order; each in a process of its own, since each sets Django up on its own database.
SECTIONS = [
    "bench_matching",
    "bench_monitors",
    "bench_grouping",
    "bench_pipeline",
    "bench_search",
    "bench_exports",
    "bench_load",
    "bench_scale",
]

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


def section(name: str) -> str:
    """One benchmark's section of RESULTS.md, run in a fresh interpreter."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".md", encoding="utf-8") as out:
        code = "import sys, importlib; open(sys.argv[1], 'w').write(importlib.import_module(sys.argv[2]).run())"
        subprocess.run([sys.executable, "-c", code, out.name, f"bench.{name}"], check=True)
        return out.read()


def main() -> None:
    sections = [section(name) for name in SECTIONS]
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
