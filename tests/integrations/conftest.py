from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _quick_feeds(settings):
    """Faults show within a second; one failure short of the limit is easy to reach."""
    settings.SW_FEED_TIMEOUT_SECONDS = 1
    settings.SW_FEED_DISABLE_AFTER = 3
    settings.SW_FEED_MIN_INTERVAL_SECONDS = 60
