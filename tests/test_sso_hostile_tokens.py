"""Every malformed or hostile ID token, and a UserInfo answer about someone else, is a clean
refusal page — never a 500, never a login.

The provider here is a small HTTP server on loopback that speaks the protocol (discovery, key
set, token and UserInfo endpoints) and answers whatever token a test gives it; the tokens are
signed with PyJWT and keys made by cryptography. A valid token through the same server logs in,
so the refusals are the checks' doing."""

from __future__ import annotations

import json
import threading
import time
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache
from django.test import Client

from roster.models import Staff
from tests.factories import make_staff
from tests.servers import free_port
from tests.sso import CALLBACK_PATH, use_provider

pytestmark = pytest.mark.django_db
CLIENT_ID = "bingel-beheer-test"
CLIENT_SECRET = "hostile-test-secret-0123456789abcdef0123456789"  # noqa: S105
REFUSED = "Inloggen via Basispoort is niet gelukt"


def _jwk(public_key, kid: str | None, algorithm) -> dict:
    jwk = json.loads(algorithm.to_jwk(public_key))
    if kid:
        jwk["kid"] = kid
    return jwk


class Provider(ThreadingHTTPServer):
    """The protocol peer: what it publishes, and what it was asked."""

    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), Handler)
        self.issuer = f"http://127.0.0.1:{port}"
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys = [_jwk(self.rsa_key.public_key(), "k1", jwt.algorithms.RSAAlgorithm)]
        self.id_token = ""
        self.userinfo: dict | None = None
        self.paths: list[str] = []
        self.token_requests: list[dict] = []

    def discovery(self) -> dict:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        if self.userinfo is not None:
            document["userinfo_endpoint"] = f"{self.issuer}/userinfo"
        return document


class Handler(BaseHTTPRequestHandler):
    server: Provider

    def log_message(self, *args) -> None:
        pass

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        self.server.paths.append(path)
        if path == "/.well-known/openid-configuration":
            self._json(self.server.discovery())
        elif path == "/jwks":
            self._json({"keys": self.server.keys})
        elif path == "/userinfo" and self.server.userinfo is not None:
            self._json(self.server.userinfo)
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        self.server.paths.append(urlparse(self.path).path)
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.token_requests.append({"form": form, "authorization": self.headers.get("Authorization", "")})
        self._json({"access_token": "opaque-access-token", "token_type": "Bearer", "id_token": self.server.id_token})


@pytest.fixture
def provider(settings):
    cache.clear()  # a port can come back in a later test; its cached documents must not
    server = Provider(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    use_provider(settings, server.issuer, path="")
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    apps[0].update(client_id=CLIENT_ID, secret=CLIENT_SECRET)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def person(db) -> Staff:
    return make_staff("Ilse", "Bakker")


def claims_for(provider: Provider, nonce: str, subject: str, **changes) -> dict:
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": CLIENT_ID, "sub": subject, "iat": now, "exp": now + 300, "nonce": nonce}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def log_in(provider: Provider, make_token) -> tuple[Client, object]:
    """Start a login, let the provider answer with ``make_token(nonce)``, and come back."""
    client = Client()
    start = client.post("/accounts/oidc/basispoort/login/")
    assert start.status_code == 302, start.content[:500]
    query = {k: v[0] for k, v in parse_qs(urlparse(start.headers["Location"]).query).items()}
    provider.id_token = make_token(query["nonce"])
    back = client.get(CALLBACK_PATH, {"code": "the-code", "state": query["state"]})
    return client, back


def rs256(provider: Provider, claims: dict, kid: str | None = "k1", key=None) -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, key or provider.rsa_key, algorithm="RS256", headers=headers)


def assert_logged_in(client: Client, back) -> None:
    assert back.status_code == 302, back.content[:800]
    assert "_auth_user_id" in client.session


def assert_refused(client: Client, back) -> None:
    assert back.status_code in (400, 401), back.status_code  # a refusal, never a 500
    assert REFUSED in back.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_valid_token_logs_in(provider, person):
    client, back = log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    assert_logged_in(client, back)


def test_a_token_without_kid_is_accepted_when_the_key_set_has_exactly_one_key(provider, person):
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)), kid=None)
    )
    assert_logged_in(client, back)


