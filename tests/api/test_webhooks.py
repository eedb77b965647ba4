"""Webhooks: signatures, who receives which event, and delivery to a real HTTP receiver with
retries, duplicates recognised by event id, and subscriptions switched off after failures."""

from __future__ import annotations

import random

import pytest
from django.db import transaction

from incidents.models import IncidentEvent
from integrations import services
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services.delivery import retry_delay
from integrations.services.dispatch import event_type_for
from integrations.services.subscriptions import webhook_destination_error
from integrations.signing import (
    SignatureError,
    compute_signature,
    parse_signature_header,
    signature_header,
    verify_signature,
)
from supplierwatch.errors import ApplicationError
from tests.api.conftest import ACME_IDENTITY, leaked
from tests.api.receiver import Receiver, ReceiverServer
from tests.factories import IncidentEventFactory
from tests.helpers import PUBLIC_ADDRESS

ALL_EVENTS = [value for value, _ in WebhookSubscription.Event.choices]

# --- signatures (pure: no database) -----------------------------------------------------------


def test_a_signature_verifies_with_the_secret_and_nothing_else():
    body = b'{"id":"1","type":"incident.created"}'
    header = signature_header(secret="whsec_a", body=body, timestamp=1_700_000_000)
    assert (
        header
        == f"t=1700000000,v1={compute_signature(secret='whsec_a', timestamp=1_700_000_000, body=body)}"
    )
    assert (
        verify_signature(header=header, body=body, secret="whsec_a", now=1_700_000_010)
        == 1_700_000_000
    )
    for secret, signed_body in (("whsec_b", body), ("whsec_a", body + b" ")):
        with pytest.raises(SignatureError):
            verify_signature(header=header, body=signed_body, secret=secret, now=1_700_000_010)


def test_an_old_timestamp_is_refused_as_a_replay():
    header = signature_header(secret="s", body=b"{}", timestamp=1_000)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(header=header, body=b"{}", secret="s", now=1_000 + 301)
    assert verify_signature(header=header, body=b"{}", secret="s", now=1_000 + 299) == 1_000


def test_any_of_several_signatures_may_match_during_a_rotation():
    good = compute_signature(secret="new", timestamp=5, body=b"x")
    header = f"t=5,v1={'0' * 64},v1={good},v0=ignored"
    assert verify_signature(header=header, body=b"x", secret="new", now=5) == 5


@pytest.mark.parametrize("header", ["", "v1=abc", "t=5", "t=soon,v1=abc", "garbage"])
def test_malformed_signature_headers_are_refused(header):
    with pytest.raises(SignatureError):
        parse_signature_header(header)


def test_retries_back_off_exponentially_with_jitter_up_to_a_cap():
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(900, 30 * 2 ** (attempt - 1))
        delays = [retry_delay(attempt, base=30, cap=900, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1  # jittered
    assert retry_delay(1, base=30, cap=900, rng=rng) < retry_delay(5, base=30, cap=900, rng=rng)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8000/hook", True),
        ("http://localhost/hook", True),
        ("http://10.1.2.3/hook", True),
        ("http://192.168.0.10/hook", True),
        ("http://169.254.169.254/latest/meta-data", True),  # cloud metadata
        ("http://[::1]/hook", True),
        ("http://[::ffff:127.0.0.1]/hook", True),
        ("http://0.0.0.0/hook", True),
        ("ftp://93.184.216.34/hook", True),
        ("http://user:pw@93.184.216.34/hook", True),
        ("http://93.184.216.34/hook", False),
    ],
)
def test_subscriptions_to_our_own_network_are_refused(settings, url, refused):
    settings.SW_OUTBOUND_ALLOW_PRIVATE = False
    settings.SW_WEBHOOKS_REQUIRE_HTTPS = False
    assert (webhook_destination_error(url) is not None) is refused


def test_plain_http_is_refused_when_https_is_required(settings):
    settings.SW_WEBHOOKS_REQUIRE_HTTPS = True
    assert "https" in webhook_destination_error("http://hooks.example/in")
    assert webhook_destination_error("https://hooks.example/in") is None


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("created", {}, "incident.created"),
        ("post_added", {"posts": 1}, "incident.updated"),
        ("reopened", {}, "incident.reopened"),
        ("spike", {}, "incident.spike"),
        ("status_changed", {"to": "resolved"}, "incident.resolved"),
        ("status_changed", {"to": "reopened"}, "incident.reopened"),
        ("status_changed", {"to": "acknowledged"}, "incident.updated"),
        ("severity_changed", {}, "incident.updated"),
        ("assigned", {}, "incident.updated"),
        ("response", {}, "incident.answered"),
        ("action_recorded", {}, "incident.updated"),
    ],
)
def test_each_incident_event_is_announced_as_a_webhook_event(kind, data, expected):
    assert event_type_for(IncidentEvent(kind=kind, data=data)) == expected


