"""The demo runs as the product does (issue 17, point 12): `runserver` with nothing configured
has DEBUG off, so a wrong address shows our own 404 page instead of Django's list of every URL
pattern, and the static files are still served; DEBUG=true turns the debug pages on."""

from __future__ import annotations

import sys

import requests

from tests.servers import ROOT, clean_env, free_port, manage, running


def serve_and_fetch(tmp_path, **env: str) -> tuple[requests.Response, requests.Response]:
    environment = clean_env(BINGEL_VAR_DIR=str(tmp_path), **env)
    manage("migrate", "--noinput", env=environment)
    port = free_port()
    args = [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"]
    with running(args, environment, f"http://127.0.0.1:{port}/inloggen/", tmp_path / "server.log"):
        missing = requests.get(f"http://127.0.0.1:{port}/bestaat-niet/", timeout=10)
        css = requests.get(f"http://127.0.0.1:{port}/static/css/bingel.css", timeout=10)
    return missing, css


def test_demo_shows_our_404_and_still_serves_static_files(tmp_path):
    missing, css = serve_and_fetch(tmp_path)
    assert missing.status_code == 404
    assert "URLconf" not in missing.text and "Deze pagina bestaat niet" in missing.text
    assert css.status_code == 200 and ".topbar" in css.text


def test_debug_flag_turns_debug_on_for_development(tmp_path):
    missing, css = serve_and_fetch(tmp_path, DEBUG="true")
    assert missing.status_code == 404 and "URLconf" in missing.text
    assert css.status_code == 200
