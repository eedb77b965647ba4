"""Keyword monitors: a party keeps saved queries over public posts; the pipeline records what they
find as posts arrive; a jump in their volume tells the monitor's watchers, and only them.

alice (Acme) and bob (Globex) are buyers; carol (Initech) is supplier staff.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import factory
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import KeywordMonitor, MonitorAlert, MonitorMatch, Post
from notifications.models import Kind, Notification
from notifications.services import monitor_alerts_to_generate
from suppliers.models import Membership, SupplierAlias
from supplierwatch.errors import ApplicationError
from tests.factories import (
    BuyerMembershipFactory,
    PublicPostFactory,
    SupplierAliasFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db
_ids = count()


@pytest.fixture
def publish(django_capture_on_commit_callbacks, initech, umbrella):
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.HANDLE, text="@umbrella")

    def _publish(text: str, *, minutes_ago: int = 5) -> Post:
        published = timezone.now() - timedelta(minutes=minutes_ago)
        with django_capture_on_commit_callbacks(execute=True):
            result = services.posts_ingest(
                source="twitter",
                rows=[
                    {
                        "external_id": f"m{next(_ids)}",
                        "text": text,
                        "author_handle": "customer",
                        "published_at": published.isoformat(),
                    }
                ],
            )
        return Post.objects.get(pk=result.post_ids[0])

    return _publish


def watch(actor, query: str, name: str = "Cartons", **extra) -> KeywordMonitor:
    return services.monitor_save(actor=actor, name=name, query=query, **extra)


def found(monitor: KeywordMonitor) -> list[int]:
    return sorted(MonitorMatch.objects.filter(monitor=monitor).values_list("post_id", flat=True))


# --- Keeping monitors ----------------------------------------------------------------------------


def test_a_buyer_keeps_a_monitor_for_the_organization_and_watches_it(alice, acme):
    monitor = watch(alice, '"crushed cartons" OR dented')
    assert monitor.organization == acme and monitor.supplier is None
    assert list(monitor.watchers.all()) == [alice]


def test_supplier_staff_keep_monitors_for_their_team(carol, initech):
    monitor = watch(carol, "recall")
    assert monitor.supplier == initech and monitor.organization is None


def test_a_query_that_cannot_run_is_refused_naming_the_field(alice):
    with pytest.raises(ApplicationError) as caught:
        watch(alice, '"crushed cartons')
    assert caught.value.field == "query"
    assert "quotation mark" in caught.value.message
    assert not KeywordMonitor.objects.exists()


def test_another_party_may_neither_see_nor_change_a_monitor(alice, bob, carol):
    monitor = watch(alice, "cartons")
    for outsider in (bob, carol):
        with pytest.raises(ApplicationError):
            services.monitor_save(actor=outsider, monitor=monitor, name="x", query="y")
        with pytest.raises(ApplicationError):
            services.monitor_delete(actor=outsider, monitor=monitor)
    monitor.refresh_from_db()
    assert monitor.query == "cartons"


# --- What they find --------------------------------------------------------------------------------


def test_public_posts_are_checked_as_they_arrive(alice, publish):
    monitor = watch(alice, '"crushed cartons" OR dented')
    hit = publish("@initech the cartons arrived CRUSHED cartons everywhere")
    other = publish("@initech dented drums again")
    publish("@initech all good today")
    assert found(monitor) == sorted([hit.pk, other.pk])


def test_a_monitor_limited_to_suppliers_sees_only_posts_about_them(alice, publish, umbrella):
    monitor = watch(alice, "cartons", suppliers=[umbrella])
    about_umbrella = publish("@umbrella cartons torn")
    publish("@initech cartons torn")
    assert found(monitor) == [about_umbrella.pk]


def test_buyers_reports_are_never_keyword_hits(
    alice, bob, initech, django_capture_on_commit_callbacks
):
    """A report is evidence for its supplier and the buyers, not a hit for another party's
    monitor: its words would tell bob what alice reported."""
    monitor = watch(bob, "cartons")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_report(
            author=alice,
            supplier=initech,
            text="Crushed cartons on the whole delivery, unacceptable.",
            category=defect_category(),
            lot="L-1",
        )
    assert found(monitor) == []


def test_a_changed_query_applies_to_the_next_posts(alice, publish):
    monitor = watch(alice, "cartons")
    publish("@initech dented drums")
    services.monitor_save(actor=alice, monitor=monitor, name="Drums", query="drums")
    later = publish("@initech dented drums again")
    assert found(monitor) == [later.pk]


def test_monitors_find_posts_in_the_pass_that_matches_suppliers_after_aliases_change(
    alice, publish, initech
):
    """The supplier matcher also looks for the monitors' words: a matcher rebuilt for a new alias
    still looks for them, and a word that is also an alias serves both."""
    monitor = watch(alice, "initech OR cartons")
    before = publish("@initech cartons torn")
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.NAME, text="Initech")
    after = publish("Initech lost the order")
    assert found(monitor) == sorted([before.pk, after.pk])
    assert list(after.matches.values_list("supplier_id", flat=True)) == [initech.pk]


# --- Jumps in volume ------------------------------------------------------------------------------


def test_a_jump_is_recorded_once_and_tells_the_watchers_only(
    alice, bob, acme, publish, django_capture_on_commit_callbacks
):
    colleague = BuyerMembershipFactory(organization=acme, user__email="ann@acme.test").user
    monitor = watch(alice, "cartons")
    watch(bob, "cartons", name="Globex cartons")
    # Found as the posts are processed: the fifth in an hour is the jump (the rule's minimum).
    for minute in range(6):
        publish(f"@initech torn cartons, delivery {minute}", minutes_ago=10 - minute)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.monitor_alerts_record()
    assert again == []
    assert MonitorAlert.objects.count() == 2
    alert = MonitorAlert.objects.get(monitor=monitor)
    assert alert.count == 5
    told = Notification.objects.filter(monitor_alert=alert)
    assert [(n.recipient, n.kind) for n in told] == [(alice, Kind.MONITOR_JUMP)]
    assert colleague not in {n.recipient for n in Notification.objects.all()}
    notification = told.get()
    assert notification.url == reverse("monitor-detail", args=[monitor.pk])
    assert "5 posts in an hour" in notification.title
    sent = [m for m in mail.outbox if m.to == ["alice@acme.test"]]
    assert len(sent) == 1 and "Open the monitor" in sent[0].body


def test_a_volume_like_the_usual_one_is_no_jump(alice, publish):
    monitor = watch(alice, "cartons")
    now = timezone.now()
    # The last week: two posts an hour.
    usual = PublicPostFactory.create_batch(
        2 * 24 * 7,
        published_at=factory.Iterator(now - timedelta(minutes=90 + 30 * n) for n in range(336)),
    )
    MonitorMatch.objects.bulk_create(
        MonitorMatch(monitor=monitor, post=post, published_at=post.published_at) for post in usual
    )
    for minute in range(5):
        publish(f"@initech cartons torn now {minute}", minutes_ago=minute + 1)
    # 5 in the last hour where 2 are usual: below the rule (three times, and three sigmas, more).
    assert services.monitor_alerts_record() == []
    assert not MonitorAlert.objects.filter(monitor=monitor).exists()


def test_a_watcher_who_moved_to_another_organization_is_not_told(
    alice, globex, publish, django_capture_on_commit_callbacks
):
    monitor = watch(alice, "cartons")
    Membership.objects.filter(user=alice).update(organization=globex)
    for minute in range(6):
        publish(f"@initech torn cartons {minute}", minutes_ago=minute + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.monitor_alerts_record()
    assert MonitorAlert.objects.filter(monitor=monitor).exists()
    assert not Notification.objects.exists()


# --- Pages -------------------------------------------------------------------------------------------


def test_the_monitors_page_lists_the_party_s_monitors(client, alice, bob, publish):
    mine = watch(alice, "cartons")
    watch(bob, "drums", name="Globex drums")
    publish("@initech cartons torn")
    client.force_login(alice)
    page = client.get(reverse("monitors")).content.decode()
    assert mine.name in page and "Globex drums" not in page


def test_adding_a_monitor_with_a_bad_query_shows_why(client, alice):
    client.force_login(alice)
    response = client.post(reverse("monitors"), {"name": "Bad", "query": "NOT late"})
    assert response.status_code == 400
    assert "not only exclude" in response.content.decode()
    assert not KeywordMonitor.objects.exists()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"crushed cartons', "quotation mark is not closed"),
        ("NOT late", "not only exclude"),
        (" OR ".join(f"w{n}" for n in range(10_000)), "at most"),
        ("x" * 5000, "at most"),
    ],
)
def test_a_malformed_query_is_explained_on_the_page_and_not_saved(client, alice, query, reason):
    client.force_login(alice)
    response = client.post(reverse("monitors"), {"name": "Odd", "query": query})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not KeywordMonitor.objects.exists()


@pytest.mark.parametrize("supplier", ["9" * 25, "0", "abc"])
def test_a_supplier_that_is_no_row_is_refused_beside_its_field(client, alice, supplier):
    client.force_login(alice)
    response = client.post(
        reverse("monitors"), {"name": "Odd", "query": "cartons", "suppliers": [supplier]}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["suppliers"]
    assert not KeywordMonitor.objects.exists()


def test_adding_a_monitor_leads_to_its_page(client, alice):
    client.force_login(alice)
    response = client.post(reverse("monitors"), {"name": "Cartons", "query": "cartons"})
    monitor = KeywordMonitor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("monitor-detail", args=[monitor.pk])


def test_a_monitor_page_shows_what_it_found(client, alice, publish):
    monitor = watch(alice, "cartons")
    publish("@initech torn cartons on pallet 4")
    client.force_login(alice)
    page = client.get(reverse("monitor-detail", args=[monitor.pk])).content.decode()
    assert "torn cartons on pallet 4" in page
    assert "Initech" in page


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_another_party_s_monitor_page_is_a_404(client, alice, who, request):
    monitor = watch(alice, "cartons")
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("monitor-detail", args=[monitor.pk])).status_code == 404
    assert client.post(reverse("monitor-delete", args=[monitor.pk])).status_code == 404
    assert KeywordMonitor.objects.filter(pk=monitor.pk).exists()


def test_watching_and_deleting_from_the_page(client, alice, acme):
    colleague = BuyerMembershipFactory(organization=acme).user
    monitor = watch(alice, "cartons")
    client.force_login(colleague)
    client.post(reverse("monitor-watch", args=[monitor.pk]), {"watch": "1"})
    assert colleague in monitor.watchers.all()
    client.post(reverse("monitor-delete", args=[monitor.pk]))
    assert not KeywordMonitor.objects.exists()


def test_the_monitor_pages_cost_the_same_for_many_monitors_and_posts(
    client, alice, publish, django_assert_max_num_queries
):
    for n in range(8):
        watch(alice, f"cartons{n} OR cartons", name=f"Monitor {n}")
    for n in range(25):
        publish(f"@initech cartons torn {n}")
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        client.get(reverse("monitors"))
    monitor = KeywordMonitor.objects.first()
    with django_assert_max_num_queries(16):
        client.get(reverse("monitor-detail", args=[monitor.pk]))


def test_the_sweep_judges_a_jump_as_news_as_it_was_when_recorded(alice):
    monitor = services.monitor_save(actor=alice, name="Dents", query="dented")
    now = timezone.now()

    def alert(window_ended_before_recording: timedelta, recorded_ago: timedelta) -> MonitorAlert:
        recorded = now - recorded_ago
        end = recorded - window_ended_before_recording
        made = MonitorAlert.objects.create(
            monitor=monitor,
            hour=end.replace(minute=0, second=0, microsecond=0),
            window_end=end,
            count=9,
            expected=1.0,
        )
        MonitorAlert.objects.filter(pk=made.pk).update(created_at=recorded)
        return made

    # News when recorded (its window had ended 20 hours before), its notification lost, and the
    # sweep runs 6 hours later: still told.
    news = alert(timedelta(hours=20), timedelta(hours=6))
    # History when recorded (30 hours): never told, however soon the sweep runs.
    history = alert(timedelta(hours=30), timedelta(minutes=1))
    found = monitor_alerts_to_generate()
    assert news.pk in found
    assert history.pk not in found
