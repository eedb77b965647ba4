"""Buyer pages: /buyer/..., /incidents/<id>/, /suppliers/<slug>/."""

from django.urls import path

from .views import buyer

urlpatterns = [
    path("buyer/", buyer.buyer_home, name="buyer-home"),
]
