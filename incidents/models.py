"""What: evidence (posts), what it names (matches), how it is grouped (incidents) and answered."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from suppliers.models import Organization, Supplier
from supplierwatch.viewers import Viewer, viewer_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from suppliers.models import User

    # Who `visible_to` and the presenters take: a Viewer, or a person (their Viewer is used).
    Who = Viewer | User | AnonymousUser | None


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


# The promised time to a first answer and to resolution, by severity (the SLA).
SLA_ACKNOWLEDGE = {
    Severity.CRITICAL: timedelta(hours=4),
    Severity.HIGH: timedelta(hours=24),
    Severity.MEDIUM: timedelta(hours=72),
    Severity.LOW: timedelta(hours=120),
}
SLA_RESOLVE = {
    Severity.CRITICAL: timedelta(days=3),
    Severity.HIGH: timedelta(days=7),
    Severity.MEDIUM: timedelta(days=14),
    Severity.LOW: timedelta(days=30),
}


class Category(models.Model):
    """One entry of the quality taxonomy (late delivery, defect, ...), with words that signal it."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Lower-case words and phrases; the lexicon classifier looks for them in a post's text.
    keywords = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, who: Who) -> PostQuerySet:
        """The posts whose text this viewer may read (DESIGN.md, 'Visibility of evidence')."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_buyer:
            return self.filter(
                ~Q(visibility=Post.Visibility.PRIVATE) | Q(organization_id=viewer.organization_id)
            )
        if viewer.is_supplier_staff:
            supplier_id = viewer.supplier_id
            about_supplier = Q(supplier_id=supplier_id) | Exists(
                PostMatch.objects.filter(post=OuterRef("pk"), supplier_id=supplier_id)
            )
            return self.filter(about_supplier).exclude(visibility=Post.Visibility.PRIVATE)
        return self.none()

    def buyer_posts(self) -> PostQuerySet:
        return self.filter(source=Post.BUYER_SOURCE)

    def public_posts(self) -> PostQuerySet:
        return self.exclude(source=Post.BUYER_SOURCE)

    def pending(self) -> PostQuerySet:
        return self.filter(status=Post.Status.PENDING)


class Post(models.Model):
    """One piece of evidence: a buyer's report or a public post that names a supplier."""

    BUYER_SOURCE = "buyer"

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private: my organization only"
        ANONYMOUS = "anonymous", "Anonymous: counted for everyone, shown without my identity"
        NAMED = "named", "Named: the supplier may see who reported it"
        PUBLIC = "public", "Public post"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=50, help_text='"buyer", or the name of a public feed.')
    external_id = models.CharField(max_length=200)
    text = models.TextField()
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.ANONYMOUS
    )
    published_at = models.DateTimeField(help_text="When the problem was reported or posted.")
    created_at = models.DateTimeField(auto_now_add=True)

    # Buyer reports
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reported_posts",
        help_text="The supplier a buyer reported; public posts are matched to suppliers instead.",
    )
    po_number = models.CharField("PO number", max_length=64, blank=True)
    sku = models.CharField("SKU / part number", max_length=64, blank=True)
    lot = models.CharField("lot / batch", max_length=64, blank=True)
    quantity_affected = models.PositiveIntegerField(null=True, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_posts",
        help_text="The category a buyer chose.",
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)

    # Public posts
    author_handle = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)

    # Processing
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    # The classifier's output
    is_complaint = models.BooleanField(null=True, blank=True)
    predicted_category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predicted_posts",
    )
    complaint_score = models.FloatField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    classifier_version = models.CharField(max_length=50, blank=True)

    # A person's correction of the classifier ("not a complaint", "category X"). It overrides the
    # prediction when the post is grouped and is kept as a training example.
    label_is_complaint = models.BooleanField(null=True, blank=True)
    label_category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="labelled_posts",
    )
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="labelled_posts",
    )
    labelled_at = models.DateTimeField(null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint("source", "external_id", name="post_unique_source_external_id"),
            # A buyer report always belongs to an organization and is never 'public';
            # a public post belongs to no organization.
            models.CheckConstraint(
                condition=(
                    Q(source="buyer", organization__isnull=False, supplier__isnull=False)
                    & ~Q(visibility="public")
                )
                | (~Q(source="buyer") & Q(visibility="public", organization__isnull=True)),
                name="post_buyer_or_public_shape",
            ),
        ]
        indexes = [
            # The pending sweep and the processing queue.
            models.Index(fields=["status", "status_changed_at"], name="post_status_time"),
            models.Index(fields=["organization", "-published_at"], name="post_org_recent"),
            models.Index(fields=["-published_at"], name="post_published"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def is_buyer_post(self) -> bool:
        return self.source == self.BUYER_SOURCE

    def reveals_identity_to(self, who: Who) -> bool:
        """May this viewer see who reported it (author and organization)? Public authors are
        public."""
        if not self.is_buyer_post:
            return True
        viewer = viewer_of(who)
        if viewer.is_operator:
            return True
        if viewer.is_buyer:
            return viewer.organization_id == self.organization_id
        if viewer.is_supplier_staff:
            return (
                self.visibility == self.Visibility.NAMED and viewer.supplier_id == self.supplier_id
            )
        return False


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the original one is kept in the row, never trusted as a path.
    return f"attachments/{instance.post_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"


class Attachment(models.Model):
    """A photo or document a buyer attached to a report; visible to whoever may read the post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PostMatch(models.Model):
    """A supplier named by a post, with where and how surely; grouped into one incident at most."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="matches")
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="matches")
    alias = models.ForeignKey(
        "suppliers.SupplierAlias", null=True, blank=True, on_delete=models.SET_NULL
    )
    matched_text = models.CharField(max_length=200, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.FloatField(default=1.0)
    is_primary = models.BooleanField(default=False)
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="matches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "post matches"
        constraints = [
            models.UniqueConstraint("post", "supplier", name="match_unique_post_supplier"),
            models.UniqueConstraint(
                "post", condition=Q(is_primary=True), name="match_one_primary_per_post"
            ),
        ]
        indexes = [
            models.Index(fields=["supplier", "-created_at"], name="match_supplier_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.post} -> {self.supplier}"


class IncidentQuerySet(models.QuerySet["Incident"]):
    def visible_to(self, who: Who) -> IncidentQuerySet:
        """Suppliers see their own incidents; buyers see every incident with evidence they may count.

        The stored counters hold only shareable evidence (private reports excluded), so an incident
        made of nothing but one organization's private reports exists only for that organization.
        """
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_buyer:
            own_evidence = Exists(
                PostMatch.objects.filter(
                    incident=OuterRef("pk"), post__organization_id=viewer.organization_id
                )
            )
            return self.filter(Q(post_count__gt=0) | own_evidence)
        if viewer.is_supplier_staff:
            return self.filter(supplier_id=viewer.supplier_id, post_count__gt=0)
        return self.none()

    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=Incident.OPEN_STATUSES)


class Incident(models.Model):
    """Evidence about one supplier grouped by fingerprint (supplier + category [+ lot or SKU])."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        INVESTIGATING = "investigating", "Investigating"
        REOPENED = "reopened", "Reopened"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.REOPENED)

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="incidents")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    fingerprint = models.CharField(max_length=255)
    sku = models.CharField("SKU / part number", max_length=64, blank=True)
    lot = models.CharField("lot / batch", max_length=64, blank=True)
    title = models.CharField(max_length=255)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)

    # Counters of shareable evidence (anonymous, named and public posts): what every viewer may count.
    post_count = models.PositiveIntegerField(default=0)
    reporter_count = models.PositiveIntegerField(default=0)
    organization_count = models.PositiveIntegerField(default=0)
    public_post_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)

    # SLA and lifecycle
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_incidents",
    )

    # The supplier's structured answer (8D / CAPA)
    containment = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    preventive_action = models.TextField(blank=True)
    verification = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            # New evidence joins the open incident; two workers can never open a second one.
            models.UniqueConstraint(
                "supplier",
                "fingerprint",
                condition=Q(status__in=["new", "acknowledged", "investigating", "reopened"]),
                name="incident_one_open_per_fingerprint",
            ),
        ]
        indexes = [
            models.Index(
                fields=["supplier", "status", "-last_activity_at"], name="incident_supplier_status"
            ),
            models.Index(fields=["status", "-last_activity_at"], name="incident_status_recent"),
            models.Index(fields=["supplier", "fingerprint", "-resolved_at"], name="incident_fp"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible_to(self, who: Who) -> ResponseQuerySet:
        """Supplier staff see all their answers; buyers see public ones and those addressed to them."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_supplier_staff:
            return self.filter(incident__supplier_id=viewer.supplier_id)
        if viewer.is_buyer:
            return self.filter(
                Q(visibility=Response.Visibility.PUBLIC)
                | Q(organization_id=viewer.organization_id),
                incident__in=Incident.objects.visible_to(viewer),
            )
        return self.none()


class Response(models.Model):
    """A supplier's answer to an incident: public, or private to one reporting organization."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: every viewer of the incident"
        ORGANIZATION = "organization", "Private to one organization"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responses")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="responses"
    )
    body = models.TextField()
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility="public", organization__isnull=True)
                | Q(visibility="organization", organization__isnull=False),
                name="response_private_has_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"Response to {self.incident_id} by {self.author}"


class IncidentEvent(models.Model):
    """The timeline of an incident, and the outbox from which notifications and webhooks go out."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        POST_ADDED = "post_added", "Evidence added"
        REOPENED = "reopened", "Reopened (regression)"
        SPIKE = "spike", "Spike"
        STATUS_CHANGED = "status_changed", "Status changed"
        SEVERITY_CHANGED = "severity_changed", "Severity changed"
        ASSIGNED = "assigned", "Assigned"
        RESPONSE = "response", "Answered"
        ACTION_RECORDED = "action_recorded", "8D action recorded"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once notifications and webhooks for this event have been queued.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="event_incident_time"),
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.incident_id}"


class Follow(models.Model):
    """A buyer following an incident, to be told about new activity."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)
    # Activity up to this time has been seen; the dashboard shows what came after.
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", "incident", name="follow_unique_user_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.incident_id}"


class ClassifierModel(models.Model):
    """One trained version of the complaint classifier, with the scores measured when trained."""

    version = models.CharField(max_length=50, unique=True)
    algorithm = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=False)
    training_examples = models.PositiveIntegerField(default=0)
    # Held-out scores: complaint precision/recall/F1, category accuracy and macro-F1, ...
    metrics = models.JSONField(default=dict, blank=True)
    # The fitted model, serialised by the classifier module; only ever written by our own training.
    artifact = models.BinaryField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "is_active", condition=Q(is_active=True), name="classifier_one_active"
            ),
        ]

    def __str__(self) -> str:
        return self.version
