"""Fixtures shared by the incidents tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a write and what it queues on commit (processing, notifications), as a request
    would: `on_commit(services.post_report, author=..., ...)`."""

    def _run(write, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(**kwargs)

    return _run
