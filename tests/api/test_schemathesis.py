"""Schemathesis against the live schema, on a live server, with the keys of four parties.

Runs the schemathesis CLI (v4) in a subprocess against pytest-django's live_server: every phase
(examples, coverage, fuzzing, stateful) and every check: no server error, the response conformance
checks (status code, content type, headers, body schema), negative data rejection and positive
data acceptance (the schema says what the server accepts), authentication, and object-level
authorisation across the parties as peers (one party's object read with another's key must not
succeed).

Two settings say what the API promises, so that the checks judge it by that:
- positive data acceptance expects 2xx, or one of the documented refusals of a well-formed request:
  401/403/404, 409 (the incident's status, a limit reached) and 422 (a value the schema allows but
  a rule refuses, such as an unknown supplier slug or a year past 2200: `fields` names it).
- object-level authorisation is off for a supplier, its scorecard and its aliases: suppliers are shared,
  so a supplier that one buyer created is every buyer's to read (tests/api/test_personas.py pins
  who may read them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import api_key_issue

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 10
SHARED_SUPPLIER_PATHS = r"^/api/v1/suppliers/\{slug\}/((scorecard|aliases)/)?$"
# The run stops here whatever is left: it keeps the whole CI run within its 20 minutes.
TIME_BUDGET_SECONDS = 100
# A well-formed request is answered 2xx, or refused for a documented reason that is no 400; an
# incident the run merged answers 301 to the one it was merged into.
ACCEPTED = ["2xx", "301", "401", "403", "404", "409", "422", "429"]
CHECKS = {
    "not_a_server_error": True,
    "status_code_conformance": True,
    "content_type_conformance": True,
    "response_headers_conformance": True,
    "response_schema_conformance": True,
    "negative_data_rejection": True,
    "positive_data_acceptance": True,
    "missing_required_header": True,
    "unsupported_method": True,
    "allow_header_conformance": True,
    "use_after_free": True,
    "ensure_resource_availability": True,
    "ignored_auth": True,
    "object_level_authorization": True,
}


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("schemathesis")
    return str(found) if found.exists() else shutil.which("schemathesis") or "schemathesis"


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, world, settings, tmp_path
):
    settings.SW_API_RATE = "1000000/min"
    settings.SW_WEBHOOK_MAX_ATTEMPTS = 1
    peers = {
        "acme": api_key_issue(name="st", organization=world.acme, can_write=True).key,
        "globex": api_key_issue(name="st", organization=world.globex, can_write=True).key,
        "initech": api_key_issue(name="st", supplier=world.initech, can_write=True).key,
        "umbrella": api_key_issue(name="st", supplier=world.umbrella, can_write=True).key,
    }
    # Something of each party's to read: a subscription and a delivery (to a closed local port,
    # so that a redelivery fails at once).
    for party in ({"organization": world.acme}, {"supplier": world.initech}):
        subscription = WebhookSubscription.objects.create(
            url="http://127.0.0.1:9/hook", secret="s", events=["incident.created"], **party
        )
        WebhookDelivery.objects.create(
            subscription=subscription,
            incident_event=world.incidents["initech"].events.first(),
            event_type="incident.created",
            payload={"type": "incident.created"},
            status=WebhookDelivery.Status.FAILED,
        )
    wfc = tmp_path / "auth.json"
    wfc.write_text(
        json.dumps(
            {
                "auth": [
                    {
                        "name": name,
                        "fixedHeaders": [{"name": "Authorization", "value": f"Api-Key {key}"}],
                    }
                    for name, key in peers.items()
                ]
            }
        )
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "\n".join(
            [
                "[auth.wfc]",
                f"path = {json.dumps(str(wfc))}",
                f"peers = {json.dumps(list(peers))}",
                "",
                "[checks]",
                *(f"{name}.enabled = {str(on).lower()}" for name, on in CHECKS.items()),
                f"positive_data_acceptance.expected-statuses = {json.dumps(ACCEPTED)}",
                "",
                # Suppliers are shared by every party: a supplier one buyer created (by upserting
                # its vendor codes) is every buyer's to read. Incidents, reports, webhooks and
                # deliveries, which parties do own, keep the check.
                "[[operations]]",
                f"include-path-regex = {json.dumps(SHARED_SUPPLIER_PATHS)}",
                "checks.object_level_authorization.enabled = false",
                "",
            ]
        )
    )
    command = [
        _schemathesis(),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{live_server.url}/api/schema/",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(TIME_BUDGET_SECONDS),
        "--workers",
        "1",
        "--seed",
        "20261122",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=TIME_BUDGET_SECONDS + 90, cwd=tmp_path
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-12_000:]
    assert "passed" in output.split("SUMMARY")[-1], output[-3_000:]
