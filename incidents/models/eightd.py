"""The 8D: the supplier's structured answer to an incident, in eight disciplines, each with its
text, an owner among the supplier's colleagues, a due date and a done date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import models

from .incidents import Incident


class Discipline(models.TextChoices):
    """The eight disciplines, in order; their labels are what every channel shows."""

    TEAM = "d1", "Team"
    PROBLEM = "d2", "Problem description"
    CONTAINMENT = "d3", "Containment"
    ROOT_CAUSE = "d4", "Root cause"
    CORRECTIVE = "d5", "Corrective actions"
    VERIFICATION = "d6", "Implementation and verification"
    PREVENTION = "d7", "Prevention"
    CLOSURE = "d8", "Closure and congratulations"


# Where the five free-text fields the 8D was before live now (the data migration's map, and how
# the timeline names the fields of events recorded before).
FORMER_FIELDS: dict[str, str] = {
    "containment": Discipline.CONTAINMENT,
    "root_cause": Discipline.ROOT_CAUSE,
    "corrective_action": Discipline.CORRECTIVE,
    "verification": Discipline.VERIFICATION,
    "preventive_action": Discipline.PREVENTION,
}


class EightDStep(models.Model):
    """One discipline of an incident's 8D. A row exists once something was recorded for it; the
    presenters show the others as not started."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="eight_d_steps")
    discipline = models.CharField(max_length=2, choices=Discipline.choices)
    text = models.TextField(blank=True)
    # A colleague who may act (services.check_assignee); back to nobody when they stop acting.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="eight_d_steps",
    )
    due_on = models.DateField("due", null=True, blank=True)
    done_on = models.DateField("done", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident", "discipline"]
        constraints = [
            models.UniqueConstraint("incident", "discipline", name="eightd_one_per_discipline"),
        ]
        verbose_name = "8D discipline"

    def __str__(self) -> str:
        return f"{self.get_discipline_display()} of {self.incident_id}"

    def is_overdue(self, today: date) -> bool:
        return discipline_overdue(self.due_on, self.done_on, today)


def eight_d_prefetch() -> models.Prefetch:
    """An incident's disciplines with their owners, in one query for a whole list of incidents,
    as a plain list on each (recorded_steps reads it): a queryset for each incident of a page would
    cost about as much as the query itself."""
    steps = EightDStep.objects.select_related("owner").order_by("discipline")
    return models.Prefetch("eight_d_steps", queryset=steps, to_attr=RECORDED_STEPS)


RECORDED_STEPS = "recorded_eight_d_steps"


def recorded_steps(incident: Incident) -> list[EightDStep]:
    """The incident's recorded disciplines, in order: those eight_d_prefetch loaded, else its
    `eight_d_steps` (prefetched by that name, or read now)."""
    loaded = getattr(incident, RECORDED_STEPS, None)
    return list(incident.eight_d_steps.all()) if loaded is None else loaded


def prefetch_eight_d(incidents: Iterable[Incident]) -> None:
    """Load the disciplines of incidents already fetched (several lists at once: one query)."""
    models.prefetch_related_objects(list(incidents), eight_d_prefetch())


def discipline_overdue(due_on: date | None, done_on: date | None, today: date) -> bool:
    """A discipline is overdue when it is not done and its due date has passed."""
    return done_on is None and due_on is not None and due_on < today
