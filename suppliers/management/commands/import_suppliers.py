"""python manage.py import_suppliers FILE.json [--prune] [--context-words WORDS] [--dry-run]"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from suppliers.services import suppliers_import

HELP = """\
Create or update suppliers and the aliases that recognise them in posts, from a JSON file.

The file holds a list of records (or an object whose "suppliers" key holds it), for example:

  [{"name": "United Airlines",
    "handles": ["@united"], "aliases": ["United Airlines", "United"],
    "hashtags": ["#UnitedAirlines"],
    "slug": "united", "website": "https://www.united.com/",
    "domains": ["united.com"], "products": ["MileagePlus"],
    "context_words": ["flight", "gate", "luggage"],
    "ambiguous": {"United": true, "MileagePlus": false}}]

  name           required; also stored as the supplier's "name" alias
  slug           optional; made from the name when absent (unique, with -2, -3, ... if taken)
  handles        @handles; an '@' is added when missing.   hashtags: likewise with '#'
  aliases        other names; an alias spelled like the name is the name alias, not a second one
  domains        bare domain names (a leading http(s):// or trailing / is removed)
  products       product names that identify the supplier
  website, description
  context_words  words that make an ambiguous alias credible nearby ("flight" for United)
  ambiguous      {alias: true|false|null} overrides the automatic decision (a single common
                 English word, such as "United" or "American", is ambiguous and counts only
                 when written as a proper noun near a context word); null = automatic. When
                 the key is present, the name, aliases and products it does not list go back
                 to automatic; when absent, flags set before (e.g. in the admin) stay.

Matching: a supplier is found by its record's slug, else by its name case-insensitively, else
created, so importing the same file twice changes nothing. A key absent from a record leaves
that part of the supplier as it is; unknown keys make the record invalid (catches typos).
Aliases are upserted. Aliases the record no longer lists are kept unless --prune is given, and
--prune only removes aliases of the kinds the record lists (the "name" kind always; give
"hashtags": [] to remove every hashtag). Suppliers missing from the file are never deleted.

Context words: a record without "context_words" (or with an empty list) gets those of
--context-words when it is given, and otherwise keeps what it has. The six airlines of
../shared/data/airlines-suppliers.json have none of their own: without --context-words their
ambiguous aliases ("United", "American", "Southwest") are never counted and the matcher relies
on handles, hashtags and full names, which is why evaluations and benchmarks import them with
  --context-words "flight,flights,airline,plane,gate,luggage,bag,bags,seat,crew,pilot,boarding,delayed,cancelled"

A bad record (no name, a list that is not a list of strings, ...) is reported with its index in
the list (from 0) and its name, and the rest are imported. The command fails only when the file
cannot be read or is not a JSON list of records.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a JSON file: a list of supplier records")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="remove aliases (of the kinds a record lists) that the record no longer lists",
        )
        parser.add_argument(
            "--context-words",
            default="",
            metavar="WORD,WORD,...",
            help="comma-separated context words for suppliers whose record gives none",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would change, then roll everything back",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        records = _load(Path(options["file"]))
        words = [word.strip() for word in options["context_words"].split(",") if word.strip()]
        with transaction.atomic():
            result = suppliers_import(
                records=records, prune=options["prune"], default_context_words=words
            )
            if options["dry_run"]:
                transaction.set_rollback(True)

        for error in result.errors:
            self.stderr.write(str(error))
        summary = (
            f"{len(records)} records: suppliers created {result.created}, "
            f"updated {result.updated}, unchanged {result.unchanged}, "
            f"not imported {len(result.errors)}; aliases added {result.aliases_added}, "
            f"removed {result.aliases_removed}"
        )
        if options["dry_run"]:
            summary += " (dry run: nothing was saved)"
        style = self.style.WARNING if result.errors else self.style.SUCCESS
        self.stdout.write(style(summary))


def _load(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("suppliers"), list):
        data = data["suppliers"]
    if not isinstance(data, list):
        raise CommandError(
            f"{path} must hold a JSON list of supplier records "
            '(or an object with a "suppliers" list)'
        )
    return data