# --- subscribing through the API --------------------------------------------------------------


@pytest.mark.django_db
def test_the_secret_is_shown_once(api, world):
    client = api.client("acme")
    created = client.post(
        "/api/v1/webhooks/",
        {"url": "https://erp.example/hooks", "events": ["incident.created", "incident.answered"]},
        format="json",
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    subscription = WebhookSubscription.objects.get(pk=created.json()["id"])
    assert subscription.secret == secret and subscription.organization == world.acme
    assert "secret" not in client.get(f"/api/v1/webhooks/{subscription.pk}/").json()
    assert secret not in str(client.get("/api/v1/webhooks/").json())
    rotated = client.post(f"/api/v1/webhooks/{subscription.pk}/rotate-secret/").json()["secret"]
    subscription.refresh_from_db()
    assert rotated != secret and subscription.secret == rotated


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        # A well-formed URL that the address guard refuses.
        ({"url": "http://127.0.0.1:9/x", "events": ["incident.created"]}, "url", 422),
        ({"url": "https://erp.example/h", "events": ["incident.exploded"]}, "events.0", 400),
        ({"url": "https://erp.example/h", "events": []}, "events", 400),
        ({"url": "not a url", "events": ["incident.created"]}, "url", 400),
    ],
)
def test_an_unusable_subscription_names_the_field(api, world, settings, body, field, status):
    settings.SW_OUTBOUND_ALLOW_PRIVATE = False
    response = api.client("acme").post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_the_service_refuses_a_description_too_long_rather_than_cutting_it(world):
    with pytest.raises(ApplicationError) as refused:
        services.webhook_subscription_create(
            organization=world.acme,
            url="https://erp.example/h",
            events=["incident.created"],
            description="d" * (services.DESCRIPTION_MAX + 1),
        )
    assert refused.value.field == "description"
    assert not WebhookSubscription.objects.exists()
    subscription, _ = services.webhook_subscription_create(
        organization=world.acme,
        url="https://erp.example/h",
        events=["incident.created"],
        description="  SAP QM  ",
    )
    assert subscription.description == "SAP QM"


@pytest.mark.django_db
def test_switching_a_disabled_subscription_on_forgets_its_failures(api, world):
    subscription = WebhookSubscription.objects.create(
        organization=world.acme,
        url="https://erp.example/h",
        secret="s",
        events=ALL_EVENTS,
        is_active=False,
        failure_count=5,
    )
    response = api.client("acme").patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["failure_count"]) == (True, 0)


# --- dispatch: who receives what --------------------------------------------------------------


@pytest.fixture
def subscriptions(world) -> dict[str, WebhookSubscription]:
    def subscribe(events=ALL_EVENTS, **party):
        return WebhookSubscription.objects.create(
            url="https://hooks.example/in", secret="whsec_test", events=events, **party
        )

    return {
        "acme": subscribe(organization=world.acme),
        "globex": subscribe(organization=world.globex),
        "globex_answers": subscribe(organization=world.globex, events=["incident.answered"]),
        "initech": subscribe(supplier=world.initech),
        "umbrella": subscribe(supplier=world.umbrella),
    }


def delivered(subscription) -> list[tuple[str, int, str]]:
    return sorted(
        (d.event_type, d.incident_event.incident_id, d.incident_event.kind)
        for d in subscription.deliveries.select_related("incident_event")
    )


