"""The daily digest: the notifications a person chose to read once a day, in one e-mail sent at
the whole hour they chose in their own time zone.

The day is claimed with a conditional UPDATE of the person's schedule (never two digests in a
local day, whatever the number of workers), the e-mail is sent outside any transaction, and a
failure gives the day back so the next run retries; the notifications wait for the next digest.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .emails import SEND_ERRORS
from .models import DigestSchedule, Kind, Notification
from .unsubscribe import unsubscribe_path

logger = logging.getLogger(__name__)
EmailStatus = Notification.EmailStatus


def digest_day(
    *, hour: int, time_zone: str, last_sent_on: date | None, now: datetime
) -> date | None:
    """The local day whose digest is due now, if any: from the chosen hour on (a beat that was
    down at that hour sends later that day rather than not at all), once a day."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")  # a zone since removed from the system's database
    local = now.astimezone(zone)
    if local.hour < hour:
        return None
    if last_sent_on is not None and last_sent_on >= local.date():
        return None
    return local.date()


def digests_send(*, now: datetime | None = None) -> dict[str, int]:
    """Send every digest due now; how many went out, and how many failed."""
    now = now or timezone.now()
    waiting = set(
        Notification.objects.filter(email_status=EmailStatus.DIGEST).values_list(
            "recipient_id", flat=True
        )
    )
    schedules = {s.user_id: s for s in DigestSchedule.objects.filter(user_id__in=waiting)}
    outcomes = {"sent": 0, "failed": 0}
    for user_id in sorted(waiting):
        schedule = schedules.get(user_id) or DigestSchedule(user_id=user_id)
        day = digest_day(
            hour=schedule.hour,
            time_zone=schedule.time_zone,
            last_sent_on=schedule.last_sent_on,
            now=now,
        )
        if day is not None:
            outcome = digest_send(user_id=user_id, day=day, now=now)
            if outcome in outcomes:
                outcomes[outcome] += 1
    return outcomes


def _claim_day(user_id: int, day: date) -> date | bool | None:
    """Claim the day's digest; the day of the previous one (to give back), or False if another
    worker has it."""
    schedule, _ = DigestSchedule.objects.get_or_create(user_id=user_id)
    previous = schedule.last_sent_on
    claimed = (
        DigestSchedule.objects.filter(user_id=user_id)
        .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=day))
        .update(last_sent_on=day)
    )
    return previous if claimed else False


def digest_message(notifications: list[Notification]) -> EmailMultiAlternatives:
    recipient = notifications[0].recipient
    kinds = sorted({n.kind for n in notifications})
    context = {
        "notifications": notifications,
        "site_url": settings.SITE_URL,
        "inbox_url": settings.SITE_URL + "/inbox/",
        "unsubscribe": [
            (
                Kind(kind).label,
                settings.SITE_URL + unsubscribe_path(user_id=recipient.pk, kind=kind),
            )
            for kind in kinds
        ],
    }
    count = len(notifications)
    message = EmailMultiAlternatives(
        subject=f"supplierwatch: {count} notification{'' if count == 1 else 's'} today",
        body=render_to_string("emails/digest.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
    return message


def digest_send(*, user_id: int, day: date, now: datetime) -> str:
    """One person's digest for one local day: "sent", "failed", "empty" or "skipped"."""
    previous = _claim_day(user_id, day)
    if previous is False:
        return "skipped"
    notifications = list(
        Notification.objects.filter(
            recipient_id=user_id, email_status=EmailStatus.DIGEST, created_at__lte=now
        )
        .select_related("recipient")
        .order_by("shown_at", "id")
    )
    if not notifications:
        return "empty"
    ids = [n.pk for n in notifications]
    if not (notifications[0].recipient.email or "").strip():
        Notification.objects.filter(pk__in=ids).update(
            email_status=EmailStatus.NO_ADDRESS, email_error="The person has no e-mail address."
        )
        return "failed"
    try:
        digest_message(notifications).send()
    except SEND_ERRORS as exc:
        error = f"digest: {type(exc).__name__}: {exc}"[:500]
        logger.warning("digest of user %s failed: %s", user_id, error)
        # The day is given back: the next run retries; the notifications wait for it.
        DigestSchedule.objects.filter(user_id=user_id, last_sent_on=day).update(
            last_sent_on=previous
        )
        Notification.objects.filter(pk__in=ids).update(
            email_error=error, email_attempts=F("email_attempts") + 1
        )
        return "failed"
    Notification.objects.filter(pk__in=ids, email_status=EmailStatus.DIGEST).update(
        email_status=EmailStatus.SENT, email_sent_at=timezone.now(), email_error=""
    )
    return "sent"
