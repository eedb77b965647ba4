"""Celery tasks: thin, take ids, re-fetch, call a service; safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from supplierwatch.db import TRANSIENT_ERRORS

from . import services

logger = logging.getLogger(__name__)

# Database hiccups (a restart, a failover, a dropped connection) are worth retrying.


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def process_posts(self, post_ids: list[int]) -> dict:
    """Match, classify and group these posts; a post that cannot be processed is set aside."""
    try:
        result = services.posts_process(post_ids=post_ids)
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        if len(post_ids) == 1:
            logger.exception("post %s could not be processed", post_ids[0])
            services.posts_mark_failed(post_id=post_ids[0], error="processing failed; see logs")
            return {"processed": 0, "failed": 1}
        # Split the batch so one bad post does not hold back the others.
        logger.warning("batch of %d failed; processing its posts one by one", len(post_ids))
        totals = {"processed": 0, "failed": 0}
        for post_id in post_ids:
            outcome = process_posts.run([post_id])
            for key in totals:
                totals[key] += outcome.get(key, 0)
        return totals
    return {"processed": result.processed, "failed": 0}


@shared_task(acks_late=True)
def sweep_pending_posts() -> int:
    """Queue again the posts still pending after a while: a lost task delays work, never loses it."""
    ids = services.posts_requeue_pending()
    if ids:
        logger.info("re-queued %d pending posts", len(ids))
    return len(ids)


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=3)
def detect_spikes() -> list[int]:
    """Compare each supplier's complaints in the last hour with its trailing baseline."""
    return services.spikes_detect()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=3)
def check_monitor_volumes() -> list[int]:
    """Compare each keyword monitor's posts in the last hour with its trailing baseline."""
    return services.monitor_alerts_record()


# Not acks_late: a run can outlast the broker's visibility timeout, and a redelivered copy would
# train the same model twice; a lost nightly run is simply made up the next night.
@shared_task(acks_late=False, soft_time_limit=3600, time_limit=3700)
def retrain_classifier(force: bool = False) -> dict:
    """Train a new classifier version on the labelled posts; activate it only if it does better
    (or, `force`d by an operator, whatever its scores and however few the examples)."""
    result = services.classifier_train(force=force)
    return {
        "examples": result.examples,
        "trained": result.trained,
        "activated": result.activated,
        "version": result.model.version if result.model else None,
        "reason": result.reason,
    }


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=3)
def record_sla_alerts() -> int:
    """Record the SLA warnings and breaches that have come due (each once: safe to run twice)."""
    return services.sla_alerts_record()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=3)
def compute_scorecards() -> dict[str, int]:
    """Store the scorecards of the current and the last closed week, month and quarter (the same
    evidence gives the same rows: safe to run twice)."""
    return services.scorecards_compute_current()
