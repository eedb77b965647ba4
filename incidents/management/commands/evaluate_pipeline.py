"""python manage.py evaluate_pipeline --suppliers FILE.json --train FILE.csv --test FILE.csv [--json]"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents import engines, grouping_quality, learning
from incidents.models import Category, Post, PostMatch
from incidents.services import classifier_train, posts_ingest
from suppliers.models import Supplier
from suppliers.services import suppliers_import

HELP = """\
Measure the whole pipeline on labelled posts, through the real code path, on a throwaway database.

The command runs itself again in a child process whose DATABASE_URL points at a new SQLite file in
a temporary folder (REDIS_URL unset, so Celery runs eagerly); the configured database is never
opened. In that database it
  1. migrates, and imports the suppliers file (the suppliers_import service);
  2. creates a Category for each negative_reason of the training file ("Can't Tell" and empty
     mean "no category"), as an organisation adds its own taxonomy;
  3. ingests the training posts (posts_ingest) labelled as people would label them: sentiment
     "negative" = complaint, negative_reason = its category;
  4. trains a classifier on all of them (classifier_train; the test file is the held-out part)
     and activates it, so the figures below are the learned model's;
  5. ingests the test posts unlabelled and processes them (match, classify, group);
  6. compares the outcome with the test file's labels, and classifies the same test posts with the
     lexicon classifier too, for the baseline;
then deletes the folder.

CSV columns (as in ../shared/data/airline-tweets-dev.csv): post_id, created_at, author, text,
airline (the true supplier, named as in the suppliers file), sentiment, negative_reason.

Figures: attribution_accuracy (share of test posts whose primary supplier is the labelled one);
complaint_precision / complaint_recall / complaint_f1 (complaint = negative); category_accuracy and
category_macro_f1 over the test complaints that have a category (judging the category each post
was given; a missed complaint already counts against complaint recall); the number of test posts, the model version and the seconds taken.
Grouping, over the test complaints (by their label) that were grouped: incident purity (the share
of them carrying their incident's majority reason) and largest_incident_share (for each supplier,
its largest incident's share of its grouped complaints; the worst supplier's), beside the same
figures of grouping by supplier + category.

The developer data's fixed split (see `split_dataset`):
  python manage.py split_dataset ../shared/data/airline-tweets-dev.csv --out-dir /tmp/split
  python manage.py evaluate_pipeline --suppliers ../shared/data/airlines-suppliers.json \\
      --train /tmp/split/train.csv --test /tmp/split/test.csv --context-words flight,gate,...
