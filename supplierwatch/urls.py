from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from incidents.views.common import home
from suppliers import views as team_views
from suppliers.forms import EmailAuthenticationForm

from .health import healthz
from .signin import ThrottledPasswordResetView

# The operators' console speaks of the product, not of the framework it is built with.
admin.site.site_header = "supplierwatch operations"
admin.site.site_title = "supplierwatch operations"
admin.site.index_title = "Operations"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("supplierwatch.api_urls")),
    path("settings/api-keys/", include("integrations.urls")),
    path("inbox/", include("notifications.urls")),
    path("", home, name="home"),
    # A buyer organization's admin pages (the team's actions post to /portal/team/...).
    path("buyer/team/", team_views.team, name="buyer-team"),
    path("buyer/vendor-codes/", team_views.vendor_codes, name="buyer-vendor-codes"),
    path(
        "buyer/vendor-codes/<int:pk>/remove/",
        team_views.vendor_code_remove,
        name="buyer-vendor-code-remove",
    ),
    path("", include("incidents.urls")),
    path("portal/team/", include("suppliers.urls")),
    path("portal/feeds/", include("integrations.feed_urls")),
]

# Errors outside a view's own handling: the API answers in its JSON shape, pages in HTML.
handler400 = "supplierwatch.api.errors.bad_request"
handler500 = "supplierwatch.api.errors.server_error"
