"""Start real processes for tests (the app on its embedded defaults, the dev identity provider)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this test run's settings, so a child process starts from its defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE_URL", "REDIS_URL", "PYTEST"))}
    env.update(extra)
    return env


def load_settings(printed: str = "settings.DATABASES['default']['ENGINE']", **env: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with only ``env`` and print ``printed`` (an
    expression over ``settings``)."""
    code = f"import django; django.setup(); from django.conf import settings; print({printed})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="bingel_admin.settings", **env),
        capture_output=True,
        text=True,
    )


def production_settings(**changes: str | None) -> dict[str, str]:
    """Every variable production refuses to start without (nothing it names is contacted), with
    ``changes``; a change to None leaves that variable out."""
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + "production-secret-for-the-check-only-0123456789",
        "DEBUG": "false",
        "DATABASE_URL": "postgres://u:p@db:5432/bingel",
        "REDIS_URL": "redis://redis:6379/0",
        "ALLOWED_HOSTS": "beheer.example.nl",
        "BASISPOORT_OIDC_SERVER_URL": "https://login.basispoort.example/oidc",
        "BASISPOORT_OIDC_CLIENT_ID": "bingel-beheer",
        "BASISPOORT_OIDC_CLIENT_SECRET": "s",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "FIELD_FINGERPRINT_KEY": "servers-fingerprint-key-for-the-check-only-0123",
        **changes,
    }
    return {name: value for name, value in env.items() if value is not None}


def production_env(**changes: str | None) -> dict[str, str]:
    """A complete production environment for a child process that loads the settings."""
    return clean_env(DJANGO_SETTINGS_MODULE="bingel_admin.settings", **production_settings(**changes))


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()}")
        try:
            requests.get(url, timeout=1, allow_redirects=False)
            return
        except (requests.ConnectionError, requests.ReadTimeout):  # a busy machine answers slowly at first
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s:\n{log.read_text()}")


@contextmanager
def running(args: list[str], env: dict[str, str], url: str, log: Path):
    with log.open("w") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def manage(*args: str, env: dict[str, str], script: str = "manage.py") -> None:
    subprocess.run([sys.executable, str(ROOT / script), *args], cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def dev_identity_provider(
    tmp: Path, feed_dir: Path, redirect_uri: str, post_logout_uri: str, tamper: str = "", **extra_env: str
):
    """The development OpenID Connect provider as its own process, with its own data folder."""
    port = free_port()
    env = clean_env(
        DEVIDP_DATA_DIR=str(tmp / f"idp-{port}"),
        DEVIDP_FEED_DIR=str(feed_dir),
        DEVIDP_REDIRECT_URIS=redirect_uri,
        DEVIDP_POST_LOGOUT_REDIRECT_URIS=post_logout_uri,
        DEVIDP_TAMPER=tamper,
        **extra_env,
    )
    manage("devidp_setup", env=env, script="devidp/manage.py")
    base = f"http://localhost:{port}"
    args = [sys.executable, str(ROOT / "devidp/manage.py"), "runserver", f"localhost:{port}", "--noreload"]
    with running(args, env, f"{base}/o/.well-known/openid-configuration", tmp / f"idp-{port}.log"):
        yield base


@contextmanager
def certified_provider(tmp: Path, accounts: dict[str, dict], redirect_uri: str, post_logout_uri: str, **client):
    """panva's oidc-provider (npm, OpenID Certified) as its own Node process, knowing ``accounts``
    (sub -> claims); its client is this app. Yields the issuer URL."""
    port = free_port()
    issuer = f"http://localhost:{port}"
    config = {
        "issuer": issuer,
        "port": port,
        "client": {
            "client_id": "bingel-beheer-test",
            "client_secret": "bingel-beheer-test-secret-0123456789abcdef",
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [post_logout_uri],
            **client,
        },
        "accounts": accounts,
    }
    path = tmp / f"oidc-provider-{port}.json"
    path.write_text(json.dumps(config))
    args = ["node", str(ROOT / "tests" / "oidc_provider.mjs"), str(path)]
    env = clean_env(NODE_ENV="test")
    with running(args, env, f"{issuer}/.well-known/openid-configuration", tmp / f"oidc-provider-{port}.log"):
        yield issuer
