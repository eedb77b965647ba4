"""What a supplier's admin sees of a feed: its health in words, the same on the page and in tests."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from .models import Feed


@dataclass(frozen=True)
class FeedView:
    feed: Feed
    # healthy | waiting | failing | disabled: the badge's word
    health: str
    # One sentence on what happened last and what happens next.
    summary: str
    inbound_url: str
    can_poll: bool
    can_clear: bool


def feed_view(feed: Feed) -> FeedView:
    Status = Feed.Status
    last_success = (
        f"Last success {feed.last_success_at:%Y-%m-%d %H:%M} UTC."
        if feed.last_success_at
        else "No poll has succeeded yet."
    )
    if feed.status == Status.DISABLED:
        health = "disabled"
        summary = (
            f"Stopped after {feed.failure_count} failed polls in a row: {feed.last_error}. "
            f"{last_success} Clear it once the problem is fixed."
        )
    elif feed.status == Status.FAILING:
        health = "failing"
        summary = f"The last poll failed: {feed.last_error}. {last_success}"
        if feed.next_poll_at:
            summary += f" Next try {feed.next_poll_at:%Y-%m-%d %H:%M} UTC."
    elif feed.last_success_at is None:
        health = "waiting"
        summary = "Waiting for its first post." if not feed.is_polled else "Not polled yet."
    else:
        health = "healthy"
        summary = last_success
    if feed.is_catching_up and feed.status != Status.DISABLED:
        summary += (
            " Catching up: more posts came in than one poll reads; the older ones are read at"
            " the next polls, which come sooner until it is done."
        )
    if feed.last_rejection:
        summary += f" Last item refused: {feed.last_rejection}."
    inbound = (
        settings.SITE_URL + reverse("api-feed-inbound", args=[feed.inbound_token])
        if feed.inbound_token
        else ""
    )
    return FeedView(
        feed=feed,
        health=health,
        summary=summary,
        inbound_url=inbound,
        can_poll=feed.is_polled and feed.status != Status.DISABLED,
        can_clear=feed.status != Status.HEALTHY,
    )
