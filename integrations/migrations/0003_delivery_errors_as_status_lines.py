"""Delivery errors logged before were "HTTP 503: " followed by the start of the receiver's answer,
shown to the subscriber through the API; now an error is a status line. The answers kept so far
are cut to theirs ("HTTP 503 Service Unavailable")."""

import re
from http import HTTPStatus

from django.db import migrations

_LOGGED_ANSWER = re.compile(r"HTTP (\d{3})\b")


def status_line(error: str) -> str:
    code = int(_LOGGED_ANSWER.match(error).group(1))
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def forwards(apps, schema_editor):
    WebhookDelivery = apps.get_model("integrations", "WebhookDelivery")
    logged = WebhookDelivery.objects.filter(last_error__regex=r"^HTTP [0-9]{3}").only("last_error")
    for delivery in logged.iterator(chunk_size=1000):
        line = status_line(delivery.last_error)
        if line != delivery.last_error:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=line)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_idempotencyrecord_moved_to_api")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
