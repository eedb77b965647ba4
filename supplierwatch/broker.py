"""The Redis transport of the workers, made to survive the loss of Redis while they hold tasks.

When the connection to Redis drops while a worker holds unacknowledged messages (it is running or
has reserved tasks, which with acks_late is nearly always), Celery closes the lost connection and
then tries to hand those messages back through it. kombu's Redis channel then reads the settings
of a connection already torn down and raises AttributeError, which no cleanup expects: the worker
stops with "Unrecoverable error" instead of reconnecting (kombu 5.7; an idle worker reconnects).
A late acknowledgement after the loss fails the same way.

Here the torn-down connection answers with a connection error instead, which kombu and Celery
ignore during cleanup and log for an acknowledgement. The messages stay in Redis's unacked set
(redelivered after the visibility timeout), and the pending sweep queues their posts again long
before that; the worker reconnects as soon as Redis is back. settings.CELERY_BROKER_TRANSPORT
selects it when REDIS_URL is set.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class RedisChannel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("the connection to the broker was closed after a failure")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel
