"""`ingest_posts`: files of public posts stored through posts_ingest, bad rows reported by line."""

from __future__ import annotations

import csv
import gzip
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from incidents.management.commands import ingest_posts as ingest_posts_command
from incidents.models import Post, PostMatch
from incidents.services import posts_ingest
from suppliers.models import Supplier
from suppliers.services import suppliers_import
from tests.helpers import SHARED_DATA, require

pytestmark = pytest.mark.django_db

AIRLINE_CONTEXT = (
    "flight,flights,airline,plane,gate,luggage,bag,bags,seat,crew,pilot,boarding,delayed,cancelled"
)
CANCELLED = "@united my flight was cancelled and nobody helps"

# Line 1 header; the record on line 3 runs to line 4; lines 5 and 6 are bad.
SMALL_CSV = (
    "post_id,created_at,author,text,airline\n"
    f"tw-1,2015-02-24T11:35:00Z,ann,{CANCELLED},United Airlines\n"
    'tw-2,2015-02-24T11:36:00Z,@bob,"@JetBlue lost my bag\nand my patience",JetBlue\n'
    "tw-3,2015-02-24T11:37:00Z,cat,,United Airlines\n"
    "tw-4,yesterday,dan,@united late again,United Airlines\n"
    'tw-5,2015-02-24T11:38:00Z,eve,"tabs\tand back\\slashes, quoted ""fine""",JetBlue\n'
)
SMALL_CSV_PROBLEMS = [
    "line 5: text: required",
    "line 6: published_at: not an ISO 8601 date and time",
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _ingest(path: Path, *args: str, source: str = "twitter") -> tuple[dict[str, int], list[str]]:
    out, err = StringIO(), StringIO()
    call_command("ingest_posts", str(path), "--source", source, *args, stdout=out, stderr=err)
    counts = {
        name: int(number)
        for name, number in re.findall(
            r"^(rows read|accepted|duplicates skipped|rejected)\s+(\d+)", out.getvalue(), re.M
        )
    }
    assert re.search(r"^elapsed\s+[\d.]+ s \(\d+ posts/s", out.getvalue(), re.M)
    return counts, err.getvalue().splitlines()


def _stored(source: str = "twitter") -> dict[str, str]:
    return dict(Post.objects.filter(source=source).values_list("external_id", "text"))


@pytest.fixture
def airlines(db) -> dict[str, Supplier]:
    suppliers_import(
        records=[
            {"name": "United Airlines", "handles": ["@united"], "aliases": ["United"]},
            {"name": "JetBlue", "handles": ["@JetBlue"], "aliases": ["Jet Blue"]},
        ],
        default_context_words=AIRLINE_CONTEXT.split(","),
    )
    return {supplier.name: supplier for supplier in Supplier.objects.all()}


# --- rows, bad rows and line numbers -------------------------------------------------------------


@pytest.mark.parametrize("batch_size", ["2000", "2", "1"])
def test_bad_rows_are_reported_by_line_and_the_others_stored(tmp_path, batch_size):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    counts, problems = _ingest(path, "--batch-size", batch_size)

    assert problems == SMALL_CSV_PROBLEMS
    assert counts == {"rows read": 5, "accepted": 3, "duplicates skipped": 0, "rejected": 2}
    stored = _stored()
    assert set(stored) == {"tw-1", "tw-2", "tw-5"}
    assert stored["tw-2"] == "@JetBlue lost my bag\nand my patience"
    # Tabs, backslashes and quotes survive (PostgreSQL stores them through COPY).
    assert stored["tw-5"] == 'tabs\tand back\\slashes, quoted "fine"'
    post = Post.objects.get(external_id="tw-2")
    assert (post.author_handle, post.status, post.visibility) == ("bob", "pending", "public")
    assert post.published_at.isoformat() == "2015-02-24T11:36:00+00:00"


def test_a_time_with_any_offset_is_stored_in_utc_and_the_batch_goes_on(tmp_path):
    path = _write(
        tmp_path,
        "offsets.csv",
        "post_id,created_at,text\n"
        "a,2024-01-01T10:00:00Z,first\n"
        "b,2024-01-01T00:00:00+20:00,an offset PostgreSQL does not take\n"
        "c,2024-01-01T11:00:00Z,third\n",
    )

    counts, problems = _ingest(path)

    assert problems == []
    assert counts == {"rows read": 3, "accepted": 3, "duplicates skipped": 0, "rejected": 0}
    stored = Post.objects.get(external_id="b").published_at
    assert stored.isoformat() == "2023-12-31T04:00:00+00:00"


def test_a_time_beyond_what_can_be_read_back_is_refused_alone(tmp_path):
    path = _write(
        tmp_path,
        "far.csv",
        "post_id,created_at,text\n"
        "a,2024-01-01T10:00:00Z,first\n"
        "b,9999-12-31T23:59:59-14:00,the year 10000 in UTC\n"
        "c,2024-01-01T11:00:00Z,third\n",
    )

    counts, problems = _ingest(path)

    assert problems == ["line 3: published_at: out of range"]
    assert counts == {"rows read": 3, "accepted": 2, "duplicates skipped": 0, "rejected": 1}
    assert sorted(post.external_id for post in Post.objects.all()) == ["a", "c"]


def test_a_link_that_does_not_parse_is_refused_alone(tmp_path):
    path = _write(
        tmp_path,
        "links.csv",
        "post_id,text,url\na,first,https://example.com/1\nb,second,http://[abc\n",
    )

    _, problems = _ingest(path)

    assert problems == ["line 3: url: not a valid http(s) address"]
    assert _stored() == {"a": "first"}


def test_text_that_cannot_be_stored_is_refused_alone_as_every_channel_refuses_it(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b"post_id,text,author\na,caf\xe9,ann\nb\x00,hi,ann\nc,h\x00i,ann\nd,fine,ann\n"
    )

    counts, problems = _ingest(path)

    assert problems == [
        "line 2: text: not valid Unicode text",
        "line 3: external_id: contains a NUL character",
        "line 4: text: contains a NUL character",
    ]
    assert counts == {"rows read": 4, "accepted": 1, "duplicates skipped": 0, "rejected": 3}
    assert _stored() == {"d": "fine"}


def test_running_the_same_file_again_counts_every_stored_row_as_a_duplicate(tmp_path):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)
    _ingest(path)

    counts, problems = _ingest(path)

    assert counts == {"rows read": 5, "accepted": 0, "duplicates skipped": 3, "rejected": 2}
    assert problems == SMALL_CSV_PROBLEMS
    assert Post.objects.count() == 3


