"""Values the evidence and the incidents share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models.functions import Trunc

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from suppliers.models import User
    from supplierwatch.viewers import Viewer

# The text search configuration of the full-text columns, indexes and queries (selectors.search):
# they must be the same for the indexes to be used.
SEARCH_CONFIG = "english"


class SearchDocument(SearchVector):
    """The words of a text column as the full-text search compares them (PostgreSQL's
    `to_tsvector` in SEARCH_CONFIG). It also defines stored columns (Incident.title_vector): on
    other databases, which search without full-text, such a column holds nothing."""

    def __init__(self, field: str) -> None:
        super().__init__(field, config=SEARCH_CONFIG)

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[str | int, ...]]:
        return "NULL", ()


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


def to_the_hour(moment: datetime) -> datetime:
    """The hour a moment falls in (UTC): how evidence is dated to a viewer who may not know who
    brought it (DESIGN.md: anonymous evidence carries no exact time), and the times that date it."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_of(field: str) -> Trunc:
    """to_the_hour in the database: lists are ordered and paged by the time they show."""
    return Trunc(field, "hour", output_field=models.DateTimeField(), tzinfo=UTC)
