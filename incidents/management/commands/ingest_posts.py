"""python manage.py ingest_posts FILE.csv|FILE.jsonl --source NAME [--map FIELD=COLUMN,...]"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from incidents.inputs import clean_source
from incidents.labels import Label, LabelRule, label_of, parse_label_rule
from incidents.models import Post
from incidents.readers import (
    DEFAULT_COLUMNS,
    FORMATS,
    LABELS,
    POST_FIELDS,
    BadRecord,
    PostReader,
    ReaderError,
    parse_mapping,
)
from incidents.services import LabelImportResult, posts_ingest, posts_label_imported
from supplierwatch.inputs import InputError

_DEFAULTS = "\n".join(
    f"  {name:<14} <- {' or '.join(columns)}" for name, columns in DEFAULT_COLUMNS.items()
)
HELP = f"""\
Store the public posts of a CSV or JSONL file as pending posts of one feed (--source), and queue
them for matching, classifying and grouping.

The format comes from the file name (.csv, .jsonl, .ndjson, optionally .gz) unless --format
says it. Each post field is read from the first of these columns the file has (CSV header
cells are compared ignoring case and surrounding spaces):
{_DEFAULTS}
--map FIELD=COLUMN[,FIELD=COLUMN...] reads a field from another column (in JSONL a dotted path
such as user.screen_name); FIELD= with no column leaves the field out. external_id and text are
required; a post without published_at is dated now.

The file is read and stored in batches of --batch-size rows, each committed on its own, so
memory stays flat for any file size and an interrupted run keeps what it stored: run it again
and the stored rows count as duplicates. Each bad row is reported as "line N: reason" (N is the
line where the record starts), and the others are stored. At the end a summary gives the rows
accepted, the duplicates skipped (already stored, or repeated within the file), the rows
rejected, the time taken and the rate in posts read per second. Without REDIS_URL the posts are
processed right away in this process, so the time includes processing. When the broker cannot
be reached, the posts are stored all the same and the summary says how many wait for it: the
pending sweep queues them once it is back.

Labels: --label-complaint COLUMN=VALUE[|VALUE...] marks each newly stored post a complaint when
COLUMN holds one of the values (else not a complaint; an empty cell leaves it unlabelled), and
--label-category COLUMN gives a complaint's category by the name, slug or a label name of a
category (empty and "Can't Tell" mean none; --no-category adds values; --create-categories
creates categories for names that map to none). Labelled posts are grouped by their labels and
teach the next trained model, as people's corrections do. For the airline tweets:
  --label-complaint sentiment=negative --label-category negative_reason --create-categories

