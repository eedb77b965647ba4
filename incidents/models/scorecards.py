"""Scorecards: the criteria and standings operators edit, and each supplier's stored score per
period (services.scorecards_compute writes them; incidents.scoring does the arithmetic)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from suppliers.models import Supplier

from .. import scoring


class ScoringCriterion(models.Model):
    """One criterion of the score: how much it weighs, and the figure at which it scores 0."""

    key = models.CharField(
        max_length=40,
        unique=True,
        choices=[(c.key, c.name) for c in scoring.DEFAULT_CRITERIA],
    )
    weight = models.FloatField(
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Relative weight; 0 leaves the criterion out.",
    )
    worst = models.FloatField(
        default=0,
        validators=[MinValueValidator(0)],
        help_text="The figure at which the criterion scores 0 (less is better); unused for rates.",
    )
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "key"]
        verbose_name_plural = "scoring criteria"

    def __str__(self) -> str:
        return self.get_key_display()

    def as_criterion(self) -> scoring.Criterion:
        return scoring.Criterion(
            key=self.key, weight=self.weight, worst=self.worst, name=self.get_key_display()
        )


class Standing(models.Model):
    """A standing (Excellent, Good, ...) a score reaches at or above its threshold."""

    name = models.CharField(max_length=40, unique=True)
    min_score = models.FloatField(
        unique=True,
        # A score is 0..100: a threshold outside it is a standing no supplier could ever have.
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The lowest score (0 to 100) with this standing.",
    )

    class Meta:
        ordering = ["-min_score"]

    def __str__(self) -> str:
        return f"{self.name} (from {self.min_score:g})"


class Scorecard(models.Model):
    """One supplier's score for one period, computed from evidence every buyer may count (private
    reports never), so the stored scorecard is the one everybody sees."""

    class Period(models.TextChoices):
        # scoring.PeriodKind's values.
        WEEK = "week", "Week"
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="scorecards")
    period = models.CharField(max_length=7, choices=Period.choices)
    period_start = models.DateField()
    # scoring.Figures, as a dict: what the score was computed from.
    figures = models.JSONField(default=dict)
    # scoring.CriterionScore rows, as dicts: weights, sub-scores and points lost, as computed.
    criteria = models.JSONField(default=list)
    score = models.FloatField(null=True, blank=True)
    # The standing's name when computed: a later change of thresholds does not rewrite history
    # until the period is recomputed.
    standing = models.CharField(max_length=40, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["supplier", "period", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                "supplier", "period", "period_start", name="scorecard_one_per_supplier_period"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "period_start"], name="scorecard_period"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.period_label}: {self.score}"

    @property
    def period_label(self) -> str:
        return scoring.period_label(self.period, self.period_start)

    @property
    def shown_figures(self) -> scoring.Figures:
        return scoring.Figures.from_dict(self.figures)
