"""The processes the benchmarks start beside themselves: a Celery worker (bench_pipeline.py,
bench_feeds.py, bench_load.py) and, for the load run, gunicorn. Each runs in a process group of its
own, stopped as a whole (pool processes included) when its block ends, even on failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stop(process: subprocess.Popen, timeout: float = 60) -> None:
    """SIGTERM the process's group and wait for it; SIGKILL the group if it outstays `timeout`,
    or if the process had already died, since its children (a pool, gunicorn's workers) may not
    have."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_for_line(
    process: subprocess.Popen, log: Path, text: str, what: str, timeout: float
) -> None:
    """Until `text` appears in the process's log; a clear error if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{what} exited with {process.returncode} before starting:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.2)


@contextmanager
def started(command: list[str], env: dict[str, str], ready: str, what: str) -> Iterator[Path]:
    """Run `command` from the project root, its output in a temporary log, until the block ends;
    the block starts once `ready` appears in the log. Yields the log's path."""
    with tempfile.TemporaryDirectory(prefix="sw-bench-") as folder:
        log = Path(folder) / "output.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its children
            )
        try:
            wait_for_line(process, log, ready, what, timeout=60)
            yield log
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"{what} exited with {process.returncode} during the run:\n{tail}"
                )
        finally:
            stop(process)


@contextmanager
def celery_worker(env: dict[str, str], concurrency: int = 2) -> Iterator[Path]:
    """A Celery worker (prefork, `concurrency` processes) on both queues, as `make run` runs one:
    the processing of posts goes to the bulk queue. The block starts once it is ready, its log's
    path in hand."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "supplierwatch",
        "worker",
        "-Q",
        "celery,bulk",
        # Info: the worker says when it is ready (and a line per task received, a small cost).
        "-l",
        "info",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with started(command, env, " ready.", "the Celery worker") as log:
        yield log
