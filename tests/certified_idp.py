"""A provider implementation that is not ours: panva's oidc-provider (npm, OpenID Certified),
started as its own Node process with its default claim behaviour (profile and e-mail claims
only from UserInfo in the code flow), and a scripted browser for its development login form."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import pytest

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, DEMO_TEACHER_COORDINATOR
from tests.servers import certified_provider
from tests.sso import CALLBACK_PATH, Browser, use_provider

SHARED_EMAIL = "administratie@regenboog.example.nl"
UNKNOWN_SUB = "999999"
PADDED_SUB = "0" + str(DEMO_COORDINATOR.basispoort_id)  # not the canonical form of 200001


@dataclass(frozen=True)
class ProviderPerson:
    sub: str
    claims: dict


# What the provider says about people — deliberately not what the roster says: names are the
# school office's, and one e-mail address is shared by several people.
PEOPLE = {
    "coordinator": ProviderPerson(
        str(DEMO_COORDINATOR.basispoort_id), {"name": "user", "given_name": "Balie", "email": SHARED_EMAIL}
    ),
    "teacher": ProviderPerson(
        str(DEMO_TEACHER.basispoort_id), {"name": "Administratie", "email": SHARED_EMAIL, "email_verified": True}
    ),
    "no_email": ProviderPerson(str(DEMO_TEACHER_COORDINATOR.basispoort_id), {}),
    "unknown": ProviderPerson(UNKNOWN_SUB, {"name": "Iemand Anders", "email": SHARED_EMAIL}),
    "padded": ProviderPerson(PADDED_SUB, {"name": "Sanne de Vries"}),
}

FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>(.*?)</form>', re.S | re.I)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.I)


@pytest.fixture(scope="session")
def certified_idp(request, tmp_path_factory, django_db_setup, live_server) -> str:
    manager = certified_provider(
        tmp_path_factory.mktemp("oidc-provider"),
        {person.sub: person.claims for person in PEOPLE.values()},
        live_server.url + CALLBACK_PATH,
        live_server.url + "/",
    )
    issuer = manager.__enter__()
    request.addfinalizer(lambda: manager.__exit__(None, None, None))
    return issuer


def use_certified_provider(settings, issuer: str) -> None:
    use_provider(settings, issuer, path="")
    providers = settings.SOCIALACCOUNT_PROVIDERS
    providers["openid_connect"]["APPS"][0].update(
        client_id="bingel-beheer-test", secret="bingel-beheer-test-secret-0123456789abcdef"
    )
    settings.BASISPOORT_OIDC_CLIENT_ID = "bingel-beheer-test"


@pytest.fixture
def certified_sso(settings, certified_idp, live_server, demo_feed):
    use_certified_provider(settings, certified_idp)
    return CertifiedBrowser(app=live_server.url, idp=certified_idp)


class CertifiedBrowser(Browser):
    """Walks oidc-provider's own development pages: its login form, then its consent form."""

    def authorize(self, authorize_url: str, person: int | str):
        response = self.get(authorize_url)
        for _step in range(10):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(self.app):
                    return response
                response = self.get(location)
                continue
            form = FORM.search(response.text)
            assert response.status_code == 200 and form, response.text[:2000]
            data = {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(2))}
            if 'name="login"' in form.group(2):
                data.update(login=str(person), password="any")  # dev interactions accept any password
            response = self.post(urljoin(response.url, html.unescape(form.group(1))), data)
        raise AssertionError("the provider never sent the browser back")
