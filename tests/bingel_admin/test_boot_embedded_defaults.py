"""With nothing configured the app runs: SQLite file, eager tasks, Dutch front page."""

from __future__ import annotations

import sys

import requests

from tests.servers import ROOT, clean_env, free_port, manage, running


def test_app_boots_on_sqlite_and_serves_its_front_page(tmp_path):
    env = clean_env(BINGEL_VAR_DIR=str(tmp_path))
    manage("migrate", "--noinput", env=env)
    assert (tmp_path / "db.sqlite3").exists()
    port = free_port()
    args = [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"]
    with running(args, env, f"http://127.0.0.1:{port}/inloggen/", tmp_path / "server.log"):
        front = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
    assert front.status_code == 200
    assert front.url.endswith("/inloggen/")
    assert "Inloggen via Basispoort" in front.text
    assert '<html lang="nl">' in front.text
