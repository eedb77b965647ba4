from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="inbox-read-all"),
    path("settings/", views.preferences, name="notification-settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notification-unsubscribe"),
    path("<int:pk>/", views.notification_open, name="notification-open"),
    path("<int:pk>/read/", views.mark_read, name="notification-read"),
]
