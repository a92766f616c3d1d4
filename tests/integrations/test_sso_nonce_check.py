"""The nonce check on the way back from the identity provider, without a provider or browser:
the ID token's nonce must equal the one stored with the login's state (integrations/sso.py).
The full round trip through the dev identity provider is tests/integrations/test_sso_login_flow.py."""

from __future__ import annotations

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from integrations.sso import BasispoortSocialAccountAdapter
from roster.access import BASISPOORT_ID_SESSION_KEY

pytestmark = pytest.mark.django_db


def login_with(state_nonce: str | None, token_nonce: str | None) -> tuple[object, SocialLogin]:
    request = RequestFactory().get("/accounts/oidc/basispoort/login/callback/")
    request.session = SessionStore()
    account = SocialAccount(provider="basispoort", uid="200001", extra_data={"id_token": {"nonce": token_nonce}})
    sociallogin = SocialLogin(account=account)
    sociallogin.state = {"nonce": state_nonce} if state_nonce is not None else {}
    return request, sociallogin


@pytest.mark.parametrize(
    ("state_nonce", "token_nonce"),
    [("n-1", "n-2"), ("n-1", None), (None, "n-1"), ("", ""), (None, None), ("n-1", "n-1 ")],
)
def test_a_missing_or_different_nonce_is_refused_with_400(state_nonce, token_nonce):
    request, sociallogin = login_with(state_nonce, token_nonce)
    with pytest.raises(ImmediateHttpResponse) as refused:
        BasispoortSocialAccountAdapter(request).pre_social_login(request, sociallogin)
    assert refused.value.response.status_code == 400
    assert BASISPOORT_ID_SESSION_KEY not in request.session


def test_the_matching_nonce_lets_the_person_in_with_their_basispoort_id():
    request, sociallogin = login_with("n-42", "n-42")
    BasispoortSocialAccountAdapter(request).pre_social_login(request, sociallogin)
    assert request.session[BASISPOORT_ID_SESSION_KEY] == "200001"
