"""Production's start-up: the roster API needs its client certificate, and logs are JSON lines.

Each case is a fresh Python process that loads the settings from its environment only."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.servers import ROOT, clean_env, production_env

LOG_A_LINE = (
    "import django, logging; django.setup(); logging.getLogger('roster.importer').warning('school %s klaar', 'Ω 7')"
)


def production(tmp_path, **extra: str) -> dict[str, str]:
    """The shared production environment, its secret key read from a file as in the image."""
    secret = tmp_path / "secret"
    secret.write_text("x" * 60)
    return production_env(SECRET_KEY=None, SECRET_KEY_FILE=str(secret), **extra)


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_roster_api_without_a_client_certificate_refuses_to_start(tmp_path):
    api = "https://api.basispoort.example/partner"
    refused = python("import django; django.setup()", production(tmp_path, BASISPOORT_API_URL=api))
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "BASISPOORT_API_CLIENT_CERT and BASISPOORT_API_CLIENT_KEY" in refused.stderr

    only_cert = production(tmp_path, BASISPOORT_API_URL=api, BASISPOORT_API_CLIENT_CERT="/run/secrets/cert.pem")
    assert python("import django; django.setup()", only_cert).returncode != 0

    both = production(
        tmp_path,
        BASISPOORT_API_URL=api,
        BASISPOORT_API_CLIENT_CERT="/run/secrets/cert.pem",
        BASISPOORT_API_CLIENT_KEY="/run/secrets/key.pem",
    )
    started = python("import django; django.setup()", both)
    assert started.returncode == 0, started.stderr


def test_production_logs_one_json_object_per_line(tmp_path):
    result = python(LOG_A_LINE, production(tmp_path))
    assert result.returncode == 0, result.stderr
    # Every line is one JSON object (libraries log at start-up too); ours is among them, once.
    entries = [json.loads(line) for line in result.stderr.strip().splitlines()]
    ours = [e for e in entries if e["logger"] == "roster.importer"]
    assert len(ours) == 1, result.stderr
    entry = ours[0]
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "roster.importer", "school Ω 7 klaar")
    assert entry["request_id"] == "-" and entry["school_id"] is None


def test_development_logs_plain_text_unless_json_is_asked_for(tmp_path):
    plain = python(LOG_A_LINE, clean_env(BINGEL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="bingel_admin.settings"))
    assert plain.returncode == 0, plain.stderr
    assert "WARNING roster.importer [" in plain.stderr and not plain.stderr.lstrip().startswith("{")
    env = clean_env(BINGEL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="bingel_admin.settings", LOG_FORMAT="json")
    as_json = python(LOG_A_LINE, env)
    entries = [json.loads(line) for line in as_json.stderr.strip().splitlines()]
    assert [e["message"] for e in entries if e["logger"] == "roster.importer"] == ["school Ω 7 klaar"]
