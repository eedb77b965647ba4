"""Supplier portal pages: /portal/..."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("portal/", portal.portal_home, name="portal-home"),
]