@pytest.mark.django_db
def test_each_party_receives_the_events_of_the_incidents_it_may_see(world, subscriptions):
    WebhookSubscription.objects.create(
        supplier=world.initech,
        url="https://off.example/",
        secret="s",
        events=ALL_EVENTS,
        is_active=False,
    )
    assert services.webhook_events_dispatch() == IncidentEvent.objects.count()
    initech, private, umbrella = (
        world.incidents[n].pk for n in ("initech", "private_only", "umbrella")
    )
    initech_events = [
        ("incident.created", initech, "created"),
        ("incident.updated", initech, "post_added"),
        ("incident.updated", initech, "assigned"),
        ("incident.spike", initech, "spike"),
    ]
    answered = [("incident.answered", initech, "response")]
    assert delivered(subscriptions["initech"]) == sorted(initech_events + answered * 2)
    assert delivered(subscriptions["umbrella"]) == [("incident.created", umbrella, "created")]
    # Acme sees its private-only incident, but not Initech's private answer to Globex.
    assert delivered(subscriptions["acme"]) == sorted(
        [
            *initech_events,
            *answered,
            ("incident.created", private, "created"),
            ("incident.created", umbrella, "created"),
        ]
    )
    assert delivered(subscriptions["globex"]) == sorted(
        [*initech_events, *answered * 2, ("incident.created", umbrella, "created")]
    )
    assert delivered(subscriptions["globex_answers"]) == answered * 2
    assert not WebhookDelivery.objects.filter(subscription__is_active=False).exists()
    assert not IncidentEvent.objects.filter(dispatched_at__isnull=True).exists()


@pytest.mark.django_db
def test_dispatching_twice_creates_nothing_twice(world, subscriptions):
    services.webhook_events_dispatch()
    count = WebhookDelivery.objects.count()
    IncidentEvent.objects.update(dispatched_at=None)
    services.webhook_events_dispatch()
    assert WebhookDelivery.objects.count() == count
    assert services.webhook_events_dispatch() == 0


@pytest.mark.django_db
def test_payloads_carry_shared_counters_and_never_the_anonymous_reporter(world, subscriptions):
    services.webhook_events_dispatch()
    for name in ("initech", "globex"):
        for delivery in subscriptions[name].deliveries.all():
            assert leaked(delivery.payload, ACME_IDENTITY) == [], (name, delivery.payload)
    created = subscriptions["initech"].deliveries.get(event_type="incident.created").payload
    assert created["id"] == str(
        subscriptions["initech"].deliveries.get(event_type="incident.created").event_id
    )
    assert created["data"]["incident"]["counters"] == {
        "posts": 3,
        "public_posts": 1,
        "public_authors": 1,
        "named_reports": 1,
        "anonymous_reports": 1,
        # Only the organizations the supplier sees, never one figure over named and anonymous.
        "named_organizations": 1,
        "other_organizations": None,
        "own_posts": None,  # a buyer's own reports: the supplier has none
    }
    assert created["data"]["incident"]["vendor_code"] is None
    for_acme = (
        subscriptions["acme"].deliveries.filter(event_type="incident.created").first().payload
    )
    assert for_acme["data"]["incident"]["vendor_code"] in {"A-100", "A-200", None}
    spike = subscriptions["initech"].deliveries.get(event_type="incident.spike").payload
    # A spike counts only evidence everyone may count, never a private report.
    assert spike["data"]["change"] == {
        "kind": "spike",
        "complaints_last_hour": 9,
        "expected": 0.5,
        "history": False,
    }
    post_added = subscriptions["globex"].deliveries.get(incident_event__kind="post_added").payload
    assert post_added["data"]["change"] == {"kind": "post_added", "posts": 3, "public_posts": 1}
    answer = subscriptions["globex_answers"].deliveries.filter(
        payload__data__response__visibility="organization"
    )
    assert answer.count() == 1


# --- delivery to a real receiver ----------------------------------------------------------------


def _subscribe(api, persona: str, url: str, events=ALL_EVENTS) -> tuple[WebhookSubscription, str]:
    response = api.client(persona).post(
        "/api/v1/webhooks/", {"url": url, "events": events}, format="json"
    )
    assert response.status_code == 201, response.content
    return WebhookSubscription.objects.get(pk=response.json()["id"]), response.json()["secret"]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_is_signed_retried_until_it_succeeds_and_recognised_when_sent_again(api, world):
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    receiver = Receiver(fail_first=2)
    with ReceiverServer(receiver) as server:
        subscription, receiver.secret = _subscribe(api, "initech", server.url, ["incident.updated"])
        # The supplier's key acknowledges an incident: a status change, announced as an update.
        incident = world.incidents["initech"]
        assert (
            api.client("initech").post(f"/api/v1/incidents/{incident.pk}/acknowledge/").status_code
            == 200
        )
        assert services.webhook_events_dispatch() == 1  # delivered when it commits (eager Celery)

        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert delivery.status == WebhookDelivery.Status.DELIVERED
        assert delivery.attempts == 3
        assert delivery.last_status_code == 200
        assert delivery.delivered_at is not None
        assert receiver.bad_signatures == 0
        assert [(r.event_id, r.attempt, r.answered) for r in receiver.requests] == [
            (str(delivery.event_id), 1, 500),
            (str(delivery.event_id), 2, 500),
            (str(delivery.event_id), 3, 200),
        ]
        payload = receiver.requests[-1].payload
        assert payload["type"] == "incident.updated"
        assert payload["data"]["change"] == {
            "kind": "status_changed",
            "from": "new",
            "to": "acknowledged",
        }
        assert payload["data"]["incident"]["id"] == incident.pk

        again = api.client("initech").post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
        assert again.status_code == 202
        assert receiver.duplicates == 1
        assert receiver.requests[-1].event_id == str(delivery.event_id)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.DELIVERED, 1)