def test_a_token_without_kid_is_refused_when_the_key_set_has_two_keys(provider, person):
    provider.keys.append(_jwk(provider.other_rsa_key.public_key(), "k2", jwt.algorithms.RSAAlgorithm))
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)), kid=None)
    )
    assert_refused(client, back)


def hostile_tokens():
    def hs256(provider, nonce, sub):
        # Signed with the client secret, which a symmetric-key confusion would accept.
        return jwt.encode(claims_for(provider, nonce, sub), CLIENT_SECRET, algorithm="HS256", headers={"kid": "k1"})

    def none(provider, nonce, sub):
        return jwt.encode(claims_for(provider, nonce, sub), None, algorithm="none", headers={"kid": "k1"})

    def unknown_kid(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub), kid="not-published")

    def foreign_key(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub), key=provider.other_rsa_key)

    def missing(claim):
        return lambda provider, nonce, sub: rs256(provider, claims_for(provider, nonce, sub, **{claim: None}))

    def audiences(azp):
        return lambda provider, nonce, sub: rs256(
            provider, claims_for(provider, nonce, sub, aud=[CLIENT_ID, "another-client"], azp=azp)
        )

    def expired(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub, exp=int(time.time()) - 3600))

    def es256_with_rsa_kid(provider, nonce, sub):
        key = ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(claims_for(provider, nonce, sub), key, algorithm="ES256", headers={"kid": "k1"})

    def numeric_sub(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub, sub=int(sub)))

    def garbage(provider, nonce, sub):
        return "not.a.jwt"

    return {
        "HS256": hs256,
        "alg none": none,
        "unknown kid": unknown_kid,
        "foreign key": foreign_key,
        "no exp": missing("exp"),
        "no iat": missing("iat"),
        "no sub": missing("sub"),
        "two audiences, foreign azp": audiences("another-client"),
        "two audiences, no azp": audiences(None),
        "expired": expired,
        "ES256 naming an RSA key": es256_with_rsa_kid,
        "sub not a string": numeric_sub,
        "not a JWT": garbage,
    }


@pytest.mark.parametrize("kind", list(hostile_tokens()))
def test_hostile_token_is_a_clean_refusal(provider, person, kind):
    make = hostile_tokens()[kind]
    client, back = log_in(provider, lambda nonce: make(provider, nonce, str(person.basispoort_id)))
    assert_refused(client, back)


def test_two_audiences_with_our_azp_are_accepted(provider, person):
    client, back = log_in(
        provider,
        lambda nonce: rs256(
            provider,
            claims_for(provider, nonce, str(person.basispoort_id), aud=[CLIENT_ID, "another-client"], azp=CLIENT_ID),
        ),
    )
    assert_logged_in(client, back)


def test_userinfo_is_fetched_and_its_claims_used(provider, person):
    provider.userinfo = {"sub": str(person.basispoort_id), "given_name": "Uit", "family_name": "UserInfo"}
    client, back = log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    assert_logged_in(client, back)
    assert "/userinfo" in provider.paths
    from allauth.socialaccount.models import SocialAccount

    account = SocialAccount.objects.get(uid=str(person.basispoort_id))
    assert account.user.last_name == "UserInfo"


def test_userinfo_about_someone_else_is_refused(provider, person):
    provider.userinfo = {"sub": "200099", "name": "Iemand Anders"}
    client, back = log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    assert_refused(client, back)
    assert "/userinfo" in provider.paths


def test_discovery_document_is_fetched_once_for_several_logins(provider, person):
    for _ in range(3):
        client, back = log_in(
            provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)))
        )
        assert_logged_in(client, back)
    assert provider.paths.count("/.well-known/openid-configuration") == 1
    assert provider.paths.count("/jwks") == 1


def test_client_authenticates_with_http_basic_by_default(provider, person):
    log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    (request,) = provider.token_requests
    user, _, secret = b64decode(request["authorization"].removeprefix("Basic ")).decode().partition(":")
    assert (user, secret) == (CLIENT_ID, CLIENT_SECRET)
    assert "client_secret" not in request["form"]
    assert request["form"]["code_verifier"]


def test_client_secret_post_is_possible(provider, person, settings):
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["token_auth_method"] = (
        "client_secret_post"
    )
    log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    (request,) = provider.token_requests
    assert request["authorization"] == ""
    assert request["form"]["client_secret"] == CLIENT_SECRET and request["form"]["client_id"] == CLIENT_ID
