"""Incidents over the API: filters, cursor pagination, detail, the supplier's actions, the CSV
export and the scorecard."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Category, Incident, IncidentEvent, Response, Severity
from suppliers.models import VendorCode
from tests.factories import (
    CategoryFactory,
    IncidentFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [item["id"] for item in response.json()["results"]]


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def many(world):
    """More Initech and Umbrella incidents, in every status, severity and two categories."""
    late = CategoryFactory(slug="late-delivery", name="Late delivery")
    made = {}
    statuses = list(Incident.Status)
    for index in range(12):
        supplier = world.initech if index % 2 else world.umbrella
        made[index] = IncidentFactory(
            supplier=supplier,
            status=statuses[index % len(statuses)],
            severity=Severity.HIGH if index % 3 == 0 else Severity.LOW,
            category=late if index % 4 == 0 else None,
            post_count=1,
            fingerprint=f"many-{index}",
        )
    return made


def test_filter_by_supplier_status_severity_and_category(api, world, many):
    client = api.client("acme")
    visible = Incident.objects.filter(post_count__gt=0) | Incident.objects.filter(
        pk=world.incidents["private_only"].pk
    )

    def expected(**lookups):
        return sorted(visible.filter(**lookups).values_list("pk", flat=True))

    def listed(query):
        return sorted(ids_of(client.get(f"/api/v1/incidents/?{query}&page_size=100")))

    assert listed("supplier=umbrella-packaging") == expected(supplier=world.umbrella)
    assert listed("status=new&status=reopened") == expected(status__in=["new", "reopened"])
    assert listed("severity=high") == expected(severity=Severity.HIGH)
    assert listed("category=late-delivery") == expected(category__slug="late-delivery")
    assert listed("supplier=initech-components&severity=low") == expected(
        supplier=world.initech, severity=Severity.LOW
    )


def test_filter_by_the_callers_vendor_code(api, world, many):
    initech_ids = sorted(
        ids_of(
            api.client("acme").get("/api/v1/incidents/?supplier=initech-components&page_size=100")
        )
    )
    by_code = api.client("acme").get("/api/v1/incidents/?vendor_code=A-100&page_size=100")
    assert sorted(ids_of(by_code)) == initech_ids
    # Globex's code for Initech means nothing to Acme, and codes mean nothing to suppliers.
    assert ids_of(api.client("acme").get("/api/v1/incidents/?vendor_code=G-1")) == []
    assert ids_of(api.client("initech").get("/api/v1/incidents/?vendor_code=A-100")) == []


def test_updated_since_returns_what_changed_after_it(api, world, many):
    cutoff = timezone.now()
    changed = many[1]
    Incident.objects.filter(pk=changed.pk).update(last_activity_at=cutoff + timedelta(seconds=5))
    Incident.objects.filter(pk=many[3].pk).update(updated_at=cutoff + timedelta(seconds=5))
    Incident.objects.exclude(pk__in=[changed.pk, many[3].pk]).update(
        updated_at=cutoff - timedelta(days=1), last_activity_at=cutoff - timedelta(days=1)
    )
    response = api.client("acme").get(
        "/api/v1/incidents/", {"updated_since": cutoff.isoformat(), "ordering": "last_activity_at"}
    )
    assert sorted(ids_of(response)) == sorted([changed.pk, many[3].pk])


@pytest.mark.parametrize(
    "query",
    [
        "severity=urgent",
        "status=open",
        "status=",
        "updated_since=yesterday",
        "updated_since=",
        "ordering=title",
        "ordering=-created_at,id",
        "page_size=abc",
        "page_size=0",
        "supplier=%00",
        "vendor_code=A%00",
    ],
)
def test_invalid_parameters_are_a_400_naming_the_parameter(api, world, query):
    response = api.client("acme").get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert query.split("=")[0] in error["fields"]


def test_odd_time_zone_offsets_are_read_in_utc(api, world):
    """ISO 8601 allows offsets PostgreSQL refuses (+20:11); they are converted, not passed on."""
    response = api.client("acme").get(
        "/api/v1/incidents/", {"updated_since": "0110-04-10T22:56:59.024+20:11"}
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    early = api.client("acme").get(
        "/api/v1/incidents/", {"updated_since": "0001-01-01T00:00:00+05:00"}
    )
    # Well formed, but before year 1 once in UTC.
    assert early.status_code == 422
    assert "updated_since" in early.json()["error"]["fields"]


def test_a_page_size_above_the_maximum_is_capped_not_refused(api, world, many, monkeypatch):
    from supplierwatch.api.pagination import ApiCursorPagination

    monkeypatch.setattr(ApiCursorPagination, "max_page_size", 5)
    body = api.client("acme").get("/api/v1/incidents/?page_size=100000").json()
    assert len(body["results"]) == 5
    assert body["next"] is not None


# --- cursor pagination ------------------------------------------------------------------------


def test_cursor_pagination_walks_every_incident_once_in_order(api, world, many):
    client = api.client("acme")
    seen: list[int] = []
    url = "/api/v1/incidents/?page_size=4"
    pages = 0
    while url:
        body = client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        assert len(body["results"]) <= 4
        url = body["next"]
        pages += 1
    expected = list(
        (
            Incident.objects.filter(post_count__gt=0)
            | Incident.objects.filter(pk=world.incidents["private_only"].pk)
        )
        .order_by("-last_activity_at", "-id")
        .values_list("pk", flat=True)
    )
    assert seen == expected
    assert pages == -(-len(expected) // 4)


def test_cursor_pagination_is_stable_when_incidents_are_added(api, world, many):
    client = api.client("acme")
    first = client.get("/api/v1/incidents/?page_size=3&ordering=created_at").json()
    IncidentFactory(supplier=world.initech, post_count=1, fingerprint="late-arrival")
    second = client.get(first["next"]).json()
    assert not {i["id"] for i in first["results"]} & {i["id"] for i in second["results"]}


def test_ordering_by_creation(api, world, many):
    ascending = ids_of(
        api.client("acme").get("/api/v1/incidents/?ordering=created_at&page_size=100")
    )
    assert ascending == sorted(ascending)


def test_listing_costs_the_same_queries_for_few_or_many(
    api, world, many, django_assert_max_num_queries
):
    client = api.client("acme")
    client.get("/api/v1/incidents/")  # warm: the key's last use is recorded once a minute
    # The key, the page, its 8D disciplines, and a buyer's own reports in the page's incidents.
    with django_assert_max_num_queries(4) as few:
        client.get("/api/v1/incidents/?page_size=2")
    with django_assert_max_num_queries(4) as lots:
        client.get("/api/v1/incidents/?page_size=100")
    assert len(few.captured_queries) == len(lots.captured_queries)


# --- detail -----------------------------------------------------------------------------------


def test_detail_has_counters_as_the_viewer_may_count_them(api, world):
    incident = world.incidents["initech"]
    acme = api.client("acme").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert acme["counters"] == {
        "posts": 3,
        "public_posts": 1,
        "public_authors": 1,
        "named_reports": 1,
        "anonymous_reports": 1,
        "named_organizations": None,
        "other_organizations": 1,  # Globex: Acme's own reports are not counted as another's
        "own_posts": 2,  # Acme's anonymous and private reports
    }
    assert acme["vendor_code"] == "A-100"
    initech = api.client("initech").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert initech["counters"] == {
        "posts": 3,
        "public_posts": 1,
        "public_authors": 1,
        "named_reports": 1,
        "anonymous_reports": 1,
        "named_organizations": 1,  # Globex, which the supplier sees
        "other_organizations": None,
        "own_posts": None,
    }
    assert initech["vendor_code"] is None
    private = api.client("acme").get(f"/api/v1/incidents/{world.incidents['private_only'].pk}/")
    assert private.json()["counters"]["posts"] == 0
    assert private.json()["counters"]["own_posts"] == 1


def test_detail_timeline_is_oldest_first(api, world):
    incident = world.incidents["initech"]
    timeline = api.client("initech").get(f"/api/v1/incidents/{incident.pk}/").json()["timeline"]
    kinds = [entry["kind"] for entry in timeline]
    assert kinds[0] == "created"
    assert kinds.count("response") == 2
    times = [entry["created_at"] for entry in timeline]
    assert times == sorted(times)


# --- the supplier's actions -------------------------------------------------------------------


def test_supplier_acknowledges_assigns_answers_and_resolves(api, world, carol):
    incident = world.incidents["initech"]
    client = api.client("initech")
    base = f"/api/v1/incidents/{incident.pk}"

    acknowledged = client.post(f"{base}/acknowledge/")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"

    assigned = client.post(f"{base}/assign/", {"assignee": "CAROL@initech.test"}, format="json")
    assert assigned.status_code == 200
    assert assigned.json()["assignee"]["email"] == carol.email

    answered = client.post(
        f"{base}/responses/", {"body": " Replacements ship today. "}, format="json"
    )
    assert answered.status_code == 201
    assert answered.json()["body"] == "Replacements ship today."
    assert answered.json()["visibility"] == "public"

    actions = client.post(
        f"{base}/actions/", {"discipline": "d4", "text": "Worn mould."}, format="json"
    )
    root_cause = next(d for d in actions.json()["eight_d"] if d["discipline"] == "d4")
    assert root_cause["text"] == "Worn mould."

    resolved = client.post(f"{base}/resolve/", {"note": "Lot replaced."}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"

    incident.refresh_from_db()
    assert incident.assignee == carol
    assert incident.status == Incident.Status.RESOLVED
    kinds = list(incident.events.order_by("id").values_list("kind", flat=True))
    assert IncidentEvent.Kind.ASSIGNED in kinds and IncidentEvent.Kind.RESPONSE in kinds
    # The key acted: its service user is the actor of what it did.
    last = incident.events.order_by("-id").first()
    assert last.actor.api_key.supplier == world.initech

    again = client.post(f"{base}/resolve/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["fields"] == {"status": ["This incident is not open."]}


def test_assigning_to_someone_outside_the_supplier_is_refused(api, world, dave, alice):
    incident = world.incidents["initech"]
    for email in (dave.email, alice.email, "nobody@initech.test"):
        response = api.client("initech").post(
            f"/api/v1/incidents/{incident.pk}/assign/", {"assignee": email}, format="json"
        )
        assert response.status_code == 422
        assert "assignee" in response.json()["error"]["fields"]


def test_keys_are_never_assignable(api, world):
    """A key's service user is a member of the supplier, but not a colleague to assign to."""
    incident = world.incidents["initech"]
    me = api.client("initech_read").get("/api/v1/me/").json()
    email = f"key-{me['key']['prefix']}@api-keys.supplierwatch.invalid"
    response = api.client("initech").post(
        f"/api/v1/incidents/{incident.pk}/assign/", {"assignee": email}, format="json"
    )
    assert response.status_code == 422


