"""Supplier portal pages: /portal/..."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("portal/", portal.portal_home, name="portal-home"),
    path("portal/incidents/", portal.incident_list, name="portal-incidents"),
    path("portal/incidents/<int:pk>/", portal.incident_detail, name="portal-incident"),
    path(
        "portal/incidents/<int:pk>/<slug:action>/",
        portal.incident_action,
        name="portal-incident-action",
    ),
]