"""

NO_CATEGORY = {"", "can't tell", "cant tell", "can’t tell"}
TRAIN_SOURCE = "evaluation-train"
TEST_SOURCE = "evaluation-test"
SCORE_NAMES = (
    "complaint_precision",
    "complaint_recall",
    "complaint_f1",
    "category_accuracy",
    "category_macro_f1",
)


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--suppliers", required=True, help="suppliers JSON (import_suppliers)")
        parser.add_argument("--train", required=True, help="labelled posts to learn from (CSV)")
        parser.add_argument("--test", required=True, help="labelled posts to measure on (CSV)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--context-words",
            default="",
            metavar="WORD,WORD,...",
            help="context words for suppliers whose record gives none (as import_suppliers)",
        )
        parser.add_argument(
            "--keep-db", action="store_true", help="keep the throwaway database and print its path"
        )
        # Internal: the child process doing the work in the throwaway folder.
        parser.add_argument("--inside", default="", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        paths = {name: Path(options[name]) for name in ("suppliers", "train", "test")}
        for name, path in paths.items():
            if not path.is_file():
                raise CommandError(f"--{name} {path}: no such file")
        if options["inside"]:
            self._inside(Path(options["inside"]), paths, options)
            return
        self._outside(paths, options)

    # --- the parent: a throwaway folder and a child process -------------------------------------
    def _outside(self, paths: dict[str, Path], options: dict[str, Any]) -> None:
        folder = Path(tempfile.mkdtemp(prefix="supplierwatch-eval-"))
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'eval.sqlite3'}",
            "REDIS_URL": "",
            "VAR_DIR": str(folder),
            "MEDIA_ROOT": str(folder / "media"),
        }
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "evaluate_pipeline",
            "--inside",
            str(folder),
            "--suppliers",
            str(paths["suppliers"].resolve()),
            "--train",
            str(paths["train"].resolve()),
            "--test",
            str(paths["test"].resolve()),
            "--context-words",
            options["context_words"],
        ]
        try:
            child = subprocess.run(  # noqa: S603 - our own manage.py, arguments are paths
                command, env=env, capture_output=True, text=True, check=False
            )
            if child.returncode != 0 or not (folder / "result.json").exists():
                raise CommandError(
                    f"the evaluation failed (exit status {child.returncode}):\n"
                    f"{child.stderr[-4000:]}"
                )
            if options["verbosity"] >= 2:
                self.stderr.write(child.stderr)
            result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        finally:
            if options["keep_db"]:
                self.stderr.write(f"throwaway database kept: {folder / 'eval.sqlite3'}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(_table(result))

    # --- the child: the work, in the throwaway database -----------------------------------------
    def _inside(self, folder: Path, paths: dict[str, Path], options: dict[str, Any]) -> None:
        database = settings.DATABASES["default"]
        name = Path(str(database.get("NAME", ""))).resolve()
        if database["ENGINE"] != "django.db.backends.sqlite3" or folder.resolve() not in (
            name.parents
        ):
            raise CommandError("refusing to run: the database is not the throwaway one")
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("refusing to run: Celery is not eager (REDIS_URL is set)")
        words = [w.strip() for w in options["context_words"].split(",") if w.strip()]
        result = evaluate(
            suppliers=paths["suppliers"],
            train=paths["train"],
            test=paths["test"],
            context_words=words,
            log=lambda message: self.stderr.write(message),
        )
        (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")


def _table(result: dict[str, Any]) -> str:
    lexicon = result["lexicon"]
    lines = [
        f"{result['posts']} test posts ({result['category_posts']} complaints with a category), "
        f"{result['training_posts']} training posts; {result['seconds']:.1f} s",
        f"attribution_accuracy  {result['attribution_accuracy']:.4f}",
        f"{'':20}  {'learned':>8}  {'lexicon':>8}",
        *(f"{name:20}  {result[name]:8.4f}  {lexicon[name]:8.4f}" for name in SCORE_NAMES),
        f"model version         {result['model_version']} (lexicon: {lexicon['version']})",
    ]
    grouped = result.get("grouping")
    if grouped:
        base = grouped["baseline_supplier_and_category"]
        lines += [
            f"{'grouping':20}  {'ours':>8}  {'sup+cat':>8}   ({grouped['complaints']} complaints)",
            f"{'incidents':20}  {grouped['incidents']:8d}  {base['incidents']:8d}",
            f"{'incident purity':20}  {grouped['purity']:8.4f}  {base['purity']:8.4f}",
            f"{'largest share':20}  {grouped['largest_incident_share']:8.4f}  "
            f"{base['largest_incident_share']:8.4f}",
        ]
    return "\n".join(lines)


# --- the evaluation itself (runs in the child) ------------------------------------------------------


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    required = {"post_id", "text", "airline", "sentiment"}
    if rows and not required <= set(rows[0]):
        raise CommandError(f"{path}: needs the columns {', '.join(sorted(required))}")
    return rows


def _category_name(row: dict[str, str]) -> str | None:
    reason = (row.get("negative_reason") or "").strip()
    return None if reason.casefold() in NO_CATEGORY else reason


def _is_complaint(row: dict[str, str]) -> bool:
    return (row.get("sentiment") or "").strip().casefold() == "negative"


def _post_row(row: dict[str, str]) -> dict[str, str | None]:
    return {
        "external_id": row["post_id"],
        "text": row["text"],
        "published_at": row.get("created_at") or None,
        "author_handle": row.get("author") or "",
    }


def _categories(names: set[str]) -> dict[str, int]:
    """{name: id} of the categories these names call for, created when missing."""
    ids: dict[str, int] = {}
    for position, name in enumerate(sorted(names), start=200):
        category = Category.objects.filter(name__iexact=name).first()
        if category is None:
            base = slugify(name)[:90] or "category"
            slug, number = base, 1
            while Category.objects.filter(slug=slug).exists():
                number += 1
                slug = f"{base}-{number}"
            category = Category.objects.create(
                name=name, slug=slug, keywords=[name.casefold()], position=position
            )
        ids[name] = category.pk
    return ids


def _grouping_figures(
    labelled: list[dict[str, str]],
    posts: dict[str, tuple],
    primary: dict[str, int],
    names: dict[int, str],
) -> dict[str, Any]:
    """Incident purity and the largest incident's share of its supplier's complaints, over the
    test posts that are complaints (by their label) and were grouped, with the reason people gave
    as the label; beside them, the same figures of grouping by supplier + category."""
    incident_of = dict(
        PostMatch.objects.filter(
            post__source=TEST_SOURCE, is_primary=True, incident__isnull=False
        ).values_list("post__external_id", "incident_id")
    )
    grouped = [r for r in labelled if _is_complaint(r) and r["post_id"] in incident_of]
    labels = {r["post_id"]: _category_name(r) or "(no reason)" for r in grouped}
    suppliers = {r["post_id"]: primary[r["post_id"]] for r in grouped}
    ours = grouping_quality.incident_figures(
        incident_of={key: incident_of[key] for key in labels},
        label_of=labels,
        supplier_of=suppliers,
    )
    by_category = grouping_quality.incident_figures(
        incident_of={key: (suppliers[key], posts[key][3]) for key in labels},
        label_of=labels,
        supplier_of=suppliers,
    )
    return {
        **ours,
        "baseline_supplier_and_category": {
            k: by_category[k] for k in ("incidents", "purity", "largest_incident_share")
        },
    }


def evaluate(
    *,
    suppliers: Path,
    train: Path,
    test: Path,
    context_words: list[str],
    log=lambda message: None,
) -> dict[str, Any]:
    """Run the pipeline on the current database (a throwaway one) and return the figures."""
    started = time.perf_counter()
    steps: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        steps[name] = round(now - since, 2)
        log(f"{name}: {steps[name]:.1f} s")
        return now

    call_command("migrate", interactive=False, verbosity=0)
    mark = step("migrate", started)

    records = json.loads(suppliers.read_text(encoding="utf-8-sig"))
    if isinstance(records, dict):
        records = records.get("suppliers", [])
    imported = suppliers_import(records=records, default_context_words=context_words)
    if imported.errors:
        raise CommandError("; ".join(str(error) for error in imported.errors))
    supplier_names = {
        name.casefold(): pk for pk, name in Supplier.objects.values_list("id", "name")
    }

    train_rows = _read(train)
    test_rows = _read(test)
    category_ids = _categories(
        {n for r in train_rows if (n := _category_name(r)) and _is_complaint(r)}
    )
    mark = step("suppliers_and_categories", mark)

    # Stored and labelled in one transaction, so the posts are processed (on commit) once,
    # already labelled, as a labelled import would be.
    with transaction.atomic():
        ingested = posts_ingest(source=TRAIN_SOURCE, rows=[_post_row(r) for r in train_rows])
        ids = dict(Post.objects.filter(source=TRAIN_SOURCE).values_list("external_id", "id"))
        groups: dict[tuple[bool, int | None], list[int]] = defaultdict(list)
        for row in train_rows:
            if row["post_id"] in ids:
                complaint = _is_complaint(row)
                category = category_ids.get(_category_name(row) or "") if complaint else None
                groups[(complaint, category)].append(ids[row["post_id"]])
        labelled_at = timezone.now()
        for (complaint, category), post_ids in groups.items():
            for start in range(0, len(post_ids), 500):
                Post.objects.filter(pk__in=post_ids[start : start + 500]).update(
                    label_is_complaint=complaint,
                    label_category_id=category,
                    labelled_at=labelled_at,
                )
    mark = step("ingest_and_process_training_posts", mark)

    # The whole training file is learned from: the test file is this evaluation's held-out part.
    training = classifier_train(min_examples=1, force=True, held_out_share=0.0)
    if not training.trained:
        raise CommandError(f"no model was trained: {training.reason}")
    mark = step("train", mark)

    tested = posts_ingest(source=TEST_SOURCE, rows=[_post_row(r) for r in test_rows])
    mark = step("ingest_and_process_test_posts", mark)

    # A reason may have matched an existing category spelled otherwise ("Late delivery"): the
    # file's own spelling is the one its labels use.
    names = dict(Category.objects.values_list("id", "name"))
    names.update({pk: name for name, pk in category_ids.items()})
    posts = {
        external_id: (pk, text, is_complaint, names.get(category), status)
        for external_id, pk, text, is_complaint, category, status in Post.objects.filter(
            source=TEST_SOURCE
        ).values_list("external_id", "id", "text", "is_complaint", "predicted_category", "status")
    }
    primary = dict(
        PostMatch.objects.filter(post__source=TEST_SOURCE, is_primary=True).values_list(
            "post__external_id", "supplier_id"
        )
    )
    labelled = [row for row in test_rows if row["post_id"] in posts]
    attributed = sum(
        primary.get(row["post_id"]) == supplier_names.get(row["airline"].strip().casefold())
        for row in labelled
    )
    truth_complaint = [_is_complaint(row) for row in labelled]
    truth_category = [_category_name(row) for row in labelled]
    learned = learning.scores(
        truth_complaint,
        [bool(posts[row["post_id"]][2]) for row in labelled],
        truth_category,
        [posts[row["post_id"]][3] for row in labelled],
    )

    lexicon = engines.get_lexicon_classifier()
    baseline = lexicon.classify_many([posts[row["post_id"]][1] for row in labelled])
    lexicon_scores = learning.scores(
        truth_complaint,
        [c.is_complaint for c in baseline],
        truth_category,
        [names.get(c.category_id) if c.category_id is not None else None for c in baseline],
    )
    grouped = _grouping_figures(labelled, posts, primary, names)
    step("measure", mark)

    model = training.model
    return {
        "posts": len(labelled),
        "category_posts": learned["category_examples"],
        "training_posts": ingested.accepted,
        "rejected_rows": {"train": len(ingested.rejected), "test": len(tested.rejected)},
        "failed_posts": sum(1 for value in posts.values() if value[4] == Post.Status.FAILED),
        "attribution_accuracy": round(attributed / len(labelled), 4) if labelled else 0.0,
        **{name: learned[name] for name in SCORE_NAMES},
        "model_version": model.version if model else None,
        "lexicon": {"version": lexicon.version, **{n: lexicon_scores[n] for n in SCORE_NAMES}},
        "grouping": grouped,
        "training": {"examples": training.examples, "categories": len(category_ids)},
        "steps": steps,
        "seconds": round(time.perf_counter() - started, 2),
    }
