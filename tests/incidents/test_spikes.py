"""Spike detection on the database: synthetic bursts against a trailing seven-day baseline.

Complaints are written directly (processed posts with their primary match), published in the past;
`now` is always passed explicitly. One test feeds the burst through the real pipeline instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentEvent, Post, PostMatch, Severity, to_the_hour
from incidents.spikes import SpikeRule
from incidents.tasks import detect_spikes
from suppliers.models import SupplierAlias
from tests.factories import IncidentFactory, SupplierAliasFactory

pytestmark = pytest.mark.django_db

_ids = count()


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0)


def complaints(
    incident: Incident,
    times: list[datetime],
    *,
    is_complaint: bool = True,
    visibility: str = Post.Visibility.PUBLIC,
    organization=None,
) -> list[Post]:
    """Processed posts about the incident's supplier, grouped into it, published at `times`."""
    buyer = visibility != Post.Visibility.PUBLIC
    posts = Post.objects.bulk_create(
        Post(
            source=Post.BUYER_SOURCE if buyer else "twitter",
            external_id=f"spike-{next(_ids)}",
            text="@initech late again, terrible",
            visibility=visibility,
            organization=organization if buyer else None,
            supplier=incident.supplier if buyer else None,
            author_handle="" if buyer else f"user{next(_ids)}",
            published_at=published_at,
            status=Post.Status.PROCESSED,
            is_complaint=is_complaint,
        )
        for published_at in times
    )
    PostMatch.objects.bulk_create(
        PostMatch(
            post=post,
            supplier=incident.supplier,
            is_primary=True,
            incident=incident if is_complaint else None,
            **PostMatch.copies_of(post),
        )
        for post in posts
    )
    return posts


def every(step: timedelta, *, start: datetime, end: datetime) -> list[datetime]:
    """Times from `start` back to (not including) `end`, `step` apart."""
    times, at = [], start
    while at > end:
        times.append(at)
        at -= step
    return times


def baseline(now: datetime, per_hour: float) -> list[datetime]:
    """A steady rate over the seven days before the last hour."""
    return every(
        timedelta(hours=1 / per_hour),
        start=now - timedelta(hours=1, minutes=1),
        end=now - timedelta(days=7, hours=1),
    )


def burst(now: datetime, n: int) -> list[datetime]:
    """n complaints within the last hour."""
    return [now - timedelta(minutes=5 + 5 * i) for i in range(n)]


def spike_events(incident: Incident | None = None):
    qs = IncidentEvent.objects.filter(kind=IncidentEvent.Kind.SPIKE)
    return qs.filter(incident=incident) if incident else qs


@pytest.fixture
def busy(initech) -> Incident:
    return IncidentFactory(supplier=initech, severity=Severity.MEDIUM)


@pytest.fixture
def quiet(initech) -> Incident:
    return IncidentFactory(supplier=initech, severity=Severity.MEDIUM)


def test_a_burst_over_a_low_baseline_flags_the_busiest_open_incident_once(busy, quiet, now):
    complaints(busy, baseline(now, per_hour=1 / 12))  # two a day
    complaints(busy, burst(now, 6))
    complaints(quiet, burst(now, 2))

    flagged = services.spikes_detect(now=now)

    assert flagged == [busy.pk]
    (spike,) = spike_events()
    assert spike.incident == busy
    # The first window (ending at a complaint's time) that crosses the line: the fifth
    # complaint within an hour, counting the baseline's latest; the baseline is the 168 whole
    # clock hours before the window's.
    assert spike.data["complaints_last_hour"] == 5
    assert spike.data["expected"] in {round(13 / 168, 2), round(14 / 168, 2)}
    assert spike.data["hour"] == to_the_hour(now - timedelta(minutes=15)).isoformat()
    busy.refresh_from_db()
    quiet.refresh_from_db()
    assert busy.severity == Severity.HIGH
    assert quiet.severity == Severity.MEDIUM
    raised = busy.events.get(kind=IncidentEvent.Kind.SEVERITY_CHANGED)
    assert raised.data == {"from": Severity.MEDIUM, "to": Severity.HIGH, "by": "spike"}
    assert busy.last_activity_at == now
    assert not quiet.events.exists()


def test_detecting_again_within_the_hour_adds_nothing(busy, now):
    complaints(busy, baseline(now, per_hour=1 / 12))
    complaints(busy, burst(now, 8))
    services.spikes_detect(now=now)

    again = services.spikes_detect(now=now + timedelta(minutes=10))

    assert again == []
    assert spike_events().count() == 1
    busy.refresh_from_db()
    assert busy.severity == Severity.HIGH
    assert busy.events.filter(kind=IncidentEvent.Kind.SEVERITY_CHANGED).count() == 1


def test_a_steady_supplier_gets_no_spike(busy, now):
    complaints(busy, baseline(now, per_hour=6))
    complaints(busy, burst(now, 6))

    assert services.spikes_detect(now=now) == []
    assert not spike_events().exists()
    busy.refresh_from_db()
    assert busy.severity == Severity.MEDIUM


