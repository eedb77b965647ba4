from django.urls import path

from . import views

urlpatterns = [
    path("", views.feeds, name="portal-feeds"),
    path("<int:pk>/poll/", views.feed_poll_view, name="portal-feed-poll"),
    path("<int:pk>/clear/", views.feed_clear_view, name="portal-feed-clear"),
]
