"""The benchmarks' processes (bench/processes.py) stop with their block, children included, even
when the block fails: a benchmark that breaks leaves no gunicorn or Celery worker behind."""

from __future__ import annotations

import os
import sys
import time

import pytest

from bench.processes import started

# A parent that starts a child of its own (as gunicorn its workers, Celery its pool), says ready,
# and waits; the child's pid goes to the log.
PARENT = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print('child', child.pid, 'ready.', flush=True)\n"
    "time.sleep(120)\n"
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _child_pid(log) -> int:
    return int(log.read_text().split()[1])


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_failing_block_stops_the_process_and_its_children():
    with (
        pytest.raises(RuntimeError, match="the benchmark broke"),
        started([sys.executable, "-c", PARENT], dict(os.environ), "ready.", "parent") as log,
    ):
        child = _child_pid(log)
        assert _alive(child)
        raise RuntimeError("the benchmark broke")
    assert _gone(child)


def test_a_process_that_dies_before_it_is_ready_is_reported_with_its_output():
    command = [sys.executable, "-c", "print('no database'); raise SystemExit(3)"]
    with (
        pytest.raises(RuntimeError, match=r"(?s)exited with 3 before starting.*no database"),
        started(command, dict(os.environ), "ready.", "the server"),
    ):
        pass