@pytest.mark.django_db(transaction=True)
def test_a_subscription_is_switched_off_after_repeated_failure(api, world, settings):
    settings.SW_WEBHOOK_MAX_ATTEMPTS = 2
    settings.SW_WEBHOOK_DISABLE_AFTER = 2
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    receiver = Receiver(always_status=503)
    with ReceiverServer(receiver) as server:
        subscription, receiver.secret = _subscribe(api, "globex", server.url)
        incident = world.incidents["umbrella"]
        for _ in range(3):
            IncidentEventFactory(incident=incident, kind="post_added", data={"posts": 1})
            services.webhook_events_dispatch()
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    assert subscription.failure_count == 2
    failed = subscription.deliveries.all()
    assert [d.status for d in failed] == [WebhookDelivery.Status.FAILED] * 2
    assert all(d.attempts == 2 and d.last_status_code == 503 for d in failed)
    assert failed[0].last_error.startswith("HTTP 503")
    assert len(receiver.requests) == 4  # nothing is sent once it is off


@pytest.mark.django_db(transaction=True)
def test_a_success_resets_the_count_of_failures(api, world):
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    receiver = Receiver()
    with ReceiverServer(receiver) as server:
        subscription, receiver.secret = _subscribe(api, "globex", server.url)
        WebhookSubscription.objects.filter(pk=subscription.pk).update(failure_count=3)
        IncidentEventFactory(incident=world.incidents["umbrella"], kind="created")
        services.webhook_events_dispatch()
    subscription.refresh_from_db()
    assert subscription.failure_count == 0 and subscription.is_active


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("receiver", "error"),
    [
        (Receiver(delay_seconds=1.5), "ReadTimeout"),
        (Receiver(always_status=302), "HTTP 302"),  # redirects are not followed
    ],
)
def test_slow_or_redirecting_receivers_fail_the_attempt(api, world, settings, receiver, error):
    settings.SW_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.SW_WEBHOOK_MAX_ATTEMPTS = 1
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    with ReceiverServer(receiver) as server:
        subscription, receiver.secret = _subscribe(api, "globex", server.url)
        IncidentEventFactory(incident=world.incidents["umbrella"], kind="created")
        services.webhook_events_dispatch()
    delivery = subscription.deliveries.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert error in delivery.last_error


@pytest.mark.django_db(transaction=True)
def test_a_destination_that_became_private_is_refused_at_delivery(api, world, settings):
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    subscription, _ = _subscribe(api, "globex", "http://127.0.0.1:9/hook")
    settings.SW_OUTBOUND_ALLOW_PRIVATE = False
    IncidentEventFactory(incident=world.incidents["umbrella"], kind="created")
    services.webhook_events_dispatch()
    delivery = subscription.deliveries.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("refused")


@pytest.mark.django_db(transaction=True)
def test_a_receiver_name_that_rebinds_to_loopback_gets_no_delivery_there(
    api, world, settings, network
):
    """The attack: a name that resolves to a public address for the address check, then to
    127.0.0.1 for the connection, would deliver to (and show the answer of) a service on our own
    machine."""
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    receiver = Receiver()
    with ReceiverServer(receiver) as server:
        port = server.httpd.server_address[1]
        network.answers["hooks.example"] = [[PUBLIC_ADDRESS], ["127.0.0.1"]]
        subscription, receiver.secret = _subscribe(
            api, "globex", f"http://hooks.example:{port}/hooks"
        )
        settings.SW_OUTBOUND_ALLOW_PRIVATE = False
        IncidentEventFactory(incident=world.incidents["umbrella"], kind="created")
        services.webhook_events_dispatch()
    assert receiver.requests == []
    assert ("127.0.0.1", port) not in network.connections
    assert network.connections == [(PUBLIC_ADDRESS, port)]
    delivery = subscription.deliveries.get()
    # The second attempt resolved to loopback, and was refused for good before connecting.
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_error == (
        "refused: the host resolves to a private, loopback or reserved address"
    )


