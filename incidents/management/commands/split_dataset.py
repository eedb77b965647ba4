"""python manage.py split_dataset FILE.csv --out-dir DIR [--test-share 0.2] [--key post_id]"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.learning import stable_fraction


class Command(BaseCommand):
    help = (
        "Split a labelled CSV into DIR/train.csv and DIR/test.csv by a fixed rule: a row goes to "
        "the test file when the SHA-256 of its key column (post_id), read as a fraction in [0, 1), "
        "is below --test-share. The same file always splits the same way, on any machine, "
        "whatever the order of its rows. The input file is only read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a CSV file with a header row")
        parser.add_argument("--out-dir", required=True, help="where train.csv and test.csv go")
        parser.add_argument("--test-share", type=float, default=0.2, help="default 0.2")
        parser.add_argument("--key", default="post_id", help="the id column (default post_id)")

    def handle(self, *args: Any, **options: Any) -> None:
        share = options["test_share"]
        if not 0 < share < 1:
            raise CommandError("--test-share must be between 0 and 1")
        source = Path(options["file"])
        out_dir = Path(options["out_dir"])
        if out_dir.resolve() == source.resolve().parent:
            raise CommandError("--out-dir must not be the folder of the input file")
        out_dir.mkdir(parents=True, exist_ok=True)
        counts = {"train": 0, "test": 0}
        try:
            with source.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or options["key"] not in reader.fieldnames:
                    raise CommandError(f"{source} has no {options['key']!r} column")
                with (
                    (out_dir / "train.csv").open("w", encoding="utf-8", newline="") as train,
                    (out_dir / "test.csv").open("w", encoding="utf-8", newline="") as test,
                ):
                    writers = {
                        "train": csv.DictWriter(train, reader.fieldnames),
                        "test": csv.DictWriter(test, reader.fieldnames),
                    }
                    for writer in writers.values():
                        writer.writeheader()
                    for row in reader:
                        part = "test" if stable_fraction(row[options["key"]]) < share else "train"
                        writers[part].writerow(row)
                        counts[part] += 1
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"cannot split {source}: {exc}") from None
        self.stdout.write(
            f"{out_dir / 'train.csv'}: {counts['train']} rows\n"
            f"{out_dir / 'test.csv'}: {counts['test']} rows"
        )
