"""Scorecards computed from the database, against a small case worked out by hand.

November 2026, computed on 1 December 2026 at 10:00 UTC with the seeded weights and standings.

Initech:
- I1 (clock 2 Nov 09:00, high): answered after 6 h (due 24 h: kept), resolved after 96 h (due
  7 days: kept). Acme reported it anonymously (high, 100 units), Globex by name (medium, 50 units),
  and two public posts complain in November.
- I2 (clock 10 Nov 09:00, medium): answered after 96 h (due 72 h: broken), not resolved and due
  24 Nov (broken). Acme reported it by name (critical); Hooli privately (critical, 1000 units),
  which never counts.
- I3: a public post in October; reopened by a rejection on 20 Nov 10:00 (its clock starts again),
  answered after 24 h (kept), resolution due 4 Dec (not yet: neither kept nor broken).

  buyer reports 3, weighted 4 + 2 + 8 = 14; reporting organizations: named {Globex, Acme} 2 +
  anonymous {Acme} 1 = 3; complaints per organization 14 / 3 = 4.667 -> 100 (1 - 4.667/10) = 53.33
  public complaints 2 -> 100 (1 - 2/20) = 90
  first answers kept 2 broken 1 -> 66.67; median of 6, 96, 24 h = 24 -> 100 (1 - 24/72) = 66.67
  resolutions kept 1 broken 1 -> 50; median 96 h -> 100 (1 - 96/336) = 71.43
  reopenings 1 -> 100 (1 - 1/5) = 80; units 150 -> 100 (1 - 150/1000) = 85; disputes: not measured
  score = (20*53.33 + 10*90 + 15*66.67 + 5*66.67 + 15*50 + 5*71.43 + 10*80 + 10*85) / 90
        = 6057.14 / 90 = 67.3 -> Fair

Umbrella: U1 (clock 5 Nov 09:00, low), Globex's anonymous low report; answered after 3 h, resolved
after 48 h, both kept.
  complaints 1 / 1 -> 90; public 0 -> 100; answers 100, median 3 h -> 95.83; resolutions 100,
  median 48 h -> 85.71; reopenings 0 -> 100; units 0 -> 100
  score = (1800 + 1000 + 1500 + 479.17 + 1500 + 428.57 + 1000 + 1000) / 90 = 96.75 -> 96.8
  -> Excellent
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from incidents import services
from incidents.models import (
    Dispute,
    Incident,
    IncidentEvent,
    Post,
    Scorecard,
    ScoringCriterion,
    Severity,
    Standing,
)
from incidents.tasks import compute_scorecards
from tests.factories import (
    BuyerPostFactory,
    IncidentEventFactory,
    IncidentFactory,
    OrganizationFactory,
    PostMatchFactory,
    PublicPostFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
H = timedelta(hours=1)


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _incident(supplier, start, severity, answered_after=None, resolved_after=None, **fields):
    incident = IncidentFactory(supplier=supplier, severity=severity, **fields)
    incident.start_sla(start)
    if answered_after is not None:
        incident.acknowledged_at = start + answered_after
        incident.time_to_first_answer = answered_after
    if resolved_after is not None:
        incident.resolved_at = start + resolved_after
        incident.time_to_resolution = resolved_after
        incident.status = Incident.Status.RESOLVED
    incident.save()
    return incident


def _report(incident, organization, published_at, **fields):
    post = BuyerPostFactory(
        supplier=incident.supplier,
        organization=organization,
        published_at=published_at,
        **fields,
    )
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    return post


def _public(incident, published_at):
    post = PublicPostFactory(published_at=published_at)
    PostMatchFactory(post=post, supplier=incident.supplier, incident=incident)
    return post


@pytest.fixture
def case(initech, umbrella, acme, globex):
    hooli = OrganizationFactory(name="Hooli", slug="hooli")
    i1 = _incident(initech, at(2), Severity.HIGH, 6 * H, 96 * H, post_count=4, public_post_count=2)
    i2 = _incident(initech, at(10), Severity.MEDIUM, 96 * H, post_count=1)
    i3 = _incident(initech, at(20, 10), Severity.MEDIUM, 24 * H, post_count=1, reopened_count=1)
    _report(i1, acme, at(2, 8), severity=Severity.HIGH, quantity_affected=100)
    _report(
        i1,
        globex,
        at(3),
        severity=Severity.MEDIUM,
        quantity_affected=50,
        visibility=Post.Visibility.NAMED,
    )
    _report(i2, acme, at(10, 8), severity=Severity.CRITICAL, visibility=Post.Visibility.NAMED)
    _report(
        i2,
        hooli,
        at(11),
        severity=Severity.CRITICAL,
        quantity_affected=1000,
        visibility=Post.Visibility.PRIVATE,
    )
    _public(i1, at(4))
    _public(i1, at(30, 23))
    _public(i3, at(15, month=10))
    _public(i1, at(1, 0, month=12))  # December: not November's
    PostMatchFactory(post=PublicPostFactory(published_at=at(5)), supplier=initech)  # not grouped
    event = IncidentEventFactory(
        incident=i3,
        kind=IncidentEvent.Kind.STATUS_CHANGED,
        data={"from": "resolved", "to": "reopened", "by": "rejection"},
    )
    IncidentEvent.objects.filter(pk=event.pk).update(created_at=at(20, 10))

    u1 = _incident(umbrella, at(5), Severity.LOW, 3 * H, 48 * H, post_count=1)
    _report(u1, globex, at(5, 8), severity=Severity.LOW)
    # A reopening in October is not November's.
    event = IncidentEventFactory(incident=u1, kind=IncidentEvent.Kind.REOPENED)
    IncidentEvent.objects.filter(pk=event.pk).update(created_at=at(20, month=10))

    # A supplier with only a private report has nothing everyone may count: no scorecard.
    quiet = SupplierFactory(name="Quiet Ltd", slug="quiet")
    q1 = _incident(quiet, at(6), Severity.HIGH)
    _report(q1, hooli, at(6, 8), visibility=Post.Visibility.PRIVATE)
    return {"initech": initech, "umbrella": umbrella, "quiet": quiet}


def _november(supplier) -> Scorecard:
    return Scorecard.objects.get(supplier=supplier, period="month", period_start=NOVEMBER)


def test_figures_of_a_small_case_are_those_worked_out_by_hand(case):
    figures = services.scorecard_figures(period="month", start=NOVEMBER, as_of=NOW)
    initech = figures[case["initech"].pk]
    assert (initech.buyer_reports, initech.weighted_reports) == (3, 14)
    assert initech.reporting_organizations == 3
    assert initech.units_affected == 150
    assert initech.public_complaints == 2
    assert (initech.first_answers_kept, initech.first_answers_broken) == (2, 1)
    assert initech.first_answer_median_hours == 24
    assert (initech.resolutions_kept, initech.resolutions_broken) == (1, 1)
    assert initech.resolution_median_hours == 96
    assert initech.reopenings == 1
    assert initech.disputes_upheld is None
    umbrella = figures[case["umbrella"].pk]
    assert (
        umbrella.buyer_reports,
        umbrella.weighted_reports,
        umbrella.reporting_organizations,
    ) == (
        1,
        1,
        1,
    )
    assert umbrella.reopenings == 0
    assert case["quiet"].pk not in figures


def test_disputes_decided_against_the_supplier_in_the_period_count_as_upheld(case):
    """Two rejected and one accepted in November; one rejected in December is the next month's."""
    initech = case["initech"]
    incident = Incident.objects.filter(supplier=initech).first()
    for day, status in ((3, "rejected"), (12, "rejected"), (20, "accepted")):
        Dispute.objects.create(
            post=PublicPostFactory(),
            incident=incident,
            supplier=initech,
            reason=Dispute.Reason.NOT_A_COMPLAINT,
            status=status,
            decided_at=at(day),
        )
    Dispute.objects.create(
        post=PublicPostFactory(),
        incident=incident,
        supplier=initech,
        reason=Dispute.Reason.NOT_ABOUT_US,
        status="rejected",
        decided_at=at(1, month=12),
    )
    figures = services.scorecard_figures(period="month", start=NOVEMBER, as_of=NOW)
    assert figures[initech.pk].disputes_upheld == 2
    assert figures[case["umbrella"].pk].disputes_upheld is None  # none decided: not measured


