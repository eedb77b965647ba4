"""Reads that the pages and the API share. Each answers one question in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from suppliers.models import Organization, Supplier, SupplierAlias, VendorCode
from suppliers.selectors import supplier_search

from .models import (
    Attachment,
    Follow,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Response,
    Severity,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from suppliers.models import User


def incident_list(*, user: User, supplier_id: int | None = None) -> QuerySet[Incident]:
    incidents = Incident.objects.visible_to(user).select_related("supplier", "category", "assignee")
    if supplier_id is not None:
        incidents = incidents.filter(supplier_id=supplier_id)
    return incidents


def organization_reports(*, user: User) -> QuerySet[Post]:
    """The reports of the user's own organization, newest first."""
    membership = user.party
    if membership is None or membership.organization_id is None:
        return Post.objects.none()
    return (
        Post.objects.visible_to(user)
        .filter(organization_id=membership.organization_id)
        .select_related("supplier", "category", "author")
    )


def incident_responses(*, user: User, incident: Incident) -> QuerySet[Response]:
    return Response.objects.visible_to(user).filter(incident=incident).select_related("author")


# --- Buyer pages: dashboard, incident page, supplier page (fixed query counts) ----------------


def organization_reports_with_incidents(*, user: User) -> QuerySet[Post]:
    """The organization's reports, each with `joined` (its grouped primary match, if any)."""
    joined = PostMatch.objects.filter(is_primary=True, incident__isnull=False).select_related(
        "incident"
    )
    return organization_reports(user=user).prefetch_related(
        Prefetch("matches", queryset=joined, to_attr="joined")
    )


# Event kinds a buyer may count as news on an incident they follow. Answers are counted through
# Response.objects.visible_to instead (a private answer to another organization is no news to
# them), and assignments are the supplier's internal business.
FOLLOW_NEWS_KINDS = (
    IncidentEvent.Kind.CREATED,
    IncidentEvent.Kind.POST_ADDED,
    IncidentEvent.Kind.REOPENED,
    IncidentEvent.Kind.SPIKE,
    IncidentEvent.Kind.STATUS_CHANGED,
    IncidentEvent.Kind.SEVERITY_CHANGED,
    IncidentEvent.Kind.ACTION_RECORDED,
)


