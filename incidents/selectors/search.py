"""Finding incidents: the one search and the filters that the buyers' list, the portal's list, the
exports and the API share. Every list starts from `selectors.incident_list` (a `visible_to`
QuerySet), and the words of a search are looked for only in evidence the viewer may read, so a
private report's words never find an incident for another party.

On PostgreSQL the words are matched with full-text search (`websearch_to_tsquery`, which accepts
anything typed, quotes and a leading `-` included) against the evidence's text (an expression
index, migration 0026, of the same expression as `text_vector`) and the incident's stored title
words (`Incident.title_vector` and its index, migration 0032), and ranked by the stored title
words, so that ranking thousands of matches parses no text. Lots, SKUs and PO numbers are found
by any part through trigram indexes. Elsewhere (SQLite) every word must appear in the same text,
case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, overload

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from suppliers.models import VendorCode
from supplierwatch.viewers import Viewer

from ..models import Follow, Incident, IncidentQuerySet, Post, PostMatch
from ..models.values import SEARCH_CONFIG, SearchDocument
from .incidents import incident_list

# A search longer than this is cut: no sensible query is longer, and the database's work stays
# bounded whatever is typed.
SEARCH_MAX = 200
# SQLite: at most this many words, each of which must appear.
WORDS_MAX = 10


def text_vector(field: str) -> SearchVector:
    """The words of a text column, as its full-text index (migration 0026) holds them."""
    return SearchDocument(field)


# Any QuerySet of incidents (an IncidentQuerySet, or the API filter's), kept as it came.
Incidents = TypeVar("Incidents", bound=QuerySet[Incident])


def full_text() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Sort:
    label: str  # as the lists' sort field offers it
    order_by: tuple[str, ...]


# The orders of the incident lists, by the `sort` their forms send, by the times as shown
# (selectors.incident_list annotates them). "relevance" needs a search (and PostgreSQL's rank);
# without one it is "activity".
SORTS: dict[str, Sort] = {
    "relevance": Sort(
        "Best match first (when searching)", ("-search_rank", "-shown_last_activity_at", "-id")
    ),
    "activity": Sort("Latest activity first", ("-shown_last_activity_at", "-id")),
    "severity": Sort("Most severe first", ("-severity", "-shown_last_activity_at", "-id")),
    "posts": Sort("Most reports first", ("-post_count", "-shown_last_activity_at", "-id")),
    "created": Sort("Newest first", ("-shown_created_at", "-id")),
}


def _words_condition(field: str, words: list[str]) -> Q:
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__icontains": word})
    return condition


def matching_text(incidents: Incidents, *, viewer: Viewer, text: str) -> Incidents:
    """The incidents whose title or readable evidence contains these words, or whose lot or SKU,
    or a lot, SKU or PO number of the viewer's own reports (a supplier's staff: of the reports
    they may read, which never include a PO number they may not see), contains the text. On
    PostgreSQL each gets `search_rank`: how well its title matches (evidence-only matches rank
    0 and follow by activity; ranking every matched post would cost a text parse per match)."""
    text = text.strip()[:SEARCH_MAX]
    if not text:
        return incidents
    readable = Post.objects.visible_to(viewer)
    if viewer.is_buyer:
        assert viewer.organization_id is not None  # a buyer always has their organization
        own = Post.objects.filter(organization_id=viewer.organization_id)
        coded = own.filter(
            Q(po_number__icontains=text) | Q(lot__icontains=text) | Q(sku__icontains=text)
        )
    else:
        coded = readable.filter(Q(lot__icontains=text) | Q(sku__icontains=text))
    by_code = Incident.objects.filter(Q(lot__icontains=text) | Q(sku__icontains=text))
    if full_text():
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        said = readable.alias(document=text_vector("text")).filter(document=query)
        titled = Incident.objects.filter(title_vector=query)
        # One set of ids, each part found through its own index, that the incidents are then
        # joined to: the incident table is never scanned row by row for the words.
        found = _ids_of(by_code).union(_ids_of(titled), _matched(said), _matched(coded))
        return incidents.filter(pk__in=found).annotate(
            search_rank=Coalesce(SearchRank(F("title_vector"), query), Value(0.0))
        )
    words = text.split()[:WORDS_MAX]
    written = readable.filter(_words_condition("text", words))
    return incidents.filter(
        Q(pk__in=_ids_of(by_code))
        | _words_condition("title", words)
        | Q(pk__in=_matched(written))
        | Q(pk__in=_matched(coded))
    )


def _ids_of(incidents: QuerySet[Incident]) -> QuerySet[Incident, Any]:
    return incidents.order_by().values_list("pk", flat=True)


def _matched(posts: QuerySet[Post]) -> QuerySet[PostMatch, Any]:
    """The ids of the incidents these posts are grouped into."""
    return (
        PostMatch.objects.filter(post__in=posts, incident__isnull=False)
        .order_by()
        .values_list("incident_id", flat=True)
    )


def reported_by_organization(incidents: Incidents, organization_id: int) -> Incidents:
    """The incidents with a report of this organization (private ones included)."""
    return incidents.filter(
        Exists(
            PostMatch.objects.filter(
                incident_id=OuterRef("pk"), post__organization_id=organization_id
            )
        )
    )


def followed_by(incidents: Incidents, user_id: int) -> Incidents:
    return incidents.filter(
        Exists(Follow.objects.filter(incident_id=OuterRef("pk"), user_id=user_id))
    )


def of_suppliers_with_codes(incidents: Incidents, organization_id: int) -> Incidents:
    """ "My suppliers": the incidents of suppliers the organization has a vendor code for."""
    return incidents.filter(
        Exists(
            VendorCode.objects.filter(
                organization_id=organization_id, supplier_id=OuterRef("supplier_id")
            )
        )
    )


def incident_search(
    *,
    viewer: Viewer,
    search: str = "",
    status: str = "",
    severity: int | None = None,
    category_id: int | None = None,
    supplier_id: int | None = None,
    seen_from: datetime | None = None,
    seen_to: datetime | None = None,
    reported_by_us: bool = False,
    followed: bool = False,
    my_suppliers: bool = False,
    sort: str = "",
) -> IncidentQuerySet:
    """The viewer's incidents, filtered and sorted for a list (one query per page).

    `status` is one status, "open" for any open one, "overdue" for open ones past a promised
    time, or "" for all. The dates select incidents with evidence in that period. The buyers'
    filters (`reported_by_us`, `followed`, `my_suppliers`) find nothing for anybody else. The
    order is `sort` (SORTS), by default the best match when searching, else latest activity.
    """
    incidents = incident_list(viewer=viewer, supplier_id=supplier_id)
    if status == "open":
        incidents = incidents.open()
    elif status == "overdue":
        incidents = incidents.overdue(timezone.now())
    elif status:
        incidents = incidents.filter(status=status)
    if severity:
        incidents = incidents.filter(severity=severity)
    if category_id:
        incidents = incidents.filter(category_id=category_id)
    if seen_from is not None:
        incidents = incidents.filter(last_seen_at__gte=seen_from)
    if seen_to is not None:
        incidents = incidents.filter(first_seen_at__lt=seen_to)
    if reported_by_us or my_suppliers:
        if viewer.organization_id is None:
            return incidents.none()
        if reported_by_us:
            incidents = reported_by_organization(incidents, viewer.organization_id)
        if my_suppliers:
            incidents = of_suppliers_with_codes(incidents, viewer.organization_id)
    if followed:
        if viewer.user_id is None:
            return incidents.none()
        incidents = followed_by(incidents, viewer.user_id)
    incidents = matching_text(incidents, viewer=viewer, text=search)
    ranked = "search_rank" in incidents.query.annotations
    sort = sort or ("relevance" if ranked else "activity")
    if sort == "relevance" and not ranked:
        sort = "activity"
    return incidents.order_by(*SORTS.get(sort, SORTS["activity"]).order_by)


class SearchResults(Sequence[Incident]):
    """A search's incidents as a list page reads them (a Paginator takes their length, then a page),
    in two queries whatever the number of matches. The first orders every match reading only
    what the order needs (ids, the stored rank, the shown time), and its length is the count; the
    second reads the page's rows by id, with everything the list shows. A common word's
    thousands of matches are so found once, and joined to nothing, instead of being found again
    for the count and joined row by row to the columns of a page that shows 25 of them.

    The visibility is the search's own (its ids come from the `visible_to` QuerySet), and the
    rows are read through the viewer's list again."""

    def __init__(self, incidents: QuerySet[Incident], rows: QuerySet[Incident]) -> None:
        self._incidents = incidents
        self._rows = rows
        self._ids: list[int] | None = None

    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = list(self._incidents.values_list("pk", flat=True))
        return self._ids

    def __len__(self) -> int:
        # The count a Paginator reads (Sequence.count counts one value: it uses len()).
        return len(self.ids())

    @overload
    def __getitem__(self, key: int) -> Incident: ...
    @overload
    def __getitem__(self, key: slice) -> list[Incident]: ...
    def __getitem__(self, key: int | slice) -> Incident | list[Incident]:
        if isinstance(key, int):
            return self._rows.get(pk=self.ids()[key])
        wanted = self.ids()[key]
        found = self._rows.in_bulk(wanted)
        return [found[pk] for pk in wanted if pk in found]


def paged(incidents: Incidents, *, viewer: Viewer) -> Incidents | SearchResults:
    """What a list page pages: a full-text search's incidents as SearchResults, any other list
    as it is (ordered by an index, it reads a page without ordering every row)."""
    if "search_rank" not in incidents.query.annotations:
        return incidents
    return SearchResults(incidents, incident_list(viewer=viewer))
