"""State and PKCE checked against a bare-bones provider of our own (no dev identity provider, no
browser): the callback with a forged state never reaches the token endpoint, and the
code_verifier sent there hashes (RFC 7636 S256, computed here with hashlib) to the
code_challenge of the authorisation request. The round trip through the dev identity provider is
tests/integrations/test_sso_login_flow.py."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.sso import CALLBACK_PATH, use_provider

pytestmark = pytest.mark.django_db


class Provider(BaseHTTPRequestHandler):
    token_requests: list[dict] = []

    def do_GET(self):
        if self.path != "/o/.well-known/openid-configuration":
            self.send_error(404)
            return
        base = f"http://127.0.0.1:{self.server.server_port}/o"
        document = {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize/",
            "token_endpoint": f"{base}/token/",
            "userinfo_endpoint": f"{base}/userinfo/",
            "jwks_uri": f"{base}/jwks/",
            "end_session_endpoint": f"{base}/logout/",
        }
        self._json(200, document)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        Provider.token_requests.append({k: v[0] for k, v in parse_qs(body).items()})
        self._json(400, {"error": "invalid_grant"})

    def _json(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def provider(settings):
    Provider.token_requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    use_provider(settings, f"http://127.0.0.1:{server.server_port}")
    yield Provider.token_requests
    server.shutdown()
    server.server_close()


def start(client) -> dict[str, str]:
    redirect = client.post("/accounts/oidc/basispoort/login/")
    assert redirect.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlparse(redirect["Location"]).query).items()}


def test_a_forged_state_is_refused_before_any_code_is_exchanged(client, provider):
    params = start(client)
    assert len(params["state"]) >= 8
    refused = client.get(f"{CALLBACK_PATH}?{urlencode({'code': 'abc', 'state': 'forged-' + params['state']})}")
    assert "Inloggen via Basispoort is niet gelukt" in refused.content.decode()
    assert provider == []
    assert client.get("/scholen/").status_code == 302


def test_the_code_verifier_sent_matches_the_challenge(client, provider):
    params = start(client)
    assert params["code_challenge_method"] == "S256"
    client.get(f"{CALLBACK_PATH}?{urlencode({'code': 'abc', 'state': params['state']})}")
    (token_request,) = provider
    verifier = token_request["code_verifier"]
    assert 43 <= len(verifier) <= 128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    assert token_request["code"] == "abc"
    assert client.get("/scholen/").status_code == 302  # the provider refused the code: still anonymous
