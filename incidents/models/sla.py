"""The SLA: the promised time to a first answer and to resolution by severity (the operators'
default policy, or a supplier's own stricter promise), the supplier's working calendar when a
policy counts business hours only, and the warnings and breaches recorded once per promise and SLA
start (services.sla_alerts_record)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.db import models
from django.db.models import Q

from suppliers.models import Supplier
from supplierwatch.inputs import InputError

from ..business_hours import WALL_CLOCK, Clock, WorkingCalendar
from ..inputs import WEEKDAY_NAMES, PromiseInput, clean_sla_promise
from .values import Severity

logger = logging.getLogger(__name__)

# The promise when no policy row exists for a severity (the default policy's rows are made from
# these by migration 0016 and cannot be deleted in the admin, so this is a last resort).
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


class SlaPolicy(models.Model):
    """The promise for one severity: the operators' default (no supplier), or a supplier's own,
    which may only be stricter (inputs.clean_sla_promise). A change applies to incidents whose
    clocks start afterwards; running clocks keep the due times they were given."""

    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    first_answer_hours = models.PositiveIntegerField("time to first answer (hours)")
    resolution_hours = models.PositiveIntegerField("time to resolution (hours)")
    business_hours_only = models.BooleanField(
        "business hours only",
        default=False,
        help_text="Count only the supplier's working hours (its working calendar).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_id", "-severity"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                "severity", condition=Q(supplier__isnull=True), name="sla_policy_one_default"
            ),
            models.UniqueConstraint(
                "supplier",
                "severity",
                condition=Q(supplier__isnull=False),
                name="sla_policy_one_per_supplier",
            ),
            models.CheckConstraint(
                condition=Q(first_answer_hours__gte=1, resolution_hours__gte=1),
                name="sla_policy_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        whose = self.supplier.name if self.supplier_id and self.supplier else "Default"
        return f"{whose}: {Severity(self.severity).label}"

    @property
    def promise(self) -> PromiseInput:
        return PromiseInput(
            self.first_answer_hours, self.resolution_hours, self.business_hours_only
        )


class WorkCalendar(models.Model):
    """When a supplier works: the clock of a policy that counts business hours only. Without one,
    business hours are Monday to Friday, 9:00 to 17:00 UTC (this model's defaults)."""

    supplier = models.OneToOneField(
        Supplier, on_delete=models.CASCADE, related_name="work_calendar"
    )
    time_zone = models.CharField(max_length=64, default="UTC", help_text="e.g. Europe/Berlin")
    # The digits of the working days, Monday being 0 ("01234": Monday to Friday).
    working_days = models.CharField(max_length=7, default="01234")
    opens = models.TimeField(default=time(9))
    closes = models.TimeField(default=time(17))
    # Public holidays of this country (ISO 3166 code) and subdivision are closed (`holidays`).
    country = models.CharField(max_length=2, blank=True)
    subdivision = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Working calendar of {self.supplier_id}"

    @property
    def day_names(self) -> list[str]:
        return [WEEKDAY_NAMES[int(day)] for day in self.working_days]

    def working_calendar(self) -> WorkingCalendar:
        """The calendar for business_hours arithmetic."""
        closed_on: object = frozenset()
        if self.country:
            try:
                closed_on = holidays.country_holidays(self.country, subdiv=self.subdivision or None)
            except NotImplementedError:
                # Saved before the library dropped it: count no holidays rather than stop.
                logger.warning("no holidays known for %s %s", self.country, self.subdivision)
        return WorkingCalendar(
            zone=ZoneInfo(self.time_zone),
            days=frozenset(int(day) for day in self.working_days),
            opens=self.opens,
            closes=self.closes,
            closed_on=closed_on,  # type: ignore[arg-type]  # a holidays calendar answers `in`
        )


@dataclass(frozen=True)
class SlaTerms:
    """What one incident is promised: the times, and the clock they run on."""

    first_answer: timedelta
    resolution: timedelta
    clock: Clock
    # Whose promise it is: "supplier" (its own) or "default".
    source: str = "default"


def sla_promises(supplier_id: int | None) -> dict[int, tuple[PromiseInput, PromiseInput | None]]:
    """By severity: the default promise and the supplier's own (None when it has none, or when
    the default became stricter since it was set: then it no longer holds)."""
    rows = SlaPolicy.objects.filter(Q(supplier__isnull=True) | Q(supplier_id=supplier_id))
    defaults = {
        int(severity): PromiseInput(
            int(SLA_ACKNOWLEDGE[severity].total_seconds() // 3600),
            int(SLA_RESOLVE[severity].total_seconds() // 3600),
            False,
        )
        for severity in Severity
    }
    own: dict[int, PromiseInput] = {}
    for row in rows:
        (own if row.supplier_id else defaults)[row.severity] = row.promise
    result: dict[int, tuple[PromiseInput, PromiseInput | None]] = {}
    for severity, default in defaults.items():
        mine = own.get(severity)
        result[severity] = (default, mine if mine and _keeps_to(mine, default) else None)
    return result


def sla_terms(supplier_id: int | None, severity: int) -> SlaTerms:
    """The promise an incident of this supplier and severity gets: the supplier's own when it set
    one, else the default; on the supplier's working calendar when it counts business hours only.
    The one lookup behind every due time (Incident.sla_due_times)."""
    default, own = sla_promises(supplier_id)[int(severity)]
    promise = own or default
    clock: Clock = WALL_CLOCK
    if promise.business_hours_only:
        calendar = None
        if supplier_id is not None:
            calendar = WorkCalendar.objects.filter(supplier_id=supplier_id).first()
        clock = (calendar or WorkCalendar()).working_calendar()
    return SlaTerms(
        timedelta(hours=promise.first_answer_hours),
        timedelta(hours=promise.resolution_hours),
        clock,
        "supplier" if own else "default",
    )


def _keeps_to(own: PromiseInput, default: PromiseInput) -> bool:
    """Is a supplier's promise still stricter than the default or equal (the saving rule)?"""
    try:
        clean_sla_promise(
            first_answer_hours=own.first_answer_hours,
            resolution_hours=own.resolution_hours,
            business_hours_only=own.business_hours_only,
            default=default,
        )
    except InputError:
        return False
    return True
