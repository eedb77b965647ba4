from __future__ import annotations

import pytest

from tests.integrations.feedserver import FeedServer


@pytest.fixture
def feed_server():
    """The sites the feeds of a test poll, on loopback."""
    with FeedServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _quick_feeds(settings):
    """Faults show within a second; one failure short of the limit is easy to reach."""
    settings.SW_FEED_TIMEOUT_SECONDS = 1
    settings.SW_FEED_DISABLE_AFTER = 3
    settings.SW_FEED_MIN_INTERVAL_SECONDS = 60
