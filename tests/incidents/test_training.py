"""Teaching the classifier: training runs, activation, the model in use, and corrections.

Labelled posts are made directly (factories) where only their labels matter, and published
through the pipeline (posts_ingest, processed on commit) where matching and grouping matter.
"""

from __future__ import annotations

from io import StringIO
from itertools import count

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents import engines, learning, services
from incidents.classify import LexiconClassifier
from incidents.learning import LearnedClassifier, stable_fraction
from incidents.models import Category, ClassifierModel, Incident, Post, PostMatch
from incidents.tasks import retrain_classifier
from suppliers.models import Membership, SupplierAlias
from supplierwatch.errors import ApplicationError
from tests.factories import (
    BuyerPostFactory,
    CategoryFactory,
    PublicPostFactory,
    SupplierAliasFactory,
    SupplierMembershipFactory,
)
from tests.incidents.test_learning import BROKEN, LATE, RUDE, make_examples

pytestmark = pytest.mark.django_db

_ids = count()
BROKEN_TEXT = "@initech the parts arrived broken and defective, terrible and unacceptable"


@pytest.fixture
def categories(db) -> dict[int, Category]:
    """The synthetic examples' categories (test_learning) as rows of the taxonomy."""
    return {
        LATE: CategoryFactory(slug="late-delivery", name="Late delivery"),
        BROKEN: CategoryFactory(slug="defect", name="Defect / nonconformance"),
        RUDE: CategoryFactory(slug="service", name="Customer service"),
    }


def label_posts(categories, examples=None) -> list[Post]:
    """Public posts labelled by a person, one per synthetic example."""
    posts = []
    for example in examples or make_examples(240):
        posts.append(
            PublicPostFactory(
                external_id=example.key,
                text=example.text,
                status=Post.Status.PROCESSED,
                label_is_complaint=example.is_complaint,
                label_category=categories[example.category_id] if example.category_id else None,
            )
        )
    return posts


@pytest.fixture
def handles(initech, umbrella) -> None:
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.HANDLE, text="@umbrellapack")


@pytest.fixture
def publish(django_capture_on_commit_callbacks, handles):
    def _publish(*texts: str) -> list[Post]:
        rows = [
            {"external_id": f"pub-{next(_ids)}", "text": text, "author_handle": f"u{next(_ids)}"}
            for text in texts
        ]
        with django_capture_on_commit_callbacks(execute=True):
            result = services.posts_ingest(source="twitter", rows=rows)
        return list(Post.objects.filter(pk__in=result.post_ids).order_by("pk"))

    return _publish


@pytest.fixture
def relabel(django_capture_on_commit_callbacks):
    """A correction, committed: the re-queued processing runs as a commit would run it."""

    def _relabel(post: Post, actor, is_complaint, category=None) -> Post:
        with django_capture_on_commit_callbacks(execute=True):
            services.post_relabel(
                post=post, actor=actor, is_complaint=is_complaint, category=category
            )
        post.refresh_from_db()
        return post

    return _relabel


def incident_of(post: Post) -> Incident | None:
    match = PostMatch.objects.filter(post=post, is_primary=True).select_related("incident").first()
    return match.incident if match else None


# --- training runs -------------------------------------------------------------------------------


def test_too_few_labelled_posts_train_nothing(categories):
    label_posts(categories, make_examples(30))

    result = services.classifier_train(min_examples=200)

    assert not result.trained
    assert "30 labelled posts" in result.reason
    assert not ClassifierModel.objects.exists()


def test_posts_of_one_kind_only_train_nothing_even_when_forced(categories):
    label_posts(categories, [e for e in make_examples(60) if e.is_complaint])

    result = services.classifier_train(force=True)

    assert not result.trained
    assert "0 posts that are not complaints" in result.reason


def test_a_model_that_beats_the_lexicon_is_stored_and_activated(categories):
    label_posts(categories)

    result = services.classifier_train(min_examples=100)

    assert result.trained and result.activated
    stored = ClassifierModel.objects.get()
    assert stored.is_active
    assert stored.version == result.model.version
    assert stored.training_examples == result.model.training_examples > 150
    assert stored.metrics["complaint_f1"] > stored.metrics["compared_with"]["complaint_f1"]
    assert stored.metrics["compared_with"]["version"] == LexiconClassifier.version
    assert stored.metrics["held_out_examples"] == result.metrics["examples"]
    assert set(stored.metrics["categories_learned"]) == {c.pk for c in categories.values()}
    assert isinstance(learning.loads(stored.artifact), LearnedClassifier)


