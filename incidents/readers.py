"""Read public posts from CSV or JSONL files, one (line number, row) pair per record.

Plain Python with no Django import: the `ingest_posts` command adapts it to `posts_ingest`.

Rows are dicts keyed by post field (`external_id`, `text`, `published_at`, `author_handle`,
`url`); the values are left as the file has them, and `posts_ingest` validates them. A record the
reader itself cannot make sense of (a JSONL line that is not a JSON object, a CSV record with
broken quoting or more fields than the header) comes out as a `BadRecord` in place of the row, so the caller reports it by line and goes on with the rest.

Line numbers are physical lines of the file, counted from 1, where the record *starts*: a CSV
field may hold newlines inside quotes, so one record can span several lines.

Which column feeds which field: a mapping {field: column} overrides the defaults (an empty
column means "do not read this field"); without one, each field reads the first of its
DEFAULT_COLUMNS present in the file, so the airline-tweets CSV (post_id, created_at, author,
text, ...) and files already named after the fields both read out of the box. CSV header cells
are compared without surrounding spaces and case. JSONL columns may be dotted paths into nested
objects (`user.screen_name`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _csv import Reader as _CsvReader

__all__ = [
    "DEFAULT_COLUMNS",
    "FORMATS",
    "LABELS",
    "POST_FIELDS",
    "BadRecord",
    "PostReader",
    "ReaderError",
    "detect_format",
    "parse_mapping",
    "read_posts",
]

POST_FIELDS = ("external_id", "text", "published_at", "author_handle", "url")
# The row's entry holding the label columns asked for ({column: value}), when any are.
LABELS = "labels"
REQUIRED_FIELDS = ("external_id", "text")
# For each field, the columns it is read from when no mapping says otherwise, first match wins.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "post_id"),
    "text": ("text",),
    "published_at": ("published_at", "created_at"),
    "author_handle": ("author_handle", "author"),
    "url": ("url",),
}
FORMATS = ("csv", "jsonl")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_ENCODING = "utf-8-sig"  # a byte-order mark, as spreadsheet programs write it, is skipped
# Undecodable bytes survive as lone surrogates, so one bad record is reported, not the file.
_ERRORS = "surrogateescape"
_READ_ERRORS = (OSError, EOFError, zlib.error)


class ReaderError(Exception):
    """The file as a whole cannot be read: missing, unknown format, unusable header or mapping."""


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record the reader could not turn into a row, with the reason."""

    reason: str


Row = dict[str, Any]


def detect_format(path: str | Path) -> str:
    """'csv' or 'jsonl' from the file name (.csv, .jsonl, .ndjson, each optionally .gz)."""
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    file_format = _SUFFIXES.get(suffixes[-1] if suffixes else "")
    if file_format is None:
        raise ReaderError(
            f"cannot tell the format of {Path(path).name!r} from its name "
            "(expected .csv, .jsonl or .ndjson); name it with --format csv|jsonl"
        )
    return file_format


def parse_mapping(text: str) -> dict[str, str]:
    """'external_id=post_id,text=body' as {field: column}; ValueError says what is wrong."""
    mapping: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        field, equals, column = item.partition("=")
        field = field.strip()
        if not equals:
            raise ValueError(f"{item.strip()!r}: expected FIELD=COLUMN")
        if field not in POST_FIELDS:
            raise ValueError(f"{field!r} is not a post field; fields are {', '.join(POST_FIELDS)}")
        if field in mapping:
            raise ValueError(f"{field!r} is mapped twice")
        mapping[field] = column.strip()
    return mapping


