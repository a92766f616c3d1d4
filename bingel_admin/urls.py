from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from bingel_admin import views
from integrations import api as integrations_api
from integrations import entree, sso
from portal.urls import my_schools_patterns

# The only allauth pages that exist: the Basispoort login and its callback (ours shadow them, see
# below), where allauth sends a cancelled or failed login, and its "account inactive" page.
# Everything else it ships — the "connect" flow and third-party account pages, its sign-up,
# login and logout pages — answers 404; our own /uitloggen/ is the logout. Two-factor pages
# (``2fa/``, URL names ``mfa_*``) are left alone for the back office's second factor.
ALLAUTH_URL_NAMES = frozenset(
    {
        "openid_connect_login",
        "openid_connect_callback",
        "socialaccount_login_cancelled",
        "socialaccount_login_error",
        "account_inactive",
    }
)


@login_not_required
def _not_offered(request, *args, **kwargs):
    raise Http404


def _allauth_allowed(patterns: list) -> list:
    """allauth's URL patterns with every one not in ALLAUTH_URL_NAMES answering 404. The names
    stay, so allauth's own templates and redirects can still reverse them."""
    kept = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("2fa/"):
                kept.append(pattern)
            else:
                kept.append(
                    URLResolver(
                        pattern.pattern,
                        _allauth_allowed(pattern.url_patterns),
                        pattern.default_kwargs,
                        pattern.app_name,
                        pattern.namespace,
                    )
                )
        elif pattern.name in ALLAUTH_URL_NAMES or (pattern.name or "").startswith("mfa_"):
            kept.append(pattern)
        else:
            kept.append(URLPattern(pattern.pattern, _not_offered, pattern.default_args, pattern.name))
    return kept


urlpatterns = [
    path("", views.home, name="home"),
    path("inloggen/", views.login_page, name="login"),
    path("uitloggen/", views.logout, name="logout"),
    path("scholen/", views.choose_school, name="choose_school"),
    path("mijn-scholen/", include(my_schools_patterns)),
    path("help/", views.help_page, name="help"),
    path("basispoort/<int:institution_id>/beheer/", views.beheer_by_institution, name="beheer_by_institution"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("taal/", login_not_required(set_language), name="set_language"),
    # Our own views for the Basispoort provider come first: they add the nonce and the
    # signature check (see integrations.sso); allauth's stay for everything else.
    path("accounts/oidc/<str:provider_id>/login/", sso.login, name="openid_connect_login"),
    path("accounts/oidc/<str:provider_id>/login/callback/", sso.callback, name="openid_connect_callback"),
    # Entree (SAML 2.0): our views at the paths of allauth's SAML provider for the app "entree"
    # (integrations.entree); allauth's own SAML views answer 404 like every page not listed above.
    path("accounts/saml/entree/login/", entree.login, name="entree_login"),
    path("accounts/saml/entree/acs/", entree.acs, name="entree_acs"),
    path("accounts/saml/entree/acs/finish/", entree.finish, name="entree_finish"),
    path("accounts/saml/entree/sls/", entree.sls, name="entree_sls"),
    path("accounts/saml/entree/metadata/", entree.metadata, name="entree_metadata"),
    path("accounts/saml/entree/koppelen/", entree.complete_link, name="entree_complete_link"),
    path("inloggen/entree/", entree.links_page, name="entree_links"),
    path("accounts/", include(_allauth_allowed(include("allauth.urls")[0].urlpatterns))),
    path("school/<int:school_id>/", include("portal.urls")),
    path("school/<int:school_id>/", include("roster.urls")),
    path("school/<int:school_id>/beheer/licenties/", include("licenses.urls")),
    path("school/<int:school_id>/beheer/resultaatkoppelingen/", include("integrations.urls")),
    path("api/resultaten/", integrations_api.results_in, name="api_results_in"),
    path("api/openapi.yaml", integrations_api.openapi_document, name="api_openapi"),
    path("admin/", admin.site.urls),
]
