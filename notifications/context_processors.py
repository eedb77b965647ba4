from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_count

# The bell says "99+" beyond this: counting further costs without telling more.
BELL_MAX = 99


@dataclass(frozen=True)
class Bell:
    unread: int

    @property
    def label(self) -> str:
        return f"{BELL_MAX}+" if self.unread > BELL_MAX else str(self.unread)


def bell(request: HttpRequest) -> dict[str, object]:
    """`bell` in every template: the unread count, one query, only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": SimpleLazyObject(lambda: Bell(unread_count(user, limit=BELL_MAX + 1)))}
