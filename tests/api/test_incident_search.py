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


@pytest.mark.parametrize("name", ["reported_by_us", "followed", "my_suppliers"])
@pytest.mark.parametrize("value", ["yes", "banana", "2", "1", "True", "tru"])
@pytest.mark.parametrize("path", ["/api/v1/incidents/", "/api/v1/incidents/export/"])
def test_a_yes_no_filter_refuses_a_value_that_is_not_true_or_false(api, world, name, value, path):
    response = api.client("globex").get(path, {name: value})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {name: ["Use true or false."]}


def test_a_yes_no_filter_reads_true_and_false(api, world):
    everything = ids(api, "globex", "")
    assert ids(api, "globex", "reported_by_us=false") == everything
    assert ids(api, "globex", "reported_by_us=true") == {world.incidents["initech"].pk}
    assert ids(api, "globex", "reported_by_us=true&followed=false&my_suppliers=false") == {
        world.incidents["initech"].pk
    }


def test_every_yes_no_filter_of_the_api_lists_is_strict():
    """A BooleanFilter of django-filter reads a value it does not know as "no filter"."""
    import django_filters

    from incidents.api.filters import IncidentFilter, ReportFilter, YesNoFilter

    for filterset in (IncidentFilter, ReportFilter):
        for name, declared in filterset.base_filters.items():
            if isinstance(declared, django_filters.BooleanFilter):
                assert isinstance(declared, YesNoFilter), name
