"""Only the flows we use exist: allauth's connect flow, its third-party account pages and its own
logout page answer 404 (our /uitloggen/ stays). The walk reads allauth's URL names from allauth
itself, so a page a new allauth version adds is covered too."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import allauth.urls
import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import URLPattern, URLResolver, path, reverse
from django.urls.resolvers import RoutePattern

from bingel_admin.urls import ALLAUTH_URL_NAMES, _allauth_allowed
from tests.factories import login_as
from tests.oidc_peer import claims_for, rs256
from tests.sso import CALLBACK_PATH

pytestmark = pytest.mark.django_db


def allauth_url_names() -> set[str]:

    names: set[str] = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(pattern.name)

    walk(allauth.urls.urlpatterns)
    return names


def url_for(name: str) -> str:
    kwargs = {"provider_id": "basispoort"} if name.startswith("openid_connect") else {}
    if name.startswith("saml_"):
        # allauth's own SAML views, for any app but Entree's (whose paths our views take).
        kwargs = {"organization_slug": "another-idp"}
    return reverse(name, kwargs=kwargs)


BLOCKED = sorted(allauth_url_names() - ALLAUTH_URL_NAMES)


def test_the_walk_sees_the_pages_the_issue_names():
    assert {"socialaccount_connections", "socialaccount_signup", "account_logout", "account_login"} <= set(BLOCKED)


@pytest.mark.parametrize("name", BLOCKED)
@pytest.mark.parametrize("who", ["anonymous", "teacher"])
def test_every_allauth_page_we_do_not_use_is_404(name, who, world):
    client = Client()
    if who == "teacher":
        login_as(client, world.teacher_a)
    url = url_for(name)
    assert client.get(url).status_code == 404, url
    assert client.post(url, {"process": "connect", "provider": "basispoort"}).status_code == 404, url


def test_the_pages_we_use_are_there(client):
    assert client.get(reverse("socialaccount_login_cancelled")).status_code == 200
    assert client.get(reverse("socialaccount_login_error")).status_code != 404  # to the login page
    assert client.get("/uitloggen/").status_code == 405  # ours: POST only


def test_a_signed_in_teacher_cannot_connect_a_coordinators_identity(provider, world):
    """POST process=connect starts an ordinary login; the coordinator's sub gets its own account."""
    teacher_client = login_as(Client(), world.teacher_a)
    teacher_user_id = teacher_client.session["_auth_user_id"]
    coordinator = world.coordinator_a
    start = teacher_client.post("/accounts/oidc/basispoort/login/", {"process": "connect"})
    assert start.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlparse(start.headers["Location"]).query).items()}
    provider.id_token = rs256(provider, claims_for(provider, query["nonce"], str(coordinator.basispoort_id)))
    teacher_client.get(CALLBACK_PATH, {"code": "c", "state": query["state"]})
    account = SocialAccount.objects.get(provider="basispoort", uid=str(coordinator.basispoort_id))
    assert str(account.user_id) != str(teacher_user_id)
    assert SocialAccount.objects.filter(user_id=teacher_user_id).count() == 1


def test_mfa_pages_are_not_in_the_way():
    """The back office's second factor (allauth.mfa: URL names mfa_*, under 2fa/) is left alone."""

    def view(request):
        return None

    mfa_page = path("2fa/", view, name="mfa_index")
    mfa_tree = URLResolver(RoutePattern("2fa/"), [path("reauthenticate/", view, name="anything")])
    assert _allauth_allowed([mfa_page, mfa_tree]) == [mfa_page, mfa_tree]