@pytest.mark.django_db(transaction=True)
def test_a_failed_attempt_is_logged_as_a_status_line_never_the_receivers_answer(
    api, world, settings
):
    settings.SW_WEBHOOK_MAX_ATTEMPTS = 1
    IncidentEvent.objects.update(dispatched_at="2000-01-01T00:00:00Z")
    receiver = Receiver(always_status=503)
    with ReceiverServer(receiver) as server:
        subscription, receiver.secret = _subscribe(api, "globex", server.url)
        IncidentEventFactory(incident=world.incidents["umbrella"], kind="created")
        services.webhook_events_dispatch()
    delivery = subscription.deliveries.get()
    assert delivery.last_error == "HTTP 503 Service Unavailable"
    shown = api.client("globex").get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()
    assert shown["last_error"] == "HTTP 503 Service Unavailable"
    assert "not now" not in str(shown)


@pytest.mark.django_db
def test_deliveries_never_run_inside_a_transaction(world, subscriptions):
    services.webhook_events_dispatch()
    delivery = WebhookDelivery.objects.first()
    with transaction.atomic(), pytest.raises(RuntimeError):
        services.webhook_deliver(delivery_id=delivery.pk)


@pytest.mark.django_db
def test_deliveries_whose_task_was_lost_are_queued_again(world, subscriptions, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from integrations import tasks

    services.webhook_events_dispatch()
    queued = []
    monkeypatch.setattr(tasks.deliver_webhook, "delay", queued.append)
    stale = WebhookDelivery.objects.first()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    WebhookDelivery.objects.filter(pk=stale.pk).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert services.webhook_deliveries_requeue() == 1
    assert queued == [stale.pk]


def test_a_failed_attempt_is_retried_by_celery_after_the_backoff(monkeypatch):
    """With a broker, the task hands the wait to Celery (retry countdown) instead of sleeping."""
    from integrations import tasks

    retried = {}

    def fake_retry(**options):
        retried.update(options)
        return RuntimeError("retry")

    monkeypatch.setattr(
        services, "webhook_deliver", lambda **_: services.DeliveryAttempt("retry", retry_in=42)
    )
    monkeypatch.setattr(tasks.deliver_webhook, "retry", fake_retry)
    with pytest.raises(RuntimeError, match="retry"):
        tasks.deliver_webhook.run(7)
    assert retried["countdown"] == 42


def test_the_receivers_snippet_in_the_docs_verifies_our_signatures():
    """docs/api.md's Python snippet, run as it is printed: it accepts ours and refuses forgeries."""
    import re
    import time
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    snippet = re.search(r"### Verifying a delivery.*?```python\n(.*?)```", docs, re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "docs/api.md", "exec"), namespace)
    verify = namespace["verify"]
    body = b'{"id":"e1","type":"incident.created"}'
    headers = {"Supplierwatch-Signature": signature_header(secret="whsec_x", body=body)}
    verify(headers, body, "whsec_x")
    for secret, sent in (("whsec_y", body), ("whsec_x", body + b"!")):
        with pytest.raises(ValueError):
            verify(headers, sent, secret)
    old = {
        "Supplierwatch-Signature": signature_header(
            secret="whsec_x", body=body, timestamp=int(time.time()) - 600
        )
    }
    with pytest.raises(ValueError, match="stale"):
        verify(old, body, "whsec_x")


@pytest.mark.django_db
def test_dispatch_webhooks_command_does_what_beat_does(world, subscriptions):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("dispatch_webhooks", stdout=out)
    assert out.getvalue().strip() == f"dispatched {IncidentEvent.objects.count()} event(s)"
    assert WebhookDelivery.objects.filter(subscription=subscriptions["initech"]).exists()
    call_command("dispatch_webhooks", stdout=out)  # nothing new: silent
    assert out.getvalue().count("dispatched") == 1


@pytest.mark.django_db
def test_beat_task_dispatches_in_batches(world, subscriptions, monkeypatch):
    from integrations import tasks
    from integrations.services import dispatch

    monkeypatch.setattr(services, "DISPATCH_BATCH", 2)
    monkeypatch.setattr(
        services, "webhook_events_dispatch", lambda: dispatch.webhook_events_dispatch(limit=2)
    )
    assert tasks.dispatch_webhook_events.run() == IncidentEvent.objects.count()
    assert not IncidentEvent.objects.filter(dispatched_at__isnull=True).exists()
