"""Handing pending posts to the workers, and queueing again the ones a fault left behind.

A post is committed before its task is sent (posts_queue), and stamped `queued_at` when it is
handed to the broker; a new post is stored with its stamp (one write: stamping it afterwards
rewrote the row and every index of the table, full-text included, on every ingest and report),
and loses it if the broker cannot take it. A broker that is away fails no request: the post stays pending without a
stamp and the sweep (posts_requeue_pending, every 30 seconds) queues it once the broker is back.
A post handed to the broker is queued again only once its stamp is old and no batch waits in the
bulk queue (a message lost with a restarted broker or a killed worker), never while it may still
be on its way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supplierwatch import queues

from ..models import Post
from . import processing

# The most posts one sweep queues; the next run takes the rest.
SWEEP_LIMIT = 50_000


def posts_send(post_ids: Sequence[int], *, stamped: bool = False) -> int:
    """Send these posts to the workers now, in batches; callers that write posts use posts_queue.
    `stamped`: the posts were stored with `queued_at` already set (new posts).

    Returns how many were handed to the broker. Those it could not take (the broker is away) are
    left pending without a stamp, for the sweep.
    """
    from ..tasks import process_posts

    ids = list(post_ids)
    if not ids:
        return 0
    size = processing.BATCH_SIZE
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        if not stamped:
            Post.objects.filter(pk__in=batch, status=Post.Status.PENDING).update(
                queued_at=timezone.now()
            )
        if process_posts.app.conf.task_always_eager:
            # In-process mode: run retries here and never raise into the request that has
            # already committed; a post that still fails stays pending for the sweep.
            process_posts.apply(args=(batch,), throw=False)
            continue
        sent = queues.send(
            partial(process_posts.delay, batch), what=f"processing of {len(ids) - start} posts"
        )
        if not sent:
            # This batch and the later ones (not tried: the broker has just failed) are left
            # unstamped, so the sweep takes them as soon as they are SW_PENDING_SWEEP_MINUTES old
            # (at once, for posts the sweep itself was sending again).
            for rest in range(start, len(ids), size):
                Post.objects.filter(
                    pk__in=ids[rest : rest + size], status=Post.Status.PENDING
                ).update(queued_at=None)
            return start
    return len(ids)


def posts_queue(post_ids: Sequence[int], *, stamped: bool = False) -> None:
    """Queue processing once the posts are committed; never before, or a worker could miss them.
    `stamped`: new posts, stored with `queued_at` set in this transaction (posts_send)."""
    ids = list(post_ids)
    if ids:
        transaction.on_commit(lambda: posts_send(ids, stamped=stamped))


def posts_requeue_pending(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """The sweep: queue again the posts still pending after SW_PENDING_SWEEP_MINUTES.

    Each post is claimed with its row locked and its stamp renewed in one transaction, so that
    two sweeps at once never both queue it, and a post being processed right now (locked by its
    worker) is left alone. Returns the ids queued.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SW_PENDING_SWEEP_MINUTES)
    pending = Post.objects.filter(status=Post.Status.PENDING)
    # Two questions, each answered by its own partial index (models: post_pending_*).
    never_sent = pending.filter(queued_at__isnull=True, status_changed_at__lt=cutoff)
    waiting = queues.waiting(settings.SW_BULK_QUEUE)
    sent_long_ago = pending.filter(queued_at__lt=cutoff) if waiting == 0 else Post.objects.none()
    with transaction.atomic():
        ids = sorted(
            {
                *_locked_ids(never_sent.order_by("status_changed_at"), limit),
                *_locked_ids(sent_long_ago.order_by("queued_at"), limit),
            }
        )[:limit]
        # Stamped while locked: a sweep that runs meanwhile skips these rows, and one that
        # runs next finds them queued recently.
        for start in range(0, len(ids), processing.BATCH_SIZE):
            Post.objects.filter(pk__in=ids[start : start + processing.BATCH_SIZE]).update(
                queued_at=now
            )
    posts_send(ids)
    return ids


def _locked_ids(posts: QuerySet[Post], limit: int) -> list[int]:
    return list(posts.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