def mislabel_the_training_part(posts: list[Post]) -> None:
    """Someone mislabels every post the next run learns from; the held-out ones stay right."""
    for post in posts:
        if stable_fraction(f"{post.source}:{post.external_id}") >= services.training.HELD_OUT_SHARE:
            post.label_is_complaint = not post.label_is_complaint
            post.label_category = None
            post.save()


def test_a_worse_model_is_stored_but_the_one_in_use_stays(categories):
    posts = label_posts(categories)
    first = services.classifier_train(min_examples=100).model
    mislabel_the_training_part(posts)

    second = services.classifier_train(min_examples=100)

    assert second.trained and not second.activated
    assert "not better" in second.reason
    assert second.baseline_version == first.version
    assert second.metrics["complaint_f1"] < second.baseline["complaint_f1"]
    assert ClassifierModel.objects.count() == 2
    assert ClassifierModel.objects.get(is_active=True) == first


def test_force_activates_the_new_version_whatever_its_scores(categories):
    posts = label_posts(categories)
    services.classifier_train(min_examples=100)
    mislabel_the_training_part(posts)

    forced = services.classifier_train(force=True)

    assert forced.metrics["complaint_f1"] < forced.baseline["complaint_f1"]
    assert forced.activated and forced.reason == "forced"
    assert ClassifierModel.objects.get(is_active=True) == forced.model
    assert ClassifierModel.objects.filter(is_active=True).count() == 1


def test_buyer_reports_are_complaints_in_their_category(categories, acme, initech):
    report = BuyerPostFactory(organization=acme, supplier=initech, category=categories[LATE])
    PublicPostFactory(text="just a post nobody labelled")

    (example,) = services.labelled_examples()

    assert example.key == f"buyer:{report.external_id}"
    assert (example.is_complaint, example.category_id) == (True, categories[LATE].pk)


def test_a_retired_category_is_not_learned_but_its_posts_still_teach_complaint(categories):
    post = label_posts(categories, make_examples(2))[1]
    Category.objects.filter(pk=post.label_category_id).update(is_active=False)

    examples = {e.key: e for e in services.labelled_examples()}

    assert examples[f"twitter:{post.external_id}"].is_complaint
    assert examples[f"twitter:{post.external_id}"].category_id is None


def test_train_classifier_command_prints_both_models_scores(categories):
    label_posts(categories)
    out = StringIO()

    call_command("train_classifier", "--min-examples", "100", stdout=out)

    text = out.getvalue()
    assert "complaint_f1" in text and "category_macro_f1" in text
    assert "lexicon-1" in text
    assert f"Activated {ClassifierModel.objects.get().version}" in text


def test_train_classifier_command_says_why_it_did_not_train(categories):
    out = StringIO()

    call_command("train_classifier", stdout=out)

    assert "Not trained: 0 labelled posts; at least 200 are needed" in out.getvalue()


def test_the_nightly_task_trains_and_is_scheduled(categories, settings):
    label_posts(categories)

    outcome = retrain_classifier.delay().get()

    assert outcome["trained"] is True
    assert outcome["version"] == ClassifierModel.objects.get().version
    schedule = settings.CELERY_BEAT_SCHEDULE["retrain-classifier"]
    assert schedule["task"] == "incidents.tasks.retrain_classifier"


# --- the model in use ------------------------------------------------------------------------------


def test_without_an_active_model_the_lexicon_classifier_is_used(categories):
    assert isinstance(engines.get_classifier(), LexiconClassifier)


def test_processed_posts_record_the_active_models_version(categories, publish):
    label_posts(categories)
    version = services.classifier_train(min_examples=100).model.version

    (post,) = publish("@initech the delivery is delayed again, still waiting for the parts")

    post.refresh_from_db()
    assert post.classifier_version == version
    assert post.is_complaint
    assert post.predicted_category == categories[LATE]
    assert post.scores["complaint_probability"] == post.complaint_score


