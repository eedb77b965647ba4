"""Every write of the integrations app: API keys, webhooks and feeds."""

from .delivery import (
    DeliveryAttempt,
    webhook_deliver,
    webhook_deliveries_requeue,
    webhook_delivery_redeliver,
)
from .dispatch import DISPATCH_BATCH, webhook_events_dispatch
from .feed_inbound import feed_inbound_find, feed_inbound_store, feed_inbound_verify
from .feeds import (
    CreatedFeed,
    FeedStoreResult,
    PollResult,
    feed_clean,
    feed_clear,
    feed_create,
    feed_interval_clean,
    feed_items_store,
    feed_poll_request,
    feed_update,
    feeds_poll_due,
)
from .keys import IssuedKey, api_key_issue, api_key_party_check, api_key_revoke, api_key_touch
from .polling import feed_poll
from .subscriptions import (
    DESCRIPTION_MAX,
    MAX_SUBSCRIPTIONS_PER_PARTY,
    URL_MAX,
    webhook_destination_error,
    webhook_subscription_clean,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

__all__ = [
    "DESCRIPTION_MAX",
    "DISPATCH_BATCH",
    "MAX_SUBSCRIPTIONS_PER_PARTY",
    "URL_MAX",
    "CreatedFeed",
    "DeliveryAttempt",
    "FeedStoreResult",
    "IssuedKey",
    "PollResult",
    "api_key_issue",
    "api_key_party_check",
    "api_key_revoke",
    "api_key_touch",
    "feed_clean",
    "feed_clear",
    "feed_create",
    "feed_inbound_find",
    "feed_inbound_store",
    "feed_inbound_verify",
    "feed_interval_clean",
    "feed_items_store",
    "feed_poll",
    "feed_poll_request",
    "feed_update",
    "feeds_poll_due",
    "webhook_deliver",
    "webhook_deliveries_requeue",
    "webhook_delivery_redeliver",
    "webhook_destination_error",
    "webhook_events_dispatch",
    "webhook_subscription_clean",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_rotate_secret",
    "webhook_subscription_update",
]
