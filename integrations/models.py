"""How other systems talk to supplierwatch: API keys, idempotent requests, signed webhooks and
feeds."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.inputs import SOURCE_MAX, clean_source
from incidents.models import IncidentEvent
from suppliers.models import Organization, Supplier
from supplierwatch.viewers import Viewer

# Exactly one party: a buyer organization or a supplier, never both, never neither.
ONE_PARTY = Q(organization__isnull=False, supplier__isnull=True) | Q(
    organization__isnull=True, supplier__isnull=False
)


class ApiKey(models.Model):
    """A secret an integration presents as `Authorization: Api-Key <key>`; it acts as its party.

    Only a SHA-256 hash of the key is stored: the key is shown once, when it is issued. Each key
    has its own service user, a member of the key's party, so that every `visible_to` rule applies
    to a key exactly as it applies to a person of that party.
    """

    name = models.CharField(max_length=100)
    # The visible start of the key (`sw_live_<prefix>_...`): finds the row and names the key in logs.
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    # Every key reads; a write key also creates reports, ingests posts and answers incidents.
    can_write = models.BooleanField(default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_key"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute per key, so authenticating is not a write per request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=ONE_PARTY, name="api_key_exactly_one_party"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (sw_live_{self.prefix}_…)"

    @property
    def party(self) -> Organization | Supplier:
        party = self.organization or self.supplier
        assert party is not None, "exactly one party, by the ONE_PARTY check constraint"
        return party

    @property
    def scopes(self) -> list[str]:
        return ["read", "write"] if self.can_write else ["read"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookSubscriptionQuerySet(models.QuerySet["WebhookSubscription"]):
    def visible_to(self, viewer: Viewer) -> WebhookSubscriptionQuerySet:
        """A party's own subscriptions: another party's is a 404, like any object. Operators,
        who are no party, manage them in the admin."""
        if viewer.organization_id is not None:
            return self.filter(organization_id=viewer.organization_id)
        if viewer.supplier_id is not None:
            return self.filter(supplier_id=viewer.supplier_id)
        return self.none()


class WebhookSubscription(models.Model):
    """A URL that receives signed events about the incidents its party may see."""

    class Event(models.TextChoices):
        CREATED = "incident.created", "An incident was opened"
        UPDATED = "incident.updated", "New evidence, status, severity, assignment or 8D answer"
        ANSWERED = "incident.answered", "The supplier answered"
        RESOLVED = "incident.resolved", "The incident was resolved"
        REOPENED = "incident.reopened", "New evidence reopened a resolved incident"
        SPIKE = "incident.spike", "Complaints about the supplier spiked"
        SLA_WARNING = "incident.sla_warning", "A promised answer or resolution is due soon"
        SLA_BREACHED = "incident.sla_breached", "A promised answer or resolution is overdue"
        DISPUTED = (
            "incident.disputed",
            "The supplier disputed a piece of evidence, or a dispute was decided",
        )
        MERGED = (
            "incident.merged",
            "Another incident was merged into this one, or this one into another",
        )
        SPLIT = "incident.split", "Evidence was split out of this incident into a new one"

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Kept as it is: every delivery is signed with it. Shown once, when created or rotated.
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    # Deliveries that failed after every retry, in a row; a success resets it.
    failure_count = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_subscriptions_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=ONE_PARTY, name="webhook_exactly_one_party"),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.organization or self.supplier})"

    @property
    def party(self) -> Organization | Supplier:
        party = self.organization or self.supplier
        assert party is not None, "exactly one party, by the ONE_PARTY check constraint"
        return party


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def pending(self) -> WebhookDeliveryQuerySet:
        return self.filter(status=WebhookDelivery.Status.PENDING)

    def visible_to(self, viewer: Viewer) -> WebhookDeliveryQuerySet:
        """The deliveries of the subscriptions the viewer sees (WebhookSubscription's rule)."""
        return self.filter(subscription__in=WebhookSubscription.objects.visible_to(viewer))


class WebhookDelivery(models.Model):
    """One event for one subscription: its frozen payload and every attempt to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    incident_event = models.ForeignKey(
        IncidentEvent, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    # The `Supplierwatch-Event-Id` header: the same on every retry, so receivers drop duplicates.
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=30, choices=WebhookSubscription.Event.choices)
    # Built once, when the event is dispatched, from what the subscription's party may see.
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending this delivery holds it until then; nobody else sends it meanwhile.
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Dispatching an event twice creates nothing twice.
            models.UniqueConstraint(
                fields=["subscription", "incident_event"], name="delivery_unique_per_event"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="delivery_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.subscription_id}"


class FeedQuerySet(models.QuerySet["Feed"]):
    def visible_to(self, viewer: Viewer) -> FeedQuerySet:
        """Operators see every feed; a supplier's staff its own supplier's; buyers none (they push
        public posts through the API)."""
        if viewer.is_operator:
            return self.all()
        if viewer.supplier_id is not None:
            return self.filter(supplier_id=viewer.supplier_id)
        return self.none()

    def polled(self) -> FeedQuerySet:
        """The feeds we fetch ourselves: all but inbound webhooks, which are sent to us."""
        return self.exclude(kind=Feed.Kind.WEBHOOK)

    def by_handle(self, handle: str) -> FeedQuerySet:
        """The feed a command line names: `NAME` for an operator's feed, `SLUG/NAME` for a
        supplier's (names are unique per owner only; neither a slug nor a name holds a '/')."""
        slug, _, name = handle.rpartition("/")
        if slug:
            return self.filter(supplier__slug=slug, name=name)
        return self.filter(supplier__isnull=True, name=name)

    def due(self, now: datetime) -> FeedQuerySet:
        """Polled feeds whose time has come, disabled ones excepted."""
        return (
            self.polled()
            .exclude(status=Feed.Status.DISABLED)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        )


class Feed(models.Model):
    """A public channel that brings in public posts by itself: an RSS or Atom URL, a Mastodon
    hashtag or search, a Bluesky search, or an inbound webhook that a tool POSTs signed items to.

    Its name is unique among its owner's feeds: the operators' or one supplier's, so that two
    suppliers may each have a feed called "news". Its `source` is unique everywhere: the `source`
    of the posts it brings, so (source, item id) identifies a post.
    """

    class Kind(models.TextChoices):
        RSS = "rss", "RSS or Atom"
        MASTODON = "mastodon", "Mastodon"
        BLUESKY = "bluesky", "Bluesky"
        WEBHOOK = "webhook", "Inbound webhook"

    class Status(models.TextChoices):
        HEALTHY = "healthy", "Healthy"
        FAILING = "failing", "Failing"
        DISABLED = "disabled", "Disabled"

    name = models.CharField(max_length=50, help_text="Unique among its owner's feeds.")
    # Set when it is first saved (source_for), and never changed: the posts stored carry it.
    source = models.CharField(max_length=50, unique=True, help_text="The source of its posts.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.CharField(
        max_length=500, blank=True, help_text="The feed's URL, or the search of a Bluesky feed."
    )
    # None: operator-wide; else one supplier's, managed by its admins in the portal.
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    interval_seconds = models.PositiveIntegerField(default=900)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feeds_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Where the next poll starts, written in the transaction that stores the items before it.
    cursor = models.CharField(max_length=500, blank=True)
    # A Bluesky search that brought more pages than one poll reads: the page cursor its next poll
    # goes on from (towards `cursor`, the mark it reads back to), and the newest index time read
    # since it began, the mark it moves to once it is done. Both "" when not catching up.
    catch_up_cursor = models.CharField(max_length=500, blank=True)
    catch_up_newest = models.CharField(max_length=40, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HEALTHY)
    # Polls that failed in a row; a success resets it.
    failure_count = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # A poll in progress holds the feed until then, so two workers never poll it at once.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The last item refused (a date in the year 9999, no text): the feed still counts as healthy.
    last_rejection = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    items_seen = models.PositiveBigIntegerField(default=0)
    items_stored = models.PositiveBigIntegerField(default=0)
    items_rejected = models.PositiveBigIntegerField(default=0)

    # Inbound webhooks: the secret part of the URL, and the key the items are signed with.
    inbound_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    secret = models.CharField(max_length=100, blank=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "name"], name="feed_name_per_supplier"),
            # NULLs are distinct in the constraint above: the operators' feeds need their own.
            models.UniqueConstraint(
                fields=["name"], condition=Q(supplier__isnull=True), name="feed_name_of_operators"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_poll_at"],
                condition=~Q(status="disabled") & ~Q(kind="webhook"),
                name="feed_due",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.source:
            self.source = self.source_for(name=self.name, supplier=self.supplier)
        super().save(*args, **kwargs)

    @staticmethod
    def source_for(*, name: str, supplier: Supplier | None) -> str:
        """The `source` of a new feed's posts: an operator's feed's name, or for a supplier's
        feed its name after the supplier's slug (`initech-components-news`), so that each
        supplier names its feeds as it likes. One too long to store ends in a digest of both."""
        if supplier is None:
            return name
        source = f"{supplier.slug.lower()}-{name}"
        if len(source) > SOURCE_MAX:
            digest = hashlib.sha256(f"{supplier.pk}/{name}".encode()).hexdigest()[:8]
            source = f"{source[: SOURCE_MAX - 9].rstrip('-._')}-{digest}"
        return clean_source(source)

    @property
    def is_polled(self) -> bool:
        return self.kind != self.Kind.WEBHOOK

    @property
    def is_catching_up(self) -> bool:
        return bool(self.catch_up_cursor)

    @property
    def handle(self) -> str:
        """How the command line names it (FeedQuerySet.by_handle): `NAME` or `SLUG/NAME`."""
        return f"{self.supplier.slug}/{self.name}" if self.supplier is not None else self.name


class FeedReceipt(models.Model):
    """A signed inbound request already stored: the same signed body again is a replay."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="receipts")
    # SHA-256 of "<timestamp>.<body>": what the signature covers.
    digest = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "digest"], name="feed_receipt_once"),
        ]
        indexes = [models.Index(fields=["received_at"], name="feed_receipt_age")]

    def __str__(self) -> str:
        return f"{self.feed_id}:{self.digest[:12]}"
