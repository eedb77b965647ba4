"""The API's personas and world.

Keys (the personas of every API test):
    acme          write key of buyer organization Acme (alice's)
    globex        write key of buyer organization Globex (bob's)
    initech       write key of supplier Initech Components (carol's)
    umbrella      write key of supplier Umbrella Packaging (dave's)
    acme_read     read-only key of Acme
    initech_read  read-only key of Initech
    revoked       Acme's key, revoked
    nokey         no Authorization header at all

The world: Acme reported Initech anonymously (with a PO number that would name it) and privately;
Globex reported Initech by name; a public post named Initech. All four are grouped in one Initech
incident. A second Initech incident holds only Acme's private report. Umbrella has an incident of a
public post. Initech answered publicly, and privately to Globex (which reported by name).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident, IncidentEvent, Post, Response
from integrations.services import api_key_issue, api_key_revoke
from suppliers.models import Organization, Supplier, VendorCode
from supplierwatch.api.throttling import ApiKeyRateThrottle
from tests.factories import (
    BuyerPostFactory,
    IncidentEventFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    ResponseFactory,
)

PERSONAS = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "acme_read",
    "initech_read",
    "revoked",
    "nokey",
)
# Strings that name Acme or its reporter: a supplier's key must never receive any of them.
ACME_IDENTITY = ("acme", "alice", "PO-ACME-77")


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(monkeypatch) -> None:
    """Throttle counts live in the cache (Redis in CI, shared with the broker, so it is not
    flushed): each test counts under its own prefix and starts with none."""
    monkeypatch.setattr(
        ApiKeyRateThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s"
    )


@dataclass
class Keys:
    raw: dict[str, str] = field(default_factory=dict)

    def client(self, persona: str) -> APIClient:
        client = APIClient()
        if persona in self.raw:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.raw[persona]}")
        return client


@pytest.fixture
def keys(acme, globex, initech, umbrella) -> Keys:
    issued = {
        "acme": api_key_issue(name="Acme ERP", organization=acme, can_write=True),
        "globex": api_key_issue(name="Globex ERP", organization=globex, can_write=True),
        "initech": api_key_issue(name="Initech QMS", supplier=initech, can_write=True),
        "umbrella": api_key_issue(name="Umbrella QMS", supplier=umbrella, can_write=True),
        "acme_read": api_key_issue(name="Acme BI", organization=acme),
        "initech_read": api_key_issue(name="Initech BI", supplier=initech),
        "revoked": api_key_issue(name="Acme old", organization=acme, can_write=True),
    }
    api_key_revoke(api_key=issued["revoked"].api_key)
    return Keys(raw={persona: item.key for persona, item in issued.items()})


@pytest.fixture
def api(keys) -> Keys:
    """`api.client("acme")`: an APIClient that authenticates as that persona."""
    return keys


@dataclass
class World:
    acme: Organization
    globex: Organization
    initech: Supplier
    umbrella: Supplier
    posts: dict[str, Post]
    incidents: dict[str, Incident]
    responses: dict[str, Response]


@pytest.fixture
def world(acme, globex, initech, umbrella, alice, bob, carol) -> World:
    def report(organization, author, visibility, text, po):
        return BuyerPostFactory(
            organization=organization,
            author=author,
            supplier=initech,
            visibility=visibility,
            text=text,
            po_number=po,
        )

    posts = {
        "anonymous_report": report(
            acme, alice, Post.Visibility.ANONYMOUS, "Housings cracked, lot L7", "PO-ACME-77"
        ),
        "private_report": report(
            acme, alice, Post.Visibility.PRIVATE, "Housings cracked again, lot L7", "PO-ACME-78"
        ),
        "private_report_alone": report(
            acme, alice, Post.Visibility.PRIVATE, "Certificate of conformance missing", "PO-ACME-79"
        ),
        "named_report": report(
            globex, bob, Post.Visibility.NAMED, "Lot L7: 40 cracked housings", "PO-GLOBEX-1"
        ),
        "public_post": PublicPostFactory(text="Initech housings cracking everywhere"),
        "umbrella_post": PublicPostFactory(text="Umbrella pallets crushed again"),
    }
    incidents = {
        "initech": IncidentFactory(
            supplier=initech,
            title="Defect: Initech Components, lot L7",
            post_count=3,
            reporter_count=3,
            organization_count=2,
            public_post_count=1,
            public_author_count=1,
            named_post_count=1,
            named_organization_count=1,
        ),
        "private_only": IncidentFactory(
            supplier=initech, title="Documentation: Initech Components", post_count=0
        ),
        "umbrella": IncidentFactory(
            supplier=umbrella,
            title="Damaged: Umbrella Packaging",
            post_count=1,
            reporter_count=1,
            public_post_count=1,
            public_author_count=1,
        ),
    }
    for name in ("anonymous_report", "private_report", "named_report", "public_post"):
        PostMatchFactory(post=posts[name], supplier=initech, incident=incidents["initech"])
    PostMatchFactory(
        post=posts["private_report_alone"], supplier=initech, incident=incidents["private_only"]
    )
    PostMatchFactory(post=posts["umbrella_post"], supplier=umbrella, incident=incidents["umbrella"])
    responses = {
        "public": ResponseFactory(incident=incidents["initech"], author=carol),
        "to_globex": ResponseFactory(
            incident=incidents["initech"], author=carol, private=True, organization=globex
        ),
    }
    Kind = IncidentEvent.Kind
    for incident in incidents.values():
        IncidentEventFactory(incident=incident, kind=Kind.CREATED, data={"by": "pipeline"})
    IncidentEventFactory(
        incident=incidents["initech"],
        kind=Kind.POST_ADDED,
        data={
            "posts": 3,
            "public_posts": 1,
            "post_ids": [posts["anonymous_report"].pk, posts["named_report"].pk],
        },
    )
    IncidentEventFactory(
        incident=incidents["initech"],
        kind=Kind.ASSIGNED,
        actor=carol,
        data={"assignee_id": carol.pk, "assignee": carol.display_name},
    )
    IncidentEventFactory(
        incident=incidents["initech"],
        kind=Kind.SPIKE,
        data={"complaints_last_hour": 9, "expected": 0.5},
    )
    for response in responses.values():
        IncidentEventFactory(
            incident=incidents["initech"],
            kind=Kind.RESPONSE,
            actor=carol,
            data={"response_id": response.pk, "visibility": response.visibility},
        )
    VendorCode.objects.create(organization=acme, supplier=initech, code="A-100")
    VendorCode.objects.create(organization=acme, supplier=umbrella, code="A-200")
    VendorCode.objects.create(organization=globex, supplier=initech, code="G-1")
    return World(acme, globex, initech, umbrella, posts, incidents, responses)


def strings_in(value: object) -> Iterator[str]:
    """Every key and string value of a JSON document, recursively."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, str):
        yield value


def leaked(document: object, forbidden: tuple[str, ...]) -> list[str]:
    """The strings of `document` that contain any of `forbidden` (case-insensitively)."""
    return [
        text
        for text in strings_in(document)
        if any(word.lower() in text.lower() for word in forbidden)
    ]
