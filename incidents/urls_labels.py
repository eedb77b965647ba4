"""Label corrections: /posts/<id>/label/ (incidents/views/labels.py)."""

from django.urls import path

from .views import labels

urlpatterns = [
    path("posts/<int:post_id>/label/", labels.post_label, name="post-label"),
]
