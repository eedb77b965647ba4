"""Values the evidence and the incidents share."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from suppliers.models import User
    from supplierwatch.viewers import Viewer

# Who `visible_to` and the presenters take: a Viewer, or a person (their Viewer is used).
Who: TypeAlias = "Viewer | User | AnonymousUser | None"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"

    @property
    def slug(self) -> str:
        """How the API, the webhooks, the CSV export and the scorecard name it: "low" ... "critical"."""
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> Severity:
        """The severity a slug names (the inverse of `slug`)."""
        return cls[slug.upper()]
