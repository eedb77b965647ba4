"""A person's notifications: one inbox row per event and recipient, and how they want e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import Incident, IncidentEvent, MonitorAlert


class Kind(models.TextChoices):
    """What a notification is about; a person chooses per kind how they hear of it."""

    # To a supplier's staff.
    NEW_INCIDENT = "new_incident", "A new or reopened incident for your team"
    ASSIGNED = "assigned", "An incident assigned to you"
    NEW_EVIDENCE = "new_evidence", "New evidence on an incident assigned to you"
    SPIKE = "spike", "A spike of complaints about your company"
    BUYER_REPLY = "buyer_reply", "A reporting buyer's reply on an incident for you or your team"
    RESOLUTION_REJECTED = (
        "resolution_rejected",
        "A reporting buyer rejecting a resolution (the incident reopens)",
    )
    SLA_WARNING = "sla_warning", "SLA about to be breached on an incident of yours"
    SLA_BREACHED = "sla_breached", "SLA breached on an incident of yours"
    DISPUTE_DECIDED = "dispute_decided", "A decision on evidence your team disputed"
    # To buyers.
    ANSWER = "answer", "An answer on an incident you reported or follow"
    STATUS = "status", "An incident you reported or follow acknowledged, resolved or reopened"
    SUPPLIER_SPIKE = (
        "supplier_spike",
        "A spike of complaints about a supplier you have a vendor code for or follow",
    )
    # To whoever watches a keyword monitor, buyer or supplier staff.
    MONITOR_JUMP = "monitor_jump", "A jump in the posts a keyword monitor you watch finds"
    DISPUTE = "dispute", "A supplier disputing a report of your organization (you decide)"
    # To both sides.
    MERGED = "merged", "Incidents you work on, reported or follow merged or split"


SUPPLIER_KINDS = (
    Kind.NEW_INCIDENT,
    Kind.ASSIGNED,
    Kind.NEW_EVIDENCE,
    Kind.BUYER_REPLY,
    Kind.RESOLUTION_REJECTED,
    Kind.SLA_WARNING,
    Kind.SLA_BREACHED,
    Kind.SPIKE,
    Kind.DISPUTE_DECIDED,
    Kind.MERGED,
    Kind.MONITOR_JUMP,
)
BUYER_KINDS = (
    Kind.ANSWER,
    Kind.STATUS,
    Kind.SUPPLIER_SPIKE,
    Kind.DISPUTE,
    Kind.MERGED,
    Kind.MONITOR_JUMP,
)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One event told to one person. What it says (title, text, link) was built for that person
    through the presenters when it was generated, so the inbox, the e-mail subject and the body
    never show more than the person may see."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "To send"
        DIGEST = "digest", "For the daily digest"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_WANTED = "not_wanted", "Not wanted (preferences)"
        NO_ADDRESS = "no_address", "No e-mail address"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # What it tells of: an incident's event, or a jump in a keyword monitor's volume.
    event = models.ForeignKey(
        IncidentEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    monitor_alert = models.ForeignKey(
        MonitorAlert, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=255)
    text = models.TextField()
    # The incident page this person uses (the buyers' page or the portal's), a path.
    url = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the event happened as this person is shown it (presenters.event_time): to the hour when
    # it brought reports whose reporters they may not know. The inbox shows and orders by it, so
    # the row dates such a report no better than the incident's timeline does.
    shown_at = models.DateTimeField()
    shown_to_the_hour = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    email_status = models.CharField(
        max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    # Set by the one worker that claims the sending (a conditional UPDATE): never sent twice.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=500, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-shown_at", "-id"]
        constraints = [
            # Two workers generating for one event can never tell one person twice.
            models.UniqueConstraint("event", "recipient", name="notification_once_per_recipient"),
            models.UniqueConstraint(
                "monitor_alert", "recipient", name="notification_alert_once_per_recipient"
            ),
            models.CheckConstraint(
                condition=(
                    Q(event__isnull=False, incident__isnull=False, monitor_alert__isnull=True)
                    | Q(event__isnull=True, incident__isnull=True, monitor_alert__isnull=False)
                ),
                name="notification_of_an_event_or_an_alert",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["recipient", "-shown_at", "-id"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.title} to {self.recipient_id}"


class GeneratedEvent(models.Model):
    """An event whose notifications have been generated: the sweep skips it."""

    event = models.OneToOneField(
        IncidentEvent, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    generated_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"notifications of event {self.event_id}"


class NotificationPreference(models.Model):
    """How a person wants to hear of one kind of notification by e-mail. Without a row: at once.
    The inbox shows every notification whatever the preference."""

    class Delivery(models.TextChoices):
        IMMEDIATELY = "immediately", "Immediately"
        DIGEST = "digest", "In a daily digest"
        NEVER = "never", "Never"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delivery = models.CharField(
        max_length=12, choices=Delivery.choices, default=Delivery.IMMEDIATELY
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", "kind", name="notification_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} {self.delivery}"


class DigestSchedule(models.Model):
    """When a person's daily digest goes out: at a whole hour of their own time zone. Without a
    row: DEFAULT_DIGEST_HOUR in UTC."""

    DEFAULT_HOUR = 8
    DEFAULT_TIME_ZONE = "UTC"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="digest_schedule",
    )
    hour = models.PositiveSmallIntegerField(default=DEFAULT_HOUR)
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE)
    # The local day of the last digest, set by the one worker that claims the day (a conditional
    # UPDATE): never two digests in a day.
    last_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="digest_hour_of_a_day"),
        ]

    def __str__(self) -> str:
        return f"digest of {self.user_id} at {self.hour}:00 {self.time_zone}"
