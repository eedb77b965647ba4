"""Scoring a grouping against labels (incidents/grouping_quality.py): pure."""

from __future__ import annotations

import pytest

from incidents.grouping_quality import b_cubed, incident_figures


def test_a_perfect_grouping_scores_one():
    truth = {"a": 1, "b": 1, "c": 2}
    assert b_cubed({"a": "x", "b": "x", "c": "y"}, truth)["f1"] == 1.0


def test_one_bucket_for_everything_is_precise_only_for_its_largest_truth():
    truth = {"a": 1, "b": 1, "c": 2, "d": 3}
    scores = b_cubed(dict.fromkeys(truth, "all"), truth)
    assert scores["recall"] == 1.0
    assert scores["precision"] == pytest.approx((2 / 4 * 2 + 1 / 4 + 1 / 4) / 4, abs=1e-4)


def test_every_item_alone_is_precise_but_misses_what_belongs_together():
    truth = {"a": 1, "b": 1, "c": 2}
    scores = b_cubed({k: k for k in truth}, truth)
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx((0.5 + 0.5 + 1) / 3, abs=1e-4)


def test_purity_is_the_share_carrying_their_incidents_majority_label():
    figures = incident_figures(
        incident_of={"a": 1, "b": 1, "c": 1, "d": 2},
        label_of={"a": "late", "b": "late", "c": "lost", "d": "lost"},
        supplier_of={"a": "UA", "b": "UA", "c": "UA", "d": "UA"},
    )
    assert figures["purity"] == 0.75
    assert figures["largest_incident_share"] == 0.75
    assert figures["incidents"] == 2


def test_the_largest_share_is_the_worst_suppliers():
    figures = incident_figures(
        incident_of={"a": 1, "b": 2, "c": 3, "d": 3},
        label_of=dict.fromkeys("abcd", "late"),
        supplier_of={"a": "UA", "b": "UA", "c": "AA", "d": "AA"},
    )
    assert figures["largest_incident_share_by_supplier"] == {"UA": 0.5, "AA": 1.0}
    assert figures["largest_incident_share"] == 1.0
