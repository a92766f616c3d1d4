from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from bingel_admin import views
from integrations import api as integrations_api
from integrations import sso

urlpatterns = [
    path("", views.home, name="home"),
    path("inloggen/", views.login_page, name="login"),
    path("uitloggen/", views.logout, name="logout"),
    path("scholen/", views.choose_school, name="choose_school"),
    path("help/", views.help_page, name="help"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("taal/", login_not_required(set_language), name="set_language"),
    # Our own views for the Basispoort provider come first: they add the nonce and the
    # signature check (see integrations.sso); allauth's stay for everything else.
    path("accounts/oidc/<str:provider_id>/login/", sso.login, name="openid_connect_login"),
    path("accounts/oidc/<str:provider_id>/login/callback/", sso.callback, name="openid_connect_callback"),
    path("accounts/", include("allauth.urls")),
    path("school/<int:school_id>/", include("roster.urls")),
    path("school/<int:school_id>/beheer/licenties/", include("licenses.urls")),
    path("school/<int:school_id>/beheer/resultaatkoppelingen/", include("integrations.urls")),
    path("api/resultaten/", integrations_api.results_in, name="api_results_in"),
    path("admin/", admin.site.urls),
]
