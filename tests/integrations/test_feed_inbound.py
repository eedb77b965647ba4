"""The inbound webhook feed: a tool POSTs public posts signed with the feed's own secret, as our
outgoing webhooks are signed. It is answered 2xx only once they are stored; anything wrong gets
the API's error shape and stores nothing."""

from __future__ import annotations

import json
import time

import pytest
from rest_framework.test import APIClient

from incidents.models import Post
from integrations import services
from integrations.models import Feed
from integrations.signing import signature_header

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound(initech):
    created = services.feed_create(kind="webhook", target="", name="scraper", supplier=initech)
    return created.feed, created.secret


def url(feed: Feed) -> str:
    return f"/api/v1/feeds/inbound/{feed.inbound_token}/"


def post(feed: Feed, body: bytes, *, signature: str | None):
    headers = {} if signature is None else {"HTTP_SUPPLIERWATCH_SIGNATURE": signature}
    return APIClient().post(url(feed), data=body, content_type="application/json", **headers)


def payload(count: int = 2) -> bytes:
    return json.dumps(
        {
            "posts": [
                {
                    "external_id": f"scraped-{n}",
                    "text": f"Initech housings cracked on arrival ({n})",
                    "author_handle": "@reviewer",
                    "url": f"https://reviews.example/initech/{n}",
                    "published_at": "2026-11-30T10:00:00Z",
                }
                for n in range(count)
            ]
        }
    ).encode()


def test_signed_posts_are_stored_once_and_answered_202(inbound):
    feed, secret = inbound
    body = payload()

    answer = post(feed, body, signature=signature_header(secret=secret, body=body))

    assert answer.status_code == 202, answer.content
    assert answer.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert Post.objects.filter(source=feed.source).count() == 2
    feed.refresh_from_db()
    assert feed.items_stored == 2 and feed.last_success_at is not None

    # The same posts signed anew (a sender's retry) are duplicates, not new posts.
    again = post(
        feed,
        body,
        signature=signature_header(secret=secret, body=body, timestamp=int(time.time()) + 1),
    )
    assert again.status_code == 202 and again.json()["duplicates"] == 2
    assert Post.objects.filter(source=feed.source).count() == 2


def test_a_row_that_cannot_be_stored_is_listed_and_the_others_stored(inbound):
    feed, secret = inbound
    body = json.dumps(
        {
            "posts": [
                {"external_id": "a", "text": "Initech late"},
                {"external_id": "b", "published_at": "9999-12-31T00:00:00Z", "text": "x"},
            ]
        }
    ).encode()

    answer = post(feed, body, signature=signature_header(secret=secret, body=body))

    assert answer.status_code == 202
    assert answer.json()["rejected"] == [{"index": 1, "reason": "published_at: out of range"}]
    assert list(Post.objects.filter(source=feed.source).values_list("external_id", flat=True)) == [
        "a"
    ]


def error_of(answer) -> dict:
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        (None, 401, "invalid_signature"),
        ("t=1,v1=00", 401, "invalid_signature"),
        ("nonsense", 401, "invalid_signature"),
    ],
    ids=["missing", "old-and-wrong", "malformed"],
)
def test_a_bad_signature_is_refused_and_nothing_stored(inbound, signature, status, code):
    feed, _ = inbound
    answer = post(feed, payload(), signature=signature)
    assert answer.status_code == status
    assert error_of(answer)["code"] == code
    assert not Post.objects.exists()


def test_a_body_signed_with_another_secret_is_refused(inbound):
    feed, _ = inbound
    body = payload()
    answer = post(feed, body, signature=signature_header(secret="fdsec_someone-else", body=body))
    assert answer.status_code == 401
    assert "no signature matches" in error_of(answer)["message"]
    assert not Post.objects.exists()


def test_an_old_timestamp_is_refused(inbound):
    feed, secret = inbound
    body = payload()
    old = int(time.time()) - 3600
    answer = post(feed, body, signature=signature_header(secret=secret, body=body, timestamp=old))
    assert answer.status_code == 401
    assert "tolerance" in error_of(answer)["message"]
    assert not Post.objects.exists()