def test_rows_repeated_within_the_file_are_duplicates_within_and_across_batches(tmp_path):
    path = _write(
        tmp_path,
        "repeats.csv",
        "post_id,text\na,first\na,first again\nb,second\na,third time\nc,third\n",
    )

    counts, problems = _ingest(path, "--batch-size", "2")

    assert problems == []
    assert counts == {"rows read": 5, "accepted": 3, "duplicates skipped": 2, "rejected": 0}
    assert _stored() == {"a": "first", "b": "second", "c": "third"}


def test_the_same_ids_from_another_source_are_other_posts(tmp_path):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)
    _ingest(path, source="twitter")

    counts, _ = _ingest(path, source="mastodon")

    assert counts["accepted"] == 3
    assert Post.objects.count() == 6


def test_jsonl_invalid_lines_are_reported_and_the_others_stored(tmp_path):
    lines = [
        json.dumps({"external_id": "j-1", "text": "@united where is my bag"}),
        '{"external_id": "j-2", "text": "cut off',
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"external_id": "j-3", "text": "fine", "url": "ftp://nope"}),
        json.dumps({"post_id": "j-4", "text": "ok", "created_at": "2024-05-01T10:00:00+02:00"}),
    ]
    path = _write(tmp_path, "posts.jsonl", "\n".join(lines) + "\n")

    counts, problems = _ingest(path, "--batch-size", "1")

    assert [p.split(":")[0] for p in problems] == ["line 2", "line 4", "line 5"]
    assert problems[0].startswith("line 2: not valid JSON")
    assert problems[1] == "line 4: not a JSON object but an array"
    assert problems[2].startswith("line 5: url:")
    assert counts == {"rows read": 5, "accepted": 2, "duplicates skipped": 0, "rejected": 3}
    assert set(_stored()) == {"j-1", "j-4"}


def test_column_mapping_option(tmp_path):
    path = _write(
        tmp_path,
        "forum.csv",
        "id,body,posted,user\n"
        "f-1,The lids on lot 7 crack,2024-03-01T09:00:00Z,ann\n"
        "f-2,Late again,2024-03-02T09:00:00Z,bob\n",
    )

    counts, problems = _ingest(
        path,
        "--map",
        "external_id=id,text=body",
        "--map",
        "published_at=posted,author_handle=user",
        source="forum",
    )

    assert (counts["accepted"], problems) == (2, [])
    post = Post.objects.get(source="forum", external_id="f-1")
    assert (post.text, post.author_handle) == ("The lids on lot 7 crack", "ann")
    assert post.published_at.isoformat() == "2024-03-01T09:00:00+00:00"


def test_jsonl_mapping_with_a_dotted_path(tmp_path):
    record = {"id_str": "99", "full_text": "@JetBlue broken seat", "user": {"screen_name": "ann"}}
    path = _write(tmp_path, "tweets.ndjson", json.dumps(record) + "\n")

    _ingest(path, "--map", "external_id=id_str,text=full_text,author_handle=user.screen_name")

    assert Post.objects.get(external_id="99").author_handle == "ann"


