"""An incident of Initech made by the pipeline from Alice's anonymous report, and the helpers that
run what a commit would run (the notifications are generated after commit)."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Incident, Post
from tests.factories import defect_category

CRACKED = "Lot L-1 arrived with cracked housings, 40 units out of spec"
PO_NUMBER = "PO-4711-SECRET"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if its transaction committed: the tasks queued on commit run too."""

    def _committed(write, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(**kwargs)

    return _committed


@pytest.fixture
def report(committed, initech):
    def _report(author, *, visibility=Post.Visibility.ANONYMOUS, lot="L-1", **extra) -> Incident:
        category = defect_category()
        category.keywords = ["cracked", "out of spec"]
        category.save()
        post = committed(
            services.post_report,
            author=author,
            supplier=initech,
            text=CRACKED,
            category=category,
            lot=lot,
            visibility=visibility,
            po_number=PO_NUMBER,
            **extra,
        )
        return Incident.objects.get(matches__post=post)

    return _report
