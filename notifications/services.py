"""Every write of the notifications: generating them from the outbox, reading them, preferences.

Generation is safe to run twice and concurrently: a notification is unique per event and
recipient (the database refuses a second), and rows are inserted ignoring that conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from incidents.models import IncidentEvent, KeywordMonitor, MonitorAlert
from suppliers.models import User
from supplierwatch.errors import ApplicationError

from .inputs import clean_digest_hour, clean_time_zone
from .models import DigestSchedule, GeneratedEvent, Kind, Notification, NotificationPreference
from .presenters import Content, monitor_alert_content, notification_content
from .selectors import events_recipients

Delivery = NotificationPreference.Delivery
EmailStatus = Notification.EmailStatus
GENERATE_BATCH = 200


def email_wanted(preferences: Mapping[tuple[int, str], str], user: User, kind: str) -> str:
    """The e-mail status a new notification starts with."""
    if not (user.email or "").strip():
        return EmailStatus.NO_ADDRESS
    delivery = preferences.get((user.pk, kind), Delivery.IMMEDIATELY)
    if delivery == Delivery.NEVER:
        return EmailStatus.NOT_WANTED
    if delivery == Delivery.DIGEST:
        return EmailStatus.DIGEST
    return EmailStatus.PENDING


def _preferences(user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """These people's stored delivery per kind; a kind they never chose is absent."""
    return {
        (user_id, kind): delivery
        for user_id, kind, delivery in NotificationPreference.objects.filter(
            user_id__in=set(user_ids)
        ).values_list("user_id", "kind", "delivery")
    }


def _notification(
    user: User,
    kind: str,
    content: Content,
    preferences: Mapping[tuple[int, str], str],
    **subject: object,
) -> Notification:
    """One unsaved notification of what `content` says, about an event (`event`, `incident`) or
    a monitor alert (`monitor_alert`), with the e-mail status the person's preference gives."""
    status = email_wanted(preferences, user, kind)
    return Notification(
        recipient=user,
        kind=kind,
        title=content.title,
        text=content.text,
        url=content.url,
        shown_at=content.shown_at,
        shown_to_the_hour=content.shown_to_the_hour,
        email_status=status,
        email_error="The person has no e-mail address." if status == EmailStatus.NO_ADDRESS else "",
        **subject,
    )


def _to_send(**subject: object) -> list[int]:
    """The ids of these notifications whose e-mail is due now and not yet claimed by a sender."""
    return list(
        Notification.objects.filter(
            email_status=EmailStatus.PENDING, email_claimed_at__isnull=True, **subject
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def notifications_generate(*, event_ids: Iterable[int]) -> list[int]:
    """Create the notifications of these events (those not created yet); the ids of the ones
    whose e-mail is still to send, for the caller to queue after commit."""
    event_ids = sorted(set(event_ids))
    events = list(
        IncidentEvent.objects.filter(pk__in=event_ids)
        .select_related("incident__supplier", "incident__category", "incident__assignee")
        .prefetch_related("incident__eight_d_steps__owner")
    )
    recipients = events_recipients(events)
    planned = [(event, recipient) for event in events for recipient in recipients[event.pk]]
    preferences = _preferences({recipient.user.pk for _, recipient in planned})
    rows = [
        _notification(
            recipient.user,
            recipient.kind,
            notification_content(
                kind=recipient.kind,
                event=event,
                incident=event.incident,
                viewer=recipient.user.viewer,
                response=recipient.response,
                reply=recipient.reply,
            ),
            preferences,
            event=event,
            incident=event.incident,
        )
        for event, recipient in planned
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    GeneratedEvent.objects.bulk_create(
        [GeneratedEvent(event=event) for event in events], ignore_conflicts=True
    )
    return _to_send(event_id__in=event_ids)


@transaction.atomic
def monitor_alert_notifications_generate(*, alert_ids: Iterable[int]) -> list[int]:
    """Tell these jumps in keyword monitors' volume to each monitor's watchers who still belong
    to its party; the ids of the notifications whose e-mail is still to send."""
    alert_ids = sorted(set(alert_ids))
    rows: list[Notification] = []
    kind = Kind.MONITOR_JUMP
    alerts = MonitorAlert.objects.filter(pk__in=alert_ids).select_related("monitor")
    told = [
        (
            alert,
            [
                user
                for user in alert.monitor.watchers.filter(is_active=True).select_related(
                    "membership"
                )
                # A watcher who has left the party no longer sees the monitor.
                if KeywordMonitor.objects.visible_to(user.viewer)
                .filter(pk=alert.monitor_id)
                .exists()
            ],
        )
        for alert in alerts
    ]
    preferences = _preferences({user.pk for _, watchers in told for user in watchers})
    for alert, watchers in told:
        content = monitor_alert_content(alert)
        rows.extend(
            _notification(user, kind, content, preferences, monitor_alert=alert)
            for user in watchers
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return _to_send(monitor_alert_id__in=alert_ids)


def monitor_alerts_to_generate(*, limit: int = GENERATE_BATCH) -> list[int]:
    """Recent monitor alerts nobody was told of (a lost signal or task), for the sweep."""
    since = timezone.now() - timedelta(hours=settings.SW_NOTIFICATION_SWEEP_HOURS)
    told = Notification.objects.filter(monitor_alert=OuterRef("pk"))
    return list(
        MonitorAlert.objects.filter(created_at__gte=since, monitor__watchers__isnull=False)
        # A jump found in imported history is on the monitor's page, never news: judged as when
        # it was recorded (services.monitors), however late the sweep runs.
        .filter(window_end__gte=F("created_at") - timedelta(hours=settings.SW_SPIKE_NEWS_HOURS))
        .exclude(Exists(told))
        .order_by("id")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )


def events_to_generate(*, limit: int = GENERATE_BATCH) -> list[int]:
    """Recent events whose notifications were never generated (a lost task, a crash after
    commit). Older ones are left alone: telling of them now would be news of the past."""
    since = timezone.now() - timedelta(hours=settings.SW_NOTIFICATION_SWEEP_HOURS)
    generated = GeneratedEvent.objects.filter(event=OuterRef("pk"))
    return list(
        IncidentEvent.objects.filter(created_at__gte=since)
        .exclude(Exists(generated))
        # A spike found in imported history is on the timeline, never news.
        .exclude(data__has_key="history")
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one of a person's notifications read (the view found it among theirs)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user).unread().update(read_at=timezone.now())


@transaction.atomic
def preferences_set(*, user: User, deliveries: Mapping[str, str]) -> None:
    """Store how this person wants e-mail of each kind (kinds not given keep theirs)."""
    for kind, delivery in deliveries.items():
        if kind not in Kind.values or delivery not in Delivery.values:
            raise ApplicationError(
                "Choose immediately, in a daily digest or never.", field=kind, code="invalid"
            )
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"delivery": delivery}
        )


def preferences_of(user: User) -> dict[str, str]:
    """Every kind's delivery for this person, defaults included."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: stored.get(kind, Delivery.IMMEDIATELY) for kind in Kind.values}


@transaction.atomic
def digest_schedule_set(*, user: User, hour: object, time_zone: object) -> DigestSchedule:
    """When this person's daily digest goes out: a whole hour of their time zone."""
    schedule, _ = DigestSchedule.objects.update_or_create(
        user=user,
        defaults={"hour": clean_digest_hour(hour), "time_zone": clean_time_zone(time_zone)},
    )
    return schedule


def digest_schedule_of(user: User) -> DigestSchedule:
    """The person's digest schedule, the default one when they never chose (unsaved)."""
    return DigestSchedule.objects.filter(user=user).first() or DigestSchedule(user=user)
