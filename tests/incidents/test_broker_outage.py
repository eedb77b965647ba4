"""Redis away: the buyer's report form and `ingest_posts` store what they were given, say so, and
leave it pending; the sweep processes it once the broker is back. Pages and sign-in answer."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents.models import Post, Severity
from incidents.tasks import sweep_pending_posts
from tests.outage import redis_unreachable

pytestmark = pytest.mark.django_db(transaction=True)


def report_form(supplier) -> dict:
    return {
        "token": str(uuid.uuid4()),
        "supplier": supplier.pk,
        "supplier_query": supplier.name,
        "severity": str(Severity.HIGH),
        "visibility": Post.Visibility.ANONYMOUS,
        "text": "Forty housings cracked on arrival",
    }


def test_a_report_sent_while_the_broker_is_away_is_a_success_and_processed_later(
    client, alice, initech, settings
):
    client.force_login(alice)
    with redis_unreachable():
        response = client.post(reverse("buyer-report"), report_form(initech), follow=True)

        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("buyer-home")
        assert "joins an incident with similar reports in a moment" in response.content.decode()
        post = Post.objects.get()
        assert (post.status, post.queued_at) == (Post.Status.PENDING, None)
        # Pages keep answering meanwhile.
        assert client.get(reverse("buyer-home")).status_code == 200

    settings.SW_PENDING_SWEEP_MINUTES = 0
    assert sweep_pending_posts() == 1
    post.refresh_from_db()
    assert post.status == Post.Status.PROCESSED


def test_ingest_posts_stores_the_file_and_says_processing_waits_for_the_broker(tmp_path, settings):
    path = tmp_path / "posts.csv"
    path.write_text(
        "external_id,text\n"
        "p-1,Initech housings arrived cracked\n"
        "p-2,Initech shipped the wrong parts\n"
        "p-3,\n"
    )
    out, err = StringIO(), StringIO()
    with redis_unreachable():
        call_command("ingest_posts", str(path), "--source", "forum", stdout=out, stderr=err)

    summary = out.getvalue()
    assert "accepted             2" in summary
    assert "rejected             1" in summary
    assert "2 accepted posts wait for the broker, which could not be reached" in summary
    assert "Traceback" not in summary + err.getvalue()
    stored = Post.objects.filter(source="forum")
    assert set(stored.values_list("status", "queued_at")) == {(Post.Status.PENDING, None)}

    settings.SW_PENDING_SWEEP_MINUTES = 0
    assert sweep_pending_posts() == 2
    assert set(stored.values_list("status", flat=True)) == {Post.Status.PROCESSED}


def test_ingest_posts_says_nothing_of_the_broker_when_it_took_every_post(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("external_id,text\np-1,Initech housings arrived cracked\n")
    out = StringIO()
    call_command("ingest_posts", str(path), "--source", "forum", stdout=out, stderr=StringIO())
    assert "accepted             1" in out.getvalue()
    assert "wait for the broker" not in out.getvalue()


def test_sign_in_and_password_reset_answer_while_redis_is_away(client, alice, redis_down):
    login = client.post(reverse("login"), {"username": alice.email, "password": "wrong password"})
    assert login.status_code == 200
    reset = client.post(reverse("password_reset"), {"email": alice.email})
    assert reset.status_code == 302


def test_healthz_says_the_broker_is_down_while_redis_is_away(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": False, "mode": "redis", "error": "ConnectionError"}
