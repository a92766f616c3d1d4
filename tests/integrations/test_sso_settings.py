"""The issuer, the client id and the token endpoint's authentication method are settings; in
production the issuer must be an explicit https:// URL and the client id explicit."""

from __future__ import annotations

import pytest

from tests.servers import load_settings
from tests.servers import production_settings as production


def test_production_starts_with_an_explicit_https_issuer_and_client_id():
    result = load_settings(**production())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"BASISPOORT_OIDC_SERVER_URL": None}, "BASISPOORT_OIDC_SERVER_URL"),
        ({"BASISPOORT_OIDC_SERVER_URL": "http://login.basispoort.example/oidc"}, "BASISPOORT_OIDC_SERVER_URL"),
        ({"BASISPOORT_OIDC_SERVER_URL": "login.basispoort.example"}, "BASISPOORT_OIDC_SERVER_URL"),
        ({"BASISPOORT_OIDC_CLIENT_ID": None}, "BASISPOORT_OIDC_CLIENT_ID"),
        ({"BASISPOORT_OIDC_CLIENT_ID": ""}, "BASISPOORT_OIDC_CLIENT_ID"),
    ],
)
def test_production_refuses_to_start_and_names_the_variable(changes, variable):
    result = load_settings(**production(**changes))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"Set {variable}" in result.stderr


def test_unknown_token_auth_method_is_refused():
    result = load_settings(**production(BASISPOORT_OIDC_TOKEN_AUTH_METHOD="private_key_jwt"))
    assert result.returncode != 0 and "BASISPOORT_OIDC_TOKEN_AUTH_METHOD" in result.stderr


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_both_token_auth_methods_are_accepted(method):
    result = load_settings(
        **production(BASISPOORT_OIDC_TOKEN_AUTH_METHOD=method),
    )
    assert result.returncode == 0, result.stderr


def test_client_secret_basic_is_the_default(settings):
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    assert app["settings"]["token_auth_method"] == "client_secret_basic"
    assert "fetch_userinfo" not in app["settings"]  # our adapter decides: whenever the provider has it