# --- options and files that cannot work -----------------------------------------------------------


def test_source_is_required(tmp_path):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    with pytest.raises(CommandError, match="--source"):
        call_command("ingest_posts", str(path), stdout=StringIO())


@pytest.mark.parametrize(
    ("source", "message"), [("buyer", "reserved"), ("  ", "must name the feed"), ("x" * 51, "50")]
)
def test_bad_sources_are_refused(tmp_path, source, message):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    with pytest.raises(CommandError, match=message):
        _ingest(path, source=source)
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "body=text"], "'body' is not a post field"),
        (["--map", "text=body"], "'body', which the file does not have"),
        (["--map", "text=text", "--map", "text=body"], "text mapped twice"),
        (["--batch-size", "0"], "at least 1"),
    ],
)
def test_bad_options_are_command_errors(tmp_path, args, message):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    with pytest.raises(CommandError, match=message):
        _ingest(path, *args)


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        _ingest(tmp_path / "nope.csv")


def test_format_comes_from_the_extension_unless_given(tmp_path):
    path = _write(tmp_path, "export.txt", json.dumps({"external_id": "x", "text": "hi"}) + "\n")

    with pytest.raises(CommandError, match="--format"):
        _ingest(path)
    counts, _ = _ingest(path, "--format", "jsonl")

    assert counts["accepted"] == 1


def test_a_truncated_gzip_file_stops_with_what_was_stored(tmp_path):
    whole = gzip.compress(
        ("post_id,text\n" + "".join(f"p{i},post {i}\n" for i in range(20000))).encode()
    )
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(CommandError, match=r"cannot read .*\nThe rows up to line \d+ are stored"):
        _ingest(path, "--batch-size", "100")
    assert Post.objects.exists()


def test_a_database_error_stops_the_run_and_says_what_was_stored(tmp_path, monkeypatch):
    calls = []

    def fail_on_second_batch(**kwargs):
        calls.append(kwargs["start_index"])
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return posts_ingest(**kwargs)

    monkeypatch.setattr(ingest_posts_command, "posts_ingest", fail_on_second_batch)
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    with pytest.raises(
        CommandError,
        match=r"database error while storing lines 3-3: disk full\nThe rows up to line 2 are stored",
    ):
        _ingest(path, "--batch-size", "1")
    assert calls == [0, 1]
    assert set(_stored()) == {"tw-1"}


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    _, problems = _ingest(path)

    assert not any("%|" in line or "B/s" in line for line in problems)


# --- and then processing ----------------------------------------------------------------------


def test_ingested_posts_are_processed_and_matched(
    tmp_path, airlines, django_capture_on_commit_callbacks
):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _ingest(path, "--batch-size", "2")

    assert callbacks, "posts_ingest queues processing on commit"
    assert set(Post.objects.values_list("status", flat=True)) == {"processed"}
    cancelled = Post.objects.get(text=CANCELLED)
    primary = PostMatch.objects.get(post=cancelled, is_primary=True)
    assert primary.supplier == airlines["United Airlines"]
    assert primary.matched_text == "@united"
    bag = PostMatch.objects.get(post__external_id="tw-2", is_primary=True)
    assert bag.supplier == airlines["JetBlue"]


def test_nothing_is_processed_before_the_rows_are_committed(tmp_path, airlines):
    path = _write(tmp_path, "tweets.csv", SMALL_CSV)

    # Inside the test's transaction nothing commits, so nothing may have been processed yet.
    _ingest(path)

    assert set(Post.objects.values_list("status", flat=True)) == {"pending"}
    assert not PostMatch.objects.exists()


@pytest.mark.slow
def test_the_airline_tweets_are_all_stored_and_matched_to_their_airline(
    django_capture_on_commit_callbacks,
):
    suppliers = SHARED_DATA / "airlines-suppliers.json"
    tweets = SHARED_DATA / "airline-tweets-dev.csv"
    require(suppliers.exists() and tweets.exists(), f"{SHARED_DATA} lacks the airline data")
    call_command(
        "import_suppliers", str(suppliers), "--context-words", AIRLINE_CONTEXT, stdout=StringIO()
    )

    with django_capture_on_commit_callbacks(execute=True):
        counts, problems = _ingest(tweets)

    assert problems == []
    assert counts == {"rows read": 7239, "accepted": 7239, "duplicates skipped": 0, "rejected": 0}
    assert Post.objects.filter(status="processed").count() == 7239
    with tweets.open(encoding="utf-8", newline="") as handle:
        labels = {row["post_id"]: row["airline"] for row in csv.DictReader(handle)}
    primary = dict(
        PostMatch.objects.filter(is_primary=True).values_list("post__external_id", "supplier__name")
    )
    right = sum(primary.get(post_id) == airline for post_id, airline in labels.items())
    assert right / len(labels) >= 0.99, f"{right} of {len(labels)} matched to their airline"
