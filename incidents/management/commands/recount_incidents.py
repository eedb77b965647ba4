"""python manage.py recount_incidents [--check]: find and repair drift of incidents' counters."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.services.complaint_days import complaint_days_check
from incidents.services.counters import incidents_counters_check

HELP = """\
Recount every incident's counters (posts, public posts, named posts, reporters, organizations,
named organizations, public authors, first and last evidence) from its evidence and compare them
with the stored ones, which the pipeline keeps by adding each batch; the same for the complaints
counted per day that the dashboards chart. Each difference is listed; the drifted incidents are
then recounted and stored, and the daily counts rebuilt. With --check nothing is written, and the
command fails (exit status 1) when any counter drifted. Safe to run while workers process posts.
"""


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only report drift; exit 1 if there is any."
        )
        parser.add_argument(
            "--chunk", type=int, default=500, help="Incidents compared per query (default 500)."
        )

    def handle(self, *args, check: bool, chunk: int, **options) -> None:
        if chunk < 1:
            raise CommandError("--chunk: must be at least 1.")
        result = incidents_counters_check(repair=not check, chunk=chunk)
        for drift in result.drift:
            self.stdout.write(
                f"incident #{drift.incident_id}: {drift.field} stored {drift.stored}, "
                f"counted {drift.counted}"
            )
        days = complaint_days_check(repair=not check)
        for day in days.drift:
            when, supplier_id, category_id, private_to = day.key
            self.stdout.write(
                f"complaints of {when} (supplier #{supplier_id}, category {category_id}, "
                f"private to {private_to}): stored {day.stored}, counted {day.counted}"
            )
        drifted = len({drift.incident_id for drift in result.drift})
        summary = f"{result.incidents} incidents checked, {drifted} with drifted counters"
        daily = f"{len(days.drift)} drifted daily complaint counts"
        if check:
            if drifted or days.drift:
                raise CommandError(f"{summary}; {daily}; run without --check to repair them.")
            self.stdout.write(f"{summary}; {daily}.")
            return
        rebuilt = ", rebuilt" if days.repaired else ""
        self.stdout.write(f"{summary}, {result.repaired} recounted; {daily}{rebuilt}.")