def test_a_replayed_request_is_refused(inbound):
    feed, secret = inbound
    body = payload()
    signature = signature_header(secret=secret, body=body)
    assert post(feed, body, signature=signature).status_code == 202
    Post.objects.all().delete()  # so that a replay would show

    replay = post(feed, body, signature=signature)

    assert replay.status_code == 409
    assert error_of(replay)["code"] == "conflict"
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"posts": [', None),
        (b"[" * 10_000, None),
        (b'{"posts": "many"}', "posts"),
        (b'{"posts": []}', "posts"),
        (b"[]", None),
    ],
    ids=["malformed", "deep", "not-a-list", "empty", "not-an-object"],
)
def test_malformed_json_is_a_400_and_stores_nothing(inbound, body, field):
    feed, secret = inbound
    answer = post(feed, body, signature=signature_header(secret=secret, body=body))
    assert answer.status_code == 400
    error = error_of(answer)
    if field:
        assert field in error["fields"]
    assert not Post.objects.exists()


def test_ten_thousand_items_are_refused(inbound):
    feed, secret = inbound
    body = payload(10_000)
    answer = post(feed, body, signature=signature_header(secret=secret, body=body))
    assert answer.status_code == 400
    assert "posts" in error_of(answer)["fields"]
    assert not Post.objects.exists()


def test_an_oversized_body_is_refused_with_413(inbound, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    feed, secret = inbound
    body = payload(200)
    answer = post(feed, body, signature=signature_header(secret=secret, body=body))
    assert answer.status_code == 413
    assert error_of(answer)["code"] == "request_too_large"
    assert not Post.objects.exists()


def test_an_unknown_or_disabled_feed_is_a_404(inbound):
    feed, secret = inbound
    body = payload()
    signature = signature_header(secret=secret, body=body)
    unknown = APIClient().post(
        "/api/v1/feeds/inbound/not-a-token/",
        data=body,
        content_type="application/json",
        HTTP_SUPPLIERWATCH_SIGNATURE=signature,
    )
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "not_found"
    Feed.objects.filter(pk=feed.pk).update(status=Feed.Status.DISABLED)
    assert post(feed, body, signature=signature).status_code == 404
    assert not Post.objects.exists()


def test_a_suppliers_inbound_feed_refuses_posts_naming_another_supplier(inbound, umbrella):
    from suppliers.models import SupplierAlias
    from tests.factories import SupplierAliasFactory

    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.NAME, text="Umbrella Packaging")
    feed, secret = inbound
    body = json.dumps(
        {
            "posts": [
                {"external_id": "a", "text": "Umbrella Packaging boxes crushed, terrible"},
                {"external_id": "b", "text": "Initech late again"},
            ]
        }
    ).encode()

    answer = post(feed, body, signature=signature_header(secret=secret, body=body))

    assert answer.status_code == 202
    (refusal,) = answer.json()["rejected"]
    assert refusal["index"] == 0 and "names another supplier" in refusal["reason"]
    assert list(Post.objects.values_list("external_id", flat=True)) == ["b"]


def test_a_refused_signature_says_how_to_authenticate(inbound):
    feed, _ = inbound
    answer = post(feed, payload(), signature=None)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Supplierwatch-Signature")


def _snippet(language: str) -> str:
    """docs/feeds.md's sender's snippet in `language`, as it is printed."""
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "feeds.md").read_text()
    section = docs.split("### Signing as a sender", 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


@pytest.mark.django_db(transaction=True)
def test_the_senders_python_snippet_in_the_docs_is_accepted(live_server, initech):
    created = services.feed_create(kind="webhook", target="", name="scraper", supplier=initech)
    namespace: dict = {}
    exec(compile(_snippet("python"), "docs/feeds.md", "exec"), namespace)
    namespace["URL"] = live_server.url + url(created.feed)
    namespace["SECRET"] = created.secret

    answer = namespace["send"]([{"external_id": "doc-1", "text": "Initech sent cracked housings"}])

    assert answer == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert Post.objects.filter(source=created.feed.source, external_id="doc-1").exists()
    namespace["SECRET"] = "fdsec_not-the-secret"
    with pytest.raises(Exception, match="401"):
        namespace["send"]([{"external_id": "doc-2", "text": "Initech late"}])


@pytest.mark.django_db(transaction=True)
def test_the_senders_shell_snippet_in_the_docs_is_accepted(live_server, initech):
    import os
    import subprocess

    created = services.feed_create(kind="webhook", target="", name="scraper", supplier=initech)
    env = {**os.environ, "URL": live_server.url + url(created.feed), "SECRET": created.secret}

    sent = subprocess.run(
        ["bash", "-c", _snippet("sh")], env=env, capture_output=True, text=True, timeout=30
    )

    assert json.loads(sent.stdout) == {"accepted": 1, "duplicates": 0, "rejected": []}, sent
    assert Post.objects.filter(source=created.feed.source, external_id="1").exists()