def test_scores_and_standings_of_the_small_case(case):
    stored = services.scorecards_compute(period="month", start=NOVEMBER, now=NOW)
    assert stored == 2
    initech, umbrella = _november(case["initech"]), _november(case["umbrella"])
    assert (initech.score, initech.standing) == (67.3, "Fair")
    assert (umbrella.score, umbrella.standing) == (96.8, "Excellent")
    subs = {row["key"]: row["sub_score"] for row in initech.criteria}
    assert subs == {
        "complaints_per_organization": 53.33,
        "public_complaints": 90,
        "first_answer_on_time": 66.67,
        "first_answer_median_hours": 66.67,
        "resolution_on_time": 50,
        "resolution_median_hours": 71.43,
        "reopenings": 80,
        "units_affected": 85,
        "disputes_upheld": None,
    }
    assert not Scorecard.objects.filter(supplier=case["quiet"]).exists()


def test_a_change_of_weights_and_thresholds_changes_the_score_as_by_hand(case):
    # Reopenings weigh 40 instead of 10: (6057.14 + 30 * 80) / 120 = 70.48 -> 70.5.
    ScoringCriterion.objects.filter(key="reopenings").update(weight=40)
    # Initech now reaches Good.
    Standing.objects.filter(name="Good").update(min_score=70)
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW)
    assert (_november(case["initech"]).score, _november(case["initech"]).standing) == (
        70.5,
        "Good",
    )


