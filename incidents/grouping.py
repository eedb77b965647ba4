"""Which incident a complaint joins. Pure: plain values in, a decision out; no Django import.

An incident's fingerprint is supplier + category, plus the lot (or, failing that, the SKU) when the
evidence names one: several buyers reporting one lot point to a bad batch, which deserves its own
incident rather than disappearing into the supplier's general 'defect' pile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

_SPACES = re.compile(r"\s+")


def normalise_code(value: str | None) -> str:
    """Lot and SKU codes as people type them: 'l-123 ', 'L-123' and 'L 123' should group together."""
    return _SPACES.sub("-", (value or "").strip()).upper()


def fingerprint(*, supplier_id: int, category_key: str | None, lot: str = "", sku: str = "") -> str:
    parts = [f"supplier:{supplier_id}", f"category:{category_key or 'uncategorised'}"]
    lot, sku = normalise_code(lot), normalise_code(sku)
    if lot:
        parts.append(f"lot:{lot}")
    elif sku:
        parts.append(f"sku:{sku}")
    return "|".join(parts)


class Action(Enum):
    JOIN = "join"
    REOPEN = "reopen"
    OPEN = "open"


@dataclass(frozen=True)
class Decision:
    action: Action
    incident_id: int | None = None


def decide(
    *,
    open_incident_id: int | None,
    last_resolved_id: int | None,
    last_resolved_at: datetime | None,
    now: datetime,
    reopen_window: timedelta,
) -> Decision:
    """Join the open incident; else reopen one resolved within the window (a regression); else open."""
    if open_incident_id is not None:
        return Decision(Action.JOIN, open_incident_id)
    if (
        last_resolved_id is not None
        and last_resolved_at is not None
        and now - last_resolved_at <= reopen_window
    ):
        return Decision(Action.REOPEN, last_resolved_id)
    return Decision(Action.OPEN)
