"""Keyword monitors: a party's saved queries over public posts (incidents.monitors parses and
matches them), the posts each found at ingest, and the jumps in their volume."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from supplierwatch.viewers import Viewer


class KeywordMonitorQuerySet(models.QuerySet["KeywordMonitor"]):
    def visible_to(self, viewer: Viewer) -> KeywordMonitorQuerySet:
        """A party's monitors are its own: its members see them, nobody else (operators all)."""
        if viewer.is_operator:
            return self
        if viewer.is_buyer:
            return self.filter(organization_id=viewer.organization_id)
        if viewer.is_supplier_staff:
            return self.filter(supplier_id=viewer.supplier_id)
        return self.none()


class KeywordMonitor(models.Model):
    """A query over public posts that a buyer organization or a supplier's team keeps running.

    Public posts only: a buyer's report is evidence for its supplier and the buyers, never a
    keyword hit for another party."""

    organization = models.ForeignKey(
        "suppliers.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="keyword_monitors",
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="keyword_monitors",
        help_text="The supplier whose team keeps this monitor.",
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000)
    # Posts that name one of these suppliers only; none: every public post.
    suppliers = models.ManyToManyField(
        "suppliers.Supplier", blank=True, related_name="limiting_monitors"
    )
    # Who is told when its volume jumps: whoever made it, and colleagues who chose to be.
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_monitors"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeywordMonitorQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True) ^ Q(supplier__isnull=True),
                name="keyword_monitor_one_party",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MonitorMatch(models.Model):
    """A public post a monitor found, recorded once when the post was processed."""

    monitor = models.ForeignKey(KeywordMonitor, on_delete=models.CASCADE, related_name="matches")
    post = models.ForeignKey(
        "incidents.Post", on_delete=models.CASCADE, related_name="monitor_matches"
    )
    # The post's own time, copied so the volume chart reads one table.
    published_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("monitor", "post", name="monitor_match_once"),
        ]
        indexes = [
            models.Index(fields=["monitor", "-published_at"], name="monitor_match_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} found {self.post_id}"


class MonitorAlert(models.Model):
    """A jump in a monitor's volume: once per monitor and window, whatever the number of workers."""

    monitor = models.ForeignKey(KeywordMonitor, on_delete=models.CASCADE, related_name="alerts")
    # The clock hour of the check that found it: at most one alert per monitor and hour.
    hour = models.DateTimeField()
    # The jump is the hour of posts before this instant.
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField()
    expected = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-window_end", "-id"]
        constraints = [
            models.UniqueConstraint("monitor", "hour", name="monitor_alert_once"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.monitor_id}: {self.count} posts in the hour to {self.window_end:%Y-%m-%d %H:%M}"
        )