Exit status 0 when the file was read to its end, even if some rows were rejected; non-zero
when the options are wrong, the file cannot be read (or only part of it: a truncated .gz), a
database error stops the run, or it is interrupted; the batches stored before stay stored.
"""


@dataclass
class _Totals:
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    handed: int = 0  # rows given to posts_ingest so far: the next chunk's start_index
    first_id: int | None = None  # the first post this run stored
    done_through: int = 0  # the last line of the last batch stored (or reported)


class _Stopped(Exception):
    """The run cannot go on; what was stored so far stays stored."""


@dataclass
class _Chunk:
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the file line of each row, for its index
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv, .jsonl or .ndjson file (optionally .gz)")
        parser.add_argument(
            "--source",
            required=True,
            help='the feed these posts come from, e.g. "twitter" (required; not "buyer")',
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN[,...]",
            help=f"read post fields from other columns; fields: {', '.join(POST_FIELDS)}",
        )
        parser.add_argument(
            "--label-complaint",
            metavar="COLUMN=VALUE[|VALUE...]",
            help="import labels: a post is a complaint when COLUMN holds one of the values "
            "(e.g. sentiment=negative), otherwise not; a row with the column empty is unlabelled",
        )
        parser.add_argument(
            "--label-category",
            metavar="COLUMN",
            help="with --label-complaint: a complaint's category, by the name, slug or a label "
            "name of a category (e.g. negative_reason)",
        )
        parser.add_argument(
            "--no-category",
            default="",
            metavar="VALUE[|VALUE...]",
            help='category values that mean none (empty and "Can\'t Tell" always do)',
        )
        parser.add_argument(
            "--create-categories",
            action="store_true",
            help="create a category for each category name that maps to none",
        )
        parser.add_argument("--format", choices=FORMATS, help="override the file-name guess")
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="rows per transaction (default 2000)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        source = self._source(options["source"])
        self._source_name = source
        mapping = self._mapping(options["map"])
        self._rule = self._label_rule(options)
        self._create_categories = options["create_categories"]
        self._labels = LabelImportResult()
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        path = Path(options["file"])
        self._stream: TextIO = getattr(self.stderr, "_out", sys.stderr)
        show_progress = not options["no_progress"] and self._stream.isatty()

        totals = _Totals()
        started = time.perf_counter()
        try:
            reader = PostReader(
                path,
                file_format=options["format"],
                mapping=mapping,
                label_columns=self._rule.columns if self._rule else (),
            )
            with ExitStack() as stack:
                stack.enter_context(reader)
                self._bar = stack.enter_context(
                    tqdm(
                        total=reader.size or None,
                        unit="B",
                        unit_scale=True,
                        unit_divisor=1024,
                        desc=path.name,
                        file=self._stream,
                        disable=not show_progress,
                        dynamic_ncols=True,
                    )
                )
                if show_progress:
                    # Log lines (eager Celery tasks log each batch) go above the bar, not through it.
                    stack.enter_context(logging_redirect_tqdm())
                self._ingest(reader, source, batch_size, totals)
        except (ReaderError, _Stopped, KeyboardInterrupt) as exc:
            if totals.read:
                self._summary(totals, time.perf_counter() - started)
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
            if totals.read:
                reason += (
                    f"\nThe rows up to line {totals.done_through} are stored; run the command "
                    "again to go on (stored rows count as duplicates)."
                    if totals.done_through
                    else "\nNothing was stored."
                )
            raise CommandError(reason) from None
        self._summary(totals, time.perf_counter() - started)

    # --- options ----------------------------------------------------------------------------
    @staticmethod
    def _source(value: str) -> str:
        try:
            return clean_source(value)
        except InputError as exc:
            raise CommandError(f"--source {exc.reason}, e.g. --source twitter") from None

    @staticmethod
    def _label_rule(options: dict[str, Any]) -> LabelRule | None:
        if not options["label_complaint"]:
            if options["label_category"]:
                raise CommandError("--label-category needs --label-complaint")
            return None
        try:
            return parse_label_rule(
                options["label_complaint"], options["label_category"] or "", options["no_category"]
            )
        except ValueError as exc:
            raise CommandError(f"--label-complaint: {exc}") from None

    @staticmethod
    def _mapping(values: list[str]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for value in values:
            try:
                parsed = parse_mapping(value)
            except ValueError as exc:
                raise CommandError(f"--map: {exc}") from None
            twice = set(parsed) & set(mapping)
            if twice:
                raise CommandError(f"--map: {', '.join(sorted(twice))} mapped twice")
            mapping.update(parsed)
        return mapping

    # --- the work ---------------------------------------------------------------------------
    def _ingest(self, reader: PostReader, source: str, batch_size: int, totals: _Totals) -> None:
        chunk = _Chunk()
        for line, record in reader:
            totals.read += 1
            if isinstance(record, BadRecord):
                chunk.problems.append((line, record.reason))
            else:
                chunk.rows.append(record)
                chunk.lines.append(line)
            if len(chunk.rows) >= batch_size or len(chunk.problems) >= batch_size:
                self._store(chunk, source, totals)
                self._bar.update(reader.bytes_read - self._bar.n)
                chunk = _Chunk()
        self._store(chunk, source, totals)
        self._bar.update(reader.bytes_read - self._bar.n)

    def _store(self, chunk: _Chunk, source: str, totals: _Totals) -> None:
        problems = chunk.problems
        if chunk.rows:
            # start_index numbers this chunk's rows after those of earlier chunks, and
            # chunk.lines turns each rejected index back into the line it came from.
            first = totals.handed
            labels = self._take_labels(chunk.rows)
            try:
                # One transaction: the posts are processed (on commit) already labelled.
                with transaction.atomic():
                    result = posts_ingest(source=source, rows=chunk.rows, start_index=first)
                    if labels:
                        self._count_labels(
                            posts_label_imported(
                                source=source,
                                labels=labels,
                                create_missing=self._create_categories,
                            )
                        )
            # COPY runs on the driver's own cursor, whose errors Django does not wrap.
            # Every backend's wrapper has its driver module as `Database`; the stubs' base has not.
            except (DatabaseError, connection.Database.Error) as exc:  # type: ignore[attr-defined]
                raise _Stopped(
                    f"database error while storing lines {chunk.lines[0]}-{chunk.lines[-1]}: "
                    f"{str(exc).strip()}"
                ) from exc
            totals.handed += len(chunk.rows)
            if result.post_ids and totals.first_id is None:
                totals.first_id = min(result.post_ids)
            totals.accepted += result.accepted
            totals.duplicates += result.duplicates
            problems = problems + [
                (chunk.lines[index - first], reason) for index, reason in result.rejected
            ]
        totals.rejected += len(problems)
        totals.done_through = max([totals.done_through, *chunk.lines, *(p[0] for p in problems)])
        for line, reason in sorted(problems):
            self._report(f"line {line}: {reason}")
        self._bar.set_postfix(accepted=totals.accepted, rejected=totals.rejected, refresh=False)

    def _take_labels(self, rows: list[dict[str, Any]]) -> dict[str, Label]:
        """Each row's label by its external id, taking the label columns out of the rows."""
        labels: dict[str, Label] = {}
        for row in rows:
            values = row.pop(LABELS, None)
            if self._rule is None or values is None:
                continue
            label = label_of(values, self._rule)
            if label is not None:
                labels[str(row.get("external_id") or "").strip()] = label
        return labels

    def _count_labels(self, result: LabelImportResult) -> None:
        self._labels.labelled += result.labelled
        self._labels.complaints += result.complaints
        self._labels.categories_created += result.categories_created
        self._labels.unmapped |= result.unmapped

    def _report(self, message: str) -> None:
        if self._bar.disable:
            self.stderr.write(message)
        else:
            self._bar.write(message, file=self._stream)

    def _summary(self, totals: _Totals, elapsed: float) -> None:
        rate = totals.read / elapsed if elapsed > 0 else 0.0
        waiting = self._waiting_for_broker(totals)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            processing = "processed in this process (no REDIS_URL)"
        elif waiting:
            processing = "stored, waiting for the broker"
        else:
            processing = "queued for the workers"
        self.stdout.write(
            f"rows read            {totals.read}\n"
            f"accepted             {totals.accepted}\n"
            f"duplicates skipped   {totals.duplicates} (already stored, or repeated in the file)\n"
            f"rejected             {totals.rejected}\n"
            f"elapsed              {elapsed:.2f} s ({rate:.0f} posts/s; accepted posts "
            f"{processing})"
        )
        if self._rule is not None:
            labels = self._labels
            self.stdout.write(
                f"labelled             {labels.labelled} ({labels.complaints} complaints); "
                "train a model from the admin's classifier versions or with train_classifier"
            )
            if labels.categories_created:
                self.stdout.write(f"categories created   {', '.join(labels.categories_created)}")
            if labels.unmapped:
                self.stdout.write(
                    f"no such category     {', '.join(sorted(labels.unmapped))} (labelled "
                    "complaints without a category; map them to a category's label names in the "
                    "admin, or pass --create-categories)"
                )
        if waiting:
            self.stdout.write(
                f"\n{waiting} accepted posts wait for the broker, which could not be reached: "
                "they are stored as pending, and processed once it is back (the pending sweep "
                "queues them within minutes). Nothing needs to be run again."
            )

    def _waiting_for_broker(self, totals: _Totals) -> int:
        """Posts of this run stored but never handed to the broker (it was away)."""
        if totals.first_id is None:
            return 0
        return Post.objects.filter(
            source=self._source_name,
            pk__gte=totals.first_id,
            status=Post.Status.PENDING,
            queued_at__isnull=True,
        ).count()
