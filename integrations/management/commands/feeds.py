"""python manage.py feeds add KIND TARGET [--name N] [--interval S] [--supplier SLUG]
feeds list
feeds poll [NAME | SLUG/NAME]

A feed's name is unique among its owner's feeds only, so the command line names an operator's feed
`NAME` and a supplier's `SLUG/NAME` (its supplier's slug first), as `list` prints them."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import F
from django.urls import reverse

from incidents.models import Post
from integrations.inputs import KINDS
from integrations.models import Feed
from integrations.services import feed_create, feed_poll
from suppliers.models import Supplier
from supplierwatch.errors import ApplicationError

# Posts a poll prints one by one; past that, how many more.
STORED_SHOWN = 20


class Command(BaseCommand):
    help = "Add feeds, list them with their health, and poll them now."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a feed; it is polled at once.")
        add.add_argument("kind", choices=KINDS)
        add.add_argument(
            "target",
            nargs="?",
            default="",
            help="rss: the feed's URL; mastodon: https://INSTANCE/tags/TAG or "
            "https://INSTANCE/search?q=WORDS; bluesky: the words to search; webhook: none.",
        )
        add.add_argument("--name", default="", help="The source of its posts (default: derived).")
        add.add_argument("--interval", type=int, default=None, help="Seconds between polls.")
        add.add_argument(
            "--supplier", metavar="SLUG", help="A supplier's feed (default: everyone's)."
        )
        actions.add_parser("list", help="Each feed and its health.")
        poll = actions.add_parser("poll", help="Poll now and print what was stored.")
        poll.add_argument(
            "name",
            nargs="?",
            metavar="NAME | SLUG/NAME",
            help="One feed: an operator's by its name, a supplier's as SUPPLIER_SLUG/NAME "
            "(default: every feed not disabled).",
        )

    def handle(self, *args, **options) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _add(self, options: dict) -> None:
        supplier = None
        if options["supplier"]:
            supplier = Supplier.objects.filter(slug=options["supplier"]).first()
            if supplier is None:
                raise CommandError(f"No supplier with slug {options['supplier']!r}.")
        try:
            created = feed_create(
                kind=options["kind"],
                target=options["target"],
                name=options["name"],
                interval_seconds=options["interval"],
                supplier=supplier,
            )
        except ApplicationError as error:
            message = f"{error.field}: {error.message}" if error.field else error.message
            raise CommandError(message) from None
        feed = created.feed
        self.stdout.write(f"Added {feed.kind} feed {feed.handle!r}.")
        if created.secret:
            url = settings.SITE_URL + reverse("api-feed-inbound", args=[feed.inbound_token])
            self.stdout.write(f"POST signed items to {url}")
            self.stdout.write(f"Signing secret (shown only now): {created.secret}")
        else:
            feed.refresh_from_db()
            self.stdout.write(_line(feed))

    def _list(self, options: dict) -> None:
        feeds = Feed.objects.select_related("supplier").order_by(
            F("supplier__slug").asc(nulls_first=True), "name"
        )
        if not feeds:
            self.stdout.write("No feeds.")
        for feed in feeds:
            self.stdout.write(_line(feed))

    def _poll(self, options: dict) -> None:
        feeds = Feed.objects.polled().exclude(status=Feed.Status.DISABLED)
        if options["name"]:
            feeds = Feed.objects.by_handle(options["name"])
            if not feeds:
                raise CommandError(_not_found(options["name"]))
        for feed in feeds.select_related("supplier").order_by(
            F("supplier__slug").asc(nulls_first=True), "name"
        ):
            if not feed.is_polled:
                raise CommandError(
                    f"{feed.handle} is an inbound webhook: it is sent to, not polled."
                )
            result = feed_poll(feed_id=feed.pk)
            if result.outcome == "skipped":
                why = "disabled: clear it first" if feed.status == Feed.Status.DISABLED else "busy"
                self.stdout.write(f"{feed.handle}: skipped ({why})")
            elif result.outcome == "failed":
                self.stdout.write(f"{feed.handle}: failed: {result.error}")
            else:
                self.stdout.write(
                    f"{feed.handle}: {result.stored} stored, {result.duplicates} already known, "
                    f"{result.rejected} refused"
                )
                self._stored(result.post_ids)

    def _stored(self, post_ids: list[int]) -> None:
        """A line per post stored: its id in the feed and its address (or its first words)."""
        posts = Post.objects.filter(pk__in=post_ids).order_by("pk")
        for post in posts.only("external_id", "url", "text")[:STORED_SHOWN]:
            shown = post.url or " ".join(post.text.split())[:60]
            self.stdout.write(f"  + {post.external_id}  {shown}")
        if len(post_ids) > STORED_SHOWN:
            self.stdout.write(f"  ... and {len(post_ids) - STORED_SHOWN} more")


def _not_found(handle: str) -> str:
    message = f"No feed named {handle!r}."
    if "/" not in handle:
        suppliers = Feed.objects.filter(supplier__isnull=False, name=handle).select_related(
            "supplier"
        )
        if suppliers:
            # A supplier's feed is named after its supplier: say how, without guessing which.
            named = ", ".join(sorted(feed.handle for feed in suppliers))
            message += f" A supplier's feed is named SUPPLIER_SLUG/NAME: {named}."
    return message


def _line(feed: Feed) -> str:
    owner = feed.supplier.name if feed.supplier else "everyone"
    state = feed.get_status_display().lower()
    if feed.status != Feed.Status.HEALTHY and feed.last_error:
        state += f" ({feed.last_error})"
    if feed.is_catching_up:
        state += ", catching up"
    last = feed.last_success_at.strftime("%Y-%m-%d %H:%M UTC") if feed.last_success_at else "never"
    return (
        f"{feed.handle}  {feed.kind}  {feed.target or '(inbound)'}  every {feed.interval_seconds}s  "
        f"for {owner}  {state}  last success {last}  "
        f"{feed.items_stored} stored of {feed.items_seen} seen"
    )
