"""Store public posts in bulk, skip the ones we already have, and queue them for processing.

On PostgreSQL the rows are streamed with COPY into a temporary table and moved over with
INSERT ... ON CONFLICT DO NOTHING, several times faster than the ORM; elsewhere (SQLite) a plain
bulk insert does the same job.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from supplierwatch.inputs import InputError

from ..inputs import clean_public_post, clean_source
from ..models import Post
from .queueing import posts_queue

_COLUMNS = ("external_id", "text", "published_at", "author_handle", "url")

# Checks that say a source belongs to a part of this site (each feed's posts carry its own
# source), registered by the app that owns such sources: posts sent from outside may not be stored
# under one, or they could pose as the feed's posts and take its items' ids first.
_OWNED_SOURCES: list[Callable[[str], bool]] = []


def sources_owned_by(check: Callable[[str], bool]) -> None:
    """Register a check that a source is owned here (see posts_ingest's `from_outside`)."""
    _OWNED_SOURCES.append(check)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    # (index of the row, "field: reason")
    rejected: list[tuple[int, str]] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)


def posts_ingest(
    *, source: str, rows: Iterable[object], start_index: int = 0, from_outside: bool = False
) -> IngestResult:
    """Store the valid rows as pending public posts; report each bad row by its index, with the
    field at fault (incidents.inputs.clean_public_post), and store the others. A `source` that
    is no feed's name is refused as a whole (InputError).

    `start_index` numbers the rows of this call, so a caller feeding a file in chunks reports
    positions in the whole file. `from_outside`: sent through the API, so a source that one of
    this site's feeds owns is refused too.
    """
    source = clean_source(source)
    if from_outside and any(owned(source) for owned in _OWNED_SOURCES):
        raise InputError("source", "belongs to one of this site's feeds; choose another name")
    result = IngestResult()
    cleaned: dict[str, dict[str, Any]] = {}
    now = timezone.now()
    for index, row in enumerate(rows, start=start_index):
        try:
            item = clean_public_post(row)
        except InputError as exc:
            result.rejected.append((index, str(exc)))
            continue
        if item.external_id in cleaned:
            result.duplicates += 1
            continue
        # getattr, not dataclasses.asdict: asdict deep-copies every value, which took a quarter
        # of the time of storing a file (bench/RESULTS.md).
        row_values = {name: getattr(item, name) for name in _COLUMNS}
        row_values["published_at"] = item.published_at or now
        cleaned[item.external_id] = row_values
    if not cleaned:
        return result
    with transaction.atomic():
        if connection.vendor == "postgresql":
            new_ids = _insert_copy(source, list(cleaned.values()))
        else:
            new_ids = _insert_orm(source, list(cleaned.values()))
        posts_queue(new_ids, stamped=True)
    result.accepted = len(new_ids)
    result.duplicates += len(cleaned) - len(new_ids)
    result.post_ids = new_ids
    return result


def _insert_orm(source: str, rows: list[dict[str, Any]]) -> list[int]:
    ids = [row["external_id"] for row in rows]
    existing = set(
        Post.objects.filter(source=source, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    now = timezone.now()
    Post.objects.bulk_create(
        [
            Post(
                source=source,
                visibility=Post.Visibility.PUBLIC,
                status_changed_at=now,
                queued_at=now,
                **row,
            )
            for row in rows
            if row["external_id"] not in existing
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return list(
        Post.objects.filter(
            source=source,
            external_id__in=[i for i in ids if i not in existing],
            status=Post.Status.PENDING,
        ).values_list("id", flat=True)
    )


def _copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _insert_copy(source: str, rows: list[dict[str, Any]]) -> list[int]:
    table = Post._meta.db_table
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join(
                [
                    _copy_escape(row["external_id"]),
                    _copy_escape(row["text"]),
                    row["published_at"].isoformat(),
                    _copy_escape(row["author_handle"]),
                    _copy_escape(row["url"]),
                ]
            )
        )
        buffer.write("\n")
    columns = ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sw_post_ingest "
            "(external_id text, text text, published_at timestamptz, author_handle text, url text) "
            "ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(f"COPY sw_post_ingest ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            f"""
            INSERT INTO {table} (source, visibility, status, status_changed_at, created_at,
                                 queued_at, attempts, error, scores, classifier_version,
                                 po_number, sku, lot, {columns})
            SELECT %s, 'public', 'pending', now(), now(), now(), 0, '', '{{}}'::jsonb, '', '', '',
                   '', {columns}
            FROM sw_post_ingest
            ON CONFLICT (source, external_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - table and column names are ours, values are parameters
            [source],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("TRUNCATE sw_post_ingest")
    return sorted(ids)
