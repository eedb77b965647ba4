"""Helpers shared by the whole suite: one rule for what a fresh clone may lack, one data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The shared data folder beside the project root (../shared/data), present in CI's checkout.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip the test when `condition` is false, but fail it in CI: CI has every service and file."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: nothing may be skipped for a missing service or file)")
    pytest.skip(reason)