class PostReader:
    """Open with `with PostReader(path) as reader:`, then iterate; `bytes_read` tracks progress.

    The CSV header and the mapping are checked on opening, so a file that cannot work fails
    before any row is read.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        file_format: str | None = None,
        mapping: Mapping[str, str] | None = None,
        label_columns: Sequence[str] = (),
    ) -> None:
        self.path = Path(path)
        # Columns read besides the post's fields, into the row's LABELS entry (incidents.labels).
        self.label_columns = tuple(label_columns)
        self._label_positions: dict[str, int] = {}
        self.format = file_format or detect_format(self.path)
        if self.format not in FORMATS:
            raise ReaderError(f"unknown format {self.format!r}; formats are {', '.join(FORMATS)}")
        self.mapping = dict(mapping or {})
        unknown = set(self.mapping) - set(POST_FIELDS)
        if unknown:
            raise ReaderError(f"not post fields: {', '.join(sorted(unknown))}")
        self.size = 0
        self._binary: IO[bytes] | None = None
        self._text: io.TextIOWrapper | None = None
        self._csv: _CsvReader | None = None
        self._columns: dict[str, int] = {}
        self._width = 0

    # --- opening and closing ---------------------------------------------------------------
    def __enter__(self) -> PostReader:
        try:
            self._binary = open(self.path, "rb")  # closed in close()
            self.size = self.path.stat().st_size
            stream: IO[bytes] | gzip.GzipFile = self._binary
            if self.path.suffix.lower() == ".gz":
                stream = gzip.GzipFile(fileobj=self._binary, mode="rb")
            self._text = io.TextIOWrapper(stream, encoding=_ENCODING, errors=_ERRORS, newline="")
            if self.format == "csv":
                self._open_csv()
        except _READ_ERRORS as exc:
            self.close()
            raise ReaderError(f"cannot read {self.path}: {exc}") from exc
        except ReaderError:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
            self._text = None
        if self._binary is not None:
            self._binary.close()
            self._binary = None

    @property
    def bytes_read(self) -> int:
        """How far into the file (on disk, so compressed bytes for .gz) reading has come."""
        if self._binary is None or self._binary.closed:
            return self.size
        return self._binary.tell()

    # --- iteration --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[int, Row | BadRecord]]:
        if self._text is None:
            raise ReaderError("open the reader first: `with PostReader(path) as reader:`")
        records = self._iter_csv() if self.format == "csv" else self._iter_jsonl()
        line = 0
        try:
            for line, record in records:
                yield line, record
        except _READ_ERRORS as exc:
            raise ReaderError(f"cannot read {self.path} after line {line}: {exc}") from exc

    # --- CSV --------------------------------------------------------------------------------
    def _open_csv(self) -> None:
        assert self._text is not None
        # strict: broken quoting is reported for its record instead of silently mangled.
        self._csv = csv.reader(self._text, strict=True)
        try:
            header = next(self._csv)
        except StopIteration:
            raise ReaderError(f"{self.path} is empty: a CSV file needs a header row") from None
        except csv.Error as exc:
            raise ReaderError(f"{self.path}: the header row is not valid CSV: {exc}") from exc
        names = [cell.strip().casefold() for cell in header]
        try:
            "".join(names).encode("utf-8")
        except UnicodeEncodeError:
            raise ReaderError(f"{self.path}: the header row is not valid UTF-8") from None
        positions: dict[str, int] = {}
        for position, name in enumerate(names):
            positions.setdefault(name, position)
        for field in POST_FIELDS:
            if field in self.mapping:
                column = self.mapping[field]
                if not column:
                    continue
                if column.strip().casefold() not in positions:
                    raise ReaderError(
                        f"{field} is mapped to column {column!r}, which the file does not have; "
                        f"its columns are: {', '.join(cell.strip() for cell in header)}"
                    )
                self._columns[field] = positions[column.strip().casefold()]
                continue
            found = next((c for c in DEFAULT_COLUMNS[field] if c in positions), None)
            if found is not None:
                self._columns[field] = positions[found]
        for column in self.label_columns:
            if column.strip().casefold() not in positions:
                raise ReaderError(
                    f"no label column {column!r}; the file's columns are: "
                    f"{', '.join(cell.strip() for cell in header)}"
                )
            self._label_positions[column] = positions[column.strip().casefold()]
        missing = [field for field in REQUIRED_FIELDS if field not in self._columns]
        if missing:
            raise ReaderError(
                f"no column for {' and '.join(missing)}; the file's columns are: "
                f"{', '.join(cell.strip() for cell in header)}. Map them with "
                f"--map {missing[0]}=COLUMN"
            )
        self._width = len(header)

    def _iter_csv(self) -> Iterator[tuple[int, Row | BadRecord]]:
        reader = self._csv
        assert reader is not None
        while True:
            # line_num counts the lines consumed so far, so the next record starts on the next.
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, BadRecord(f"malformed CSV: {exc}")
                continue
            if not any(field.strip() for field in fields):
                continue
            if len(fields) > self._width:
                yield (
                    start,
                    BadRecord(
                        f"{len(fields)} fields where the header has {self._width} "
                        "(an unquoted comma?)"
                    ),
                )
                continue
            row: Row = {
                field: fields[position] if position < len(fields) else ""
                for field, position in self._columns.items()
            }
            if self._label_positions:
                row[LABELS] = {
                    column: fields[position] if position < len(fields) else ""
                    for column, position in self._label_positions.items()
                }
            yield start, row

    # --- JSONL ------------------------------------------------------------------------------
    def _iter_jsonl(self) -> Iterator[tuple[int, Row | BadRecord]]:
        assert self._text is not None
        # For each field, the paths to try in order; a mapped field has exactly one.
        paths: dict[str, list[list[str]]] = {}
        for field in POST_FIELDS:
            if field in self.mapping:
                if self.mapping[field].strip():
                    paths[field] = [self.mapping[field].strip().split(".")]
            else:
                paths[field] = [[column] for column in DEFAULT_COLUMNS[field]]
        for line, text in enumerate(self._text, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, BadRecord(f"not valid JSON: {exc.msg} (column {exc.colno})")
                continue
            if not isinstance(record, dict):
                yield line, BadRecord(f"not a JSON object but {_json_type(record)}")
                continue
            row: Row = {}
            bad = None
            for field, candidates in paths.items():
                value = next(
                    (v for v in (_lookup(record, p) for p in candidates) if v is not _MISSING),
                    None,
                )
                if isinstance(value, dict | list):
                    bad = BadRecord(f"{field}: expected a string, not {_json_type(value)}")
                    break
                if value is not None:
                    row[field] = value
            if self.label_columns:
                labels = {c: _lookup(record, c.strip().split(".")) for c in self.label_columns}
                row[LABELS] = {c: None if v is _MISSING else v for c, v in labels.items()}
            yield line, bad or row


_MISSING = object()


def _lookup(record: dict[str, Any], path: list[str]) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"


def read_posts(
    path: str | Path,
    *,
    file_format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    label_columns: Sequence[str] = (),
) -> Iterator[tuple[int, Row | BadRecord]]:
    """Every (line, row or BadRecord) of the file; the file is closed when iteration ends."""
    with PostReader(
        path, file_format=file_format, mapping=mapping, label_columns=label_columns
    ) as reader:
        yield from reader
