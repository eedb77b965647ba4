"""Migrations that move data, run back and forth on the test database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supplierwatch.api.models import IdempotencyRecord


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_the_idempotency_records_permissions_move_with_it_to_the_api_app():
    """Staff given a permission on idempotency records while they lived in `integrations` keep it
    once they live in `api`."""
    moved = ContentType.objects.get_for_model(IdempotencyRecord)
    permissions = set(Permission.objects.filter(content_type=moved).values_list("pk", flat=True))
    assert permissions
    try:
        _migrate(("api", "0002_idempotencyrecord_table"))
        old = ContentType.objects.get(pk=moved.pk)
        assert (old.app_label, old.model) == ("integrations", "idempotencyrecord")
    finally:
        _migrate(("api", "0003_idempotencyrecord_content_type"))
    content_type = ContentType.objects.get(pk=moved.pk)
    assert (content_type.app_label, content_type.model) == ("api", "idempotencyrecord")
    assert not ContentType.objects.filter(app_label="integrations", model="idempotencyrecord")
    assert set(content_type.permission_set.values_list("pk", flat=True)) == permissions
