"""Reading post files: rows keyed by post field, each with the line its record starts on.

No database: incidents.readers is plain Python.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from incidents.readers import (
    BadRecord,
    PostReader,
    ReaderError,
    detect_format,
    parse_mapping,
    read_posts,
)
from tests.helpers import SHARED_DATA, require

AIRLINE_HEADER = "post_id,created_at,author,text,airline,sentiment,negative_reason\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _rows(path: Path, **kwargs) -> list[tuple[int, dict | BadRecord]]:
    return list(read_posts(path, **kwargs))


# --- CSV -------------------------------------------------------------------------------------


def test_csv_default_mapping_reads_the_airline_columns(tmp_path):
    path = _write(
        tmp_path / "tweets.csv",
        AIRLINE_HEADER
        + "tw-1,2015-02-24T11:35:00Z,cairdin,@united late again,United Airlines,negative,Late Flight\n",
    )
    assert _rows(path) == [
        (
            2,
            {
                "external_id": "tw-1",
                "published_at": "2015-02-24T11:35:00Z",
                "author_handle": "cairdin",
                "text": "@united late again",
            },
        )
    ]


def test_csv_line_numbers_are_where_each_record_starts_even_after_embedded_newlines(tmp_path):
    path = _write(
        tmp_path / "posts.csv",
        "post_id,text\n"
        'a,"first line\nsecond line\r\nthird line"\n'
        "\n"
        "b,plain\n"
        'c,"one\n\nblank line inside"\n'
        "d,last\n",
    )
    rows = _rows(path)
    assert [(line, row["external_id"]) for line, row in rows] == [
        (2, "a"),
        (6, "b"),
        (7, "c"),
        (10, "d"),
    ]
    assert rows[0][1]["text"] == "first line\nsecond line\r\nthird line"


def test_csv_byte_order_mark_and_padded_header_cells_are_tolerated(tmp_path):
    path = _write(tmp_path / "excel.csv", "\ufeff Post_ID , TEXT \nx,hello\n")
    assert _rows(path) == [(2, {"external_id": "x", "text": "hello"})]


def test_csv_broken_quoting_is_reported_for_its_record_and_reading_goes_on(tmp_path):
    path = _write(tmp_path / "broken.csv", 'post_id,text\na,"quoted"junk\nb,fine\n')
    rows = _rows(path)
    assert rows[0][0] == 2
    assert isinstance(rows[0][1], BadRecord)
    assert "malformed CSV" in rows[0][1].reason
    assert rows[1] == (3, {"external_id": "b", "text": "fine"})


def test_csv_record_with_more_fields_than_the_header_is_bad(tmp_path):
    path = _write(tmp_path / "commas.csv", "post_id,text\na,late, again\nb,ok\n")
    rows = _rows(path)
    assert rows[0] == (2, BadRecord("3 fields where the header has 2 (an unquoted comma?)"))
    assert rows[1] == (3, {"external_id": "b", "text": "ok"})


def test_csv_short_record_reads_missing_fields_as_empty(tmp_path):
    path = _write(tmp_path / "short.csv", "post_id,text,author\na,hello\n")
    assert _rows(path) == [(2, {"external_id": "a", "text": "hello", "author_handle": ""})]


def test_values_are_left_as_the_file_has_them_for_the_input_rules_to_judge(tmp_path):
    """Bytes that are not UTF-8 and NUL characters reach posts_ingest, whose input rule refuses
    them with the same words as every other channel; the reader does not fail the file."""
    path = tmp_path / "odd.csv"
    path.write_bytes(b"post_id,text\na,caf\xe9\nb\x00,fine\n")
    rows = _rows(path)
    assert rows[0][0] == 2 and rows[0][1]["text"].startswith("caf")
    assert rows[1] == (3, {"external_id": "b\x00", "text": "fine"})


def test_csv_mapping_reads_other_columns_and_can_leave_a_field_out(tmp_path):
    path = _write(
        tmp_path / "forum.csv", "id,body,when,user,author\n7,the lid cracked,2024-01-02,ann,x\n"
    )
    rows = _rows(
        path,
        mapping=parse_mapping("external_id=id,text=body,published_at=when,author_handle=user,url="),
    )
    assert rows == [
        (
            2,
            {
                "external_id": "7",
                "text": "the lid cracked",
                "published_at": "2024-01-02",
                "author_handle": "ann",
            },
        )
    ]


def test_csv_mapping_to_a_missing_column_fails_before_reading(tmp_path):
    path = _write(tmp_path / "posts.csv", "post_id,text\na,b\n")
    with pytest.raises(ReaderError, match="'body', which the file does not have"):
        _rows(path, mapping={"text": "body"})


def test_csv_without_a_text_column_fails_and_names_the_columns(tmp_path):
    path = _write(tmp_path / "posts.csv", "post_id,body\na,b\n")
    with pytest.raises(ReaderError, match=r"no column for text.*post_id, body.*--map text="):
        _rows(path)


def test_empty_csv_fails_because_it_has_no_header(tmp_path):
    with pytest.raises(ReaderError, match="empty"):
        _rows(_write(tmp_path / "empty.csv", ""))


def test_missing_file_fails_with_a_reader_error(tmp_path):
    with pytest.raises(ReaderError, match="cannot read"):
        _rows(tmp_path / "nope.csv")


def test_gzip_files_are_read_and_progress_counts_compressed_bytes(tmp_path):
    path = tmp_path / "posts.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("post_id,text\n" + "".join(f"p{i},text {i}\n" for i in range(1000)))
    with PostReader(path) as reader:
        rows = list(reader)
        assert reader.bytes_read == reader.size == path.stat().st_size
    assert len(rows) == 1000
    assert rows[-1] == (1001, {"external_id": "p999", "text": "text 999"})


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_bad_lines_are_reported_by_line_and_the_rest_read(tmp_path):
    path = _write(
        tmp_path / "posts.jsonl",
        '{"external_id": "a", "text": "one", "url": "https://x.test/a"}\n'
        "\n"
        "{not json\n"
        '["an", "array"]\n'
        '{"post_id": "b", "text": "two", "created_at": "2024-05-01T10:00:00Z"}\n'
        '{"external_id": "c", "text": {"nested": true}}\n',
    )
    rows = _rows(path)
    assert rows[0] == (1, {"external_id": "a", "text": "one", "url": "https://x.test/a"})
    assert rows[1][0] == 3
    assert rows[1][1].reason.startswith("not valid JSON")
    assert rows[2] == (4, BadRecord("not a JSON object but an array"))
    assert rows[3] == (
        5,
        {"external_id": "b", "text": "two", "published_at": "2024-05-01T10:00:00Z"},
    )
    assert rows[4] == (6, BadRecord("text: expected a string, not an object"))


def test_jsonl_mapping_follows_dotted_paths(tmp_path):
    record = {"id_str": "99", "full_text": "@acme broken", "user": {"screen_name": "ann"}}
    path = _write(tmp_path / "tweets.ndjson", json.dumps(record) + "\n")
    mapping = parse_mapping("external_id=id_str,text=full_text,author_handle=user.screen_name")
    assert _rows(path, mapping=mapping) == [
        (1, {"external_id": "99", "text": "@acme broken", "author_handle": "ann"})
    ]


def test_jsonl_with_byte_order_mark(tmp_path):
    path = _write(tmp_path / "bom.jsonl", '\ufeff{"external_id": "a", "text": "hi"}\n')
    assert _rows(path) == [(1, {"external_id": "a", "text": "hi"})]


# --- formats and mappings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("dump.2024.jsonl.gz", "jsonl"),
        ("a.csv.gz", "csv"),
    ],
)
def test_format_is_decided_by_extension(name, expected):
    assert detect_format(name) == expected


@pytest.mark.parametrize("name", ["a.json", "a.txt", "noext", "a.gz"])
def test_unknown_extension_asks_for_format(name):
    with pytest.raises(ReaderError, match="--format"):
        detect_format(name)


def test_format_option_overrides_the_extension(tmp_path):
    path = _write(tmp_path / "export.txt", '{"external_id": "a", "text": "hi"}\n')
    assert _rows(path, file_format="jsonl") == [(1, {"external_id": "a", "text": "hi"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("external_id", "expected FIELD=COLUMN"),
        ("body=text", "'body' is not a post field"),
        ("text=a,text=b", "mapped twice"),
    ],
)
def test_bad_mappings_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_mapping(text)


# --- the real data -----------------------------------------------------------------------------


def test_reads_every_row_of_the_airline_tweets_with_the_line_it_starts_on():
    path = SHARED_DATA / "airline-tweets-dev.csv"
    require(path.exists(), f"{path} is not here")
    rows = _rows(path)
    assert len(rows) == 7239
    assert not [row for _, row in rows if isinstance(row, BadRecord)]
    physical = path.read_text(encoding="utf-8").split("\n")
    for line, row in rows:
        assert physical[line - 1].startswith(row["external_id"] + ",")
    with path.open(encoding="utf-8", newline="") as handle:
        expected = {r["post_id"]: r["text"] for r in csv.DictReader(handle)}
    assert {row["external_id"]: row["text"] for _, row in rows} == expected
    assert any("\n" in row["text"] for _, row in rows)
