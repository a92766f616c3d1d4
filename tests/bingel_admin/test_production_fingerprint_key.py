"""Production refuses a fingerprint key anyone could know: the development key published in this
repository, or one of its own FIELD_ENCRYPTION_KEYS.

With the development key and a database dump every pupil's login code can be recovered by
trying them all (1,320 picture codes, at most 10⁶ number codes) against the stored
fingerprints. Each case is a fresh Python process that loads the settings from its environment.
"""

from __future__ import annotations

import subprocess
import sys

from cryptography.fernet import Fernet

from tests.servers import ROOT, clean_env, production_env

START = "import django; django.setup()"


def run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def development_fingerprint_key(tmp_path) -> str:
    # What a development checkout uses when nothing is set: the key anyone can read here.
    shown = run(
        "import django; django.setup(); from django.conf import settings; print(settings.FIELD_FINGERPRINT_KEY)",
        clean_env(BINGEL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="bingel_admin.settings"),
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_production_refuses_the_published_development_fingerprint_key(tmp_path):
    published = development_fingerprint_key(tmp_path)
    assert len(published) >= 32  # long enough: only the comparison with it refuses it

    refused = run(START, {**production_env(), "FIELD_FINGERPRINT_KEY": published})
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "FIELD_FINGERPRINT_KEY" in refused.stderr
    assert published not in refused.stderr  # the message names the variable, never a key

    own = run(START, {**production_env(), "FIELD_FINGERPRINT_KEY": "this-deployment-has-its-own-key-0123456789"})
    assert own.returncode == 0, own.stderr


def test_production_refuses_a_fingerprint_key_that_is_one_of_its_encryption_keys():
    newest, older = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    for same in (newest, older, f" {older} "):
        env = {**production_env(), "FIELD_ENCRYPTION_KEYS": f"{newest}, {older}", "FIELD_FINGERPRINT_KEY": same}
        refused = run(START, env)
        assert refused.returncode != 0, same
        assert "FIELD_FINGERPRINT_KEY" in refused.stderr and "FIELD_ENCRYPTION_KEYS" in refused.stderr
        assert newest not in refused.stderr and older not in refused.stderr

    apart = {**production_env(), "FIELD_ENCRYPTION_KEYS": f"{newest},{older}"}
    apart["FIELD_FINGERPRINT_KEY"] = Fernet.generate_key().decode()
    assert run(START, apart).returncode == 0