def test_every_process_switches_when_another_version_is_activated(categories):
    label_posts(categories)
    first = services.classifier_train(min_examples=100).model
    second = services.classifier_train(force=True).model
    assert engines.get_classifier().version == second.version

    services.classifier_activate(model=first)
    assert engines.get_classifier().version == first.version

    services.classifier_deactivate_all()
    assert isinstance(engines.get_classifier(), LexiconClassifier)


def test_the_active_model_never_predicts_a_retired_category(categories):
    label_posts(categories)
    services.classifier_train(min_examples=100)
    categories[LATE].is_active = False
    categories[LATE].save()

    result = engines.get_classifier().classify("delivery delayed again, still waiting")

    assert result.category_id in {categories[BROKEN].pk, categories[RUDE].pk}


def test_a_model_that_cannot_be_loaded_falls_back_to_the_lexicon(categories, caplog):
    ClassifierModel.objects.create(
        version="broken-1", algorithm="x", is_active=True, artifact=b"not a model"
    )

    classifier = engines.get_classifier()

    assert isinstance(classifier, LexiconClassifier)
    assert "broken-1 cannot be loaded" in caplog.text


# --- corrections ---------------------------------------------------------------------------------


def test_a_correction_moves_the_post_and_is_learned_from_next_time(
    categories, publish, relabel, carol, operator, initech
):
    first, second, third = publish(BROKEN_TEXT, BROKEN_TEXT + "!", BROKEN_TEXT + "!!")
    defect_incident = incident_of(first)
    assert defect_incident.category == categories[BROKEN]
    assert defect_incident.post_count == 3

    # An operator's "not a complaint": the post leaves its incident and the counters drop.
    first = relabel(first, operator, is_complaint=False)
    defect_incident.refresh_from_db()
    assert incident_of(first) is None
    assert first.is_complaint is False
    assert defect_incident.post_count == 2

    # "A complaint about late delivery": it joins that incident.
    second = relabel(second, carol, is_complaint=True, category=categories[LATE])
    defect_incident.refresh_from_db()
    late_incident = incident_of(second)
    assert late_incident.category == categories[LATE]
    assert late_incident.supplier == initech
    assert late_incident.post_count == 1
    assert defect_incident.post_count == 1
    assert second.predicted_category == categories[LATE]
    assert (second.labelled_by, second.label_category) == (carol, categories[LATE])
    assert second.labelled_at is not None

    # The next training run learns from both corrections.
    label_posts(categories)
    examples = {e.key: e for e in services.labelled_examples()}
    assert examples[f"twitter:{first.external_id}"].is_complaint is False
    late = examples[f"twitter:{second.external_id}"]
    assert (late.is_complaint, late.category_id) == (True, categories[LATE].pk)
    assert f"twitter:{third.external_id}" not in examples
    result = services.classifier_train(min_examples=100)
    assert result.examples == len(examples) == 242


def test_removing_a_correction_gives_the_post_back_to_the_classifier(
    categories, publish, relabel, operator
):
    (post,) = publish(BROKEN_TEXT)
    relabel(post, operator, is_complaint=False)

    post = relabel(post, operator, is_complaint=None)

    assert post.label_is_complaint is None and post.labelled_by is None
    assert post.is_complaint is True
    assert incident_of(post).post_count == 1
    assert services.labelled_examples() == []


def test_a_buyer_report_cannot_be_corrected(categories, acme, initech, operator):
    report = BuyerPostFactory(organization=acme, supplier=initech)

    with pytest.raises(ApplicationError, match="only public posts"):
        services.post_relabel(post=report, actor=operator, is_complaint=False)


def test_a_post_that_is_not_a_complaint_has_no_category(categories, operator):
    post = PublicPostFactory()

    with pytest.raises(ApplicationError, match="has no category"):
        services.post_relabel(
            post=post, actor=operator, is_complaint=False, category=categories[LATE]
        )


def test_a_retired_category_cannot_be_chosen(categories, operator):
    post = PublicPostFactory()
    categories[LATE].is_active = False
    categories[LATE].save()

    with pytest.raises(ApplicationError, match="no longer in use"):
        services.post_relabel(
            post=post, actor=operator, is_complaint=True, category=categories[LATE]
        )


# --- who may correct, in the portal ----------------------------------------------------------------


@pytest.fixture
def tweet(categories, publish) -> Post:
    return publish(BROKEN_TEXT)[0]