def _count_subquery(queryset: QuerySet) -> Subquery:
    return Subquery(
        queryset.order_by().values("incident_id").annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


def followed_incidents(*, user: User) -> QuerySet[Follow]:
    """The user's follows of incidents they may still see, with `news`: what happened since seen_at.

    Those with news come first, then by the incident's latest activity.
    """
    new_events = IncidentEvent.objects.filter(
        incident_id=OuterRef("incident_id"),
        created_at__gt=OuterRef("seen_at"),
        kind__in=FOLLOW_NEWS_KINDS,
    )
    new_answers = Response.objects.visible_to(user).filter(
        incident_id=OuterRef("incident_id"), created_at__gt=OuterRef("seen_at")
    )
    return (
        Follow.objects.filter(user=user, incident__in=Incident.objects.visible_to(user))
        .select_related("incident", "incident__supplier", "incident__category")
        .annotate(
            new_events=Coalesce(_count_subquery(new_events), 0),
            new_answers=Coalesce(_count_subquery(new_answers), 0),
        )
        .annotate(news=F("new_events") + F("new_answers"))
        .order_by(
            Case(When(news__gt=0, then=0), default=1),
            "-incident__last_activity_at",
            "-id",
        )
    )


def suppliers_most_open_incidents(*, user: User, limit: int = 10) -> list[dict]:
    """Suppliers by how many open incidents this user may see: [{supplier name, slug, open}]."""
    return list(
        Incident.objects.visible_to(user)
        .open()
        .order_by()
        .values("supplier_id", "supplier__name", "supplier__slug")
        .annotate(open=Count("id"))
        .order_by("-open", "supplier__name")[:limit]
    )


def incident_evidence(*, user: User, incident: Incident) -> QuerySet[Post]:
    """The posts of this incident whose text the user may read, newest first, with attachments.

    author and organization are joined for the rows whose identity the viewer may see; pages
    decide with Post.reveals_identity_to and never render them otherwise.
    """
    return (
        Post.objects.visible_to(user)
        .filter(matches__incident=incident)
        .select_related(
            "category", "author", "organization", "predicted_category", "label_category"
        )
        .prefetch_related("attachments")
        .order_by("-published_at", "-id")
    )


def incident_evidence_per_day(*, user: User, incident: Incident) -> dict[date, int]:
    """How many posts of this incident the user may read, by day published (UTC)."""
    rows = (
        Post.objects.visible_to(user)
        .filter(matches__incident=incident)
        .annotate(day=TruncDate("published_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
    )
    return {row["day"]: row["n"] for row in rows}


def incident_private_reports(*, user: User, incident: Incident) -> int:
    """Private reports in this incident that the user may see (their organization's; all, for
    operators). The stored counters leave them out because nobody else may count them."""
    return (
        Post.objects.visible_to(user)
        .filter(matches__incident=incident, visibility=Post.Visibility.PRIVATE)
        .count()
    )


def incident_timeline(
    *, incident: Incident, response_ids: Iterable[int]
) -> QuerySet[IncidentEvent]:
    """The incident's events, newest first, without answers the viewer may not read (pass the ids
    of Response.objects.visible_to(viewer)). Pages render events per kind, never their raw data."""
    answered = Q(kind=IncidentEvent.Kind.RESPONSE)
    return (
        IncidentEvent.objects.filter(incident=incident)
        .filter(~answered | Q(data__response_id__in=list(response_ids)))
        .order_by("-created_at", "-id")
    )


def report_by_external_id(*, user: User, external_id: str) -> Post | None:
    """The user's own report with this external id (a form sent twice is recognised by it)."""
    return Post.objects.filter(
        source=Post.BUYER_SOURCE, external_id=external_id, author=user
    ).first()


def report_incident_id(*, post: Post) -> int | None:
    """The incident a report was grouped into, once the pipeline has processed it."""
    return (
        PostMatch.objects.filter(post=post, is_primary=True, incident__isnull=False)
        .values_list("incident_id", flat=True)
        .first()
    )


def follow_of(*, user: User, incident: Incident) -> Follow | None:
    return Follow.objects.filter(user=user, incident=incident).first()


def supplier_incidents(*, user: User, supplier: Supplier) -> QuerySet[Incident]:
    return incident_list(user=user, supplier_id=supplier.pk)


def supplier_category_breakdown(*, user: User, supplier: Supplier) -> list[dict]:
    """[{category name, total, open}] over the supplier's incidents this user may see."""
    return list(
        Incident.objects.visible_to(user)
        .filter(supplier=supplier)
        .order_by()
        .values("category__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=Incident.OPEN_STATUSES)),
        )
        .order_by("-total", "category__name")
    )


def supplier_complaints_per_day(
    *, user: User, supplier: Supplier, since: datetime
) -> dict[date, int]:
    """Complaints about this supplier that the user may read, grouped into incidents, by day."""
    rows = (
        Post.objects.visible_to(user)
        .filter(
            matches__supplier=supplier,
            matches__incident__isnull=False,
            published_at__gte=since,
        )
        .annotate(day=TruncDate("published_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("id", distinct=True))
    )
    return {row["day"]: row["n"] for row in rows}


def supplier_choices(*, query: str, organization_id: int | None, limit: int = 10) -> list[Supplier]:
    """Search-as-you-type for the report form: name, alias or the organization's vendor code.

    Each supplier carries `my_codes` (this organization's vendor codes) and `found_aliases`.
    """
    query = query.strip()
    if not query:
        return []
    my_codes = VendorCode.objects.filter(organization_id=organization_id)
    suppliers = supplier_search(query=query, organization_id=organization_id).prefetch_related(
        Prefetch("vendor_codes", queryset=my_codes, to_attr="my_codes"),
        Prefetch(
            "aliases",
            queryset=SupplierAlias.objects.filter(text__icontains=query),
            to_attr="found_aliases",
        ),
    )
    return list(suppliers.order_by("name")[:limit])


def supplier_names(*, limit: int = 2000) -> list[str]:
    """Names for the report form's <datalist>, the search field's fallback without JavaScript."""
    return list(Supplier.objects.order_by("name").values_list("name", flat=True)[:limit])


def attachment_for(*, user: User, attachment_id: int) -> Attachment | None:
    """The attachment if the user may read the post it belongs to; None otherwise (404 for both)."""
    return (
        Attachment.objects.filter(pk=attachment_id, post__in=Post.objects.visible_to(user))
        .select_related("post")
        .first()
    )


# --- Supplier portal ----------------------------------------------------------------------------
# Every function below takes the viewer and starts from a `visible_to` QuerySet, so a supplier's
# staff only ever count and read what DESIGN.md's visibility table lets them.

PORTAL_SORTS: dict[str, tuple[str, ...]] = {
    "activity": ("-last_activity_at", "-id"),
    "severity": ("-severity", "-last_activity_at", "-id"),
    "posts": ("-post_count", "-last_activity_at", "-id"),
    "created": ("-created_at", "-id"),
}


def portal_incident_search(
    *,
    user: User,
    status: str = "",
    severity: int | None = None,
    category_id: int | None = None,
    seen_from: datetime | None = None,
    seen_to: datetime | None = None,
    search: str = "",
    sort: str = "activity",
) -> QuerySet[Incident]:
    """The viewer's incidents, filtered and sorted for the portal's list (one query per page).

    `status` is one status, "open" for any open one, "overdue" for open ones past a promised
    time, or "" for all. The dates select incidents
    with evidence in that period; the search looks at the title, lot, SKU and the text of the
    evidence this viewer may read (never at private reports, which would leak their words).
    """
    incidents = incident_list(user=user)
    if status == "open":
        incidents = incidents.open()
    elif status == "overdue":
        incidents = incidents.open().filter(overdue_q(timezone.now()))
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
    search = search.strip()
    if search:
        in_evidence = Post.objects.visible_to(user).filter(
            Q(text__icontains=search) | Q(lot__icontains=search) | Q(sku__icontains=search),
            matches__incident=OuterRef("pk"),
        )
        incidents = incidents.filter(
            Q(title__icontains=search)
            | Q(lot__icontains=search)
            | Q(sku__icontains=search)
            | Exists(in_evidence)
        )
    return incidents.order_by(*PORTAL_SORTS.get(sort, PORTAL_SORTS["activity"]))


@dataclass(frozen=True)
class SeverityCount:
    severity: int
    label: str
    open: int
    overdue: int


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class PortalOverview:
    by_severity: list[SeverityCount]
    most_severe: list[Incident]
    overdue: list[Incident]
    per_day: list[DayCount]
    top_categories: list[tuple[str, int]]
    spikes: list[IncidentEvent]

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.by_severity)

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue for row in self.by_severity)

    @property
    def complaints_total(self) -> int:
        return sum(row.count for row in self.per_day)


def overdue_q(now: datetime) -> Q:
    """Open incidents past a promise: not acknowledged in time, or not resolved in time."""
    return Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=now) | Q(resolve_due_at__lt=now)


def portal_overview(
    *, user: User, now: datetime | None = None, days: int = 30, spike_days: int = 7
) -> PortalOverview:
    """The portal dashboard in six queries, whatever the number of incidents and posts."""
    now = now or timezone.now()
    incidents = Incident.objects.visible_to(user)
    open_incidents = incidents.open()
    rows = {
        row["severity"]: row
        for row in open_incidents.values("severity").annotate(
            n=Count("id"), late=Count("id", filter=overdue_q(now))
        )
    }
    by_severity = [
        SeverityCount(
            severity=value,
            label=label,
            open=rows.get(value, {}).get("n", 0),
            overdue=rows.get(value, {}).get("late", 0),
        )
        for value, label in reversed(Severity.choices)
    ]
    most_severe = list(
        open_incidents.select_related("category", "assignee").order_by(
            "-severity", "-last_activity_at", "-id"
        )[:10]
    )
    overdue = list(
        open_incidents.filter(overdue_q(now))
        .select_related("category", "assignee")
        .order_by("-severity", "resolve_due_at", "id")[:20]
    )

    # Complaints are the evidence grouped into the viewer's incidents, dated when posted.
    today = timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    evidence = PostMatch.objects.filter(
        incident__in=incidents,
        post__in=Post.objects.visible_to(user),
        post__published_at__gte=start,
        post__published_at__lte=now,
    )
    counted = {
        row["day"]: row["n"]
        for row in evidence.annotate(day=TruncDate("post__published_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    per_day = [
        DayCount(day=first_day + timedelta(days=i), count=counted.get(first_day + timedelta(i), 0))
        for i in range(days)
    ]
    top_categories = [
        (row["incident__category__name"] or "Uncategorised", row["n"])
        for row in evidence.values("incident__category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "incident__category__name")[:5]
    ]
    spikes = list(
        IncidentEvent.objects.filter(
            kind=IncidentEvent.Kind.SPIKE,
            incident__in=incidents,
            created_at__gte=now - timedelta(days=spike_days),
        )
        .select_related("incident")
        .order_by("-created_at", "-id")[:10]
    )
    return PortalOverview(
        by_severity=by_severity,
        most_severe=most_severe,
        overdue=overdue,
        per_day=per_day,
        top_categories=top_categories,
        spikes=spikes,
    )


def incident_answers(*, user: User, incident: Incident) -> QuerySet[Response]:
    """The answers this viewer may read, with the organization a private answer went to."""
    return incident_responses(user=user, incident=incident).select_related("organization")


def portal_incident_timeline(*, incident: Incident, limit: int = 100) -> list[IncidentEvent]:
    """The latest events of an incident, oldest first, with each actor's party (to name only
    colleagues). The caller has fetched the incident through `visible_to`."""
    latest = (
        IncidentEvent.objects.filter(incident=incident)
        .select_related("actor__membership")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(latest))


def incident_named_organizations(*, user: User, incident: Incident) -> QuerySet[Organization]:
    """The organizations that reported this incident by name: the only ones a private answer may
    go to (anonymous reporters stay anonymous, so they are never offered)."""
    named = Post.objects.visible_to(user).filter(
        matches__incident=incident, visibility=Post.Visibility.NAMED
    )
    return Organization.objects.filter(
        Exists(named.filter(organization_id=OuterRef("pk")))
    ).order_by("name")


# --- The REST API and webhooks ------------------------------------------------------------------


def incidents_for_api(*, user: User) -> QuerySet[Incident]:
    """incident_list, each row with what it shows this viewer besides the shared counters.

    A buyer's rows carry `vendor_code` (the organization's own code for the supplier) and
    `own_post_count` (the organization's reports in the incident, private ones included); other
    viewers' rows carry neither.
    """
    incidents = incident_list(user=user)
    membership = user.party
    if membership is None or membership.organization_id is None:
        return incidents
    organization_id = membership.organization_id
    codes = VendorCode.objects.filter(
        organization_id=organization_id, supplier_id=OuterRef("supplier_id")
    ).order_by("code")
    own = PostMatch.objects.filter(
        incident_id=OuterRef("pk"), post__organization_id=organization_id
    )
    return incidents.annotate(
        vendor_code=Subquery(codes.values("code")[:1]),
        own_post_count=Coalesce(_count_subquery(own), 0),
    )


def incident_history(*, user: User, incident: Incident) -> list[IncidentEvent]:
    """The incident's events, oldest first, without answers this viewer may not read."""
    visible_answers = incident_responses(user=user, incident=incident).values_list("id", flat=True)
    return list(
        incident_timeline(incident=incident, response_ids=visible_answers).order_by(
            "created_at", "id"
        )
    )


def event_public_data(event: IncidentEvent, *, supplier_view: bool) -> dict:
    """What of an event's data may leave the product (API timelines, webhook payloads).

    A whitelist per kind: post ids and spike counts stay inside (a spike's counts include private
    reports, which nobody else may count), and only the supplier's own staff see whom an incident
    was assigned to.
    """
    data = event.data or {}
    kind = event.kind
    Kind = IncidentEvent.Kind
    if kind == Kind.POST_ADDED:
        return {"posts": data.get("posts", 0), "public_posts": data.get("public_posts", 0)}
    if kind == Kind.STATUS_CHANGED:
        result = {"from": data.get("from"), "to": data.get("to")}
        if data.get("note"):
            result["note"] = data["note"]
        return result
    if kind == Kind.SEVERITY_CHANGED:
        return {
            "from": _severity_name(data.get("from")),
            "to": _severity_name(data.get("to")),
        }
    if kind == Kind.ASSIGNED:
        return {"assignee": data.get("assignee")} if supplier_view else {}
    if kind == Kind.RESPONSE:
        return {"response_id": data.get("response_id"), "visibility": data.get("visibility")}
    if kind == Kind.ACTION_RECORDED:
        return {"fields": list(data.get("fields", []))}
    return {}


def _severity_name(value: object) -> str | None:
    try:
        return Severity(value).name.lower()
    except ValueError:
        return None


def supplier_scorecard(*, user: User, supplier: Supplier) -> dict:
    """Counts of the supplier's incidents this viewer may see: by status, category and severity."""
    incidents = Incident.objects.visible_to(user).filter(supplier=supplier).order_by()
    totals = incidents.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=Incident.OPEN_STATUSES)),
        overdue=Count(
            "id", filter=Q(status__in=Incident.OPEN_STATUSES) & overdue_q(timezone.now())
        ),
        posts=Coalesce(Sum("post_count"), 0),
    )
    by_status = dict(incidents.values_list("status").annotate(n=Count("id")))
    by_severity = dict(incidents.values_list("severity").annotate(n=Count("id")))
    by_category = list(
        incidents.values("category__slug", "category__name")
        .annotate(n=Count("id"), open=Count("id", filter=Q(status__in=Incident.OPEN_STATUSES)))
        .order_by("-n", "category__slug")
    )
    return {
        **totals,
        "by_status": {status: by_status.get(status, 0) for status in Incident.Status.values},
        "by_severity": {
            severity.name.lower(): by_severity.get(severity.value, 0) for severity in Severity
        },
        "by_category": [
            {
                "category": row["category__slug"],
                "name": row["category__name"] or "Uncategorised",
                "incidents": row["n"],
                "open": row["open"],
            }
            for row in by_category
        ],
    }
