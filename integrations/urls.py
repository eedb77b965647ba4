from django.urls import path

from . import views

urlpatterns = [
    path("", views.api_keys, name="api-keys"),
    path("<int:pk>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
]
