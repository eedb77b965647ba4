"""Buyer pages: /buyer/..., /incidents/<id>/, /suppliers/<slug>/, and report attachments."""

from django.urls import path

from .views import buyer

urlpatterns = [
    path("buyer/", buyer.buyer_home, name="buyer-home"),
    path("buyer/report/", buyer.report_problem, name="buyer-report"),
    path("buyer/report/suppliers/", buyer.supplier_choices, name="buyer-supplier-choices"),
    path("incidents/<int:pk>/", buyer.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/follow/", buyer.incident_follow, name="incident-follow"),
    path("suppliers/<slug:slug>/", buyer.supplier_detail, name="supplier-detail"),
    path("attachments/<int:pk>/", buyer.attachment_download, name="attachment-download"),
]
