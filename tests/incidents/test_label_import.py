"""Labels imported with public posts: `ingest_posts --label-complaint COLUMN=VALUE
--label-category COLUMN` labels each new post (a complaint flag and a category, mapped to the
taxonomy by name, slug or an operator's label names) before it is grouped, and the next trained
model learns from them."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents import services
from incidents.labels import Label, label_of, parse_label_rule
from incidents.models import Category, Post, PostMatch
from suppliers.models import SupplierAlias
from tests.factories import CategoryFactory, SupplierAliasFactory

CSV = (
    "post_id,created_at,author,text,sentiment,negative_reason\n"
    "tw-1,2015-02-24T11:35:00Z,ann,@united my flight was cancelled and nobody helps,negative,"
    "Cancelled Flight\n"
    "tw-2,2015-02-24T11:36:00Z,bob,@united lost my bag in Denver,negative,Lost Luggage\n"
    "tw-3,2015-02-24T11:37:00Z,cat,@united thanks for the upgrade!,positive,\n"
    "tw-4,2015-02-24T11:38:00Z,dan,@united meh,negative,Can't Tell\n"
    "tw-5,2015-02-24T11:39:00Z,eve,@united what time is boarding,,\n"
)
LABEL_OPTIONS = ("--label-complaint", "sentiment=negative", "--label-category", "negative_reason")


# --- the pure rule ------------------------------------------------------------------------------


def test_a_rule_reads_a_complaint_and_its_category_from_any_columns():
    rule = parse_label_rule("Sentiment= negative|angry ", "reason", no_category="n.a.")

    assert label_of({"Sentiment": "NEGATIVE", "reason": "Late"}, rule) == Label(True, "Late")
    assert label_of({"Sentiment": "angry", "reason": "n.a."}, rule) == Label(True, None)
    assert label_of({"Sentiment": "positive", "reason": "Late"}, rule) == Label(False, None)
    assert label_of({"Sentiment": " ", "reason": "Late"}, rule) is None  # unlabelled
    assert rule.columns == ("Sentiment", "reason")


@pytest.mark.parametrize("text", ["sentiment", "=negative", "sentiment=", "sentiment=|"])
def test_a_rule_without_column_or_value_is_refused(text):
    with pytest.raises(ValueError, match="COLUMN=VALUE"):
        parse_label_rule(text)


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def united(db):
    from tests.factories import SupplierFactory

    supplier = SupplierFactory(name="United Airlines", slug="united")
    SupplierAliasFactory(supplier=supplier, kind=SupplierAlias.Kind.HANDLE, text="@united")
    return supplier


@pytest.fixture
def ingest(tmp_path: Path, django_capture_on_commit_callbacks):
    """Run ingest_posts on CSV, with what it queues on commit (processing) run too."""

    def _ingest(*args: str) -> str:
        path = tmp_path / "tweets.csv"
        path.write_text(CSV, encoding="utf-8")
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "ingest_posts",
                str(path),
                "--source",
                "twitter",
                *args,
                stdout=out,
                stderr=StringIO(),
            )
        return out.getvalue()

    return _ingest


def labels() -> dict[str, tuple[bool | None, str | None]]:
    return {
        post.external_id: (
            post.label_is_complaint,
            post.label_category.name if post.label_category else None,
        )
        for post in Post.objects.select_related("label_category")
    }


@pytest.mark.django_db
def test_labels_map_to_categories_by_name_and_an_operators_label_names(ingest, united):
    CategoryFactory(name="Lost goods", slug="lost-goods", label_names=["lost luggage"])

    out = ingest(*LABEL_OPTIONS)

    assert labels() == {
        "tw-1": (True, None),  # no category is called "Cancelled Flight"
        "tw-2": (True, "Lost goods"),  # an operator mapped the airline's name onto it
        "tw-3": (False, None),
        "tw-4": (True, None),  # "Can't Tell"
        "tw-5": (None, None),  # no sentiment: unlabelled, the classifier decides
    }
    assert re.search(r"^labelled\s+4 \(3 complaints\)", out, re.M)
    assert "no such category     Cancelled Flight" in out
    # Grouped by its label: the praise is no complaint, the lost bag joins a "Lost goods" one.
    assert not PostMatch.objects.filter(post__external_id="tw-3", incident__isnull=False).exists()
    lost = PostMatch.objects.get(post__external_id="tw-2")
    assert lost.incident is not None and lost.incident.category.name == "Lost goods"
    assert Post.objects.get(external_id="tw-3").classifier_version == "label"


@pytest.mark.django_db
def test_an_organizations_own_categories_are_created_and_learned(ingest, united):
    out = ingest(*LABEL_OPTIONS, "--create-categories")

    assert "categories created   Cancelled Flight, Lost Luggage" in out
    created = Category.objects.get(name="Lost Luggage")
    assert created.label_names == ["Lost Luggage"] and created.is_active
    examples = {e.key: e for e in services.labelled_examples()}
    assert examples["twitter:tw-2"].category_id == created.pk
    assert examples["twitter:tw-3"].is_complaint is False
    assert "twitter:tw-5" not in examples


@pytest.mark.django_db
def test_posts_stored_before_keep_their_labels(ingest, united):
    ingest()  # without labels
    assert set(labels().values()) == {(None, None)}

    out = ingest(*LABEL_OPTIONS)

    assert re.search(r"^labelled\s+0 ", out, re.M)
    assert set(labels().values()) == {(None, None)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--label-complaint", "sentiment"), "COLUMN=VALUE"),
        (("--label-category", "negative_reason"), "needs --label-complaint"),
        (("--label-complaint", "mood=bad"), "no label column 'mood'"),
    ],
)
def test_bad_label_options_are_refused_before_anything_is_stored(ingest, args, message):
    with pytest.raises(CommandError, match=message):
        ingest(*args)
    assert not Post.objects.exists()


def test_jsonl_label_columns_may_be_dotted_paths(tmp_path):
    from incidents.readers import LABELS, read_posts

    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"id": "1", "text": "late again", "label": {"kind": "complaint"}}\n'
        '{"id": "2", "text": "thanks"}\n',
        encoding="utf-8",
    )
    rows = [
        row
        for _, row in read_posts(path, mapping={"external_id": "id"}, label_columns=["label.kind"])
    ]
    assert [row[LABELS] for row in rows] == [{"label.kind": "complaint"}, {"label.kind": None}]
