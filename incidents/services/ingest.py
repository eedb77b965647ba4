"""Store public posts in bulk, skip the ones we already have, and queue them for processing.

On PostgreSQL the rows are streamed with COPY into a temporary table and moved over with
INSERT ... ON CONFLICT DO NOTHING, several times faster than the ORM; elsewhere (SQLite) a plain
bulk insert does the same job.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..models import Post
from .processing import posts_queue

MAX_TEXT_LENGTH = 10_000
SOURCE_MAX_LENGTH = Post._meta.get_field("source").max_length
_COLUMNS = ("external_id", "text", "published_at", "author_handle", "url")


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)


def _text(row: Mapping[str, Any], name: str) -> str:
    """A field as text PostgreSQL can store: no NUL characters, no unpaired surrogates."""
    value = str(row.get(name) or "").replace("\x00", "").strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name}: not valid Unicode text") from None
    return value


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    """One row as stored, or ValueError naming what is wrong with it."""
    external_id = _text(row, "external_id")
    if not external_id:
        raise ValueError("external_id: required")
    if len(external_id) > 200:
        raise ValueError("external_id: longer than 200 characters")
    text = _text(row, "text")
    if not text:
        raise ValueError("text: required")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"text: longer than {MAX_TEXT_LENGTH} characters")
    published_at = row.get("published_at")
    if isinstance(published_at, str):
        try:
            published_at = parse_datetime(published_at.strip())
        except ValueError:
            published_at = None
        if published_at is None:
            raise ValueError("published_at: not an ISO 8601 date and time")
    if published_at is None:
        published_at = timezone.now()
    if not isinstance(published_at, datetime):
        raise ValueError("published_at: not a date and time")
    if timezone.is_naive(published_at):
        published_at = published_at.replace(tzinfo=UTC)
    url = _text(row, "url")
    if url and (not url.startswith(("http://", "https://")) or len(url) > 500):
        raise ValueError("url: must be an http(s) address of at most 500 characters")
    handle = _text(row, "author_handle").lstrip("@")[:100]
    return {
        "external_id": external_id,
        "text": text,
        "published_at": published_at,
        "author_handle": handle,
        "url": url,
    }


def posts_ingest(
    *, source: str, rows: Iterable[Mapping[str, Any]], start_index: int = 0
) -> IngestResult:
    """Store the valid rows as pending public posts; report each bad row by its index.

    `start_index` numbers the rows of this call, so a caller feeding a file in chunks reports
    positions in the whole file.
    """
    source = source.strip()
    if not source or source == Post.BUYER_SOURCE or len(source) > SOURCE_MAX_LENGTH:
        raise ValueError(
            f"source must be a feed name of at most {SOURCE_MAX_LENGTH} characters, "
            f"other than {Post.BUYER_SOURCE!r}"
        )
    result = IngestResult()
    cleaned: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(rows, start=start_index):
        try:
            item = _clean(row)
        except ValueError as exc:
            result.rejected.append((index, str(exc)))
            continue
        if item["external_id"] in cleaned:
            result.duplicates += 1
            continue
        cleaned[item["external_id"]] = item
    if not cleaned:
        return result
    with transaction.atomic():
        if connection.vendor == "postgresql":
            new_ids = _insert_copy(source, list(cleaned.values()))
        else:
            new_ids = _insert_orm(source, list(cleaned.values()))
        posts_queue(new_ids)
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
            Post(source=source, visibility=Post.Visibility.PUBLIC, status_changed_at=now, **row)
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
                                 attempts, error, scores, classifier_version,
                                 po_number, sku, lot, {columns})
            SELECT %s, 'public', 'pending', now(), now(), 0, '', '{{}}'::jsonb, '', '', '', '',
                   {columns}
            FROM sw_post_ingest
            ON CONFLICT (source, external_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - table and column names are ours, values are parameters
            [source],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("TRUNCATE sw_post_ingest")
    return sorted(ids)
