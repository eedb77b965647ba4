"""python manage.py recompute_scorecards: store the scorecards of past periods again."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents import scoring
from incidents.services import scorecards_recompute

HELP = """\
Compute and store every supplier's scorecards for each period from --since (default: the first
evidence) to today, replacing what was stored: after operators change the criteria's weights or
the standings' thresholds, or after importing past evidence. The scheduled task keeps only the
current and the last closed periods fresh. Safe to stop and run again.
"""


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period",
            action="append",
            choices=[kind.value for kind in scoring.PeriodKind],
            help="week, month or quarter; repeat for several (default: all three).",
        )
        parser.add_argument("--since", help="First day, YYYY-MM-DD (default: the first evidence).")

    def handle(self, *args, period: list[str] | None, since: str | None, **options) -> None:
        try:
            first = date.fromisoformat(since) if since else None
        except ValueError:
            raise CommandError(f"--since: {since!r} is not a date (YYYY-MM-DD).") from None
        kinds = period or [kind.value for kind in scoring.PeriodKind]
        stored = scorecards_recompute(periods=kinds, since=first)
        total = sum(stored.values())
        self.stdout.write(f"{total} scorecards stored over {len(stored)} periods.")
