"""Who sees what: the matrix of DESIGN.md ("Visibility of evidence"), cell by cell.

The world: Acme (alice) reported three problems with Initech (carol), one per visibility; a public
post named Initech; all four were grouped into one Initech incident. A second Initech incident holds
only another private Acme report. Initech answered publicly, and privately to Acme and to Globex.
Umbrella (dave) has an incident of its own made of a public post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pytest

from incidents.models import Incident, Post, Response
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ("alice", "bob", "carol", "dave", "operator", "newcomer", "anonymous")


class Cell(NamedTuple):
    sees: bool
    identity: bool


# The words of DESIGN.md's table.
ALL = Cell(sees=True, identity=True)  # "all, with author"
TEXT = Cell(sees=True, identity=False)  # "text, without organization or author"
NOTHING = Cell(sees=False, identity=False)  # "nothing"
# "nothing" for a public post: not shown, but its author's handle is public already, so
# reveals_identity_to says yes to anybody.
UNSEEN = Cell(sees=False, identity=True)

# fmt: off
POST_MATRIX: dict[str, tuple[Cell, ...]] = {
    #                              alice  bob      carol    dave     operator newcomer anonymous
    "private_report":             (ALL,   NOTHING, NOTHING, NOTHING, ALL,     NOTHING, NOTHING),
    "private_report_alone":       (ALL,   NOTHING, NOTHING, NOTHING, ALL,     NOTHING, NOTHING),
    "anonymous_report":           (ALL,   TEXT,    TEXT,    NOTHING, ALL,     NOTHING, NOTHING),
    "named_report":               (ALL,   TEXT,    ALL,     NOTHING, ALL,     NOTHING, NOTHING),
    "public_post":                (ALL,   ALL,     ALL,     UNSEEN,  ALL,     UNSEEN,  UNSEEN),
    "public_post_about_umbrella": (ALL,   ALL,     UNSEEN,  ALL,     ALL,     UNSEEN,  UNSEEN),
}

INCIDENT_MATRIX: dict[str, tuple[bool, ...]] = {
    #                         alice  bob    carol  dave   operator newcomer anonymous
    "initech_incident":      (True,  True,  True,  False, True,    False,   False),
    "private_only_incident": (True,  False, False, False, True,    False,   False),
    "umbrella_incident":     (True,  True,  False, True,  True,    False,   False),
}

RESPONSE_MATRIX: dict[str, tuple[bool, ...]] = {
    #                         alice  bob    carol  dave   operator newcomer anonymous
    "public_response":       (True,  True,  True,  False, True,    False,   False),
    "response_to_acme":      (True,  False, True,  False, True,    False,   False),
    "response_to_globex":    (False, True,  True,  False, True,    False,   False),
}
# fmt: on


@dataclass
class World:
    posts: dict[str, Post]
    incidents: dict[str, Incident]
    responses: dict[str, Response]


@pytest.fixture
def world(acme, globex, initech, umbrella, alice) -> World:
    def report(visibility: str, text: str) -> Post:
        return BuyerPostFactory(
            organization=acme, author=alice, supplier=initech, visibility=visibility, text=text
        )

    posts = {
        "private_report": report(Post.Visibility.PRIVATE, "Acme only: housings cracked, lot L7"),
        "private_report_alone": report(Post.Visibility.PRIVATE, "Acme only: CoC missing, PO 9"),
        "anonymous_report": report(Post.Visibility.ANONYMOUS, "Housings cracked again, lot L7"),
        "named_report": report(Post.Visibility.NAMED, "Lot L7: 40 cracked housings, named"),
        "public_post": PublicPostFactory(text="Initech housings cracking everywhere"),
        "public_post_about_umbrella": PublicPostFactory(text="Umbrella pallets crushed again"),
    }
    # Counters as the pipeline keeps them: only shareable (non-private) evidence is counted.
    initech_incident = IncidentFactory(
        supplier=initech,
        title="Initech: cracked housings, lot L7",
        post_count=3,
        reporter_count=2,
        organization_count=1,
        public_post_count=1,
    )
    private_only_incident = IncidentFactory(
        supplier=initech, title="Initech: certificate of conformance missing", post_count=0
    )
    umbrella_incident = IncidentFactory(
        supplier=umbrella,
        title="Umbrella: crushed pallets",
        post_count=1,
        reporter_count=1,
        public_post_count=1,
    )
    for name in ("private_report", "anonymous_report", "named_report", "public_post"):
        PostMatchFactory(post=posts[name], supplier=initech, incident=initech_incident)
    PostMatchFactory(
        post=posts["private_report_alone"], supplier=initech, incident=private_only_incident
    )
    PostMatchFactory(
        post=posts["public_post_about_umbrella"], supplier=umbrella, incident=umbrella_incident
    )
    responses = {
        "public_response": ResponseFactory(incident=initech_incident),
        "response_to_acme": ResponseFactory(
            incident=initech_incident, private=True, organization=acme
        ),
        "response_to_globex": ResponseFactory(
            incident=initech_incident, private=True, organization=globex
        ),
    }
    return World(
        posts=posts,
        incidents={
            "initech_incident": initech_incident,
            "private_only_incident": private_only_incident,
            "umbrella_incident": umbrella_incident,
        },
        responses=responses,
    )


@pytest.fixture
def personas(alice, bob, carol, dave, operator, newcomer, anonymous) -> dict:
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dave": dave,
        "operator": operator,
        "newcomer": newcomer,
        "anonymous": anonymous,
    }


def _cells(matrix: dict[str, tuple]) -> list:
    return [
        pytest.param(persona, name, row[i], id=f"{persona}-{name}")
        for name, row in matrix.items()
        for i, persona in enumerate(PERSONAS)
        if i < len(row)
    ]


def test_every_persona_has_a_cell_for_every_object(world, personas):
    assert set(personas) == set(PERSONAS)
    for matrix, objects in (
        (POST_MATRIX, world.posts),
        (INCIDENT_MATRIX, world.incidents),
        (RESPONSE_MATRIX, world.responses),
    ):
        assert set(matrix) == set(objects), "the matrix must name every object of the world"
        for name, row in matrix.items():
            assert len(row) == len(PERSONAS), f"{name} needs one cell per persona"
    assert len(_cells(POST_MATRIX) + _cells(INCIDENT_MATRIX) + _cells(RESPONSE_MATRIX)) == (
        len(PERSONAS) * (len(world.posts) + len(world.incidents) + len(world.responses))
    )


@pytest.mark.parametrize(("persona", "post", "expected"), _cells(POST_MATRIX))
def test_post_visibility_matrix(world, personas, persona, post, expected):
    user = personas[persona]
    obj = world.posts[post]
    sees = Post.objects.visible_to(user).filter(pk=obj.pk).exists()
    assert Cell(sees=sees, identity=obj.reveals_identity_to(user)) == expected


@pytest.mark.parametrize(("persona", "incident", "expected"), _cells(INCIDENT_MATRIX))
def test_incident_visibility_matrix(world, personas, persona, incident, expected):
    user = personas[persona]
    obj = world.incidents[incident]
    assert Incident.objects.visible_to(user).filter(pk=obj.pk).exists() is expected


@pytest.mark.parametrize(("persona", "response", "expected"), _cells(RESPONSE_MATRIX))
def test_response_visibility_matrix(world, personas, persona, response, expected):
    user = personas[persona]
    obj = world.responses[response]
    assert Response.objects.visible_to(user).filter(pk=obj.pk).exists() is expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_to_returns_exactly_the_matrix(world, personas, persona):
    """The whole queryset, not just one row at a time: nothing beyond the matrix leaks in."""
    user = personas[persona]
    index = PERSONAS.index(persona)
    for model, matrix, objects, sees in (
        (Post, POST_MATRIX, world.posts, lambda cell: cell.sees),
        (Incident, INCIDENT_MATRIX, world.incidents, bool),
        (Response, RESPONSE_MATRIX, world.responses, bool),
    ):
        expected = {objects[name].pk for name, row in matrix.items() if sees(row[index])}
        visible = list(model.objects.visible_to(user).values_list("pk", flat=True))
        assert sorted(visible) == sorted(expected), model.__name__


def test_supplier_staff_cannot_see_private_buyer_post(world, carol):
    assert not Post.objects.visible_to(carol).filter(visibility=Post.Visibility.PRIVATE).exists()


def test_other_buyers_never_learn_who_reported(world, bob):
    buyer_posts = Post.objects.visible_to(bob).filter(source=Post.BUYER_SOURCE)
    assert buyer_posts.exists()
    assert not any(post.reveals_identity_to(bob) for post in buyer_posts)


def test_supplier_cannot_see_other_suppliers_incident(world, dave, initech):
    assert not Incident.objects.visible_to(dave).filter(supplier=initech).exists()


def test_incident_counters_exclude_private_evidence(world, bob):
    """What a viewer outside Acme can count of the Initech incident equals its stored counter."""
    incident = world.incidents["initech_incident"]
    countable = Post.objects.visible_to(bob).filter(matches__incident=incident)
    assert countable.count() == incident.post_count


@pytest.fixture
def matched_twice(world, alice, initech, umbrella) -> list[Post]:
    """Posts that reach one viewer by two paths: reported to Initech and naming Umbrella too."""
    named = BuyerPostFactory(
        organization=alice.membership.organization,
        author=alice,
        supplier=initech,
        visibility=Post.Visibility.NAMED,
        text="Initech housings in Umbrella boxes, both damaged",
    )
    public = PublicPostFactory(text="Initech parts, Umbrella packaging, all of it broken")
    incident = world.incidents["initech_incident"]
    for post in (named, public):
        PostMatchFactory(post=post, supplier=initech, is_primary=True, incident=incident)
        PostMatchFactory(post=post, supplier=umbrella, is_primary=False)
    return [named, public]


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_to_returns_no_duplicates(world, matched_twice, personas, persona):
    user = personas[persona]
    for model in (Post, Incident, Response):
        pks = list(model.objects.visible_to(user).values_list("pk", flat=True))
        assert len(pks) == len(set(pks)), model.__name__


@pytest.mark.parametrize("persona", ["alice", "carol", "dave", "operator"])
def test_post_matched_twice_appears_once(world, matched_twice, personas, persona):
    user = personas[persona]
    for post in matched_twice:
        assert list(Post.objects.visible_to(user).filter(pk=post.pk)) == [post]


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_to_costs_one_query(
    world, matched_twice, personas, persona, django_assert_num_queries
):
    user = personas[persona]
    for model in (Post, Incident, Response):
        queryset = model.objects.visible_to(user)
        # A viewer who may see nothing costs no query at all (an empty queryset).
        expected = 0 if persona in ("newcomer", "anonymous") else 1
        with django_assert_num_queries(expected):
            list(queryset)
