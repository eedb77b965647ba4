"""The demo classifies with a learned model: seed_demo labels part of its public posts (as an
operator would), trains and activates a model on them and the buyer reports, and the posts after
that say they were classified by it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import ClassifierModel, Post

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_demo_yields_an_active_learned_model_that_classifies_its_posts():
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)

    model = ClassifierModel.objects.get(is_active=True)
    assert model.version.startswith("learned-")
    assert f"Classifier in use: {model.version}" in out.getvalue()
    unlabelled = Post.objects.exclude(source=Post.BUYER_SOURCE).filter(
        label_is_complaint__isnull=True
    )
    assert unlabelled.exists()
    assert set(unlabelled.values_list("classifier_version", flat=True)) == {model.version}
    assert set(model.metrics["categories_learned"])  # it learned categories, not only "complaint"

    # Run again: nothing is trained twice, the model in use stays.
    call_command("seed_demo", "--force", stdout=StringIO())
    assert list(ClassifierModel.objects.values_list("version", flat=True)) == [model.version]
