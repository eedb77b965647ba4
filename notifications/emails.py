"""Sending a notification's e-mail: claimed by one worker with a conditional UPDATE (never sent
twice), sent outside any transaction, retried on SMTP failure a bounded number of times, and the
failure recorded on the row for operators (the admin filters failed ones)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Kind, Notification
from .unsubscribe import unsubscribe_path

logger = logging.getLogger(__name__)
EmailStatus = Notification.EmailStatus
# What a refusing or unreachable mail server raises (timeouts and refused connections are OSErrors).
SEND_ERRORS = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class SendAttempt:
    outcome: str  # "sent", "retry", "failed" or "skipped" (nothing to send, or claimed elsewhere)
    retry_in: int = 0


def notification_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail of a notification: its title as subject, its text, the link to the incident (or
    the keyword monitor) and
    a link to stop this kind of e-mail (RFC 8058 one-click headers too)."""
    unsubscribe_url = settings.SITE_URL + unsubscribe_path(
        user_id=notification.recipient_id, kind=notification.kind
    )
    context = {
        "notification": notification,
        "link_url": settings.SITE_URL + notification.url,
        "link_label": "Open the monitor" if notification.monitor_alert_id else "Open the incident",
        "inbox_url": settings.SITE_URL + "/inbox/",
        "unsubscribe_url": unsubscribe_url,
        "kind_label": Kind(notification.kind).label,
    }
    message = EmailMultiAlternatives(
        subject=" ".join(notification.title.split()),
        body=render_to_string("emails/notification.txt", context),
        to=[notification.recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
    return message


def _claim(notification_id: int) -> bool:
    return bool(
        Notification.objects.filter(
            pk=notification_id, email_status=EmailStatus.PENDING, email_claimed_at__isnull=True
        ).update(email_claimed_at=timezone.now(), email_attempts=F("email_attempts") + 1)
    )


def notification_email_send(*, notification_id: int) -> SendAttempt:
    """One attempt at sending a notification's e-mail. Not in a transaction: the claim commits
    before the mail server is spoken to, and the outcome after."""
    if not _claim(notification_id):
        return SendAttempt("skipped")
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        notification_message(notification).send()
    except SEND_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("e-mail of notification %s failed: %s", notification_id, error)
        if notification.email_attempts >= settings.SW_NOTIFICATION_EMAIL_MAX_ATTEMPTS:
            Notification.objects.filter(pk=notification_id).update(
                email_status=EmailStatus.FAILED, email_error=error
            )
            return SendAttempt("failed")
        # Released for the retry; the next attempt claims it again.
        Notification.objects.filter(pk=notification_id).update(
            email_claimed_at=None, email_error=error
        )
        backoff = settings.SW_NOTIFICATION_EMAIL_BACKOFF_SECONDS
        return SendAttempt("retry", backoff * 2 ** (notification.email_attempts - 1))
    Notification.objects.filter(pk=notification_id).update(
        email_status=EmailStatus.SENT, email_sent_at=timezone.now(), email_error=""
    )
    return SendAttempt("sent")


def emails_to_requeue(*, older_than_seconds: int = 120, limit: int = 500) -> list[int]:
    """E-mails still to send whose task was lost (never claimed a while after they were made, or
    released for a retry that never came)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Notification.objects.filter(
            email_status=EmailStatus.PENDING, email_claimed_at__isnull=True, created_at__lt=cutoff
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
