"""School staff have no local password: no password login, sign-up or reset."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import back_office_login
from tests.sso import use_provider

pytestmark = pytest.mark.django_db


def test_password_login_is_refused(client):
    get_user_model().objects.create_user("sanne", password="geheim-wachtwoord-123")
    response = client.post("/accounts/login/", {"login": "sanne", "password": "geheim-wachtwoord-123"})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 404  # allauth's own login page is not offered at all


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/password/reset/", "/accounts/password/change/"])
def test_signup_and_password_pages_do_not_exist(client, path):
    assert client.get(path).status_code == 404


def test_start_of_login_is_post_only(client):
    assert client.get("/accounts/oidc/basispoort/login/").status_code == 405


def test_unknown_provider_is_404(client):
    csrf_client = client
    assert csrf_client.post("/accounts/oidc/evil/login/").status_code == 404


def test_login_page_offers_only_basispoort(client):
    page = client.get("/inloggen/").content.decode()
    assert "Inloggen via Basispoort" in page
    assert 'type="password"' not in page


def test_superusers_keep_the_admin_login(client):
    page = client.get("/admin/login/")
    assert page.status_code == 200 and 'type="password"' in page.content.decode()
    back_office_login(client)  # password and second factor: tests/bingel_admin/test_back_office_two_factor.py
    assert client.get("/admin/").status_code == 200


def test_open_redirect_in_next_is_ignored(client):
    page = client.get("/inloggen/", {"next": "https://evil.example/"}).content.decode()
    assert 'value="https://evil.example/"' not in page
    page = client.get("/inloggen/", {"next": "/scholen/"}).content.decode()
    assert 'name="next" value="/scholen/"' in page


def test_csrf_is_enforced_on_post():

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/oidc/basispoort/login/").status_code == 403
    assert strict.post("/uitloggen/").status_code == 403


def test_an_unreachable_provider_gets_a_clear_page_not_an_error(client, settings):

    use_provider(settings, "http://127.0.0.1:9")  # nothing listens on the discard port
    response = client.post("/accounts/oidc/basispoort/login/")
    assert response.status_code == 503
    assert "Basispoort is op dit moment niet bereikbaar" in response.content.decode()
