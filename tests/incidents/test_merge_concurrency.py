"""A merge while workers add evidence to the merged incident: every report ends in the target,
counted exactly once, whichever committed first (real threads on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from incidents import engines, services
from incidents.models import Incident, PostMatch
from incidents.services.complaint_days import complaint_days_drift

from .test_concurrency import buyer_posts, buyers, counters, defect, truth

# The fixtures of the pipeline's concurrency tests, shared.
__all__ = ["buyers", "defect"]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 4
PER_THREAD = 20


def test_a_merge_during_processing_leaves_every_report_in_the_target_once(
    initech, defect, buyers, carol
):
    first = buyer_posts(3, supplier=initech, category=defect, buyers=buyers, lot="L-1", prefix="a")
    other = buyer_posts(3, supplier=initech, category=defect, buyers=buyers, lot="L-2", prefix="b")
    services.posts_process(post_ids=[p.pk for p in first + other])
    source = Incident.objects.get(lot="L-1")
    target = Incident.objects.get(lot="L-2")
    later = buyer_posts(
        THREADS * PER_THREAD,
        supplier=initech,
        category=defect,
        buyers=buyers,
        lot="L-1",
        prefix="c",
    )
    ids = [p.pk for p in later]
    engines.get_matcher()
    engines.get_classifier()
    barrier = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def run(work) -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run, args=(lambda batch=ids[i::THREADS]: services.posts_process(post_ids=batch),)
        )
        for i in range(THREADS)
    ]
    threads.append(
        threading.Thread(
            target=run,
            args=(
                lambda: services.incident_merge(source=source, target_id=target.pk, actor=carol),
            ),
        )
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not errors, errors

    everything = [p.pk for p in first + other + later]
    assert set(PostMatch.objects.values_list("incident_id", flat=True)) == {target.pk}
    target.refresh_from_db()
    assert counters(target) == truth(everything)
    assert complaint_days_drift() == []
    source.refresh_from_db()
    assert source.merged_into_id == target.pk and source.post_count == 0
