"""A small OpenID Connect peer on loopback for the token-refusal tests: it speaks the protocol
(discovery, key set, token and UserInfo endpoints) and answers whatever ID token a test gives
it, signed with PyJWT and keys made by cryptography."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.test import Client

from tests.servers import free_port
from tests.sso import CALLBACK_PATH, use_provider

CLIENT_ID = "bingel-beheer-test"
CLIENT_SECRET = "hostile-test-secret-0123456789abcdef0123456789"


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
