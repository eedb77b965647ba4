"""Who changes what everyone's matching sees, over the API: a supplier's own staff at once; a buyer
organization only by proposing, for an operator to approve; and nobody with an alias that would
match everyday text or that already names another supplier."""

from __future__ import annotations

import pytest

from incidents.models import Post
from suppliers import services
from suppliers.models import SupplierAlias
from tests.factories import SupplierAliasFactory

pytestmark = pytest.mark.django_db

INITECH_ALIASES = "/api/v1/suppliers/initech-components/aliases/"


def propose(client, text, kind="hashtag", url=INITECH_ALIASES):
    return client.post(url, {"kind": kind, "text": text}, format="json")


def ingest(client, external_id, text, capture):
    with capture(execute=True):
        body = client.post(
            "/api/v1/public-posts/",
            {"source": "forum", "posts": [{"external_id": external_id, "text": text}]},
            format="json",
        ).json()
    assert body["accepted"] == 1, body
    post = Post.objects.get(source="forum", external_id=external_id)
    assert post.status == Post.Status.PROCESSED
    return post


def test_a_buyers_alias_reaches_matching_only_once_an_operator_approves_it(
    api, world, operator, django_capture_on_commit_callbacks
):
    """The attack: Globex links a vendor code to Initech, then adds an alias for it; the next
    post that uses it lands with Initech. Now the alias is Globex's proposal until approved."""
    globex = api.client("globex")
    linked = globex.post(
        "/api/v1/suppliers/vendor-codes/",
        {"suppliers": [{"vendor_code": "G-77", "name": "Initech Components"}]},
        format="json",
    )
    assert linked.status_code == 200
    response = propose(globex, "#latedelivery")
    assert response.status_code == 201
    assert response.json() == {"kind": "hashtag", "text": "#latedelivery", "state": "proposed"}

    post = ingest(globex, "p1", "Late again #latedelivery", django_capture_on_commit_callbacks)
    assert not post.matches.filter(supplier=world.initech).exists()

    services.supplier_alias_approve(
        alias=SupplierAlias.objects.get(text="#latedelivery"), actor=operator
    )
    assert propose(globex, "#latedelivery").json()["state"] == "active"
    post = ingest(globex, "p2", "Late again #latedelivery", django_capture_on_commit_callbacks)
    assert post.matches.filter(supplier=world.initech).exists()


@pytest.mark.parametrize("persona", ["globex", "initech"])
@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("hashtag", "#fail"),  # an everyday word as a hashtag
        ("hashtag", "#delivery"),
        ("alias", "the"),  # a stop word
        ("alias", "of the"),
        ("alias", "X"),  # too short
        ("alias", "Umbrella Packaging"),  # another supplier's name
        ("alias", "umbrella packaging"),
        ("handle", "@UmbrellaPack"),  # another supplier's alias
        ("hashtag", "#UmbrellaBoxes"),  # another supplier's word alias, as a hashtag
        ("alias", "UmbrellaBoxes"),  # another supplier's hashtag, as a word
    ],
)
def test_an_alias_that_would_match_everyday_text_or_another_supplier_is_refused(
    api, world, persona, kind, text
):
    SupplierAliasFactory(supplier=world.umbrella, kind="name", text="Umbrella Packaging")
    SupplierAliasFactory(supplier=world.umbrella, kind="handle", text="@UmbrellaPack")
    SupplierAliasFactory(supplier=world.umbrella, kind="alias", text="UmbrellaBoxes")
    SupplierAliasFactory(supplier=world.umbrella, kind="hashtag", text="#UmbrellaBoxes")
    aliases_before = SupplierAlias.objects.count()
    response = propose(api.client(persona), text, kind=kind)
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["fields"]) == ["text"]
    assert SupplierAlias.objects.count() == aliases_before


def test_a_supplier_may_take_an_alias_that_another_supplier_only_was_proposed(api, world):
    """Only active aliases are in use: a buyer's proposal for Umbrella reserves nothing."""
    propose(api.client("acme"), "#PalletCrush", url="/api/v1/suppliers/umbrella-packaging/aliases/")
    response = propose(api.client("initech"), "#PalletCrush")
    assert response.status_code == 201
    assert response.json()["state"] == "active"


