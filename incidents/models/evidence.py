"""Evidence: the posts (buyer reports and public posts), their attachments, the suppliers they
name (matches), the quality taxonomy they are classified into, and the trained classifiers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, When

from suppliers.models import Organization, Supplier
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from .. import inputs
from .values import Severity, hour_of

if TYPE_CHECKING:
    from .incidents import Incident
    from .values import Who


class CategoryQuerySet(models.QuerySet["Category"]):
    def active(self) -> CategoryQuerySet:
        """The categories in use: the ones reports, corrections and filters may choose."""
        return self.filter(is_active=True)


class Category(models.Model):
    """One entry of the quality taxonomy (late delivery, defect, ...), with words that signal it."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Lower-case words and phrases; the lexicon classifier looks for them in a post's text.
    keywords = models.JSONField(default=list, blank=True)
    # Other names imported labels give it ("Lost Luggage" for "Lost shipment"): an operator maps
    # an organization's own category names onto this one (services.categories_for_labels).
    label_names = models.JSONField(
        default=list,
        blank=True,
        help_text='Names imported labels use for this category, e.g. ["Lost Luggage"].',
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def require_in_use(self) -> Category:
        """This category, when it may still be chosen; a refusal naming the field otherwise."""
        if not self.is_active:
            raise ApplicationError(f"{self} is no longer in use.", field="category")
        return self


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, who: Who) -> PostQuerySet:
        """The posts whose text this viewer may read (DESIGN.md, 'Visibility of evidence')."""
        viewer = viewer_of(who)
        posts = self.filter(readable_condition(viewer))
        if viewer.is_supplier_staff:
            supplier_id = viewer.supplier_id
            assert supplier_id is not None  # a supplier's staff always have their supplier
            about_supplier = Q(supplier_id=supplier_id) | Exists(
                PostMatch.objects.filter(post=OuterRef("pk"), supplier_id=supplier_id)
            )
            return posts.filter(about_supplier)
        return posts

    def in_incident(self, incident: Incident, who: Who) -> PostQuerySet:
        """The evidence of this incident whose text the viewer may read: visible_to, for one
        incident. Evidence joins only incidents of the supplier it is matched to, so all of a
        supplier's own incident is about that supplier and, for its staff, the visibility alone
        decides: no per-post look for a match, which visible_to needs among all posts."""
        viewer = viewer_of(who)
        if viewer.is_supplier_staff and viewer.supplier_id == incident.supplier_id:
            return self.filter(readable_condition(viewer), matches__incident=incident)
        return self.visible_to(viewer).filter(matches__incident=incident)

    def in_shown_order(self) -> PostQuerySet:
        """with_shown_time's posts of one incident (in_incident), newest first by `shown_at`, then
        by id, each with `shown_hour`: the hour of its time (copied onto its match), which is
        the hour of `shown_at` too. Ordered by that hour first, the order is the same, and a
        page of a long incident is read from the index of that hour (migration 0037) rather
        than sorted from all of it; a cursor of the API holds that hour."""
        return self.annotate(shown_hour=hour_of("matches__post_published_at")).order_by(
            F("shown_hour").desc(), F("shown_at").desc(), "-id"
        )

    def with_shown_time(self, who: Who) -> PostQuerySet:
        """Each post with `shown_at`: when it was published, to the hour where the viewer may not
        know who reported it (presenters.evidence_view dates it the same). A list ordered by it
        cannot place an anonymous report against named evidence within its hour."""
        hidden = identity_hidden_condition(who)
        if hidden is None:
            return self.annotate(shown_at=F("published_at"))
        return self.annotate(
            shown_at=Case(
                When(hidden, then=hour_of("published_at")),
                default=F("published_at"),
                output_field=DateTimeField(),
            )
        )


def readable_condition(who: Who, *, prefix: str = "") -> Q:
    """The evidence whose text this viewer may read, as far as its visibility decides
    (DESIGN.md, 'Visibility of evidence'): all for operators, a buyer's own organization's and
    everything not private for buyers, everything not private for a supplier's staff (among the
    evidence about their supplier: PostQuerySet.visible_to), nothing for anybody else. `prefix`
    names the fields on a row that copies them (PostMatch: "post_")."""
    viewer = viewer_of(who)
    if viewer.is_operator:
        return Q()
    shared = ~Q(**{f"{prefix}visibility": Post.Visibility.PRIVATE})
    if viewer.is_buyer:
        return shared | Q(**{f"{prefix}organization_id": viewer.organization_id})
    if viewer.is_supplier_staff:
        return shared
    return Q(pk__in=[])


def identity_hidden_condition(who: Who) -> Q | None:
    """The posts whose reporter this viewer may not know; None when it may know every one. The
    query's twin of Post.reveals_identity_to."""
    viewer = viewer_of(who)
    if viewer.is_operator:
        return None
    buyer_report = Q(source=inputs.BUYER_SOURCE)
    if viewer.is_buyer:
        return buyer_report & ~Q(organization_id=viewer.organization_id)
    if viewer.is_supplier_staff:
        return buyer_report & ~Q(visibility="named", supplier_id=viewer.supplier_id)
    return buyer_report