def test_a_burst_below_min_count_gets_no_spike(busy, now):
    complaints(busy, burst(now, SpikeRule().min_count - 1))

    assert services.spikes_detect(now=now) == []
    assert not spike_events().exists()


def test_a_supplier_with_no_history_spikes_at_min_count(busy, now):
    complaints(busy, burst(now, SpikeRule().min_count))
    assert services.spikes_detect(now=now) == [busy.pk]


def test_only_the_spiking_supplier_is_flagged(busy, umbrella, now):
    steady = IncidentFactory(supplier=umbrella)
    complaints(steady, baseline(now, per_hour=6))
    complaints(steady, burst(now, 6))
    complaints(busy, burst(now, 8))

    assert services.spikes_detect(now=now) == [busy.pk]
    assert not spike_events(steady).exists()


def test_a_burst_of_praise_is_no_spike(busy, now):
    complaints(busy, burst(now, 12), is_complaint=False)
    assert services.spikes_detect(now=now) == []


def test_complaints_older_than_the_baseline_do_not_dampen_a_spike(busy, now):
    long_ago = every(
        timedelta(minutes=10), start=now - timedelta(days=9), end=now - timedelta(days=12)
    )
    complaints(busy, long_ago)
    complaints(busy, burst(now, 8))

    assert services.spikes_detect(now=now) == [busy.pk]


def test_complaints_published_after_now_are_not_counted(busy, now):
    complaints(busy, [now + timedelta(minutes=m) for m in range(1, 20)])
    assert services.spikes_detect(now=now) == []


def test_a_critical_incident_gets_the_spike_but_stays_critical(initech, now):
    incident = IncidentFactory(supplier=initech, severity=Severity.CRITICAL)
    complaints(incident, burst(now, 8))

    assert services.spikes_detect(now=now) == [incident.pk]
    incident.refresh_from_db()
    assert incident.severity == Severity.CRITICAL
    assert not incident.events.filter(kind=IncidentEvent.Kind.SEVERITY_CHANGED).exists()


def test_a_burst_on_incidents_already_resolved_flags_nothing(initech, now):
    resolved = IncidentFactory(supplier=initech, status=Incident.Status.RESOLVED)
    complaints(resolved, burst(now, 8))

    assert services.spikes_detect(now=now) == []
    assert not spike_events().exists()


def test_a_custom_rule_is_honoured(busy, now):
    complaints(busy, burst(now, 3))
    assert services.spikes_detect(now=now) == []
    assert services.spikes_detect(now=now, rule=SpikeRule(min_count=3)) == [busy.pk]


def test_the_periodic_task_runs_detection(busy):
    complaints(busy, burst(timezone.now(), 8))
    assert detect_spikes.delay().get() == [busy.pk]
    assert spike_events(busy).count() == 1


def test_private_reports_do_not_make_a_spike(busy, acme, now):
    complaints(busy, burst(now, 2))
    complaints(busy, burst(now, 8), visibility=Post.Visibility.PRIVATE, organization=acme)

    assert services.spikes_detect(now=now) == []
    busy.refresh_from_db()
    assert busy.severity == Severity.MEDIUM


def test_a_burst_through_the_pipeline_makes_a_spike(initech, now):
    """The same rule fed by real posts: ingested, matched, classified and grouped first."""
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    rows = [
        {
            "external_id": f"history-{i}",
            "text": "@initech housings arrived cracked, terrible",
            "author_handle": f"history{i}",
            "published_at": at,
        }
        for i, at in enumerate(baseline(now, per_hour=1 / 12))
    ]
    rows += [
        {
            "external_id": f"burst-{i}",
            "text": "@initech housings arrived cracked and out of spec, awful",
            "author_handle": f"burst{i}",
            "published_at": at,
        }
        for i, at in enumerate(burst(now, 8))
    ]
    ingested = services.posts_ingest(source="twitter", rows=rows)
    services.posts_process(post_ids=ingested.post_ids)

    (incident,) = Incident.objects.filter(supplier=initech)
    assert incident.post_count == len(rows)
    # Found as the batch was processed, when the fifth complaint of the hour crossed the line
    # (the hour before holds one complaint of the baseline too); beat finds nothing more.
    assert spike_events(incident).get().data["complaints_last_hour"] == 5
    assert services.spikes_detect(now=now) == []
    assert spike_events().count() == 1


# --- On the evidence's own times: history and news ----------------------------------------------


def _ingest(supplier, times: list[datetime], prefix: str) -> list[int]:
    SupplierAlias.objects.get_or_create(
        supplier=supplier, kind=SupplierAlias.Kind.HANDLE, text="@initech"
    )
    rows = [
        {
            "external_id": f"{prefix}-{i}",
            "text": "@initech housings arrived cracked and out of spec, awful",
            "author_handle": f"{prefix}{i}",
            "published_at": at,
        }
        for i, at in enumerate(times)
    ]
    return services.posts_ingest(source="twitter", rows=rows).post_ids


