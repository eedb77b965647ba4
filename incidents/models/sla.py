"""The SLA: the promised time to a first answer and to resolution by severity, and the warnings and
breaches recorded once per promise and SLA start (services.sla_alerts_record)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from .values import Severity

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


class SlaAlert(models.Model):
    """A warning before one promise's due time, or its breach, recorded as an IncidentEvent.

    The unique constraint is what makes it happen once per incident, promise and SLA start, however
    many workers run the check: a reopened incident starts its clocks again and gets fresh ones.
    """

    class Promise(models.TextChoices):
        FIRST_ANSWER = "first_answer", "First answer"
        RESOLUTION = "resolution", "Resolution"

    class Stage(models.TextChoices):
        WARNING = "warning", "About to be breached"
        BREACHED = "breached", "Breached"

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="sla_alerts"
    )
    promise = models.CharField(max_length=12, choices=Promise.choices)
    stage = models.CharField(max_length=8, choices=Stage.choices)
    # Incident.sla_started_at when it was recorded: which run of the clocks it belongs to.
    sla_started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    event = models.OneToOneField(
        "incidents.IncidentEvent", on_delete=models.CASCADE, related_name="sla_alert"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "incident", "promise", "stage", "sla_started_at", name="sla_alert_once_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_promise_display()} {self.get_stage_display()} on {self.incident_id}"
