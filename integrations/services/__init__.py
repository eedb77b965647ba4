"""Every write of the integrations app: keys and webhooks."""

from .keys import IssuedKey, api_key_issue, api_key_revoke, api_key_touch
from .webhooks import (
    DeliveryAttempt,
    webhook_deliver,
    webhook_deliveries_requeue,
    webhook_delivery_redeliver,
    webhook_events_dispatch,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

__all__ = [
    "DeliveryAttempt",
    "IssuedKey",
    "api_key_issue",
    "api_key_revoke",
    "api_key_touch",
    "webhook_deliver",
    "webhook_deliveries_requeue",
    "webhook_delivery_redeliver",
    "webhook_events_dispatch",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_rotate_secret",
    "webhook_subscription_update",
]
