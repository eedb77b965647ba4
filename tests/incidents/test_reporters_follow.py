"""Reporters follow the incidents their reports are grouped into; an unfollow is respected until
they report into that incident again (services/follows.py says why)."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Follow, Incident, Post
from tests.factories import BuyerMembershipFactory, UserFactory, defect_category

pytestmark = pytest.mark.django_db

CRACKED = "Half the housings are cracked and out of spec, unacceptable."


@pytest.fixture
def report(django_capture_on_commit_callbacks, initech):
    """A buyer reports a problem through the service, and the commit runs the pipeline."""

    def _report(author, *, lot="L-1", visibility=Post.Visibility.ANONYMOUS) -> Incident:
        with django_capture_on_commit_callbacks(execute=True):
            post = services.post_report(
                author=author,
                supplier=initech,
                text=CRACKED,
                category=defect_category(),
                lot=lot,
                visibility=visibility,
            )
        return Incident.objects.get(matches__post=post)

    return _report


def follows(user) -> set[int]:
    return set(Follow.objects.filter(user=user).values_list("incident_id", flat=True))


def test_a_reporter_follows_the_incident_their_report_opens(report, alice):
    incident = report(alice)
    assert follows(alice) == {incident.pk}


def test_each_reporter_follows_the_incident_their_report_joins(report, alice, bob):
    incident = report(alice)
    assert report(bob) == incident
    assert follows(bob) == {incident.pk}


@pytest.mark.parametrize("visibility", [Post.Visibility.PRIVATE, Post.Visibility.NAMED])
def test_a_reporter_follows_whatever_their_report_s_visibility(report, alice, visibility):
    incident = report(alice, visibility=visibility)
    assert follows(alice) == {incident.pk}


def test_an_unfollow_holds_against_other_people_s_reports(report, alice, bob):
    incident = report(alice)
    services.incident_unfollow(user=alice, incident=incident)
    report(bob)
    assert follows(alice) == set()


def test_an_unfollow_holds_when_the_same_report_is_processed_again(report, alice):
    incident = report(alice)
    services.incident_unfollow(user=alice, incident=incident)
    post = Post.objects.get(author=alice)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PENDING)
    services.posts_process(post_ids=[post.pk])
    assert Post.objects.get(pk=post.pk).status == Post.Status.PROCESSED
    assert follows(alice) == set()


def test_a_new_report_into_the_same_incident_follows_it_again(report, alice):
    incident = report(alice)
    services.incident_unfollow(user=alice, incident=incident)
    assert report(alice) == incident
    assert follows(alice) == {incident.pk}


def test_following_already_keeps_what_was_seen(report, alice):
    incident = report(alice)
    Follow.objects.filter(user=alice).update(seen_at=incident.created_at)
    report(alice)
    assert Follow.objects.get(user=alice).seen_at == incident.created_at


def test_an_api_key_s_service_user_follows_nothing(report, acme):
    service_user = UserFactory(is_service_account=True)
    BuyerMembershipFactory(user=service_user, organization=acme)
    report(service_user)
    assert follows(service_user) == set()