class Post(models.Model):
    """One piece of evidence: a buyer's report or a public post that names a supplier."""

    BUYER_SOURCE = inputs.BUYER_SOURCE

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private: my organization only"
        ANONYMOUS = "anonymous", "Anonymous: counted for everyone, shown without my identity"
        NAMED = "named", "Named: the supplier may see who reported it"
        PUBLIC = "public", "Public post"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    source = models.CharField(
        max_length=inputs.SOURCE_MAX, help_text='"buyer", or the name of a public feed.'
    )
    external_id = models.CharField(max_length=inputs.EXTERNAL_ID_MAX)
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
    po_number = models.CharField("PO number", max_length=inputs.CODE_MAX, blank=True)
    sku = models.CharField("SKU / part number", max_length=inputs.CODE_MAX, blank=True)
    lot = models.CharField("lot / batch", max_length=inputs.CODE_MAX, blank=True)
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
    author_handle = models.CharField(max_length=inputs.HANDLE_MAX, blank=True)
    url = models.URLField(max_length=inputs.URL_MAX, blank=True)

    # Processing
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # When the post was last handed to the broker; empty while it never was (its task could not
    # be sent). The sweep queues again only what was never sent or was sent long ago.
    queued_at = models.DateTimeField(null=True, blank=True)

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

    # Where a person put this evidence by merging or splitting incidents (services.merging): the
    # pipeline places it there again when it is reprocessed, so grouping never undoes their work.
    pinned_incident = models.ForeignKey(
        "Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

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
            # The sweep's two questions, over pending posts only, however many are processed.
            models.Index(
                fields=["status_changed_at"],
                condition=Q(status="pending", queued_at__isnull=True),
                name="post_pending_unqueued",
            ),
            models.Index(
                fields=["queued_at"],
                condition=Q(status="pending", queued_at__isnull=False),
                name="post_pending_queued",
            ),
            models.Index(fields=["organization", "-published_at"], name="post_org_recent"),
            # An organization's private and named reports, found without reading the (possibly
            # long) evidence of an incident: the buyer's private reports in one, the
            # organizations that reported one by name.
            models.Index(
                fields=["organization"],
                condition=Q(visibility="private"),
                name="post_org_private",
            ),
            models.Index(
                fields=["organization"], condition=Q(visibility="named"), name="post_org_named"
            ),
            # What a long incident's evidence is ordered, counted per day and filtered by for a
            # viewer (its times, visibility and reporter), read from the index alone.
            models.Index(
                fields=["id"],
                include=["published_at", "visibility", "source", "organization", "supplier"],
                name="post_shown",
            ),
            models.Index(fields=["-published_at"], name="post_published"),
            # Feeds skip an item whose address another feed already brought in.
            models.Index(fields=["url"], condition=~Q(url=""), name="post_url"),
            # The pipeline asks whether an incident already counts a batch's public authors
            # (services.counters_add): from the handles, not from the incident's evidence.
            models.Index(
                fields=["author_handle"], condition=~Q(author_handle=""), name="post_author_handle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def is_buyer_post(self) -> bool:
        return self.source == self.BUYER_SOURCE

    @property
    def shown_category(self) -> Category | None:
        """The category this evidence is shown in: the one a buyer chose for a report, else a
        person's correction of a public post, else the classifier's guess."""
        return self.category or self.label_category or self.predicted_category

    def reveals_identity_to(self, who: Who) -> bool:
        """May this viewer see who reported it (author and organization)? Public authors are
        public. Its query twin: identity_hidden_condition."""
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
    # What its address names: a random key, never its place in the sequence of all uploads, which
    # would order an anonymous report's files against a named report's.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # Written again without its metadata (EXIF, XMP, a PDF's author). Every upload is; files
    # stored before that was so are cleaned by `manage.py scrub_attachments`.
    scrubbed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PostMatchQuerySet(models.QuerySet["PostMatch"]):
    def in_incident(self, incident: Incident, who: Who) -> PostMatchQuerySet:
        """The matches of the evidence of this incident whose text the viewer may read:
        Post.objects.in_incident's rows, decided on the post's copies, so that what is counted of
        a long incident is read from this table's indexes alone."""
        viewer = viewer_of(who)
        matches = self.filter(readable_condition(viewer, prefix="post_"), incident=incident)
        supplier_id = viewer.supplier_id
        if viewer.is_supplier_staff and supplier_id not in (None, incident.supplier_id):
            # Another supplier's staff read only the evidence about their own (visible_to).
            also = PostMatch.objects.filter(post=OuterRef("post_id"), supplier_id=supplier_id)
            matches = matches.filter(Q(post__supplier_id=supplier_id) | Exists(also))
        return matches


class PostMatch(models.Model):
    """A supplier named by a post, with where and how surely; grouped into one incident at most."""

    # What of its post an incident's evidence is ordered, paged, charted and filtered for a viewer
    # by, copied here (PostMatch.copies_of) so that a long incident's pages and chart are read from
    # this table's indexes rather than from every post of it. A correction of the post changes
    # them (services.post_update) before it is processed again.
    POST_COPIES = {
        "post_published_at": "published_at",
        "post_visibility": "visibility",
        "post_organization_id": "organization_id",
    }

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
    post_published_at = models.DateTimeField(editable=False)
    post_visibility = models.CharField(
        max_length=10, choices=Post.Visibility.choices, editable=False
    )
    post_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
    )

    objects = PostMatchQuerySet.as_manager()

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
            # An incident's evidence, from the index alone.
            models.Index(fields=["incident", "post"], name="match_incident_post"),
            # A buyer organization's own reports in an incident, however long its evidence.
            models.Index(
                fields=["incident", "post_organization"],
                include=["post_visibility"],
                condition=Q(post_organization__isnull=False),
                name="match_incident_reporter",
            ),
            # On PostgreSQL, migration 0036 adds the index of an incident's evidence by the hour
            # of its time (PostQuerySet.in_shown_order), which also holds what the chart counts.
            # It is not declared here: a migration cannot name hour_of's time zone.
        ]

    def __str__(self) -> str:
        return f"{self.post} -> {self.supplier}"

    @classmethod
    def copies_of(cls, post: Post) -> dict[str, object]:
        """The values of POST_COPIES for the matches of this post."""
        return {name: getattr(post, field) for name, field in cls.POST_COPIES.items()}


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