def test_a_private_report_never_moves_a_score(case, initech, alice):
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW)
    before = _november(initech).figures
    i2 = Incident.objects.get(supplier=initech, sla_started_at=at(10))
    _report(i2, alice.party.organization, at(12), visibility=Post.Visibility.PRIVATE)
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW + H)
    assert _november(initech).figures == before


def test_computing_twice_stores_the_same_rows(case):
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW)
    first = list(Scorecard.objects.values("supplier", "score", "figures", "criteria"))
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW + H)
    assert list(Scorecard.objects.values("supplier", "score", "figures", "criteria")) == first
    assert Scorecard.objects.count() == 2


def test_a_supplier_whose_evidence_left_the_period_loses_its_scorecard(case, umbrella):
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW)
    Incident.objects.filter(supplier=umbrella).delete()
    services.scorecards_compute(period="month", start=NOVEMBER, now=NOW + H)
    assert not Scorecard.objects.filter(supplier=umbrella).exists()


def test_one_query_per_question_whatever_the_number_of_suppliers(
    case, django_assert_max_num_queries
):
    for _ in range(5):
        supplier = SupplierFactory()
        _report(
            _incident(supplier, at(7), Severity.LOW, post_count=1), OrganizationFactory(), at(7)
        )
    # figures (5: reports, public posts, SLA, reopenings, disputes), criteria, standings, the
    # upsert, the clean-up, savepoint
    with django_assert_max_num_queries(11):
        assert services.scorecards_compute(period="month", start=NOVEMBER, now=NOW) == 7


def test_a_period_must_start_on_its_first_day(db):
    with pytest.raises(ValueError, match="does not start"):
        services.scorecards_compute(period="month", start=date(2026, 11, 2), now=NOW)


def test_the_scheduled_task_keeps_the_current_and_last_closed_periods(case, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    compute_scorecards.delay()
    stored = set(Scorecard.objects.values_list("supplier__slug", "period", "period_start"))
    assert ("initech-components", "month", NOVEMBER) in stored
    assert ("initech-components", "quarter", date(2026, 10, 1)) in stored
    # 1 December is a Tuesday: the week of 30 November holds December's public post.
    assert ("initech-components", "week", date(2026, 11, 30)) in stored


def test_recompute_scorecards_stores_history(case, capsys):
    call_command("recompute_scorecards", "--period", "month", "--since", "2026-10-01")
    stored = set(Scorecard.objects.values_list("supplier__slug", "period_start"))
    assert ("initech-components", date(2026, 10, 1)) in stored  # the October public post
    assert ("initech-components", NOVEMBER) in stored
    assert "scorecards stored" in capsys.readouterr().out


def test_recompute_scorecards_refuses_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--since"):
        call_command("recompute_scorecards", "--since", "last week")


def test_beat_runs_the_scorecard_task_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["compute-scorecards"]
    assert entry["task"] == compute_scorecards.name
    assert entry["schedule"].hour == set(range(24))


@pytest.mark.parametrize(
    ("threshold", "refused"), [(-1, True), (100.5, True), (1, False), (100, False)]
)
def test_a_standings_threshold_is_a_score_from_0_to_100(db, client, operator, threshold, refused):
    from django.urls import reverse

    good = Standing.objects.get(name="Good")
    client.force_login(operator)
    response = client.post(
        reverse("admin:incidents_standing_change", args=[good.pk]),
        {"name": "Good", "min_score": threshold},
    )
    good.refresh_from_db()
    if refused:
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
        assert good.min_score == 75
    else:
        assert response.status_code == 302
        assert good.min_score == threshold
