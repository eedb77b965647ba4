"""Which incident a complaint joins (incidents/grouping.py): pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.grouping import Action, Decision, decide, fingerprint, normalise_code

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


# --- lot and SKU codes ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["l-123 ", "L-123", " L-123", "l 123", "L  123", "\tl-123\n"])
def test_lot_codes_as_people_type_them_normalise_to_one_code(typed):
    assert normalise_code(typed) == "L-123"


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_a_missing_code_normalises_to_nothing(empty):
    assert normalise_code(empty) == ""


def test_different_codes_stay_different():
    assert normalise_code("L-123") != normalise_code("L-124")
    assert normalise_code("L123") != normalise_code("L-123")


_code_chars = st.text(alphabet="abcXYZ019- _\t", max_size=20)


@given(_code_chars)
def test_normalising_a_code_twice_changes_nothing(value):
    assert normalise_code(normalise_code(value)) == normalise_code(value)


@given(_code_chars)
def test_a_code_groups_whatever_its_case_and_surrounding_spaces(value):
    assert normalise_code(f"  {value.lower()} ") == normalise_code(value.upper())


# --- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_is_supplier_and_category():
    assert fingerprint(supplier_id=7, category_key="defect") == "supplier:7|category:defect"


def test_fingerprint_without_category_is_uncategorised():
    assert fingerprint(supplier_id=7, category_key=None) == "supplier:7|category:uncategorised"
    assert fingerprint(supplier_id=7, category_key="") == fingerprint(
        supplier_id=7, category_key=None
    )


def test_fingerprint_names_the_lot_when_known():
    assert (
        fingerprint(supplier_id=7, category_key="defect", lot="L-1")
        == "supplier:7|category:defect|lot:L-1"
    )


def test_fingerprint_names_the_sku_when_no_lot_is_known():
    assert (
        fingerprint(supplier_id=7, category_key="defect", sku="hx 200")
        == "supplier:7|category:defect|sku:HX-200"
    )


def test_the_lot_wins_over_the_sku():
    with_both = fingerprint(supplier_id=7, category_key="defect", lot="L-1", sku="HX-200")
    assert with_both == fingerprint(supplier_id=7, category_key="defect", lot="L-1", sku="other")
    assert "sku" not in with_both


def test_a_blank_lot_falls_back_to_the_sku():
    assert fingerprint(supplier_id=7, category_key="defect", lot="   ", sku="HX-200") == (
        fingerprint(supplier_id=7, category_key="defect", sku="HX-200")
    )


def test_reports_of_one_lot_typed_differently_share_a_fingerprint():
    assert fingerprint(supplier_id=7, category_key="defect", lot="l-123 ") == fingerprint(
        supplier_id=7, category_key="defect", lot="L-123"
    )


@pytest.mark.parametrize(
    "other",
    [
        {"supplier_id": 8, "category_key": "defect", "lot": "L-1"},
        {"supplier_id": 7, "category_key": "damaged", "lot": "L-1"},
        {"supplier_id": 7, "category_key": "defect", "lot": "L-2"},
        {"supplier_id": 7, "category_key": "defect"},
    ],
)
def test_another_supplier_category_or_lot_is_another_fingerprint(other):
    assert fingerprint(supplier_id=7, category_key="defect", lot="L-1") != fingerprint(**other)


def test_a_lot_and_an_sku_with_the_same_code_do_not_collide():
    assert fingerprint(supplier_id=7, category_key="defect", lot="X1") != fingerprint(
        supplier_id=7, category_key="defect", sku="X1"
    )


# --- decide -----------------------------------------------------------------------------------


def _decide(**overrides) -> Decision:
    arguments = {
        "open_incident_id": None,
        "last_resolved_id": None,
        "last_resolved_at": None,
        "now": NOW,
        "reopen_window": WINDOW,
    }
    arguments.update(overrides)
    return decide(**arguments)


def test_new_evidence_joins_the_open_incident():
    assert _decide(open_incident_id=3) == Decision(Action.JOIN, 3)


def test_the_open_incident_wins_over_a_recently_resolved_one():
    decision = _decide(
        open_incident_id=3, last_resolved_id=2, last_resolved_at=NOW - timedelta(hours=1)
    )
    assert decision == Decision(Action.JOIN, 3)


def test_evidence_soon_after_resolution_reopens_the_incident():
    decision = _decide(last_resolved_id=2, last_resolved_at=NOW - timedelta(days=3))
    assert decision == Decision(Action.REOPEN, 2)


def test_evidence_on_the_last_day_of_the_window_still_reopens():
    assert _decide(last_resolved_id=2, last_resolved_at=NOW - WINDOW).action is Action.REOPEN


def test_evidence_after_the_window_opens_a_new_incident():
    decision = _decide(last_resolved_id=2, last_resolved_at=NOW - WINDOW - timedelta(seconds=1))
    assert decision == Decision(Action.OPEN)
    assert decision.incident_id is None


def test_a_fingerprint_never_seen_opens_a_new_incident():
    assert _decide() == Decision(Action.OPEN)


def test_a_resolved_incident_without_a_resolution_time_is_not_reopened():
    assert _decide(last_resolved_id=2, last_resolved_at=None) == Decision(Action.OPEN)


def test_the_window_is_a_parameter():
    resolved = {"last_resolved_id": 2, "last_resolved_at": NOW - timedelta(days=3)}
    assert _decide(reopen_window=timedelta(days=2), **resolved).action is Action.OPEN
    assert _decide(reopen_window=timedelta(days=4), **resolved).action is Action.REOPEN