def test_an_imported_burst_of_history_is_recorded_at_its_hour_and_told_to_nobody(
    initech, carol, django_capture_on_commit_callbacks
):
    from notifications.models import Notification
    from notifications.services import events_to_generate

    then = datetime(2015, 3, 12, 14, 0, tzinfo=UTC)
    quiet_week = [then - timedelta(days=d, hours=3) for d in range(1, 7)]
    burst_then = [then + timedelta(minutes=5 * i) for i in range(1, 9)]
    post_ids = _ingest(initech, quiet_week + burst_then, "old")
    with django_capture_on_commit_callbacks(execute=True):
        services.posts_process(post_ids=post_ids)

    spike = spike_events().get()
    assert spike.created_at == then  # its own hour, not the import's
    assert spike.data["history"] is True
    assert spike.data["hour"] == then.isoformat()
    assert spike.data["complaints_last_hour"] == 5
    assert spike.dispatched_at is not None  # no webhook for history
    incident = spike.incident
    assert (
        incident.severity == incident.events.get(kind=IncidentEvent.Kind.CREATED).incident.severity
    )
    assert not incident.events.filter(kind=IncidentEvent.Kind.SEVERITY_CHANGED).exists()
    assert not Notification.objects.filter(event=spike).exists()
    assert spike.pk not in events_to_generate()
    # Detecting again over the same evidence records nothing twice.
    spans = {initech.pk: (burst_then[0], burst_then[-1])}
    assert services.spikes_detect_in(spans=spans, now=timezone.now()) == []
    assert spike_events().count() == 1


def test_a_second_burst_of_history_an_hour_later_is_a_second_spike(initech):
    then = datetime(2015, 3, 12, 14, 0, tzinfo=UTC)
    first = [then + timedelta(minutes=5 * i) for i in range(1, 6)]
    second = [then + timedelta(hours=5, minutes=5 * i) for i in range(1, 9)]
    services.posts_process(post_ids=_ingest(initech, first + second, "old"))

    hours = sorted(e.data["hour"] for e in spike_events())
    assert hours == [then.isoformat(), (then + timedelta(hours=5)).isoformat()]


def test_a_recent_spike_is_told_once_however_its_evidence_arrives(
    initech, carol, now, django_capture_on_commit_callbacks
):
    from notifications.models import Kind, Notification

    now = to_the_hour(now) - timedelta(minutes=5)  # the whole burst in one clock hour
    with django_capture_on_commit_callbacks(execute=True):
        services.posts_process(post_ids=_ingest(initech, burst(now, 6)[:3], "a"))
        services.posts_process(post_ids=_ingest(initech, burst(now, 6)[3:], "b"))
        services.posts_process(
            post_ids=_ingest(
                initech, [now - timedelta(minutes=1, seconds=s) for s in range(3)], "c"
            )
        )
        services.spikes_detect(now=now)
        services.spikes_detect(now=now + timedelta(minutes=20))

    spike = spike_events().get()
    assert "history" not in spike.data
    told = Notification.objects.filter(recipient=carol, kind=Kind.SPIKE)
    assert [n.event_id for n in told] == [spike.pk]
    spike.incident.refresh_from_db()
    assert spike.incident.events.filter(kind=IncidentEvent.Kind.SEVERITY_CHANGED).count() == 1


def test_a_spike_older_than_the_news_hours_is_history(busy, now, settings):
    settings.SW_SPIKE_NEWS_HOURS = 2
    complaints(busy, burst(now - timedelta(hours=3), 8))
    spans = {busy.supplier_id: (now - timedelta(hours=4), now - timedelta(hours=3))}

    assert services.spikes_detect_in(spans=spans, now=now) == [busy.pk]
    assert spike_events().get().data["history"] is True
    busy.refresh_from_db()
    assert busy.severity == Severity.MEDIUM


def test_history_imported_newest_first_is_judged_again_on_its_week(initech):
    """A burst judged before the busy week behind it had arrived is taken back once it has."""
    then = datetime(2015, 3, 12, 14, 0, tzinfo=UTC)
    services.posts_process(
        post_ids=_ingest(initech, [then + timedelta(minutes=5 * i) for i in range(1, 7)], "new")
    )
    assert spike_events().get().data["history"] is True

    busy_week = [then - timedelta(hours=2, minutes=20 * i) for i in range(3 * 24 * 5)]
    services.posts_process(post_ids=_ingest(initech, busy_week, "older"))

    assert not spike_events().exists()


def test_news_is_never_taken_back(busy, now):
    complaints(busy, burst(now, 8))
    services.spikes_detect(now=now)
    news = spike_events().get()
    complaints(busy, baseline(now, per_hour=6))  # a busy week behind it, arrived late
    spans = {busy.supplier_id: (now - timedelta(days=7), now - timedelta(hours=2))}

    services.spikes_detect_in(spans=spans, now=now)

    assert spike_events().filter(pk=news.pk).exists()
