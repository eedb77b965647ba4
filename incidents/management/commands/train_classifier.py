"""python manage.py train_classifier [--min-examples N] [--force] [--json]"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from incidents.services import classifier_train
from incidents.services.training import DEFAULT_MIN_EXAMPLES, HELD_OUT_SHARE

SCORES = (
    "complaint_precision",
    "complaint_recall",
    "complaint_f1",
    "category_accuracy",
    "category_macro_f1",
)


class Command(BaseCommand):
    help = (
        "Train a new classifier version on the labelled posts (buyer reports and corrected public "
        f"posts), score it on a held-back {HELD_OUT_SHARE:.0%} of them beside the classifier in "
        "use, store it, and activate it only if it does better (complaint F1 first, then "
        "category macro-F1). The nightly beat task does the same."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-examples",
            type=int,
            default=DEFAULT_MIN_EXAMPLES,
            help=f"train only with at least this many labelled posts (default {DEFAULT_MIN_EXAMPLES})",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="train however few examples there are, and activate the result whatever its scores",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        result = classifier_train(min_examples=options["min_examples"], force=options["force"])
        summary = {
            "examples": result.examples,
            "trained": result.trained,
            "activated": result.activated,
            "version": result.model.version if result.model else None,
            "reason": result.reason,
            "held_out": result.metrics,
            "in_use": {"version": result.baseline_version, **result.baseline},
            "seconds": result.seconds,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        if not result.trained:
            self.stdout.write(self.style.WARNING(f"Not trained: {result.reason}"))
            return
        model = result.model
        assert model is not None  # stored whenever one was trained
        held_out = result.metrics
        self.stdout.write(
            f"Trained {summary['version']} on {model.training_examples} of "
            f"{result.examples} labelled posts in {result.seconds:.1f} s; scored on the "
            f"{held_out['examples']} held back ({held_out['category_examples']} with a category)."
        )
        width = max(len(name) for name in SCORES)
        self.stdout.write(f"{'':{width}}  {'new':>8}  {'in use':>8}  ({result.baseline_version})")
        for name in SCORES:
            self.stdout.write(
                f"{name:{width}}  {held_out[name]:8.3f}  {result.baseline[name]:8.3f}"
            )
        if result.activated:
            note = " (forced)" if result.reason == "forced" else ""
            self.stdout.write(self.style.SUCCESS(f"Activated {summary['version']}{note}."))
        else:
            self.stdout.write(self.style.WARNING(f"Stored, not activated: {result.reason}."))
