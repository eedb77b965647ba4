"""A feed's name is unique among its owner's feeds only: each supplier names its own feeds as it
likes, the operators theirs. The posts of each feed still come from a source of their own, and the
command line names a supplier's feed after its supplier (`SLUG/NAME`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.models import Post
from integrations import services
from integrations.models import Feed
from supplierwatch.errors import ApplicationError
from tests.factories import PublicPostFactory, SupplierFactory
from tests.integrations.feedserver import fixture

pytestmark = pytest.mark.django_db


def add(name: str, supplier=None, kind: str = "bluesky", target: str = "initech late") -> Feed:
    return services.feed_create(kind=kind, target=target, name=name, supplier=supplier).feed


def feeds(*args: str) -> str:
    out = StringIO()
    call_command("feeds", *args, stdout=out)
    return out.getvalue()


def test_two_suppliers_and_the_operators_may_each_have_a_feed_named_news(initech, umbrella):
    theirs = add("news", initech)
    others = add("news", umbrella)
    operators = add("news")

    assert (theirs.name, others.name, operators.name) == ("news", "news", "news")
    assert theirs.source == "initech-components-news"
    assert others.source == "umbrella-packaging-news"
    assert operators.source == "news"


def test_each_feed_named_news_stores_its_own_posts(initech, umbrella):
    theirs, others = add("news", initech), add("news", umbrella)

    services.feed_items_store(feed=theirs, items=[{"external_id": "1", "text": "Initech late"}])
    services.feed_items_store(feed=others, items=[{"external_id": "1", "text": "Boxes crushed"}])

    assert Post.objects.get(source=theirs.source).text == "Initech late"
    assert Post.objects.get(source=others.source).text == "Boxes crushed"
    theirs.refresh_from_db()
    others.refresh_from_db()
    assert (theirs.items_stored, others.items_stored) == (1, 1)


def test_a_supplier_cannot_have_two_feeds_of_one_name(initech):
    add("news", initech)

    with pytest.raises(ApplicationError) as refused:
        add("news", initech, kind="webhook", target="")

    assert refused.value.field == "name" and refused.value.code == "conflict"
    assert "Initech Components already has a feed named 'news'" in refused.value.message
    assert Feed.objects.count() == 1


def test_the_operators_cannot_have_two_feeds_of_one_name():
    add("news")
    with pytest.raises(ApplicationError) as refused:
        add("news")
    assert refused.value.field == "name" and "already have a feed named 'news'" in str(
        refused.value
    )


def test_the_database_keeps_names_unique_per_owner_whatever_the_caller(initech):
    """The service checks first; the constraints hold for a caller that raced past the check."""
    from django.db import IntegrityError, transaction

    Feed.objects.create(kind="bluesky", target="x", name="news", supplier=initech)
    Feed.objects.create(kind="bluesky", target="x", name="news")
    for supplier in (initech, None):
        with pytest.raises(IntegrityError), transaction.atomic():
            Feed.objects.create(
                kind="bluesky", target="x", name="news", supplier=supplier, source=f"x-{supplier}"
            )


def test_a_name_whose_source_posts_already_use_is_refused(initech):
    """Otherwise the new feed's items would mix with those of another source."""
    PublicPostFactory(source="initech-components-news")
    PublicPostFactory(source="twitter")

    for name, supplier in (("news", initech), ("twitter", None)):
        with pytest.raises(ApplicationError) as refused:
            add(name, supplier)
        assert refused.value.field == "name" and "is taken" in refused.value.message
    assert add("twitter", initech).source == "initech-components-twitter"


def test_a_long_name_of_a_supplier_with_a_long_slug_still_has_a_source_of_its_own():
    supplier = SupplierFactory(name="X" * 10, slug="a-supplier-whose-slug-is-long-enough-to-matter")
    first = add("quality-reviews-of-our-warehouse-and-depots-north", supplier)
    second = add("quality-reviews-of-our-warehouse-and-depots-south", supplier)

    assert len(first.source) <= 50 and len(second.source) <= 50
    assert first.source != second.source
    assert first.source.startswith("a-supplier-whose-slug")


def test_the_portal_refuses_a_second_feed_of_one_name_beside_the_name(client, ivy, initech):
    add("news", initech)
    client.force_login(ivy)

    answer = client.post("/portal/feeds/", {"kind": "webhook", "name": "news"})

    assert answer.status_code == 400
    page = answer.content.decode()
    assert "already has a feed named" in page
    assert Feed.objects.filter(supplier=initech).count() == 1


def test_the_admin_refuses_a_second_feed_of_one_name_for_one_supplier(op, initech):
    add("news", initech)
    answer = op.post(
        reverse("admin:integrations_feed_add"),
        {"kind": "webhook", "target": "", "name": "news", "supplier": initech.pk},
    )
    assert answer.status_code == 200
    assert "already has a feed named" in answer.content.decode()
    assert Feed.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_command_line_names_a_suppliers_feed_after_its_supplier(feed_server, initech, umbrella):
    feed_server.routes["/a.rss"] = fixture("rss.xml")
    feed_server.routes["/b.rss"] = fixture("rss.xml")
    added = feeds(
        "add", "rss", feed_server.url("/a.rss"), "--name", "news", "--supplier", initech.slug
    )
    assert "Added rss feed 'initech-components/news'." in added
    add("news", umbrella, kind="webhook", target="")
    add("news", kind="rss", target=feed_server.url("/b.rss"))

    listed = feeds("list").splitlines()
    assert [line.split()[0] for line in listed] == [
        "news",
        "initech-components/news",
        "umbrella-packaging/news",
    ]

    # A bare name is an operators' feed; a supplier's is SLUG/NAME.
    assert feeds("poll", "news") == "news: 0 stored, 3 already known, 1 refused\n"
    assert feeds("poll", "initech-components/news") == (
        "initech-components/news: 0 stored, 3 already known, 1 refused\n"
    )
    with pytest.raises(CommandError, match="umbrella-packaging/news is an inbound webhook"):
        feeds("poll", "umbrella-packaging/news")
    with pytest.raises(CommandError, match="No feed named 'globex/news'"):
        feeds("poll", "globex/news")


def test_a_bare_name_that_only_suppliers_use_says_how_to_name_theirs(initech, umbrella):
    add("reviews", initech)
    add("reviews", umbrella)

    with pytest.raises(CommandError) as refused:
        feeds("poll", "reviews")

    assert str(refused.value) == (
        "No feed named 'reviews'. A supplier's feed is named SUPPLIER_SLUG/NAME: "
        "initech-components/reviews, umbrella-packaging/reviews."
    )
