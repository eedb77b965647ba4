"""Celery tasks of the API toolkit: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .idempotency import idempotency_records_purge


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_records() -> int:
    """Beat: forget idempotent answers older than SW_IDEMPOTENCY_TTL_HOURS."""
    return idempotency_records_purge()