def test_brand_names_that_are_ordinary_words_stay_allowed(api, world):
    """The matcher weighs an ordinary word ("Delta", "United") as ambiguous; a two-letter code
    ("VX") names an airline."""
    for text in ("United", "VX", "Jet Blue"):
        response = propose(api.client("initech"), text, kind="alias")
        assert response.status_code == 201, (text, response.content)


def test_a_proposal_is_its_organizations_own(api, world):
    """It helps Globex's own search and lists, and no other party learns of it, not even that
    someone proposed the same alias."""
    assert propose(api.client("globex"), "#InitechRecall").status_code == 201

    def listed(persona):
        return api.client(persona).get(INITECH_ALIASES).json()

    def found(persona):
        results = api.client(persona).get("/api/v1/suppliers/", {"search": "InitechRecall"})
        return [item["slug"] for item in results.json()["results"]]

    assert {"kind": "hashtag", "text": "#InitechRecall", "state": "proposed"} in listed("globex")
    assert found("globex") == ["initech-components"]
    for other in ("acme", "initech"):
        assert all(alias["text"] != "#InitechRecall" for alias in listed(other))
        assert found(other) == []
    detail = api.client("acme").get("/api/v1/suppliers/initech-components/").json()
    assert all(alias["text"] != "#InitechRecall" for alias in detail["aliases"])
    # Acme proposing the same alias is told what Globex was told: a new proposal of its own.
    again = propose(api.client("acme"), "#initechrecall")
    assert again.status_code == 201
    assert again.json()["state"] == "proposed"


def test_a_rejected_proposal_stays_out_of_matching_and_says_so(api, world, operator):
    propose(api.client("globex"), "#InitechRecall")
    alias = SupplierAlias.objects.get(text="#InitechRecall")
    services.supplier_alias_reject(alias=alias, actor=operator)
    again = propose(api.client("globex"), "#InitechRecall")
    assert again.status_code == 200
    assert again.json()["state"] == "rejected"
    assert SupplierAlias.objects.active().filter(text__iexact="#InitechRecall").count() == 0


def test_a_buyer_without_a_vendor_code_for_the_supplier_proposes_nothing(api, world):
    response = propose(
        api.client("globex"), "#UmbrellaRecall", url="/api/v1/suppliers/umbrella-packaging/aliases/"
    )
    assert response.status_code == 403
    assert not SupplierAlias.objects.filter(text="#UmbrellaRecall").exists()


def test_a_supplier_created_by_a_buyers_vendor_code_is_matched_once_its_name_is_approved(
    api, world, operator, django_capture_on_commit_callbacks
):
    """A buyer's ERP creates the supplier every organization shares, but its name is that
    buyer's proposal for everyone's matching, as any alias it adds."""
    globex = api.client("globex")
    globex.post(
        "/api/v1/suppliers/vendor-codes/",
        {"suppliers": [{"vendor_code": "G-9", "name": "Nakatomi Fasteners"}]},
        format="json",
    )
    name = SupplierAlias.objects.get(kind="name", text="Nakatomi Fasteners")
    assert (name.state, name.proposed_by) == (SupplierAlias.State.PROPOSED, world.globex)
    text = "Nakatomi Fasteners sheared bolts again"
    post = ingest(globex, "n1", text, django_capture_on_commit_callbacks)
    assert not post.matches.exists()

    services.supplier_alias_approve(alias=name, actor=operator)
    post = ingest(globex, "n2", text, django_capture_on_commit_callbacks)
    assert post.matches.filter(supplier=name.supplier).exists()


def test_a_vendor_code_names_its_supplier_for_its_organization_alone(
    api, world, django_capture_on_commit_callbacks
):
    """Globex's code G-1 (Initech) finds Initech in Globex's search, in nobody else's, and is no
    alias: a post that writes it is not matched to Initech."""

    def found(persona):
        results = api.client(persona).get("/api/v1/suppliers/", {"search": "G-1"}).json()
        return [item["slug"] for item in results["results"]]

    assert found("globex") == ["initech-components"]
    assert found("acme") == []
    post = ingest(
        api.client("acme"), "v1", "Vendor G-1 shipped late", django_capture_on_commit_callbacks
    )
    assert not post.matches.exists()
