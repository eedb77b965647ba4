"""Grouping complaints by what they say and when (incidents/problems.py, identifiers.py): pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from incidents import identifiers, problems
from incidents.problems import Action, Candidate, Evidence, Rules, Signature

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)
_keys = count()

CRUSHED = [
    "@umbrellapack the cartons arrived crushed again, pallet 3 of 4",
    "crushed cartons on today's delivery from @umbrellapack, half the boxes caved in",
    "@umbrellapack cartons crushed in transit, product spilled",
    "Umbrella's cartons crushed again, what is going on with your packing",
    "@umbrellapack received crushed cartons, third time this month",
    "crushed cartons everywhere, @umbrellapack please fix your packaging",
    "@umbrellapack the outer cartons are crushed flat",
    "again crushed cartons from @umbrellapack, we are rejecting the delivery",
]
INVOICES = [
    "@umbrellapack invoice charged twice for the same order, billing please fix",
    "@umbrellapack we were billed twice, duplicate invoice again",
    "billing error: @umbrellapack invoiced us twice this month",
]


def complaint(
    text: str, *, at: datetime = NOW, category: str | None = None, shareable=True, owner=None
):
    return Evidence(
        key=next(_keys),
        at=at,
        category=category,
        features=problems.features(text),
        shareable=shareable,
        owner=owner,
    )


def private(text: str, owner: str, *, at: datetime = NOW):
    return complaint(text, at=at, category="damaged", shareable=False, owner=owner)


def incidents_of(placements) -> list[int]:
    return [p.candidate for p in placements]


# --- identifiers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("my bag never arrived, flight UA1234", {"flight:1234"}),
        ("Flight #1234 sat on the tarmac", {"flight:1234"}),
        ("UA 1234 is late again", {"flight:1234"}),
        ("crushed cartons, lot l-778", {"lot:L-778"}),
        ("PO# 4500012345 still not delivered", {"order:4500012345"}),
        ("model HX-200 housings cracked", {"model:HX-200"}),
        ("the HX-200 housings cracked", {"code:HX-200"}),
    ],
)
def test_identifiers_are_found_as_people_write_them(text, found):
    assert identifiers.extract(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "waited 3 hours at 4pm on 2-24",
        "the A320 was dirty",
        "IN 2015 and TO 10 people",
        "second time, a 24-hour delay",
        "paid $200 for nothing",
    ],
)
def test_times_dates_counts_and_prices_are_no_identifiers(text):
    assert identifiers.extract(text) == set()


def test_one_flight_written_two_ways_is_one_identifier():
    assert identifiers.extract("flight 0445") == identifiers.extract("flight UA445")


# --- what a text says -------------------------------------------------------------------------


def test_a_suppliers_name_and_mentions_are_not_what_the_problem_is():
    text = "@united United lost my luggage http://t.co/x"
    found = problems.features(text, remove=[(7, 13)])
    assert found.terms == {"lost", "luggage"}


def test_the_stand_in_for_a_po_number_is_not_what_the_problem_is():
    # Every report that names its PO carries the stand-in: it must neither group unrelated
    # reports nor title an incident "po number".
    found = problems.features("Cartons crushed on [PO number], pallet torn")
    assert found.terms == {"cartons", "crushed", "pallet", "torn"}


def test_rare_words_weigh_more_than_common_ones():
    assert problems.term_weight("cartons") > problems.term_weight("service")
    assert problems.term_weight("the") == 0


# --- grouping ---------------------------------------------------------------------------------


def test_a_burst_of_one_problem_lands_in_one_incident():
    burst = [
        complaint(text, at=NOW + timedelta(minutes=20 * i), category="damaged")
        for i, text in enumerate(CRUSHED)
    ]
    placements, candidates = problems.group(burst, [], now=NOW)
    assert len(set(incidents_of(placements))) == 1
    assert candidates[0].signature.posts == len(CRUSHED)


def test_two_problems_of_one_supplier_in_one_week_land_in_two_incidents():
    crushed = [
        complaint(text, at=NOW + timedelta(hours=i), category="damaged")
        for i, text in enumerate(CRUSHED[:4])
    ]
    billed = [
        complaint(text, at=NOW + timedelta(days=3, hours=i), category="billing")
        for i, text in enumerate(INVOICES)
    ]
    placements, _ = problems.group(crushed + billed, [], now=NOW)
    places = incidents_of(placements)
    assert len(set(places[:4])) == 1
    assert len(set(places[4:])) == 1
    assert places[0] != places[4]


def test_two_problems_at_the_same_hour_stay_apart():
    mixed = [
        complaint(CRUSHED[0], category="damaged"),
        complaint(INVOICES[0], category="billing"),
        complaint(CRUSHED[1], at=NOW + timedelta(minutes=5), category="damaged"),
        complaint(INVOICES[1], at=NOW + timedelta(minutes=5), category="billing"),
    ]
    places = incidents_of(problems.group(mixed, [], now=NOW)[0])
    assert places[0] == places[2] != places[1] == places[3]


def test_the_same_problem_after_a_quiet_period_is_a_new_incident():
    first = complaint(CRUSHED[0], category="damaged")
    later = complaint(CRUSHED[1], at=NOW + timedelta(days=5), category="damaged")
    placements, _ = problems.group([first, later], [], now=NOW, rules=Rules())
    assert [p.action for p in placements] == [Action.OPEN, Action.OPEN]


def test_a_shared_identifier_groups_otherwise_different_wording():
    one = complaint("@united where is my bag? flight UA 1234")
    two = complaint("stuck on the tarmac for ages on flight 1234", at=NOW + timedelta(hours=1))
    places = incidents_of(problems.group([one, two], [], now=NOW)[0])
    assert places[0] == places[1]


def test_complaints_with_nothing_in_common_open_their_own_incidents():
    """No catch-all: a lone complaint about something else is an incident of its own."""
    texts = ["the seats were filthy", "booking website crashed twice", "rude agent at the gate"]
    evidence = [complaint(t, at=NOW + timedelta(hours=i)) for i, t in enumerate(texts)]
    placements, _ = problems.group(evidence, [], now=NOW)
    assert len(set(incidents_of(placements))) == 3


def test_evidence_joins_an_open_incident_from_before():
    signature = Signature()
    for text in CRUSHED[:3]:
        signature.add(problems.features(text))
    known = Candidate(7, "damaged", signature, NOW - timedelta(hours=6), NOW - timedelta(hours=2))
    placements, candidates = problems.group(
        [complaint(CRUSHED[5], category="damaged")], [known], now=NOW
    )
    assert (placements[0].action, candidates[placements[0].candidate].incident_id) == (
        Action.JOIN,
        7,
    )


def resolved(days_ago: float) -> Candidate:
    signature = Signature()
    for text in CRUSHED[:3]:
        signature.add(problems.features(text))
    at = NOW - timedelta(days=days_ago + 5)
    return Candidate(7, "damaged", signature, at, at, resolved_at=NOW - timedelta(days=days_ago))


def test_the_same_problem_soon_after_resolution_reopens_its_incident():
    placements, _ = problems.group(
        [complaint(CRUSHED[4], category="damaged")], [resolved(3)], now=NOW
    )
    assert placements[0].action is Action.REOPEN


def test_the_same_problem_after_the_reopen_window_opens_a_new_incident():
    placements, _ = problems.group(
        [complaint(CRUSHED[4], category="damaged")], [resolved(31)], now=NOW
    )
    assert placements[0].action is Action.OPEN


def test_another_problem_does_not_reopen_a_resolved_incident():
    placements, _ = problems.group(
        [complaint(INVOICES[0], category="billing")], [resolved(3)], now=NOW
    )
    assert placements[0].action is Action.OPEN


def test_a_private_report_never_reopens_and_its_words_sign_only_its_organizations_incident():
    placements, candidates = problems.group([private(CRUSHED[4], "acme")], [resolved(3)], now=NOW)
    assert placements[0].action is Action.OPEN
    opened = candidates[placements[0].candidate]
    assert opened.owner == "acme" and "crushed" in opened.signature.terms


def test_a_private_report_joins_shared_evidence_without_adding_to_its_signature():
    placements, candidates = problems.group(
        [complaint(CRUSHED[0], category="damaged"), private(CRUSHED[4], "acme", at=LATER)],
        [],
        now=NOW,
    )
    assert incidents_of(placements) == [0, 0]
    assert candidates[0].owner is None and candidates[0].signature.posts == 1


def test_private_reports_join_their_own_organizations_incident_and_no_other():
    placements, candidates = problems.group(
        [
            private(CRUSHED[0], "acme"),
            private(CRUSHED[1], "acme", at=LATER),
            private(CRUSHED[2], "globex", at=LATER),
        ],
        [],
        now=NOW,
    )
    assert incidents_of(placements) == [0, 0, 1]
    assert [c.owner for c in candidates] == ["acme", "globex"]


def test_shared_evidence_of_the_problem_folds_a_private_reports_incident_into_a_new_one():
    placements, candidates = problems.group(
        [private(CRUSHED[0], "acme"), complaint(CRUSHED[1], category="damaged", at=LATER)],
        [],
        now=NOW,
    )
    first, second = placements
    assert second.action is Action.OPEN and second.absorbs == first.candidate
    assert candidates[first.candidate].absorbed_into == second.candidate
    shared = candidates[second.candidate]
    # Nothing of the private report reaches what everyone sees: the signature is the tweet's.
    assert shared.owner is None and shared.signature.posts == 1
    assert shared.first_at == LATER


def test_shared_evidence_joins_the_shared_incident_of_its_problem_and_folds_the_private_one():
    stored_private = Candidate(
        7, "damaged", _signed(CRUSHED[0]), NOW - timedelta(hours=2), NOW, owner="acme"
    )
    stored_shared = Candidate(8, "damaged", _signed(CRUSHED[2]), NOW - timedelta(hours=3), NOW)
    placements, candidates = problems.group(
        [complaint(CRUSHED[1], category="damaged", at=LATER)],
        [stored_private, stored_shared],
        now=NOW,
    )
    (placement,) = placements
    assert candidates[placement.candidate].incident_id == 8
    assert placement.action is Action.JOIN
    assert candidates[placement.absorbs].incident_id == 7


def test_an_unrelated_complaint_folds_no_private_report():
    placements, candidates = problems.group(
        [private(CRUSHED[0], "acme"), complaint(INVOICES[0], category="billing", at=LATER)],
        [],
        now=NOW,
    )
    assert placements[1].absorbs is None and candidates[0].absorbed_into is None


def _signed(text: str) -> Signature:
    signature = Signature()
    signature.add(problems.features(text))
    return signature


def test_candidates_are_bounded_whatever_the_suppliers_history():
    many = [
        Candidate(n, None, Signature(), NOW - timedelta(hours=1), NOW - timedelta(hours=1))
        for n in range(500)
    ]
    grouper = problems.Grouper(many, now=NOW, rules=Rules(max_candidates=20))
    assert len(grouper.candidates) == 20


# --- signatures and titles --------------------------------------------------------------------


def test_a_signature_survives_storing():
    signature = Signature()
    signature.add(problems.features(CRUSHED[0] + " lot L-778"))
    assert Signature.from_json(signature.to_json()) == signature


def test_a_stored_signature_keeps_only_the_most_shared_terms():
    signature = Signature()
    for n in range(100):
        signature.add(problems.Features(frozenset({f"word{n}", "cartons"}), frozenset()))
    stored = signature.to_json()
    assert len(stored["terms"]) == problems.SIGNATURE_TERMS
    assert stored["terms"]["cartons"] == 100


def test_a_title_says_what_the_evidence_shares():
    signature = Signature()
    for text in CRUSHED:
        signature.add(problems.features(text + " lot L-778"))
    title = problems.title(category="Damaged", supplier="Umbrella Packaging", signature=signature)
    assert title.startswith("Damaged: Umbrella Packaging — ")
    assert "crushed" in title and "cartons" in title and "lot L-778" in title


def test_a_lot_incidents_title_names_its_lot_once():
    signature = Signature()
    signature.add(problems.features("crushed cartons lot L-778"))
    title = problems.title(
        category="Damaged", supplier="Umbrella", signature=signature, lot="L-778"
    )
    assert title.count("L-778") == 1


def test_a_title_without_evidence_names_category_and_supplier():
    assert problems.title(category=None, supplier="Initech", signature=Signature()) == (
        "Complaint: Initech"
    )


def test_a_title_names_only_words_shared_by_half_the_evidence():
    signature = Signature()
    signature.add(problems.features("crushed cartons, also Globex called"))
    signature.add(problems.features("crushed cartons again"))
    signature.add(problems.features("cartons crushed on arrival"))
    assert "globex" not in problems.title(category=None, supplier="U", signature=signature).lower()


def test_a_title_never_names_what_it_is_told_to_leave_unsaid():
    signature = Signature()
    signature.add(problems.features("Globex line stopped: housings cracked"))
    title = problems.title(
        category="Defect",
        supplier="Initech",
        signature=signature,
        unsaid_words=problems.words_of(["Globex Corp"]),
    )
    assert "globex" not in title.lower()
    assert "cracked" in title


def test_a_category_a_person_gave_joins_only_incidents_of_that_category():
    first = complaint(CRUSHED[0], category="damaged")
    corrected = Evidence(
        key="corrected",
        at=NOW,
        category="late",
        features=problems.features(CRUSHED[0]),
        firm_category=True,
    )
    places = incidents_of(problems.group([first, corrected], [], now=NOW)[0])
    assert places[0] != places[1]


def test_a_guessed_category_is_only_a_hint():
    first = complaint(CRUSHED[0], category="damaged")
    guessed = complaint(CRUSHED[0], category="packaging")
    places = incidents_of(problems.group([first, guessed], [], now=NOW)[0])
    assert places[0] == places[1]


def test_a_title_says_what_went_wrong_not_how_people_feel_or_when():
    signature = Signature()
    for text in ("cartons crushed again, terrible", "terrible: crushed cartons again today"):
        signature.add(problems.features(text))
    title = problems.title(category="Damaged", supplier="Umbrella", signature=signature)
    assert title == "Damaged: Umbrella — cartons, crushed"