@pytest.fixture
def initech_viewer(initech):
    return SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user


def test_who_may_correct_a_label(tweet, carol, dave, alice, operator, initech_viewer, anonymous):
    assert services.may_relabel(carol, tweet)  # a responder of the supplier it names
    assert services.may_relabel(operator, tweet)
    assert not services.may_relabel(dave, tweet)  # another supplier's staff
    assert not services.may_relabel(initech_viewer, tweet)  # reads, does not answer
    assert not services.may_relabel(alice, tweet)  # a buyer
    assert not services.may_relabel(anonymous, tweet)


@pytest.mark.parametrize("who", ["dave", "initech_viewer", "alice"])
def test_the_service_refuses_a_correction_from_someone_who_may_not_make_it(request, tweet, who):
    """The rule is the service's, not only the page's: the admin and every later channel get it."""
    actor = request.getfixturevalue(who)
    with pytest.raises(ApplicationError) as refused:
        services.post_relabel(post=tweet, actor=actor, is_complaint=False)
    assert refused.value.code == "forbidden"
    tweet.refresh_from_db()
    assert tweet.label_is_complaint is None


def test_supplier_staff_correct_a_label_from_the_portal(
    client, carol, tweet, categories, django_capture_on_commit_callbacks
):
    client.force_login(carol)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("post-label", args=[tweet.pk]),
            {"label": "complaint", "category": categories[LATE].pk, "next": "/portal/?page=2"},
        )

    assert response.status_code == 302
    assert response.url == "/portal/?page=2"
    tweet.refresh_from_db()
    assert (tweet.label_is_complaint, tweet.label_category) == (True, categories[LATE])
    assert incident_of(tweet).category == categories[LATE]


