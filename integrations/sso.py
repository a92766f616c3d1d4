"""Single sign-on through a Basispoort-style OpenID Connect provider.

django-allauth does the code flow (state and PKCE). What we add on top:

* a nonce in every authorisation request, checked against the ID token on the way back;
* the ID token's signature is always checked against the provider's published keys, also
  when the token came straight from the token endpoint (allauth skips that by default);
* no local accounts at all: staff exist only through the roster, never through a sign-up form.
"""

from __future__ import annotations

import hmac
import logging
import secrets

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from roster.access import BASISPOORT_ID_SESSION_KEY

logger = logging.getLogger(__name__)

PROVIDER_ID = "basispoort"
ID_TOKEN_SESSION_KEY = "basispoort_id_token"  # noqa: S105 (a session key name)


class BasispoortOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise OAuth2Error("The provider returned no ID token.")
        login = super().complete_login(request, app, token, **kwargs)
        # Kept only as the id_token_hint for RP-initiated logout at the provider.
        request.session[ID_TOKEN_SESSION_KEY] = id_token
        return login


class BasispoortProvider(OpenIDConnectProvider):
    oauth2_adapter_class = BasispoortOAuth2Adapter
    # allauth builds URL patterns from the provider's package; ours are in bingel_admin.urls.
    package = "allauth.socialaccount.providers.openid_connect"

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params["nonce"] = nonce
        # Extra keyword arguments end up in the stashed state, which comes back with the login.
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)


def _adapter(request: HttpRequest, provider_id: str) -> BasispoortOAuth2Adapter:
    if provider_id != PROVIDER_ID:
        raise Http404
    return BasispoortOAuth2Adapter(request, provider_id)


@login_not_required
@require_http_methods(["POST"])
def login(request: HttpRequest, provider_id: str):
    """Start the code flow. POST only, so a third-party page cannot start a login for you."""
    try:
        return OAuth2LoginView.adapter_view(_adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    except (requests.RequestException, ValueError) as exc:
        # The provider's discovery document could not be fetched or read.
        logger.warning("SSO login not started: provider unreachable (%s)", type(exc).__name__)
        return render(request, "socialaccount/provider_unreachable.html", status=503)


@login_not_required
def callback(request: HttpRequest, provider_id: str):
    try:
        return OAuth2CallbackView.adapter_view(_adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc


class BasispoortSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # An account is only a handle for a roster person; rights come from the roster.
        return True

    def pre_social_login(self, request, sociallogin) -> None:
        expected = (sociallogin.state or {}).get("nonce") or ""
        received = (sociallogin.account.extra_data.get("id_token") or {}).get("nonce") or ""
        if not expected or not hmac.compare_digest(str(expected), str(received)):
            logger.warning("SSO login refused: nonce mismatch")
            raise ImmediateHttpResponse(render(request, "socialaccount/authentication_error.html", status=400))
        request.session[BASISPOORT_ID_SESSION_KEY] = sociallogin.account.uid

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        # Only the kind of failure: the exception text may quote a token.
        logger.warning("SSO login failed: %s (%s)", error, type(exception).__name__ if exception else "-")


class NoLocalAccountsAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


def user_display(user) -> str:
    """Name people by their name, not by the Basispoort id that is their username."""
    return user.get_full_name() or user.get_username()
