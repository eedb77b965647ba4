from django.urls import path

from . import views

urlpatterns = [
    path("buyer/", views.buyer_home, name="buyer-home"),
    path("portal/", views.portal_home, name="portal-home"),
]