def test_with_htmx_the_form_answers_with_itself(client, operator, tweet):
    client.force_login(operator)

    response = client.post(
        reverse("post-label", args=[tweet.pk]), {"label": "not_complaint"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.templates[0].name == "incidents/_label_form.html"
    assert b"Saved" in response.content
    assert b"Corrected: not a complaint" in response.content


def test_a_suppliers_not_a_complaint_from_the_form_is_a_dispute(client, carol, tweet):
    client.force_login(carol)

    response = client.post(
        reverse("post-label", args=[tweet.pk]), {"label": "not_complaint"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert b"Disputed" in response.content
    tweet.refresh_from_db()
    assert tweet.label_is_complaint is None
    assert incident_of(tweet).post_count == 1
    assert tweet.disputes.get().reason == "not_complaint"


def test_the_redirect_never_leaves_the_site(client, carol, tweet):
    client.force_login(carol)

    response = client.post(
        reverse("post-label", args=[tweet.pk]),
        {"label": "not_complaint", "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert not response.url.startswith("https://evil")


def test_a_category_with_not_a_complaint_is_refused_in_the_form(client, carol, tweet, categories):
    client.force_login(carol)

    response = client.post(
        reverse("post-label", args=[tweet.pk]),
        {"label": "bogus", "category": categories[LATE].pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert b'role="alert"' in response.content
    tweet.refresh_from_db()
    assert tweet.label_is_complaint is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("dave", 404),  # cannot even read a post that does not name his company
        ("initech_viewer", 403),
        ("alice", 403),  # buyers read public posts but do not correct them
    ],
)
def test_others_cannot_correct_a_label(client, request, tweet, persona, status):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("post-label", args=[tweet.pk]), {"label": "not_complaint"})

    assert response.status_code == status
    tweet.refresh_from_db()
    assert tweet.label_is_complaint is None


def test_a_visitor_is_sent_to_log_in(client, tweet):
    response = client.post(reverse("post-label", args=[tweet.pk]), {"label": "not_complaint"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_form_partial_shows_only_to_those_who_may_use_it(rf, tweet, carol, alice, operator):
    from django.template import Context, Template

    template = Template("{% load labels %}{% label_form post %}")
    # A supplier's responders choose a category; only operators take a post out directly.
    for user, form, removes in (
        (operator, True, True),
        (carol, True, False),
        (alice, False, False),
    ):
        request = rf.get("/portal/")
        request.user = user
        html = template.render(Context({"request": request, "post": tweet}))
        assert ("A complaint in this category" in html) is form
        assert ("Not a complaint" in html) is removes


# --- the operator's admin ---------------------------------------------------------------------------


def test_operator_marks_posts_as_not_complaints_in_the_admin(
    client, operator, tweet, django_capture_on_commit_callbacks
):
    client.force_login(operator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:incidents_post_changelist"),
            {"action": "label_not_complaint", "_selected_action": [tweet.pk]},
        )

    assert response.status_code == 302
    tweet.refresh_from_db()
    assert (tweet.label_is_complaint, tweet.labelled_by) == (False, operator)
    assert incident_of(tweet) is None


def test_operator_chooses_a_category_on_an_intermediate_page(client, operator, tweet, categories):
    client.force_login(operator)
    url = reverse("admin:incidents_post_changelist")

    page = client.post(url, {"action": "label_complaint", "_selected_action": [tweet.pk]})
    assert page.status_code == 200
    assert b"Label as complaints" in page.content

    done = client.post(
        url,
        {
            "action": "label_complaint",
            "_selected_action": [tweet.pk],
            "apply": "1",
            "category": categories[RUDE].pk,
        },
    )
    assert done.status_code == 302
    tweet.refresh_from_db()
    assert (tweet.label_is_complaint, tweet.label_category) == (True, categories[RUDE])


def test_operator_sees_each_versions_scores_and_can_roll_back(client, operator, categories):
    label_posts(categories)
    first = services.classifier_train(min_examples=100).model
    services.classifier_train(force=True)
    client.force_login(operator)

    listing = client.get(reverse("admin:incidents_classifiermodel_changelist"))
    assert listing.status_code == 200
    assert first.version.encode() in listing.content
    detail = client.get(reverse("admin:incidents_classifiermodel_change", args=[first.pk]))
    assert b"category_macro_f1" in detail.content
    assert client.get(reverse("admin:incidents_classifiermodel_add")).status_code == 403

    client.post(
        reverse("admin:incidents_classifiermodel_changelist"),
        {"action": "activate", "_selected_action": [first.pk]},
    )
    assert ClassifierModel.objects.get(is_active=True) == first


# --- training from the admin ------------------------------------------------------------------------


def test_operator_trains_and_activates_a_model_from_the_admin(client, operator, categories):
    label_posts(categories)
    client.force_login(operator)
    listing = client.get(reverse("admin:incidents_classifiermodel_changelist"))
    train_url = reverse("admin:incidents_classifiermodel_train")
    assert train_url.encode() in listing.content  # beside the versions

    page = client.get(train_url)
    assert page.status_code == 200
    assert b"learns from 240 labelled posts" in page.content

    response = client.post(train_url, {"activate": "if_better"}, follow=True)

    model = ClassifierModel.objects.get()
    assert model.is_active
    (told,) = [str(message) for message in response.context["messages"]]
    assert told.startswith(f"{model.version} trained and activated (complaint F1 ")
    assert model.version.encode() in response.content  # listed with its scores


def test_a_forced_training_from_the_admin_activates_however_few_the_examples(
    client, operator, categories
):
    label_posts(categories, make_examples(20))
    client.force_login(operator)
    train_url = reverse("admin:incidents_classifiermodel_train")

    refused = client.post(train_url, {"activate": "if_better"}, follow=True)
    (told,) = [str(message) for message in refused.context["messages"]]
    assert told.startswith("Nothing was trained")
    client.post(train_url, {"activate": "always"})

    assert ClassifierModel.objects.get().is_active


def test_only_operators_train(client, carol, categories):
    client.force_login(carol)
    response = client.post(reverse("admin:incidents_classifiermodel_train"), {"activate": "always"})
    assert response.status_code == 302  # to the admin's login
    assert not ClassifierModel.objects.exists()


def test_operators_see_which_model_classified_each_post(client, operator, alice, tweet):
    incident = incident_of(tweet)
    version = tweet.classifier_version
    assert version

    client.force_login(operator)
    page = client.get(reverse("incident-detail", args=[incident.pk]))
    assert f"Classified by {version}".encode() in page.content
    posts = client.get(reverse("admin:incidents_post_changelist"), {"classifier_version": version})
    assert posts.context["cl"].result_count == 1

    client.force_login(alice)  # the model's name is the operators' business
    assert (
        b"Classified by" not in client.get(reverse("incident-detail", args=[incident.pk])).content
    )
