"""`make demo DEMO_PORT=…` moves the whole demo (issue 28, point 13): the four listeners and every
address the parts give each other — the provider's redirect and logout addresses, the app's
provider URL and public URL, the reference LVS the demo's result links send to, and the licence
registry. Read from what `make -n` would run, so no demo is started on a shared machine."""

from __future__ import annotations

import re
import subprocess

from tests.servers import ROOT

BASE = 17650


def demo_commands(*variables: str) -> str:
    result = subprocess.run(["make", "-n", "demo", *variables], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout


def test_one_base_port_moves_every_listener_and_address():
    commands = demo_commands(f"DEMO_PORT={BASE}")
    app, idp, lvs, registry = (f"{BASE + n}" for n in range(4))
    for expected in (
        f"manage.py runserver 127.0.0.1:{app}",
        f"devidp/manage.py runserver localhost:{idp}",
        f"demo.reference_lvs --port {lvs}",
        f"demo.reference_registry --port {registry}",
        f"BASISPOORT_OIDC_SERVER_URL=http://localhost:{idp}/o",
        f"BINGEL_PUBLIC_URL=http://127.0.0.1:{app}",
        f"DEVIDP_REDIRECT_URIS=http://127.0.0.1:{app}/accounts/oidc/basispoort/login/callback/",
        f"DEVIDP_POST_LOGOUT_REDIRECT_URIS=http://127.0.0.1:{app}/",
        f"demo_results --lvs-url http://127.0.0.1:{lvs}/uwlr",
        f"LICENCE_REGISTRY_URL=https://127.0.0.1:{registry}/rest/v1/",
        f"DEVIDP_REGISTRY_URL=https://127.0.0.1:{registry}/rest/v1/",
        f"what it got on http://127.0.0.1:{lvs}/",
    ):
        assert expected in commands, expected
    assert not re.search(r":800[0-3]\b|--port 800[0-3]\b", commands), "an address still on the default ports"


def test_the_provider_is_registered_with_the_moved_redirect_address():
    """devidp_setup writes the redirect addresses into the provider's database: it must run with them."""
    setup = next(line for line in demo_commands(f"DEMO_PORT={BASE}").splitlines() if "devidp_setup" in line)
    assert f"DEVIDP_REDIRECT_URIS=http://127.0.0.1:{BASE}/accounts/oidc/basispoort/login/callback/" in setup


def test_the_defaults_are_the_documented_ports():
    commands = demo_commands()
    assert "manage.py runserver 127.0.0.1:8000" in commands and "runserver localhost:8001" in commands
    assert "--port 8002" in commands and "--port 8003" in commands
