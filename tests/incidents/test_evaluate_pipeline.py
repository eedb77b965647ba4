"""`evaluate_pipeline` measures the real pipeline on a throwaway database; `split_dataset` makes
the fixed train/test split of a labelled file.

The fast tests use small synthetic files; the slow one runs the developer data's documented split
(../shared/data/airline-tweets-dev.csv) and holds the product to its quality targets.
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.learning import stable_fraction
from incidents.models import Category, ClassifierModel, Post
from suppliers.models import Supplier
from tests.helpers import SHARED_DATA, require

COLUMNS = ["post_id", "created_at", "author", "text", "airline", "sentiment", "negative_reason"]
SUPPLIERS = [
    {"name": "Acme Parts", "handles": ["@acmeparts"], "aliases": ["Acme Parts"]},
    {"name": "Globex Freight", "handles": ["@globexfreight"], "hashtags": ["#globex"]},
]
HANDLE = {"Acme Parts": "@acmeparts", "Globex Freight": "@globexfreight"}
REASONS = {
    "Late Delivery": [
        "order {n} is three weeks late, still waiting",
        "delivery delayed again, we waited {n} days",
        "the truck never came, shipment postponed again",
    ],
    "Broken Parts": [
        "half the housings arrived cracked and broken",
        "{n} units defective, faulty batch",
        "broken seal and cracked casing on lot {n}",
    ],
    "Rude Support": [
        "your agent was rude and hung up on me",
        "on hold for {n} minutes, nobody answers",
        "support ignored my emails for a week",
    ],
}
PRAISE = [
    "thanks for the quick delivery, great service",
    "do you ship to {n} warehouses in europe?",
    "great team, parts arrived on time",
    "happy with order {n}, thank you",
]
# As import_suppliers' help recommends for the airline data (ambiguous names need context).
AIRLINE_CONTEXT = (
    "flight,flights,airline,plane,gate,luggage,bag,bags,seat,crew,pilot,boarding,delayed,cancelled"
)


def write_posts(path: Path, count: int, seed: int, prefix: str) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for index in range(count):
            supplier = rng.choice(list(HANDLE))
            if index % 5 == 4:
                sentiment, reason, text = "negative", "Can't Tell", "not impressed at all, awful"
            elif index % 2:
                sentiment, reason = "negative", rng.choice(list(REASONS))
                text = rng.choice(REASONS[reason])
            else:
                sentiment, reason, text = (
                    rng.choice(["positive", "neutral"]),
                    "",
                    rng.choice(PRAISE),
                )
            writer.writerow(
                {
                    "post_id": f"{prefix}-{index:04d}",
                    "created_at": f"2025-03-{1 + index % 28:02d}T10:00:00Z",
                    "author": f"user{index}",
                    "text": f"{HANDLE[supplier]} {text.format(n=rng.randint(2, 99))}",
                    "airline": supplier,
                    "sentiment": sentiment,
                    "negative_reason": reason,
                }
            )
    return path


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    suppliers = tmp_path / "suppliers.json"
    suppliers.write_text(json.dumps(SUPPLIERS), encoding="utf-8")
    return {
        "suppliers": suppliers,
        "train": write_posts(tmp_path / "train.csv", 200, seed=1, prefix="tr"),
        "test": write_posts(tmp_path / "test.csv", 40, seed=2, prefix="te"),
    }


def evaluate(files: dict[str, Path], *extra: str) -> str:
    out = StringIO()
    call_command(
        "evaluate_pipeline",
        "--suppliers",
        str(files["suppliers"]),
        "--train",
        str(files["train"]),
        "--test",
        str(files["test"]),
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
def test_it_reports_the_learned_model_beside_the_lexicon_without_touching_the_database(
    files, tmp_path, monkeypatch
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    categories_before = Category.objects.count()

    result = json.loads(evaluate(files, "--json"))

    assert result["posts"] == 40
    assert result["training_posts"] == 200
    assert result["attribution_accuracy"] == 1.0
    assert result["complaint_f1"] >= 0.9
    assert result["category_macro_f1"] >= 0.8
    assert result["category_posts"] == 16  # negative, with a reason other than "Can't Tell"
    assert result["model_version"].startswith("learned-")
    assert result["lexicon"]["version"] == "lexicon-1"
    assert set(result["lexicon"]) >= {"complaint_f1", "category_macro_f1"}
    assert result["training"]["categories"] == 3
    assert result["failed_posts"] == 0
    assert result["seconds"] > 0
    grouped = result["grouping"]
    assert 0 < grouped["complaints"] <= 40
    assert 0 < grouped["purity"] <= 1
    assert 0 < grouped["largest_incident_share"] <= 1
    assert set(grouped["baseline_supplier_and_category"]) == {
        "incidents",
        "purity",
        "largest_incident_share",
    }
    # The work happened elsewhere, and that elsewhere is gone.
    assert not Post.objects.exists()
    assert not ClassifierModel.objects.exists()
    assert not Supplier.objects.exists()
    assert Category.objects.count() == categories_before
    assert list(scratch.iterdir()) == []


def test_without_json_it_prints_a_table(files):
    text = evaluate(files)

    assert "attribution_accuracy  1.0000" in text
    assert "learned" in text and "lexicon" in text
    assert "complaint_f1" in text and "category_macro_f1" in text
    assert "incident purity" in text and "largest share" in text


def test_a_missing_file_is_reported(files, tmp_path):
    files["test"] = tmp_path / "nope.csv"

    with pytest.raises(CommandError, match=r"nope\.csv: no such file"):
        evaluate(files)


@pytest.mark.django_db
def test_the_worker_half_refuses_any_database_but_its_throwaway_one(files, tmp_path):
    with pytest.raises(CommandError, match="not the throwaway one"):
        evaluate(files, "--inside", str(tmp_path))
    assert not Post.objects.exists()


# --- split_dataset -----------------------------------------------------------------------------------


def test_split_dataset_follows_the_documented_rule(files, tmp_path):
    out = tmp_path / "split"

    call_command(
        "split_dataset",
        str(files["train"]),
        "--out-dir",
        str(out),
        "--test-share",
        "0.25",
        stdout=StringIO(),
    )

    def ids(path: Path) -> list[str]:
        with path.open(encoding="utf-8", newline="") as handle:
            return [row["post_id"] for row in csv.DictReader(handle)]

    train, test = ids(out / "train.csv"), ids(out / "test.csv")
    everything = ids(files["train"])
    assert sorted(train + test) == sorted(everything)
    assert test == [i for i in everything if stable_fraction(i) < 0.25]
    assert 0.1 < len(test) / len(everything) < 0.4


def test_split_dataset_never_writes_beside_its_input(files):
    with pytest.raises(CommandError, match="must not be the folder"):
        call_command("split_dataset", str(files["train"]), "--out-dir", str(files["train"].parent))


# --- the developer data ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db
def test_the_developer_data_meets_the_quality_targets(tmp_path):
    tweets = SHARED_DATA / "airline-tweets-dev.csv"
    suppliers = SHARED_DATA / "airlines-suppliers.json"
    require(tweets.exists() and suppliers.exists(), f"{SHARED_DATA} lacks the airline data")
    call_command("split_dataset", str(tweets), "--out-dir", str(tmp_path), stdout=StringIO())

    result = json.loads(
        evaluate(
            {
                "suppliers": suppliers,
                "train": tmp_path / "train.csv",
                "test": tmp_path / "test.csv",
            },
            "--json",
            "--context-words",
            AIRLINE_CONTEXT,
        )
    )

    assert result["posts"] == 1428
    assert result["attribution_accuracy"] >= 0.99, result
    assert result["complaint_f1"] >= 0.88, result
    assert result["category_macro_f1"] >= 0.55, result
    # The learned model is the better classifier on both counts.
    assert result["complaint_f1"] > result["lexicon"]["complaint_f1"]
    assert result["category_macro_f1"] > result["lexicon"]["category_macro_f1"]
    # Incidents are problems, not category buckets: purer, and none takes over its supplier.
    grouped, buckets = result["grouping"], result["grouping"]["baseline_supplier_and_category"]
    assert grouped["purity"] >= buckets["purity"] + 0.1, grouped
    assert grouped["largest_incident_share"] < buckets["largest_incident_share"], grouped
