"""The supplier team page, included under /portal/team/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.team, name="team"),
    path("invite/", views.team_invite, name="team-invite"),
    path("<int:pk>/role/", views.team_role, name="team-role"),
    path("<int:pk>/remove/", views.team_remove, name="team-remove"),
    path("<int:pk>/resend/", views.team_resend, name="team-resend"),
    path(
        "invitations/<int:pk>/resend/",
        views.team_invitation_resend,
        name="team-invitation-resend",
    ),
    path(
        "invitations/<int:pk>/withdraw/",
        views.team_invitation_withdraw,
        name="team-invitation-withdraw",
    ),
    path("join/<str:token>/", views.team_join, name="team-join"),
]
