"""With Basispoort down, "Inloggen via Basispoort" shows our "niet bereikbaar" page (issue 28,
point 11) — also when the provider's discovery document was read while it was still up and is
still cached, which used to send the browser on to the dead login address."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.sso import use_provider

pytestmark = [pytest.mark.browser, pytest.mark.live]


class Provider(BaseHTTPRequestHandler):
    """Just enough of an OpenID provider to be discovered and to show a login page."""

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path.startswith("/.well-known/openid-configuration"):
            body = json.dumps(
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/authorize",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks",
                }
            ).encode()
            kind = "application/json"
        else:
            body, kind = b"<!doctype html><title>Basispoort</title><h1>Inloggen bij Basispoort</h1>", "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_provider_went_down_after_its_discovery_was_cached(page, live_server, settings, transactional_db):
    provider = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    use_provider(settings, f"http://127.0.0.1:{provider.server_port}", path="")

    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    assert page.get_by_role("heading", name="Inloggen bij Basispoort").is_visible()  # it was up

    provider.shutdown()
    provider.server_close()
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    assert page.url.startswith(live_server.url), page.url
    assert page.get_by_role("heading", name="Basispoort is op dit moment niet bereikbaar").is_visible()
    page.get_by_role("link", name="Opnieuw proberen").click()
    assert page.get_by_role("button", name="Inloggen via Basispoort").is_visible()
