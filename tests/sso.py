"""Fixtures and a scripted "browser" for logging in through the real dev identity provider."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urljoin, urlparse, urlunparse

import pytest
import requests
from django.core.management import call_command

from demo.world import demo_schools
from roster.feed import write_folder
from tests.servers import dev_identity_provider

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CALLBACK_PATH = "/accounts/oidc/basispoort/login/callback/"


@pytest.fixture
def demo_feed(transactional_db, tmp_path_factory):
    """The demo world in the test database, and its feed folder for the identity provider."""
    feed = tmp_path_factory.mktemp("feed")
    call_command("demo_world", feed_dir=str(feed))
    return feed


def _idp(request, tmp_path_factory, live_server, tamper: str = ""):
    tmp = tmp_path_factory.mktemp("idp")
    feed = tmp_path_factory.getbasetemp() / "idp-feed"
    if not feed.exists():
        write_folder(feed, demo_schools())
    manager = dev_identity_provider(tmp, feed, live_server.url + CALLBACK_PATH, live_server.url + "/", tamper=tamper)
    base = manager.__enter__()
    request.addfinalizer(lambda: manager.__exit__(None, None, None))
    return base


@pytest.fixture(scope="session")
def idp(request, tmp_path_factory, django_db_setup, live_server) -> str:
    return _idp(request, tmp_path_factory, live_server)


@pytest.fixture(scope="session")
def tampering_idps(request, tmp_path_factory, django_db_setup, live_server) -> dict[str, str]:
    return {kind: _idp(request, tmp_path_factory, live_server, kind) for kind in ("iss", "aud", "key")}


def use_provider(settings, base_url: str, path: str = "/o") -> None:
    """Point the app at this provider, as BASISPOORT_OIDC_SERVER_URL does in production."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["openid_connect"]["APPS"][0]["settings"]["server_url"] = f"{base_url}{path}"
    settings.SOCIALACCOUNT_PROVIDERS = providers
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", base_url]
    settings.CONTENT_SECURITY_POLICY = policy
    settings.BASISPOORT_PORTAL_ORIGINS = [base_url]  # the dev provider is the portal stand-in too


@pytest.fixture
def sso(settings, idp, live_server, demo_feed):
    use_provider(settings, idp)
    return Browser(app=live_server.url, idp=idp)


@dataclass
class Browser:
    """A requests session that follows redirects by hand, so each hop can be inspected or altered."""

    app: str
    idp: str
    session: requests.Session = field(default_factory=requests.Session)
    hops: list[requests.Response] = field(default_factory=list)

    def get(self, url: str, **kwargs) -> requests.Response:
        response = self.session.get(urljoin(self.app, url), allow_redirects=False, timeout=15, **kwargs)
        self.hops.append(response)
        return response

    def post(self, url: str, data: dict, **kwargs) -> requests.Response:
        response = self.session.post(urljoin(self.app, url), data=data, allow_redirects=False, timeout=15, **kwargs)
        self.hops.append(response)
        return response

    def follow(self, response: requests.Response, until=None) -> requests.Response:
        while response.is_redirect and not (until and until(response.headers["Location"])):
            response = self.get(urljoin(response.url, response.headers["Location"]))
        return response

    def csrf(self, url: str) -> str:
        page = self.get(url)
        assert page.status_code == 200, page.text
        return CSRF_INPUT.search(page.text).group(1)

    def start_login(self, next_url: str = "") -> requests.Response:
        """Click "Inloggen via Basispoort": returns the redirect to the provider's authorize URL."""
        token = self.csrf("/inloggen/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
        data = {"csrfmiddlewaretoken": token, **({"next": next_url} if next_url else {})}
        response = self.post("/accounts/oidc/basispoort/login/", data)
        assert response.status_code == 302, response.text
        return response

    def authorize(self, authorize_url: str, person: int | str) -> requests.Response:
        """At the provider: log in as ``person`` and consent; returns the redirect back to the app."""
        to_login = self.get(authorize_url)
        assert to_login.status_code == 302 and "/login/" in to_login.headers["Location"], to_login.text
        login_url = urljoin(to_login.url, to_login.headers["Location"])
        page = self.get(login_url)
        token = CSRF_INPUT.search(page.text).group(1)
        listed = re.search(rf'name="person"[^>]*value="{person}"', page.text)
        field = "person" if listed else "manual_id"
        back = self.post(login_url, {"csrfmiddlewaretoken": token, field: str(person)}, headers={"Referer": login_url})
        return self.follow(back, until=lambda location: location.startswith(self.app))

    def login(self, person: int | str, next_url: str = "") -> requests.Response:
        redirect = self.start_login(next_url)
        back = self.authorize(redirect.headers["Location"], person)
        return self.follow(self.get(back.headers["Location"]))


def with_query(url: str, **changes: str) -> str:
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunparse(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
