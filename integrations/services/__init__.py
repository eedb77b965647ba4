"""Every write of the integrations app: API keys and webhooks."""

from .delivery import (
    DeliveryAttempt,
    webhook_deliver,
    webhook_deliveries_requeue,
    webhook_delivery_redeliver,
)
from .dispatch import DISPATCH_BATCH, webhook_events_dispatch
from .keys import IssuedKey, api_key_issue, api_key_party_check, api_key_revoke, api_key_touch
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
    "DeliveryAttempt",
    "IssuedKey",
    "api_key_issue",
    "api_key_party_check",
    "api_key_revoke",
    "api_key_touch",
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
