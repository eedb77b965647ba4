"""The SLA: the promised time to a first answer and to resolution by severity (the operators'
default policy, or a supplier's own stricter promise), the supplier's working calendar when a
policy counts business hours only, and the warnings and breaches recorded once per promise and SLA
start (services.sla_alerts_record)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from suppliers.models import Supplier
from supplierwatch.inputs import InputError

from ..business_hours import WALL_CLOCK, Clock, NoWorkingTime, WorkingCalendar
from ..inputs import WEEKDAY_NAMES, PromiseInput, clean_sla_promise
from .values import Severity, to_the_hour

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


class SlaClock:
    """The SLA of one incident (Incident's): when its clocks start, its due and warning times from
    its terms, the severity bringing them forward, and the pause while it waits on a buyer."""

    if TYPE_CHECKING:
        supplier_id: int
        severity: int
        created_at: datetime | None
        sla_started_at: datetime | None
        sla_paused_at: datetime | None
        sla_paused_for: timedelta
        acknowledge_due_at: datetime | None
        acknowledge_warn_at: datetime | None
        resolve_due_at: datetime | None
        resolve_warn_at: datetime | None
        acknowledged_at: datetime | None
        time_to_first_answer: timedelta | None
        time_to_resolution: timedelta | None

        @property
        def is_open(self) -> bool: ...

    @staticmethod
    def sla_clock_start(moment: datetime) -> datetime:
        """When an SLA clock that starts at `moment` counts from: the first whole hour at or after
        it, so the promise is never shortened. The moment is when evidence arrived (an incident
        opened or reopened by a report), and a due time of `moment` + N hours would date that
        report to the fraction of a second, even an anonymous one whose time is otherwise shown
        only to the hour (DESIGN.md, "Anonymity must survive arithmetic"). Whole-hour due times
        are also easier to read and to plan by."""
        hour = to_the_hour(moment)
        return hour if hour == moment else hour + timedelta(hours=1)

    def sla_terms(self) -> SlaTerms:
        """What this incident is promised at its present severity (models.sla.sla_terms)."""
        return sla_terms(self.supplier_id, self.severity)

    def sla_due_times(self, terms: SlaTerms, clock: datetime) -> dict[str, datetime]:
        """The due times, and their warnings' times, of promises that run from `clock` under
        `terms`: the one place they are computed. A warning comes when the part of the promise in
        settings.SW_SLA_WARNING_FRACTION is left, on the promise's own clock."""
        left = 1 - settings.SW_SLA_WARNING_FRACTION
        times: dict[str, datetime] = {}
        for name, promised in (("acknowledge", terms.first_answer), ("resolve", terms.resolution)):
            seconds = promised.total_seconds()
            try:
                times[f"{name}_due_at"] = terms.clock.add(clock, seconds)
                times[f"{name}_warn_at"] = terms.clock.add(clock, seconds * left)
            except NoWorkingTime:
                # A calendar that never opens must not stop the pipeline: every hour counts.
                times[f"{name}_due_at"] = WALL_CLOCK.add(clock, seconds)
                times[f"{name}_warn_at"] = WALL_CLOCK.add(clock, seconds * left)
        return times

    def start_sla(self, start: datetime, terms: SlaTerms | None = None) -> None:
        """Both promises run from `start` (from the whole hour at or after it: sla_clock_start):
        a new incident, or a regression that needs a fresh answer."""
        clock = self.sla_clock_start(start)
        self.sla_started_at = clock
        self.acknowledged_at = None
        self.sla_paused_at = None
        self.sla_paused_for = timedelta(0)
        self.time_to_first_answer = self.time_to_resolution = None
        for name, value in self.sla_due_times(terms or self.sla_terms(), clock).items():
            setattr(self, name, value)

    def sla_elapsed(self, now: datetime) -> timedelta | None:
        """How long the clock has run since it started: the time waiting on the buyer (finished
        pauses and the current one) does not count, as help desks count it; nothing before the
        start (an answer within the hour a report came in) counts as no time at all."""
        if self.sla_started_at is None:
            return None
        waited = self.sla_paused_for or timedelta(0)
        if self.sla_paused_at is not None:
            waited += max(now - max(self.sla_paused_at, self.sla_started_at), timedelta(0))
        return max(now - self.sla_started_at - waited, timedelta(0))

    def apply_severity(self, severity: int) -> list[str]:
        """Set a severity and bring the due times forward when it promises sooner (never back),
        counting from the current SLA start (a reopened incident's, not its first opening's); the
        names of the fields that changed."""
        self.severity = severity
        clock = self.sla_started_at or self.sla_clock_start(self.created_at or timezone.now())
        times = self.sla_due_times(self.sla_terms(), clock)
        changed = ["severity"]
        promises = ["resolve"] if self.acknowledged_at is not None else ["acknowledge", "resolve"]
        for name in promises:
            due, current = times[f"{name}_due_at"], getattr(self, f"{name}_due_at")
            if current is None or due < current:
                setattr(self, f"{name}_due_at", due)
                setattr(self, f"{name}_warn_at", times[f"{name}_warn_at"])
                changed += [f"{name}_due_at", f"{name}_warn_at"]
        return changed

    # --- waiting on the buyer -------------------------------------------------------------------

    @property
    def waiting_on_buyer(self) -> bool:
        return self.sla_paused_at is not None

    def sla_pause(self, now: datetime) -> bool:
        """Stop the clocks: the supplier asked a reporting organization a question. False when
        there is nothing to stop (closed, resolved, or already waiting)."""
        if not self.is_open or self.sla_paused_at is not None:
            return False
        self.sla_paused_at = now
        return True

    def sla_resume(self, now: datetime, terms: SlaTerms | None = None) -> list[str]:
        """Start the clocks again: every due time (and warning) still ahead when they stopped moves
        on by the time they stood still, counted on the promise's clock (working time for a
        business-hours policy). A due time already past when they stopped stays past. The names
        of the fields that changed (none when the clocks were running)."""
        paused = self.sla_paused_at
        if paused is None:
            return []
        self.sla_paused_at = None
        if self.sla_started_at is not None:
            self.sla_paused_for = (self.sla_paused_for or timedelta(0)) + max(
                now - max(paused, self.sla_started_at), timedelta(0)
            )
        clock = (terms or self.sla_terms()).clock
        try:
            span = clock.between(paused, now)
        except NoWorkingTime:
            clock, span = WALL_CLOCK, WALL_CLOCK.between(paused, now)
        changed = ["sla_paused_at", "sla_paused_for"]
        for name in (
            "acknowledge_due_at",
            "acknowledge_warn_at",
            "resolve_due_at",
            "resolve_warn_at",
        ):
            moment = getattr(self, name)
            if moment is not None and moment > paused and span > 0:
                setattr(self, name, clock.add(moment, span))
                changed.append(name)
        return changed

    def acknowledge_overdue(self, now: datetime) -> bool:
        return (
            self.is_open
            and self.sla_paused_at is None
            and self.acknowledged_at is None
            and self.acknowledge_due_at is not None
            and self.acknowledge_due_at < now
        )

    def resolve_overdue(self, now: datetime) -> bool:
        return (
            self.is_open
            and self.sla_paused_at is None
            and self.resolve_due_at is not None
            and self.resolve_due_at < now
        )

    def is_overdue(self, now: datetime) -> bool:
        """Open and past a promise; the single-row twin of overdue_condition."""
        return self.acknowledge_overdue(now) or self.resolve_overdue(now)
