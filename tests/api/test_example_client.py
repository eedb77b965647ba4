"""examples/sync_client.py against a live server: it syncs vendor codes and pulls incidents."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from incidents.models import Incident, to_the_hour
from integrations.services import api_key_issue
from suppliers.models import Supplier, VendorCode

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_client():
    spec = importlib.util.spec_from_file_location("sync_client", EXAMPLES / "sync_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_example_client_syncs_codes_and_pulls_new_incidents(live_server, world, tmp_path, capsys):
    sync_client = load_client()
    key = api_key_issue(name="example", organization=world.acme, can_write=True).key
    csv_file = tmp_path / "codes.csv"
    csv_file.write_text(
        "vendor_code,name,website\n"
        "A-100,Initech Components,\n"
        "A-300,umbrella packaging,\n"
        "A-400,Nakatomi Fasteners,https://nakatomi.example/\n"
    )
    common = ["--url", live_server.url, "--key", key]

    assert sync_client.main([*common, "sync-codes", str(csv_file)]) == 0
    assert "created 1, linked 1, relinked 0, unchanged 1, rejected 0" in capsys.readouterr().out
    codes = dict(
        VendorCode.objects.filter(organization=world.acme).values_list("code", "supplier__slug")
    )
    assert codes["A-300"] == "umbrella-packaging"
    assert codes["A-400"] == "nakatomi-fasteners"
    assert Supplier.objects.filter(name__iexact="umbrella packaging").count() == 1

    assert sync_client.main([*common, "pull"]) == 0
    out = capsys.readouterr().out.splitlines()
    pulled = {int(line.split()[0][1:]) for line in out if line.startswith("#")}
    assert pulled == {incident.pk for incident in world.incidents.values()}
    assert all(line.endswith("8D 0/8 done)") for line in out if line.startswith("#"))
    watermark = out[-1].removeprefix("next --since: ")

    # Only what changed since the watermark comes back next time.
    changed = world.incidents["umbrella"]
    supplier_key = api_key_issue(name="qms", supplier=world.umbrella, can_write=True).key
    httpx.post(
        f"{live_server.url}/api/v1/incidents/{changed.pk}/acknowledge/",
        headers={"Authorization": f"Bearer {supplier_key}"},
    ).raise_for_status()
    assert sync_client.main([*common, "pull", "--since", watermark]) == 0
    again = [line for line in capsys.readouterr().out.splitlines() if line.startswith("#")]
    # The changed one, and at most those changed in or after the watermark's hour: a buyer's key
    # compares times to the hour, inclusively, so it may see some again and never misses one.
    since = to_the_hour(datetime.fromisoformat(watermark))
    assert changed.pk in {int(line.split()[0][1:]) for line in again}
    assert {int(line.split()[0][1:]) for line in again} <= {
        incident.pk
        for incident in Incident.objects.all()
        if max(incident.updated_at, incident.last_activity_at) >= since
    }
    assert any(line.startswith(f"#{changed.pk} [acknowledged/") for line in again)


@pytest.mark.django_db(transaction=True)
def test_example_client_reports_rejected_rows(live_server, world, tmp_path, capsys):
    sync_client = load_client()
    key = api_key_issue(name="example", organization=world.acme, can_write=True).key
    csv_file = tmp_path / "codes.csv"
    csv_file.write_text("vendor_code,name\nX-1,Twice\nX-1,Twice\n")
    assert (
        sync_client.main(["--url", live_server.url, "--key", key, "sync-codes", str(csv_file)]) == 1
    )
    assert "row 1: vendor_code: the same code as row 0" in capsys.readouterr().err
