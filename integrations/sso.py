"""Single sign-on through a Basispoort-style OpenID Connect provider.

django-allauth does the code flow (state and PKCE). What we add on top:

* a nonce in every authorisation request, checked against the ID token on the way back;
* the ID token is verified here, always, against the provider's published keys: only
  asymmetric algorithms, a ``kid`` that names exactly one key (no ``kid`` only when the key set
  has exactly one usable key), ``iss``/``aud``/``exp``/``iat``/``sub`` required, and ``azp``
  equal to our client id when there are several audiences. Anything else is a refusal page;
* the UserInfo endpoint, when the provider has one, is asked after the token exchange and its
  ``sub`` must be the ID token's (OpenID Connect Core 5.3.2); claims may come from either;
* accounts are keyed on ``sub`` alone: e-mail is neither stored nor used, there is no sign-up
  form, and only the login process exists (no "connect" of a second identity to an account);
* the discovery document and the key set are cached, not fetched several times per login.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import socket
from urllib.parse import urlsplit

import jwt
import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from roster.access import BASISPOORT_ID_SESSION_KEY, SSO_PROVIDER_ID, canonical_basispoort_id, person_name
from roster.models import Staff

logger = logging.getLogger(__name__)

PROVIDER_ID = SSO_PROVIDER_ID
ID_TOKEN_SESSION_KEY = "basispoort_id_token"  # noqa: S105 (a session key name)
# The roster name of the person who logged in, for the top bar (read without a query per page).
PERSON_NAME_SESSION_KEY = "basispoort_person_name"
WELL_KNOWN = "/.well-known/openid-configuration"
# How long the login start waits for the provider's login page to accept a connection.
PROBE_SECONDS = 3

# Asymmetric signatures only: HS256 would be signed with our own client secret, "none" with nothing.
ALGORITHM_KEY_TYPES = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
}
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]
CLOCK_LEEWAY_SECONDS = 60
MAX_SUB_LENGTH = 191  # allauth's SocialAccount.uid column
# Claims that are never kept with an account: we do not use them, so we do not store them.
UNUSED_CLAIMS = frozenset({"email", "email_verified", "phone_number", "phone_number_verified", "address"})


class TokenRefused(OAuth2Error):
    """The provider's answer is not one we accept; the reason goes to the log, never to the page."""


# --- Provider documents (discovery, key set), cached ------------------------------------------


def _fetch_json(url: str) -> dict:
    with get_adapter().get_requests_session() as session:
        response = session.get(url)
        response.raise_for_status()
        document = response.json()
    if not isinstance(document, dict):
        raise TokenRefused("The provider's document is not a JSON object.")
    return document


def _cache_key(kind: str, url: str) -> str:
    return f"oidc:{kind}:{hashlib.sha256(url.encode()).hexdigest()}"


def cached_json(kind: str, url: str, *, refresh: bool = False) -> dict:
    """A provider document, fetched at most once per ``BASISPOORT_OIDC_CACHE_SECONDS``."""
    key = _cache_key(kind, url)
    document = None if refresh else cache.get(key)
    if document is None:
        document = _fetch_json(url)
        cache.set(key, document, settings.BASISPOORT_OIDC_CACHE_SECONDS)
    return document


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


# --- ID token verification --------------------------------------------------------------------


def _usable_keys(jwks: dict, algorithm: str) -> list[dict]:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return []
    key_type = ALGORITHM_KEY_TYPES[algorithm]
    return [
        key
        for key in keys
        if isinstance(key, dict)
        and key.get("kty") == key_type
        and key.get("use", "sig") == "sig"
        and key.get("alg", algorithm) == algorithm
    ]


def _pick_key(jwks: dict, algorithm: str, kid) -> dict | None:
    usable = _usable_keys(jwks, algorithm)
    if kid is None:
        # Without a kid only an unambiguous key set will do.
        return usable[0] if len(usable) == 1 else None
    named = [key for key in usable if key.get("kid") == kid]
    return named[0] if len(named) == 1 else None


def verify_id_token(id_token: str, *, jwks_for, issuer: str, client_id: str) -> dict:
    """The ID token's claims when it passes every check of OIDC Core 3.1.3.7, else TokenRefused.

    ``jwks_for(refresh)`` gives the provider's key set; it is asked again, fresh, once when the
    token names a key that the cached set lacks (the provider may have rotated its keys).
    """
    try:
        header = jwt.get_unverified_header(id_token)
    except (jwt.PyJWTError, TypeError, ValueError) as exc:
        raise TokenRefused("The ID token is not a JWT.") from exc
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHM_KEY_TYPES:
        raise TokenRefused("The ID token's signing algorithm is not accepted.")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenRefused("The ID token's kid is not a string.")
    key = _pick_key(jwks_for(False), algorithm, kid)
    if key is None and kid is not None:
        key = _pick_key(jwks_for(True), algorithm, kid)
    if key is None:
        raise TokenRefused("No single published key fits the ID token.")
    try:
        public_key = jwt.PyJWK(key, algorithm=algorithm).key
        claims = jwt.decode(
            id_token,
            key=public_key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS, "verify_signature": True},
        )
    except (jwt.PyJWTError, TypeError, ValueError, KeyError) as exc:
        raise TokenRefused(f"The ID token was refused ({type(exc).__name__}).") from exc
    audiences = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise TokenRefused("The ID token was issued to another party (azp).")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUB_LENGTH:
        raise TokenRefused("The ID token's sub is not a usable identifier.")
    return claims


# --- allauth adapter and provider -------------------------------------------------------------


class BasispoortOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    @property
    def issuer(self) -> str:
        url = self.get_provider().app.settings["server_url"]
        return url[: -len(WELL_KNOWN)] if url.endswith(WELL_KNOWN) else url

    @property
    def openid_config(self) -> dict:
        if not hasattr(self, "_openid_config"):
            config = dict(cached_json("discovery", discovery_url(self.issuer)))
            # OIDC Discovery 4.3: the document must name the issuer we asked for.
            if config.get("issuer") != self.issuer:
                raise TokenRefused("The discovery document names another issuer.")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(config.get(name), str):
                    raise TokenRefused(f"The discovery document lacks {name}.")
            self._openid_config = config
        return self._openid_config

    def _jwks(self, refresh: bool) -> dict:
        return cached_json("jwks", self.openid_config["jwks_uri"], refresh=refresh)

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        claims = verify_id_token(id_token, jwks_for=self._jwks, issuer=self.issuer, client_id=app.client_id)
        jwtkit.verify_jti(claims)  # a replayed ID token is refused
        return claims

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise TokenRefused("The provider returned no ID token.")
        claims = self._decode_id_token(app, id_token)
        data = {"id_token": _kept(claims)}
        userinfo_endpoint = self.openid_config.get("userinfo_endpoint")
        if userinfo_endpoint:
            userinfo = self._fetch_user_info(token.token)
            if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
                # OIDC Core 5.3.2: the UserInfo response may belong to someone else; refuse.
                raise TokenRefused("The UserInfo sub differs from the ID token's sub.")
            data["userinfo"] = _kept({**claims, **userinfo})
        login = self.get_provider().sociallogin_from_response(request, data)
        # Kept only as the id_token_hint for RP-initiated logout at the provider.
        request.session[ID_TOKEN_SESSION_KEY] = id_token
        return login


def _kept(claims: dict) -> dict:
    return {name: value for name, value in claims.items() if name not in UNUSED_CLAIMS}


class BasispoortProvider(OpenIDConnectProvider):
    oauth2_adapter_class = BasispoortOAuth2Adapter
    # allauth builds URL patterns from the provider's package; ours are in bingel_admin.urls.
    package = "allauth.socialaccount.providers.openid_connect"

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        # Only logging in exists: "connect" (a second identity on this account) is never started.
        process = AuthProcess.LOGIN
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params["nonce"] = nonce
        # Extra keyword arguments end up in the stashed state, which comes back with the login.
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)

    def extract_common_fields(self, data):
        fields = super().extract_common_fields(data)
        fields.pop("email", None)  # never stored, never used to find or link an account
        return fields

    def extract_email_addresses(self, data):
        return []


def _adapter(request: HttpRequest, provider_id: str) -> BasispoortOAuth2Adapter:
    if provider_id != PROVIDER_ID:
        raise Http404
    return BasispoortOAuth2Adapter(request, provider_id)


def _refused(request: HttpRequest, status: int = 400):
    return render(request, "socialaccount/authentication_error.html", status=status)


@login_not_required
@require_http_methods(["POST"])
def login(request: HttpRequest, provider_id: str):
    """Start the code flow. POST only, so a third-party page cannot start a login for you."""
    try:
        adapter = _adapter(request, provider_id)
        _probe(adapter.openid_config["authorization_endpoint"])
        return OAuth2LoginView.adapter_view(adapter)(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    except (requests.RequestException, ValueError, OAuth2Error, OSError) as exc:
        # The provider's discovery document could not be fetched or read, or names another issuer;
        # or it was read while the provider was up (it is cached) and its login page is down now.
        logger.warning("SSO login not started: provider unreachable or misconfigured (%s)", type(exc).__name__)
        return render(request, "socialaccount/provider_unreachable.html", status=503)


def _probe(url: str) -> None:
    """Raise ``OSError`` unless the provider's login page accepts a connection: the browser is
    about to be sent there, and a dead address would leave it on the browser's own error page."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname or "", port), timeout=PROBE_SECONDS):
        pass


@login_not_required
def callback(request: HttpRequest, provider_id: str):
    try:
        return OAuth2CallbackView.adapter_view(_adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    except (requests.RequestException, ValueError, OAuth2Error) as exc:
        # allauth reads the discovery document before its own error handling starts.
        logger.warning("SSO login failed: provider unreachable or misconfigured (%s)", type(exc).__name__)
        return _refused(request)


class BasispoortSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # An account is only a handle for a roster person; rights come from the roster.
        return True

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        # Never a sign-up form: the account is made from the sub alone.
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = ""
        return user

    def pre_social_login(self, request, sociallogin) -> None:
        state = sociallogin.state or {}
        if state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            logger.warning("SSO login refused: process %r is not offered", state.get("process"))
            raise ImmediateHttpResponse(_refused(request))
        expected = state.get("nonce") or ""
        received = (sociallogin.account.extra_data.get("id_token") or {}).get("nonce") or ""
        if not expected or not hmac.compare_digest(str(expected), str(received)):
            logger.warning("SSO login refused: nonce mismatch")
            raise ImmediateHttpResponse(_refused(request))
        sub = sociallogin.account.uid
        request.session[BASISPOORT_ID_SESSION_KEY] = sub
        bp_id = canonical_basispoort_id(sub)
        staff = Staff.objects.filter(basispoort_id=bp_id).first() if bp_id is not None else None
        request.session[PERSON_NAME_SESSION_KEY] = staff.full_name if staff else ""

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        # Only the kind of failure: the exception text may quote a token.
        logger.warning("SSO login failed: %s (%s)", error, type(exception).__name__ if exception else "-")


class NoLocalAccountsAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


def user_display(user) -> str:
    """Name people as the roster names them, not by what the provider sent or by their username."""
    return person_name(user)
