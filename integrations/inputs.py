"""What a feed may be: its one validation and normalisation function, called by feed_create (the
portal's form, the admin and `manage.py feeds add` all reach it there). Plain Python with no
Django import; whether a URL's host may be called is the service's question (it resolves names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from incidents.inputs import SOURCE_MAX, clean_source
from supplierwatch.inputs import InputError, clean_choice, clean_count, clean_text, clean_url

from .feed_items import bluesky_query, mastodon_target

KINDS = ("rss", "mastodon", "bluesky", "webhook")
TARGET_MAX = 500
# A day: a feed polled less often than that is no watch.
INTERVAL_MAX = 24 * 3600


@dataclass(frozen=True)
class FeedInput:
    kind: str
    target: str
    name: str
    interval_seconds: int


def default_feed_name(kind: str, target: str) -> str:
    """A name made from the kind and the target's words (`mastodon-fosstodon-org-initech`)."""
    parts = urlsplit(target)
    words = f"{parts.netloc}{parts.path} {parts.query}" if parts.netloc else target
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
    return f"{kind}-{slug}"[:SOURCE_MAX].rstrip("-.") or kind


def clean_feed(
    *, kind: Any, target: Any, name: Any = "", interval_seconds: Any = None, min_interval: int
) -> FeedInput:
    """A new feed as stored, or InputError naming the first field at fault.

    rss: the feed's http(s) URL. mastodon: `https://instance/tags/TAG` or
    `https://instance/search?q=WORDS`. bluesky: the words to search. webhook: no target.
    """
    kind = clean_choice(kind, "kind", KINDS, "Choose rss, mastodon, bluesky or webhook.")
    cleaned_target = clean_text(target, "target", max_length=TARGET_MAX)
    if kind in ("rss", "mastodon"):
        cleaned_target = clean_url(cleaned_target, "target", max_length=TARGET_MAX)
        if not cleaned_target:
            raise InputError("target", "Give the feed's http(s) address.")
        if urlsplit(cleaned_target).username or urlsplit(cleaned_target).password:
            raise InputError("target", "put no credentials in the address")
    if kind == "mastodon":
        try:
            mastodon_target(cleaned_target)
        except ValueError as error:
            raise InputError("target", str(error)) from None
    elif kind == "bluesky":
        try:
            cleaned_target = bluesky_query(cleaned_target)
        except ValueError as error:
            raise InputError("target", str(error)) from None
    elif kind == "webhook":
        cleaned_target = ""
    given_name = clean_text(name, "name", max_length=SOURCE_MAX)
    try:
        feed_name = clean_source(given_name or default_feed_name(kind, cleaned_target or "inbound"))
    except InputError as error:
        raise InputError("name", error.reason) from None
    interval = clean_count(
        interval_seconds, "interval_seconds", minimum=min_interval, maximum=INTERVAL_MAX
    )
    return FeedInput(
        kind=kind,
        target=cleaned_target,
        name=feed_name,
        interval_seconds=interval if interval is not None else max(900, min_interval),
    )
