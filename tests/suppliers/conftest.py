"""The supplier team pages, signed in as their admin (ivy, of tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin_client(client, ivy):
    """The test client, signed in as ivy."""
    client.force_login(ivy)
    return client
