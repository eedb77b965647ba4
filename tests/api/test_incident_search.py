"""The incident list's search and buyers' filters over the API: the same rules as the pages
(selectors.search), through the key's party."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def ids(api, persona: str, query: str) -> set[int]:
    response = api.client(persona).get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_search_finds_words_of_evidence_the_key_may_read(api, world):
    conformance = world.incidents["private_only"].pk
    assert ids(api, "acme", "q=conformance") == {conformance}
    assert ids(api, "globex", "q=conformance") == set()
    assert ids(api, "initech", "q=conformance") == set()


def test_a_po_number_is_searched_in_the_organizations_own_reports_only(api, world):
    assert ids(api, "acme", "q=PO-ACME-79") == {world.incidents["private_only"].pk}
    assert ids(api, "globex", "q=PO-ACME") == set()
    assert ids(api, "initech", "q=PO-ACME") == set()


def test_reported_by_us_and_my_suppliers_answer_for_buyers_only(api, world):
    assert ids(api, "globex", "reported_by_us=true") == {world.incidents["initech"].pk}
    assert ids(api, "initech", "reported_by_us=true") == set()
    assert ids(api, "initech", "my_suppliers=true") == set()


@pytest.mark.parametrize("query", ["q=%25", "q=_", "q=%5C", "q=%22open", "q=" + "x" * 5000])
def test_odd_searches_answer_200(api, world, query):
    assert api.client("acme").get(f"/api/v1/incidents/?{query}").status_code == 200
