"""The web server as the image runs it (Dockerfile, docker-compose.yml): a download that takes
longer than gunicorn's worker timeout is sent whole. An export of 100,000 incidents takes about a
minute (bench/bench_exports.py); gunicorn's plain sync worker stops beating while it streams, and
is killed after its timeout with the file half sent."""

from __future__ import annotations

import re
import shlex
import socket
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from bench.processes import started

ROOT = Path(__file__).resolve().parents[1]
APP = "supplierwatch.wsgi:application"
# The test's WSGI application: CHUNKS chunks, one every PAUSE seconds, far past TIMEOUT.
CHUNKS, PAUSE, TIMEOUT = 8, 0.5, 1
SLOW_APP = f"""
import time

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    for n in range({CHUNKS}):
        time.sleep({PAUSE})
        yield b"chunk %d\\n" % n
"""


def _worker_options(command: str) -> list[str]:
    """gunicorn's options of a web command after its application, the shell's defaults taken
    (${WEB_THREADS:-4} is 4), without the bind address, the worker count and the log."""
    words = shlex.split(re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", command))
    options = words[words.index(APP) + 1 :]
    kept = []
    for name, value in zip(options[::2], options[1::2], strict=False):
        if name not in ("--bind", "--workers", "--access-logfile"):
            kept += [name, value]
    return kept


def image_options() -> list[str]:
    cmd = re.search(r"^CMD \[(.*)\]$", (ROOT / "Dockerfile").read_text(), re.M)
    assert cmd is not None
    return _worker_options(yaml.safe_load(f"[{cmd.group(1)}]")[-1])


def compose_options() -> list[str]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return _worker_options(services["web"]["command"][-1])


def test_the_image_and_compose_run_the_same_workers():
    assert image_options() == compose_options()


@pytest.mark.slow
def test_a_download_longer_than_the_worker_timeout_is_sent_whole(tmp_path):
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        *(sys.executable, "-m", "gunicorn", "slow_app:application"),
        *("--chdir", str(tmp_path), "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        *("--timeout", str(TIMEOUT), "--no-control-socket"),
        *image_options(),
    ]
    with (
        started(command, {"PATH": "/usr/bin:/bin"}, "Booting worker", "gunicorn"),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response,
    ):
        body = response.read().decode()
    assert body.splitlines() == [f"chunk {n}" for n in range(CHUNKS)]
