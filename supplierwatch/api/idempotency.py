"""Idempotent requests: a request retried with the same `Idempotency-Key` is answered once.

The key is claimed by inserting its row in the same transaction as the work it guards. A
concurrent retry blocks on the unique constraint until the first commits and then replays its
answer; if the work fails, the claim rolls back with it and the request may be sent again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions

from supplierwatch.errors import ApplicationError

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Visible ASCII, no spaces: a UUID, an NCR number, a hash.
KEY_PATTERN = r"^[!-~]{1,255}$"


@dataclass(frozen=True)
class IdempotentResult:
    status: int
    body: Any
    replayed: bool


def request_hash(*, method: str, path: str, data: Any) -> str:
    """The same request, whatever the order of its JSON keys or its whitespace, hashes the same."""
    canonical = json.dumps(
        [method.upper(), path, data], sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _ttl() -> timedelta:
    return timedelta(hours=settings.SW_IDEMPOTENCY_TTL_HOURS)


def idempotent_run(
    *, user: AbstractBaseUser, key: str | None, fingerprint: str, run: Callable[[], tuple[int, Any]]
) -> IdempotentResult:
    """Run `run` (which returns status and JSON body) once per key; replay its answer afterwards.

    The same key with a different request is refused (422), as is a retry that arrives while the
    first request is still being answered (409) on a database that does not make it wait.
    """
    if key is None:
        status, body = run()
        return IdempotentResult(status, body, replayed=False)
    if not re.fullmatch(KEY_PATTERN, key):
        # The header's documented pattern: a malformed request, as a bad field is.
        raise exceptions.ValidationError(
            {HEADER: [f"1 to {MAX_KEY_LENGTH} visible ASCII characters, no spaces."]}
        )
    # By id: the record's user is the project's user model, which this toolkit does not import.
    user_id = user.pk
    with transaction.atomic():
        record = _claim(user_id=user_id, key=key, fingerprint=fingerprint)
        if record is None:
            existing = IdempotencyRecord.objects.get(user_id=user_id, key=key)
            if existing.created_at < timezone.now() - _ttl():
                # An expired answer is forgotten: the key starts afresh. (Looked at only when the
                # key is taken, so that a new key costs no purge; the beat task forgets the rest.)
                existing.delete()
                record = _claim(user_id=user_id, key=key, fingerprint=fingerprint)
                if record is None:  # a concurrent retry claimed it afresh first
                    existing = IdempotencyRecord.objects.get(user_id=user_id, key=key)
        if record is None:
            if existing.request_hash != fingerprint:
                raise ApplicationError(
                    "This idempotency key was used with a different request; use a new key.",
                    field=HEADER,
                    code="idempotency_key_reused",
                )
            if existing.response_status is None:
                raise ApplicationError(
                    "A request with this idempotency key is still being answered; retry later.",
                    field=HEADER,
                    code="idempotency_key_in_use",
                )
            return IdempotentResult(existing.response_status, existing.response_body, True)
        status, body = run()
        record.response_status = status
        record.response_body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        record.save(update_fields=["response_status", "response_body"])
        return IdempotentResult(status, record.response_body, replayed=False)


def _claim(*, user_id: Any, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """The key's new record, or None when the key is taken (a concurrent claim waits here until
    the first commits or rolls back, on a database that makes it wait)."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user_id=user_id, key=key, request_hash=fingerprint
            )
    except IntegrityError:
        return None


def idempotency_records_purge() -> int:
    """Forget answers older than the replay window (SW_IDEMPOTENCY_TTL_HOURS)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - _ttl()).delete()
    return deleted