def test_private_answer_goes_only_to_an_organization_that_reported_by_name(api, world):
    incident = world.incidents["initech"]
    client = api.client("initech")
    url = f"/api/v1/incidents/{incident.pk}/responses/"
    to_globex = client.post(
        url, {"body": "Credit note sent.", "organization": "globex"}, format="json"
    )
    assert to_globex.status_code == 201
    assert to_globex.json()["organization"] == {"slug": "globex", "name": "Globex"}
    # Acme reported anonymously: the same refusal as for an organization that does not exist.
    refusals = [
        client.post(url, {"body": "Hello Acme.", "organization": slug}, format="json")
        for slug in ("acme", "no-such-organization")
    ]
    assert [r.status_code for r in refusals] == [422, 422]
    assert refusals[0].json() == refusals[1].json()
    assert not Response.objects.filter(organization=world.acme).exists()


def test_an_empty_answer_names_the_field(api, world):
    incident = world.incidents["initech"]
    response = api.client("initech").post(
        f"/api/v1/incidents/{incident.pk}/responses/", {"body": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"body": ["This field may not be blank."]}


# --- CSV export -------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def test_export_neutralises_cells_a_spreadsheet_would_run(api, world):
    supplier = SupplierFactory(name="=cmd|' /C calc'!A0", slug="formula-supplier")
    VendorCode.objects.create(organization=world.acme, supplier=supplier, code="@V1")
    for index, text in enumerate(DANGEROUS):
        IncidentFactory(
            supplier=supplier,
            title=text,
            lot=text[:60],
            sku="-5",
            post_count=1,
            fingerprint=f"x{index}",
        )
    response = api.client("acme").get("/api/v1/incidents/export/?supplier=formula-supplier")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["title"] for row in rows) == sorted("'" + text for text in DANGEROUS)
    for row in rows:
        assert row["supplier"] == "'=cmd|' /C calc'!A0"
        assert row["vendor_code"] == "'@V1"
        assert row["sku"] == "'-5"
        assert row["lot"].startswith("'")
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_export_applies_the_list_filters(api, world, many):
    everything = b"".join(api.client("acme").get("/api/v1/incidents/export/").streaming_content)
    umbrella = b"".join(
        api.client("acme")
        .get("/api/v1/incidents/export/?supplier=umbrella-packaging")
        .streaming_content
    )
    assert len(everything.splitlines()) > len(umbrella.splitlines()) > 1
    assert b"Initech Components" not in umbrella


# --- scorecard --------------------------------------------------------------------------------


SCORECARD = "/api/v1/suppliers/initech-components/scorecard/"


def test_scorecard_is_the_same_for_every_key_and_never_counts_private_reports(api, world):
    services.scorecards_compute_current()
    bodies = {
        persona: api.client(persona).get(SCORECARD).json()
        for persona in ("acme", "globex", "initech")
    }
    assert bodies["acme"] == bodies["globex"] == bodies["initech"]
    body = bodies["acme"]
    assert body["period"] == "month"
    assert [s["name"] for s in body["standings"]] == ["Excellent", "Good", "Fair", "Poor"]
    (current,) = body["periods"]
    assert current["in_progress"] is True
    figures = current["figures"]
    # Acme's anonymous report and Globex's named one; Acme's two private reports never count.
    assert figures["buyer_reports"] == 2
    assert figures["reporting_organizations"] == 2
    assert figures["public_complaints"] == 1
    assert figures["disputes_upheld"] is None
    assert current["score"] is not None and current["standing"]
    assert {row["key"] for row in current["criteria"]} >= {"complaints_per_organization"}


def test_scorecard_of_another_supplier_is_a_404_for_a_supplier_key(api, world):
    response = api.client("umbrella").get(SCORECARD)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", ["period=year", "period=", "limit=0", "limit=61", "limit=many", "limit="]
)
def test_scorecard_refuses_bad_parameters_naming_them(api, world, query):
    response = api.client("acme").get(f"{SCORECARD}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["fields"]


def test_scorecard_history_by_week_newest_first(api, world):
    services.scorecards_compute_current()
    body = api.client("acme").get(f"{SCORECARD}?period=week&limit=5").json()
    assert body["period"] == "week"
    starts = [period["period_start"] for period in body["periods"]]
    assert starts == sorted(starts, reverse=True) and len(starts) >= 1


def test_categories_lists_the_active_taxonomy(api, world):
    Category.objects.filter(slug="late-delivery").update(is_active=False)
    body = api.client("initech").get("/api/v1/categories/").json()
    slugs = [item["slug"] for item in body]
    assert "defect" in slugs
    assert "late-delivery" not in slugs
    assert set(body[0]) == {"slug", "name", "description"}


def test_detail_and_evidence_cost_the_same_queries_for_few_or_many_posts(
    api, world, alice, django_assert_max_num_queries
):
    from tests.factories import BuyerPostFactory, PostMatchFactory

    incident = world.incidents["initech"]
    client = api.client("initech")
    client.get("/api/v1/me/")  # the key's last use is recorded once a minute

    def cost(path):
        with django_assert_max_num_queries(8) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    before = (
        cost(f"/api/v1/incidents/{incident.pk}/"),
        cost(f"/api/v1/incidents/{incident.pk}/posts/"),
    )
    for _ in range(10):
        post = BuyerPostFactory(
            organization=world.globex, supplier=world.initech, visibility="named"
        )
        PostMatchFactory(post=post, supplier=world.initech, incident=incident)
        IncidentEvent.objects.create(incident=incident, kind="post_added", data={"posts": 1})
    after = (
        cost(f"/api/v1/incidents/{incident.pk}/"),
        cost(f"/api/v1/incidents/{incident.pk}/posts/"),
    )
    assert after == before
